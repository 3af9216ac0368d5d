"""Money is an int of fen inside; it becomes text only here."""

from decimal import Decimal, InvalidOperation

CURRENCY = "CNY"
#: No single amount on this market reaches a hundred million yuan; larger input is a typo.
MAX_YUAN = Decimal(100_000_000)


class InvalidMoney(ValueError):
    """Raised when text cannot be read as an amount of yuan with at most two decimals."""


def format_fen(fen: int) -> str:
    """12345 -> '¥123.45'; negative amounts keep their sign before the symbol."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}¥{yuan:,}.{cents:02d}"


def fen_to_decimal_text(fen: int) -> str:
    """12345 -> '123.45' (for form fields and CSV files)."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{yuan}.{cents:02d}"


def parse_money(text: str) -> int:
    """'39.9' -> 3990 fen, exactly, via Decimal.

    :raises InvalidMoney: for empty text, more than two decimals, absurd sizes, or non-numbers.
    """
    cleaned = str(text).strip().replace("¥", "").replace("￥", "").replace(",", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as error:
        raise InvalidMoney(text) from error
    # Bound the size first: quantize() of a huge exponent raises instead of answering.
    if not amount.is_finite() or abs(amount) >= MAX_YUAN:
        raise InvalidMoney(text)
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidMoney(text)
    return int(amount * 100)
