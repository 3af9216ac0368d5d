"""Pieces every model shares: UTC timestamps, bilingual fields and the money column type."""

from datetime import UTC, datetime, timedelta

from flask_babel import get_locale
from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from shop.extensions import db

#: The column type of money (fen): 64-bit, as a 32-bit integer ends at ¥21,474,836.47, below one
#: order of 99 units at ¥300,000. SQLite's INTEGER holds 64 bits already and stays as it is.
FEN = BigInteger().with_variant(Integer(), "sqlite")


class Clock:
    """The site's one clock. Real time; tests of timed behaviour (a discount starting, a payment
    window ending) move it forward instead of sleeping."""

    def __init__(self):
        self.ahead = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.ahead

    def advance(self, by: timedelta) -> None:
        self.ahead += by


CLOCK = Clock()


def utcnow() -> datetime:
    """The current time in UTC, timezone-aware."""
    return CLOCK.now()


def as_utc(moment: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime (None stays None).

    SQLite hands back naive datetimes even for timezone-aware columns; they are stored as UTC.
    """
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def current_language() -> str:
    """'zh' or 'en' for the request being served ('zh' outside a request)."""
    try:
        locale = get_locale()
    except (RuntimeError, KeyError):
        return "zh"
    return "en" if locale is not None and locale.language == "en" else "zh"


class Timestamped:
    """created_at / updated_at columns kept in UTC."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class Bilingual:
    """Read `<field>_zh` / `<field>_en` in the visitor's language, falling back to the other one."""

    def localized(self, field: str, language: str | None = None) -> str:
        """The field in the given (or current) language, else in the other language."""
        language = language or current_language()
        other = "en" if language == "zh" else "zh"
        return getattr(self, f"{field}_{language}") or getattr(self, f"{field}_{other}") or ""


def made_once(find, make):
    """The row find() returns, else the one make() builds and adds. Flushes when it makes one.

    Two requests at once (a double tap) may both try to make it: the row's unique rule lets one
    win, and the other reads the winner's row.
    """
    row = find()
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            row = make()
            db.session.add(row)
    except IntegrityError:
        row = find()
        if row is None:  # not a duplicate after all: let the caller see the real error
            raise
    return row
