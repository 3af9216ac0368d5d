"""User accounts and their roles."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from shop.extensions import db
from shop.models_base import Timestamped


class Role:
    """What a person may do. One person can hold several roles."""

    CUSTOMER = "customer"
    TRAINEE = "trainee"
    EXHIBITOR = "exhibitor"
    TRAINER = "trainer"
    ORGANIZER = "organizer"
    ALL = (CUSTOMER, TRAINEE, EXHIBITOR, TRAINER, ORGANIZER)


class User(UserMixin, Timestamped, db.Model):
    """Someone who can log in."""

    # "user" is reserved in PostgreSQL; a plain name avoids quoting it everywhere.
    __tablename__ = "user_account"
    __table_args__ = (CheckConstraint("language IN ('zh', 'en')", name="language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased so log-in is case-insensitive. None for an account made with a mobile
    #: number only: every account has an email, a phone, or both.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    #: A mainland mobile number as "+8613812345678" (shop.accounts.phones), or None.
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    #: When an SMS code sent to `phone` was entered; until then the number cannot log in with a
    #: password (whoever typed it at sign-up may not own it).
    phone_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80))
    language: Mapped[str] = mapped_column(String(5), default="zh")
    active: Mapped[bool] = mapped_column(default=True)
    #: Moves on at log-out, a password change or reset and a withdrawn role. Sessions and
    #: remember-me cookies carry the number they were made with (get_id) and stop working when
    #: it moves, so a copied cookie dies with the session it was copied from.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")

    role_rows: Mapped[list["UserRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> set[str]:
        """The names of the roles this user holds."""
        return {row.role for row in self.role_rows}

    def has_role(self, *roles: str) -> bool:
        """True when the user holds any of the given roles."""
        return bool(self.roles.intersection(roles))

    def add_role(self, role: str) -> None:
        """Grant a role (no-op when already held)."""
        if role not in Role.ALL:
            raise ValueError(f"unknown role {role!r}")
        if role not in self.roles:
            self.role_rows.append(UserRole(role=role))

    def remove_role(self, role: str) -> None:
        """Withdraw a role (no-op when not held); sessions started while it was held end."""
        for row in [row for row in self.role_rows if row.role == role]:
            self.role_rows.remove(row)
            self.end_sessions()

    def get_id(self) -> str:
        """What the session and the remember-me cookie keep: "id:session_version"."""
        return f"{self.id}:{self.session_version or 1}"

    def end_sessions(self) -> None:
        """Refuse every session and remember-me cookie made before now (see load_user)."""
        self.session_version = (self.session_version or 1) + 1

    def set_password(self, password: str) -> None:
        """Store a salted scrypt hash of the password, never the password."""
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        """True when the password matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:
        """Flask-Login refuses log-in to deactivated accounts."""
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.email or self.phone}>"


class UserRole(db.Model):
    """One role held by one user."""

    __tablename__ = "user_role"
    __table_args__ = (
        CheckConstraint(
            "role IN ('customer', 'trainee', 'exhibitor', 'trainer', 'organizer')", name="role"
        ),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    user: Mapped["User"] = relationship(back_populates="role_rows")


class OutboxMessage(Timestamped, db.Model):
    """A message to a person (reset link, order notice), kept even when no mail server is set up.

    Organizers can read the outbox; with MAIL_URL configured a sender also mails it. A message
    goes to an email address or, as an SMS (a one-time code), to a mobile number: never both.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint("(to_email IS NULL) <> (to_phone IS NULL)", name="one_recipient"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to_email: Mapped[str | None] = mapped_column(String(254), index=True)
    #: For an SMS: the mobile number as "+8613812345678"; SMS_BACKEND decides how it is sent.
    to_phone: Mapped[str | None] = mapped_column(String(20), index=True)
    #: What the message is about: password_reset, order_placed, order_paid, order_shipped...
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    #: When a mail server accepted it; None while only in the outbox.
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.kind} to {self.to_email or self.to_phone}>"


class PasswordResetToken(Timestamped, db.Model):
    """A one-time, expiring password-reset link. Only a hash of the token is stored."""

    __tablename__ = "password_reset_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: Set when the link is used; a used link never works again.
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped["User"] = relationship()

    def __repr__(self) -> str:
        return f"<PasswordResetToken user={self.user_id}>"


class PhoneCode(Timestamped, db.Model):
    """A one-time 6-digit code sent by SMS: to confirm a number, log in, or reset a password.

    Only a keyed hash of the code is stored. A code works once, for CODE_LIFETIME, and refuses
    every try after MAX_ATTEMPTS wrong ones (shop.accounts.codes).
    """

    __tablename__ = "phone_code"
    __table_args__ = (
        CheckConstraint("purpose IN ('signup', 'login', 'reset')", name="purpose"),
        CheckConstraint("attempts >= 0", name="attempts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: The number the code was sent to, "+8613812345678".
    phone: Mapped[str] = mapped_column(String(20), index=True)
    #: signup (confirms the number), login (logs in without the password) or reset.
    purpose: Mapped[str] = mapped_column(String(10))
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: Wrong codes tried against this one; at MAX_ATTEMPTS it stops working.
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Set when the code is used or replaced by a newer one; it never works again.
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped["User"] = relationship()

    def __repr__(self) -> str:
        return f"<PhoneCode {self.purpose} user={self.user_id}>"
