"""Account rules: sign-up, log-in checks, password changes and one-time reset links."""

import hashlib
import secrets
from datetime import timedelta
from functools import cache

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from shop.accounts import outbox
from shop.accounts.models import OutboxMessage, PasswordResetToken, Role, User
from shop.accounts.passwords import password_problem
from shop.extensions import db
from shop.models_base import as_utc, utcnow

#: A reset link works this long, and once.
RESET_LINK_LIFETIME = timedelta(hours=1)
#: At most one "someone tried to sign up with your email" message per account in this time,
#: so the sign-up form cannot be used to fill someone's mailbox.
SIGNUP_NOTICE_INTERVAL = timedelta(hours=1)
#: Roles a person may choose at sign-up; trainers and organizers are created by an organizer.
SIGNUP_ROLES = (Role.CUSTOMER, Role.EXHIBITOR, Role.TRAINEE)


class AccountError(ValueError):
    """A rule about accounts was not met; the message is for the person (already translated)."""


class EmailTaken(AccountError):
    """Someone already signed up with this email."""


class WrongPassword(AccountError):
    """The current password given does not match."""


class WeakPassword(AccountError):
    """The new password is too short or too common."""


class InvalidResetLink(AccountError):
    """The reset link is unknown, expired or already used."""


@cache
def _dummy_hash() -> str:
    """A hash made like real ones, checked when the email is unknown."""
    return generate_password_hash(secrets.token_hex(16), method="scrypt")


def normalize_email(email: str) -> str:
    """Emails are compared and stored lower-cased, without surrounding spaces."""
    return (email or "").strip().lower()


def find_user(email: str) -> User | None:
    """The account with this email, or None."""
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def _check_new_password(password: str) -> None:
    problem = password_problem(password)
    if problem:
        raise WeakPassword(problem)


def register_user(
    email: str, display_name: str, password: str, language: str, role: str = Role.CUSTOMER
) -> User:
    """Create an account with one self-chosen role. Flushes.

    :raises EmailTaken: when the email already has an account.
    :raises WeakPassword: when the password is too short or too common.
    """
    if role not in SIGNUP_ROLES:
        raise ValueError(f"{role!r} cannot be chosen at sign-up")
    email = normalize_email(email)
    _check_new_password(password)
    taken = db.session.scalar(select(func.count()).select_from(User).where(User.email == email))
    if taken:
        # Spend the time hashing would, so the answer's speed does not tell the email is known.
        generate_password_hash(password, method="scrypt")
        raise EmailTaken(
            _("An account with this email already exists. Log in, or reset your password.")
        )
    user = User(email=email, display_name=display_name.strip(), language=language)
    user.set_password(password)
    user.add_role(role)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The account when email and password match, else None (the same for every failure)."""
    user = find_user(email)
    if user is None:
        # Spend the same time as a real check so answers do not reveal which emails exist.
        check_password_hash(_dummy_hash(), password)
        return None
    return user if user.check_password(password) else None


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Replace the password after checking the current one. Flushes.

    :raises WrongPassword: when the current password does not match.
    :raises WeakPassword: when the new one is too short or too common.
    """
    if not user.check_password(current_password):
        raise WrongPassword(_("Your current password is not right."))
    _check_new_password(new_password)
    user.set_password(new_password)
    user.end_sessions()
    db.session.flush()


def end_sessions(user: User) -> None:
    """Log the account out everywhere: every session and remember-me cookie stops working. Flushes."""
    user.end_sessions()
    db.session.flush()


def notify_signup_attempt(email: str, join_code: str = "") -> None:
    """Tell an account's owner that someone tried to sign up with their email. Flushes.

    The sign-up page then answers "check your email", as for the reset form, instead of saying
    that the address has an account. The message says how to log in or reset the password, and
    how to join the cohort when a join code was given. At most one per SIGNUP_NOTICE_INTERVAL.
    """
    user = find_user(email)
    if user is None:
        return
    recent = db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.to_email == user.email,
            OutboxMessage.kind == "signup_attempt",
            OutboxMessage.created_at > utcnow() - SIGNUP_NOTICE_INTERVAL,
        )
    )
    if recent:
        return
    with force_locale(user.language):
        subject = _("Someone tried to sign up with your email")
        body = _(
            "Someone, perhaps you, tried to open a new Village Market account with this email "
            "address. It already has an account, so no new one was made.\n\n"
            "To log in: %(login)s\n"
            "Forgot your password? Choose a new one here: %(reset)s",
            login=outbox.site_link("accounts.login"),
            reset=outbox.site_link("accounts.reset_request"),
        )
        if join_code:
            body += "\n\n" + _(
                "To join the cohort with the code %(code)s, log in and open: %(link)s",
                code=join_code,
                link=outbox.site_link("training.join", code=join_code),
            )
        body += "\n\n" + _("If it was not you, ignore this message: your account is unchanged.")
    outbox.queue_message(user.email, "signup_attempt", subject, body)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_password_reset(email: str) -> None:
    """Write a one-time reset link to the outbox when the email has an active account. Flushes.

    Says nothing either way, so the page cannot be used to learn who has an account.
    """
    user = find_user(email)
    if user is None or not user.is_active:
        return
    token = secrets.token_urlsafe(32)
    db.session.add(
        PasswordResetToken(
            user=user, token_hash=_token_hash(token), expires_at=utcnow() + RESET_LINK_LIFETIME
        )
    )
    link = outbox.site_link("accounts.reset_password", token=token)
    # The message speaks the account's language, whatever language the request came in.
    with force_locale(user.language):
        subject = _("Reset your Village Market password")
        body = _(
            "Someone asked to reset the password of your Village Market account. "
            "To choose a new password, open this link within one hour (it works once):\n\n"
            "%(link)s\n\nIf it was not you, ignore this message: your password stays as it is.",
            link=link,
        )
    outbox.queue_message(user.email, "password_reset", subject, body)


def valid_reset_token(token: str) -> PasswordResetToken | None:
    """The unused, unexpired reset token matching `token`, or None."""
    row = db.session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == _token_hash(token))
    )
    if row is None or row.used_at is not None or as_utc(row.expires_at) <= utcnow():
        return None
    return row


def reset_password(token: str, new_password: str) -> User:
    """Set a new password through a reset link, using the link up. Flushes.

    :raises InvalidResetLink: when the link is unknown, expired or already used.
    :raises WeakPassword: when the new password is too short or too common.
    """
    row = valid_reset_token(token)
    if row is None:
        raise InvalidResetLink(_("This reset link has expired or was already used."))
    _check_new_password(new_password)
    # Claim the link in one statement: of two requests racing with the same link, one wins.
    claimed = db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if claimed != 1:
        raise InvalidResetLink(_("This reset link has expired or was already used."))
    # Other links sent to this account stop working too: the person is back in control.
    db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == row.user_id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    user = db.session.get(User, row.user_id)
    user.set_password(new_password)
    # Whoever held a session (a thief the reset is meant to shut out) is logged out.
    user.end_sessions()
    db.session.flush()
    return user
