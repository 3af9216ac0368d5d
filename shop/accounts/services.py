"""Account rules: sign-up, log-in checks, password changes, one-time reset links and SMS codes."""

import hashlib
import secrets
from datetime import timedelta
from functools import cache

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from shop.accounts import codes, outbox
from shop.accounts.models import OutboxMessage, PasswordResetToken, Role, User
from shop.accounts.passwords import password_problem
from shop.accounts.phones import looks_like_email, normalize_phone
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


class PhoneTaken(AccountError):
    """Another account already has this mobile number."""


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


def find_user_by_phone(phone: str | None) -> User | None:
    """The account with this mobile number (any spelling normalize_phone reads), or None."""
    phone = normalize_phone(phone)
    if phone is None:
        return None
    return db.session.scalar(select(User).where(User.phone == phone))


def login_key(identifier: str) -> str:
    """One spelling of what a person logs in with, for rate limits: "+86…" or the email."""
    if not looks_like_email(identifier):
        phone = normalize_phone(identifier)
        if phone:
            return phone
    return normalize_email(identifier)


def phone_taken_message() -> str:
    return _(
        "This mobile number already has an account. Log in with it, or log in with an SMS code."
    )


def _check_new_password(password: str) -> None:
    problem = password_problem(password)
    if problem:
        raise WeakPassword(problem)


def register_user(
    email: str | None,
    display_name: str,
    password: str,
    language: str,
    role: str = Role.CUSTOMER,
    phone: str | None = None,
) -> User:
    """Create an account, with an email, a mobile number or both, and one self-chosen role.

    A mobile number starts unconfirmed: send_signup_code() then confirm_phone(). Flushes. Two
    sign-ups racing for one number meet the unique constraint: the caller catches the
    IntegrityError, rolls back and says the number is taken (see phone_taken_message()).

    :raises PhoneTaken: when the mobile number already has an account.
    :raises EmailTaken: when the email already has an account.
    :raises WeakPassword: when the password is too short or too common.
    """
    if role not in SIGNUP_ROLES:
        raise ValueError(f"{role!r} cannot be chosen at sign-up")
    email = normalize_email(email) or None
    phone = normalize_phone(phone) if phone else None
    if email is None and phone is None:
        raise ValueError("an account needs an email or a mobile number")
    _check_new_password(password)
    if phone and find_user_by_phone(phone):
        raise PhoneTaken(phone_taken_message())
    taken = email and db.session.scalar(
        select(func.count()).select_from(User).where(User.email == email)
    )
    if taken:
        # Spend the time hashing would, so the answer's speed does not tell the email is known.
        generate_password_hash(password, method="scrypt")
        raise EmailTaken(
            _("An account with this email already exists. Log in, or reset your password.")
        )
    user = User(email=email, phone=phone, display_name=display_name.strip(), language=language)
    user.set_password(password)
    user.add_role(role)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(identifier: str, password: str) -> User | None:
    """The account when email or mobile number and password match, else None (the same for
    every failure). A number logs in only once an SMS code confirmed it."""
    if looks_like_email(identifier):
        user = find_user(identifier)
    else:
        user = find_user_by_phone(identifier)
        if user is not None and user.phone_confirmed_at is None:
            user = None
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


# --- One-time SMS codes ----------------------------------------------------------------------


def send_signup_code(user: User) -> None:
    """Text a code that confirms the new account's mobile number. Flushes."""
    codes.send_code(user, user.phone, "signup")


def request_login_code(phone: str) -> None:
    """Text a log-in code when the number has an active account. Flushes.

    Says nothing either way, as the reset form does.
    """
    user = find_user_by_phone(phone)
    if user is None or not user.is_active:
        return
    codes.send_code(user, user.phone, "login")


def _confirm_phone(user: User) -> None:
    """The code reached the number: it is the person's. Sessions started before end, so an
    account someone opened with another person's number is the number owner's from now on."""
    if user.phone_confirmed_at is None:
        user.phone_confirmed_at = utcnow()
        user.end_sessions()


def confirm_phone(phone: str, code: str) -> User:
    """Confirm a new account's mobile number with the code texted at sign-up. Flushes.

    :raises codes.CodeError: when the code is wrong, expired, used or out of tries.
    """
    row = codes.use_code(normalize_phone(phone) or "", "signup", code)
    _confirm_phone(row.user)
    db.session.flush()
    return row.user


def log_in_with_code(phone: str, code: str) -> User:
    """The account whose number the log-in code was texted to. Flushes.

    :raises codes.CodeError: when the code is wrong, expired, used or out of tries.
    """
    row = codes.use_code(normalize_phone(phone) or "", "login", code)
    _confirm_phone(row.user)
    db.session.flush()
    return row.user


def request_password_reset_code(phone: str) -> None:
    """Text a reset code when the number has an active account. Flushes; says nothing."""
    user = find_user_by_phone(phone)
    if user is None or not user.is_active:
        return
    codes.send_code(user, user.phone, "reset")


def reset_password_with_code(phone: str, code: str, new_password: str) -> User:
    """Set a new password with a texted reset code, logging every session out. Flushes.

    The password is checked first, so a weak one does not spend one of the code's tries.

    :raises WeakPassword: when the new password is too short or too common.
    :raises codes.CodeError: when the code is wrong, expired, used or out of tries.
    """
    _check_new_password(new_password)
    row = codes.use_code(normalize_phone(phone) or "", "reset", code)
    user = row.user
    _confirm_phone(user)
    user.set_password(new_password)
    user.end_sessions()
    db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    db.session.flush()
    return user
