"""Keep the Chinese catalogue in step with the code.

python scripts/i18n.py update     # extract every _() string and merge into messages.po
python scripts/i18n.py missing    # list strings with no Chinese yet (exit 1 if any)
python scripts/i18n.py fill FILE  # FILE: JSON object {"English msgid": "中文"}; fills them in
"""

import io
import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO_FILE = ROOT / "shop" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
METHODS = [
    ("shop/**.py", "python"),
    ("products/**.py", "python"),
    ("templates/**.html", "jinja2"),
]


def extract() -> Catalog:
    """Every translatable string in the code and templates."""
    template = Catalog(project="Village Market", charset="utf-8")
    for message in extract_from_dir(ROOT, METHODS, keywords=KEYWORDS, strip_comment_tags=True):
        filename, lineno, text, comments, context = message
        template.add(text, locations=[(filename, lineno)], auto_comments=comments, context=context)
    return template


def load() -> Catalog:
    """The Chinese catalogue as committed."""
    with PO_FILE.open("rb") as handle:
        return read_po(handle, locale="zh")


def save(catalog: Catalog) -> None:
    """Write the catalogue back, sorted for small diffs."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, sort_output=True, include_previous=False)
    PO_FILE.write_bytes(buffer.getvalue())


def untranslated(catalog: Catalog, template: Catalog) -> list[str]:
    """msgids in the code with no Chinese translation."""
    missing = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        text = found.string if found else None
        if isinstance(text, tuple | list):
            text = text[0] if all(text) else None
        if not text or (found and found.fuzzy):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def main(argv: list[str]) -> int:
    """Run one command."""
    command = argv[1] if len(argv) > 1 else "missing"
    if command == "update":
        catalog = load()
        catalog.update(extract(), no_fuzzy_matching=True)
        save(catalog)
        print(
            f"{PO_FILE.relative_to(ROOT)} updated; {len(untranslated(load(), extract()))} untranslated"
        )
        return 0
    if command == "fill":
        pairs = json.loads(Path(argv[2]).read_text(encoding="utf-8"))
        catalog = load()
        for msgid, msgstr in pairs.items():
            message = catalog.get(msgid)
            if message is None:
                print(f"not in the catalogue (run update first): {msgid!r}", file=sys.stderr)
                continue
            message.string = msgstr
            message.flags.discard("fuzzy")
        save(catalog)
        return 0
    missing = untranslated(load(), extract())
    for msgid in missing:
        print(msgid)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
