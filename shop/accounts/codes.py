"""One-time SMS codes: sent through the outbox, stored as a keyed hash, used once.

A code works for CODE_LIFETIME and for MAX_ATTEMPTS tries in all; asking for a new one retires
the old one. How often a number and an address may ask is the views' rate limit.
"""

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from shop.accounts import outbox
from shop.accounts.models import PhoneCode, User
from shop.extensions import db
from shop.models_base import as_utc, utcnow

CODE_LENGTH = 6
CODE_LIFETIME = timedelta(minutes=10)
#: Tries a code allows in all, the right one included; then a new code must be asked for.
MAX_ATTEMPTS = 5
PURPOSES = ("signup", "login", "reset")
#: What a typed code may look like before it is checked: six digits, spaces allowed between.
_FULL_WIDTH_DIGITS = str.maketrans({0xFF10 + n: str(n) for n in range(10)})
_CODE = re.compile(r"[0-9]{6}")


class CodeError(ValueError):
    """The code cannot be used; the message is for the person (already translated)."""


class WrongCode(CodeError):
    """The code does not match; tries may be left."""


class CodeUsedUp(CodeError):
    """No code to check: none sent, expired, used, replaced, or out of tries."""


def parse_code(text: str | None) -> str | None:
    """Six ASCII digits from what was typed (full-width digits and spaces allowed), or None."""
    if not text or len(text) > 40:
        return None
    compact = re.sub(r"[ \u3000\-]", "", text.translate(_FULL_WIDTH_DIGITS).strip())
    return compact if _CODE.fullmatch(compact) else None


def _hash(phone: str, purpose: str, code: str) -> str:
    """A keyed hash: a stolen table of six-digit codes cannot be reversed without SECRET_KEY."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{phone}\0{purpose}\0{code}".encode(), hashlib.sha256).hexdigest()


def _subject(purpose: str) -> str:
    return {
        "signup": _("Code to confirm your mobile number"),
        "login": _("Code to log in"),
        "reset": _("Code to reset your password"),
    }[purpose]


def send_code(user: User, phone: str, purpose: str) -> None:
    """Make a new code for `phone`, retire older ones, queue the SMS in the outbox. Flushes."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown code purpose {purpose!r}")
    now = utcnow()
    db.session.execute(
        update(PhoneCode)
        .where(PhoneCode.phone == phone, PhoneCode.purpose == purpose, PhoneCode.used_at.is_(None))
        .values(used_at=now)
    )
    code = f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"
    db.session.add(
        PhoneCode(
            user=user,
            phone=phone,
            purpose=purpose,
            code_hash=_hash(phone, purpose, code),
            expires_at=now + CODE_LIFETIME,
        )
    )
    # The SMS speaks the account's language, whatever language the request came in.
    with force_locale(user.language):
        text = _(
            "[Village Market] Your code is %(code)s. It works once, for 10 minutes. "
            "Never tell it to anyone, not even to us.",
            code=code,
        )
        outbox.queue_sms(phone, f"sms_{purpose}", _subject(purpose), text)


def use_code(phone: str, purpose: str, code: str) -> PhoneCode:
    """Spend one try of the newest code sent to `phone`; the row when it matched. Flushes.

    The try is counted before the comparison, in one statement, so parallel guesses cannot
    share a try; a failed try is only kept when the caller commits, which it must.

    :raises WrongCode: when the code does not match (tries may be left).
    :raises CodeUsedUp: when no usable code was sent, or it expired, was used or ran out of tries.
    """
    used_up = CodeUsedUp(_("This code has expired or was used up. Ask for a new one."))
    row = db.session.scalar(
        select(PhoneCode)
        .where(PhoneCode.phone == phone, PhoneCode.purpose == purpose, PhoneCode.used_at.is_(None))
        .order_by(PhoneCode.id.desc())
        .limit(1)
    )
    if row is None or as_utc(row.expires_at) <= utcnow():
        raise used_up
    counted = db.session.execute(
        update(PhoneCode)
        .where(
            PhoneCode.id == row.id,
            PhoneCode.used_at.is_(None),
            PhoneCode.attempts < MAX_ATTEMPTS,
        )
        .values(attempts=PhoneCode.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if counted != 1:
        raise used_up
    db.session.refresh(row)
    if not hmac.compare_digest(row.code_hash, _hash(phone, purpose, code)):
        left = MAX_ATTEMPTS - row.attempts
        if left <= 0:
            raise used_up
        raise WrongCode(_("That code is not right. Tries left: %(left)d.", left=left))
    claimed = db.session.execute(
        update(PhoneCode)
        .where(PhoneCode.id == row.id, PhoneCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise used_up
    return row
