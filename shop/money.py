"""Money is an int of fen inside; it becomes text only here.

Typed amounts are read by shop.parsing (with every other number people type); its parse_money,
InvalidMoney and MoneyTooLarge are available from here too.
"""

from shop.parsing import MAX_YUAN, InvalidMoney, MoneyTooLarge, parse_money

__all__ = [
    "CURRENCY",
    "MAX_YUAN",
    "InvalidMoney",
    "MoneyTooLarge",
    "fen_to_decimal_text",
    "format_fen",
    "parse_money",
]

CURRENCY = "CNY"


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
