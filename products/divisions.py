"""The mainland's provinces, cities and counties: checking a typed address, and printing one.

The data is static/data/china-divisions.json (source, licence and trimming in the NOTICE.md next
to it), the same file the checkout's address picker loads in the browser. It is read once, on
first use. Every page, slip, export and message that shows an order's mainland address lays it
out with format_address(), in the order China writes it: 省 市 区县 then the street.
"""

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parents[1] / "static" / "data" / "china-divisions.json"
#: Shorter than this, a typed name is not completed ("宿州" finds 宿州市, "宿" finds nothing).
MIN_PREFIX = 2
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Division:
    """A province, city or county: its statistical code, its name and what it contains."""

    code: str
    name: str
    children: dict[str, "Division"]


class PlaceNotFound(ValueError):
    """A typed province, city or county is not in the one above it.

    `level` is "province", "city" or "district"; `parent` names the division it was looked for
    in (empty for a province); `choices` are the names that would have been right.
    """

    def __init__(self, level: str, typed: str, parent: str, choices: list[str]):
        super().__init__(f"{level} {typed!r} not in {parent or 'China'}")
        self.level, self.typed, self.parent, self.choices = level, typed, parent, choices


class NoCountyLevel(ValueError):
    """A county was given for a city that has none (仙桃市, 济源市, ...)."""

    def __init__(self, city: str):
        super().__init__(f"{city} has no county level")
        self.city = city


def _division(row: list) -> Division:
    code, name, *rest = row
    children = {child[1]: _division(child) for child in rest[0]} if rest else {}
    return Division(code, name, children)


@cache
def provinces() -> dict[str, Division]:
    """Every province by name, each with its cities and their counties (read once)."""
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return {row[1]: _division(row) for row in data["provinces"]}


def _find(level: str, typed: str, within: dict[str, Division], parent: str) -> Division:
    """The division named `typed`, or the only one whose name it begins ("宿州" → 宿州市).

    :raises PlaceNotFound: when none, or more than one, fits.
    """
    key = _SPACES.sub("", typed or "")
    if key in within:
        return within[key]
    fits = [name for name in within if len(key) >= MIN_PREFIX and name.startswith(key)]
    if len(fits) == 1:
        return within[fits[0]]
    raise PlaceNotFound(level, (typed or "").strip(), parent, list(within))


def match_place(province: str, city: str, district: str) -> tuple[str, str, str]:
    """The official names of a typed province, city and county, checked to belong together.

    The county is "" for a city without counties. Each name may be typed in full or by its
    beginning ("安徽", "宿州", "砀山"); spaces are ignored.

    :raises PlaceNotFound: for the first of the three that is not in the one above it.
    :raises NoCountyLevel: when a county is given for a city that has none.
    """
    found_province = _find("province", province, provinces(), "")
    found_city = _find("city", city, found_province.children, found_province.name)
    if not found_city.children:
        if _SPACES.sub("", district or "") not in ("", found_city.name):
            raise NoCountyLevel(found_city.name)
        return found_province.name, found_city.name, ""
    found_county = _find("district", district, found_city.children, found_city.name)
    return found_province.name, found_city.name, found_county.name


def _clean(text: str | None) -> str:
    return _SPACES.sub(" ", text or "").strip()


def format_place(province: str, city: str, district: str) -> str:
    """ "安徽省 宿州市 砀山县": largest first, one space between, a repeated name once.

    A municipality's city repeats its name (北京市 北京市 海淀区 → 北京市 海淀区). Old orders'
    free-text names print the same way.
    """
    parts: list[str] = []
    for part in (_clean(province), _clean(city), _clean(district)):
        if part and (not parts or parts[-1] != part):
            parts.append(part)
    return " ".join(parts)


def format_address(province: str, city: str, district: str, street: str) -> str:
    """The whole mainland address on one line: "内蒙古自治区 呼和浩特市 新城区 中山路 1 号"."""
    return " ".join(
        part for part in (format_place(province, city, district), _clean(street)) if part
    )
