"""Numbers typed by people are read in one place: ASCII digits only, within the columns' range."""

import ast
import re
from pathlib import Path

import pytest

from shop.money import InvalidMoney, MoneyTooLarge, parse_money
from shop.parsing import (
    LARGEST_ID,
    NotAWholeNumber,
    id_or_none,
    whole_number,
    whole_number_or,
)

ROOT = Path(__file__).resolve().parent.parent
#: The one module allowed to turn digits into numbers.
PARSER = ROOT / "shop" / "parsing.py"


@pytest.mark.parametrize(("text", "number"), [("0", 0), ("7", 7), (" 42 ", 42), ("007", 7)])
def test_whole_number_reads_ascii_digits(text, number):
    assert whole_number(text) == number


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "²",  # "²".isdigit() is true, and int("²") raises
        "١٢",  # Arabic-Indic digits: int() reads them as 12
        "１２",  # full-width digits
        "𝟙𝟚",
        "12a",
        "1_000",  # int() reads it as 1000
        "+5",
        "-1",
        "1.0",
        "0x10",
        "1e3",
        "\x00",
        "4\x002",
        "😀",
    ],
)
def test_whole_number_refuses_anything_but_ascii_digits(text):
    with pytest.raises(NotAWholeNumber) as refused:
        whole_number(text)
    assert not refused.value.too_large


@pytest.mark.parametrize("text", [str(2**31), str(2**63), "9" * 400, "1" + "0" * 10_000])
def test_numbers_past_the_columns_are_too_large_not_a_crash(text):
    with pytest.raises(NotAWholeNumber) as refused:
        whole_number(text)
    assert refused.value.too_large


def test_bounds_are_inclusive_and_configurable():
    assert whole_number(str(2**31 - 1)) == 2**31 - 1
    assert whole_number("5", least=5, most=5) == 5
    with pytest.raises(NotAWholeNumber):
        whole_number("4", least=5)
    with pytest.raises(NotAWholeNumber) as refused:
        whole_number("6", most=5)
    assert refused.value.too_large


def test_lenient_readers_fall_back_instead_of_raising():
    assert whole_number_or("²", 1) == 1
    assert whole_number_or(None, 1) == 1
    assert whole_number_or("3", 1) == 3
    assert id_or_none("12") == 12
    assert id_or_none(str(LARGEST_ID + 1)) is None
    assert id_or_none("0") is None
    assert id_or_none("١٢") is None


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("21474836.48", 2_147_483_648),  # one fen past a 32-bit column
        ("99999999.99", 9_999_999_999),
        ("300000", 30_000_000),
        (".5", 50),
        ("39.900", 3990),
    ],
)
def test_money_up_to_the_limit_is_read_exactly(text, fen):
    assert parse_money(text) == fen


@pytest.mark.parametrize("text", ["99999999999", "100000000", "1" + "0" * 400, "-100000000"])
def test_money_past_the_limit_is_too_large(text):
    with pytest.raises(MoneyTooLarge):
        parse_money(text)


@pytest.mark.parametrize(
    "text", ["١٢", "１２.５", "²", "1e3", "1_000", "12.345", "\x00", "12\x00", "0x10", ".", "-"]
)
def test_money_refuses_anything_but_ascii_digits_and_one_point(text):
    with pytest.raises(InvalidMoney) as refused:
        parse_money(text)
    assert not isinstance(refused.value, MoneyTooLarge)


# --- The rule, checked in the source --------------------------------------------------------

DIGIT_TESTS = {"isdigit", "isdecimal", "isnumeric"}


SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def _own_nodes(scope: ast.AST):
    """The nodes of one function (or of the module), not those of functions inside it."""
    body = [scope.body] if isinstance(scope, ast.Lambda) else scope.body
    stack = list(body)
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child for child in ast.iter_child_nodes(node) if not isinstance(child, SCOPES))


def _number_reading_problems(tree: ast.AST) -> list[tuple[int, str]]:
    """Functions (and module code) that test text with isdigit() or \\d and then call int()."""
    problems = set()
    for scope in [tree, *(node for node in ast.walk(tree) if isinstance(node, SCOPES))]:
        nodes = list(_own_nodes(scope))
        calls_int = any(
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "int"
            for node in nodes
        )
        if not calls_int:
            continue
        for node in nodes:
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in DIGIT_TESTS
            ):
                problems.add((node.lineno, f".{node.func.attr}() then int()"))
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and re.search(r"\\d", node.value)
            ):
                problems.add((node.lineno, r"a \d pattern (any script's digits) then int()"))
    return sorted(problems)


def test_only_the_parsing_module_turns_digit_checks_into_int():
    offenders = []
    for folder in ("shop", "products"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == PARSER:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for line, problem in _number_reading_problems(tree):
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {problem}")
    assert offenders == [], (
        "read numbers with shop.parsing (ASCII digits, bounded) instead:\n" + "\n".join(offenders)
    )


def test_the_source_check_catches_the_pattern_it_forbids():
    caught = ast.parse(
        "def quantity(value):\n    return int(value) if value.isdigit() else 1\n"
        "def pages(text):\n    return [int(n) for n in re.findall(r'\\d+', text)]\n"
    )
    assert len(_number_reading_problems(caught)) == 2
    fine = ast.parse("def last4(phone):\n    return ''.join(c for c in phone if c.isdigit())\n")
    assert _number_reading_problems(fine) == []
