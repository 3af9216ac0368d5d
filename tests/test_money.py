"""Money is integer fen inside and text only at the edges."""

import pytest

from shop.money import InvalidMoney, fen_to_decimal_text, format_fen, parse_money


@pytest.mark.parametrize(
    ("fen", "text"),
    [(0, "¥0.00"), (5, "¥0.05"), (3990, "¥39.90"), (123456789, "¥1,234,567.89"), (-250, "-¥2.50")],
)
def test_format_fen_shows_yuan_with_two_decimals(fen, text):
    assert format_fen(fen) == text


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("39.9", 3990),
        ("39.90", 3990),
        ("0.1", 10),
        ("¥68", 6800),
        (" 1,299.00 ", 129900),
        ("0.29", 29),
    ],
)
def test_parse_money_is_exact(text, fen):
    # 0.29 * 100 is 28.999999999999996 in floating point: Decimal keeps it exact.
    assert parse_money(text) == fen


@pytest.mark.parametrize("text", ["", "abc", "1.234", "NaN", "Infinity", "1e400", "--1"])
def test_parse_money_refuses_what_is_not_an_amount(text):
    with pytest.raises(InvalidMoney):
        parse_money(text)


def test_decimal_text_round_trips_through_parse():
    for fen in (1, 99, 100, 3990, 6990, 1234567):
        assert parse_money(fen_to_decimal_text(fen)) == fen
