"""Password rules: long enough and not one of the most common passwords."""

from functools import cache
from pathlib import Path

from flask_babel import gettext as _

MIN_LENGTH = 10
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt")


@cache
def common_passwords() -> frozenset[str]:
    """The refused passwords, lower-cased."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def password_problem(password: str) -> str | None:
    """A message saying what is wrong with the password, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return _("Use at least %(count)d characters.", count=MIN_LENGTH)
    if password.lower() in common_passwords():
        return _("That password is one of the most common ones; choose another.")
    return None
