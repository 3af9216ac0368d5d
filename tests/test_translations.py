"""Every string a person reads exists in Simplified Chinese as well as English."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "i18n.py"


def _i18n():
    spec = importlib.util.spec_from_file_location("i18n", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_translatable_string_has_chinese():
    i18n = _i18n()
    missing = i18n.untranslated(i18n.load(), i18n.extract())
    assert missing == [], "run `python scripts/i18n.py update` and translate: " + "; ".join(missing)


def test_chinese_keeps_the_placeholders_of_the_english():
    for message in _i18n().load():
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            for placeholder in ("%(" + part.split(")")[0] + ")" for part in ids[0].split("%(")[1:]):
                assert placeholder in text, f"{message.id!r} lost {placeholder} in Chinese"


def test_the_chinese_voice_is_always_polite():
    for message in _i18n().load():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            assert "你" not in (text or ""), f"{message.id!r} says 你 where the site says 您"


def test_a_place_reads_province_first_in_chinese_and_name_first_in_english(seeded):
    client = seeded.test_client()
    chinese = client.get("/products/4-x?lang=zh", follow_redirects=True).get_data(as_text=True)
    assert '安徽省<a href="/regions/dangshan">砀山县</a>' in chinese
    english = client.get("/products/4-x?lang=en", follow_redirects=True).get_data(as_text=True)
    assert '<a href="/regions/dangshan">Dangshan County</a>, Anhui' in english
