"""Text from forms, query strings and CSV files read as whole numbers and money, in one place.

Only ASCII digits count: "²".isdigit() and "١٢".isdigit() are true, int("²") raises and int("١٢")
is 12, and Decimal reads "١٢", "1_000" and "1e3". Every bound matches the column the number is
stored in, so whatever gets past here fits in the database on SQLite and PostgreSQL alike.

Like shop.money this module imports nothing of the application, so products may use it too; the
app factory installs IdConverter as the <int:...> converter of every route.
"""

import re
from decimal import Decimal
from urllib.parse import urlsplit

from werkzeug.routing import IntegerConverter

#: Ids, quantities, stock and every other plain number are 32-bit `integer` columns.
LARGEST_INT = 2**31 - 1
#: The largest id a table can hold (the same 32-bit limit): anything above is a 404, not a query.
LARGEST_ID = LARGEST_INT
#: No single amount on this market reaches a hundred million yuan; larger input is a typo. Money
#: columns are 64-bit (`bigint`), so sums of many such amounts fit too.
MAX_YUAN = Decimal(100_000_000)

_WHOLE = re.compile(r"[0-9]+")
_AMOUNT = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?")


class NotAWholeNumber(ValueError):
    """Text that is not a whole number in range; `too_large` when it was digits, just too many."""

    def __init__(self, text: str, too_large: bool = False):
        super().__init__(text)
        self.too_large = too_large


class InvalidMoney(ValueError):
    """Raised when text cannot be read as an amount of yuan with at most two decimals."""


class MoneyTooLarge(InvalidMoney):
    """An amount written correctly but at or beyond MAX_YUAN (the seller mistyped its size)."""


def whole_number(text: str | None, *, least: int = 0, most: int = LARGEST_INT) -> int:
    """ASCII digits (spaces around them allowed) as an int from `least` to `most`.

    :raises NotAWholeNumber: for anything else, with `too_large` set above `most`.
    """
    cleaned = (text or "").strip()
    if not _WHOLE.fullmatch(cleaned):
        raise NotAWholeNumber(cleaned)
    # Compare lengths before int(): a 10,000-digit number must not cost (or raise) anything.
    digits = cleaned.lstrip("0") or "0"
    if len(digits) > len(str(most)) or int(digits) > most:
        raise NotAWholeNumber(cleaned, too_large=True)
    number = int(digits)
    if number < least:
        raise NotAWholeNumber(cleaned)
    return number


def whole_number_or(
    text: str | None, default: int, *, least: int = 0, most: int = LARGEST_INT
) -> int:
    """whole_number(), or `default` for anything that is not one in range."""
    try:
        return whole_number(text, least=least, most=most)
    except NotAWholeNumber:
        return default


def row_id(text: str | None) -> int:
    """A row id (1 up to LARGEST_ID) from text, for form fields that coerce their choices.

    :raises NotAWholeNumber: for anything that cannot name a row.
    """
    return whole_number(text, least=1, most=LARGEST_ID)


def id_or_none(text: str | None) -> int | None:
    """A row id (1 up to LARGEST_ID) from text, or None when it cannot name a row."""
    try:
        return row_id(text)
    except NotAWholeNumber:
        return None


def parse_money(text: str) -> int:
    """'39.9' -> 3990 fen, exactly: ASCII digits, one point, at most two decimals, a sign.

    A ¥ sign and thousands commas are allowed (as the money filter writes them).

    :raises MoneyTooLarge: for amounts of MAX_YUAN or more either way.
    :raises InvalidMoney: for empty text, more than two decimals, or anything else.
    """
    cleaned = str(text).strip().replace("¥", "").replace("￥", "").replace(",", "")
    match = _AMOUNT.fullmatch(cleaned)
    if match is None or not (match[2] or match[3]):
        raise InvalidMoney(text)
    sign, yuan, decimals = match[1], match[2].lstrip("0"), (match[3] or "").rstrip("0")
    if len(yuan) > len(str(MAX_YUAN)) or Decimal(yuan or "0") >= MAX_YUAN:
        raise MoneyTooLarge(text)
    if len(decimals) > 2:
        raise InvalidMoney(text)
    fen = int(yuan or "0") * 100 + int(decimals.ljust(2, "0"))
    return -fen if sign == "-" else fen


class IdConverter(IntegerConverter):
    """The app's <int:...> route converter: ASCII digits up to LARGEST_ID, else no match (404).

    Werkzeug's own matches any script's digits (\\d) and any size, which the database refuses.
    """

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits=0, min=None, max=LARGEST_ID, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def safe_next(target: str | None, fallback: str = "/") -> str:
    """A same-site path to go back to; anything pointing elsewhere becomes the fallback."""
    if not target:
        return fallback
    # Browsers read a backslash as a slash and drop tabs and newlines, so "/\\evil.example"
    # and "/\t/evil.example" lead to another site just as "//evil.example" does.
    cleaned = "".join(ch for ch in target if ch not in "\t\r\n").replace("\\", "/")
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc or not cleaned.startswith("/") or cleaned.startswith("//"):
        return fallback
    return target
