"""The search package keeps its engine behind one module and one interface, and its shared text
analysis cuts text exactly as the Whoosh index does."""

import inspect
import re
from pathlib import Path

import pytest

from products.search import analysis, postgresql_backend, whoosh_backend
from products.search.backend import SearchBackend

ROOT = Path(__file__).resolve().parents[1]


def _importers(pattern: str) -> list[str]:
    return sorted(
        str(path.relative_to(ROOT))
        for folder in ("shop", "products")
        for path in (ROOT / folder).rglob("*.py")
        if re.search(pattern, path.read_text(encoding="utf-8"), re.M)
    )


def test_the_whoosh_index_is_used_by_the_whoosh_backend_only():
    # Analysis uses Whoosh's language tools (stemmer, stop words), never its index.
    assert _importers(
        r"^\s*(import whoosh|from whoosh)(?!\.lang|\.analysis\.filters import STOP)"
    ) == ["products/search/whoosh_backend.py"]


def test_the_segmenter_and_pinyin_are_imported_by_the_analysis_only():
    importers = _importers(r"^\s*(import|from) (rjieba|pypinyin)\b")
    assert importers == ["products/search/analysis.py"]


@pytest.mark.parametrize(
    "backend_class", [whoosh_backend.WhooshBackend, postgresql_backend.PostgresqlBackend]
)
def test_each_backend_implements_the_search_backend_interface(backend_class):
    backend = backend_class()
    assert isinstance(backend, SearchBackend)
    for name, member in inspect.getmembers(SearchBackend, inspect.isfunction):
        if name.startswith("_"):
            continue
        wanted = inspect.signature(member)
        wanted = wanted.replace(parameters=list(wanted.parameters.values())[1:])
        assert inspect.signature(getattr(backend, name)) == wanted, name


def _catalogue_words() -> set[str]:
    text = " ".join(
        path.read_text(encoding="utf-8") for path in (ROOT / "seed_data").rglob("*.toml")
    )
    return set(re.findall(r"[a-z]+", text.lower()))


@pytest.mark.parametrize(
    "text",
    [
        "砀山酥梨 Dangshan crisp pears 延安市洛川苹果",
        "The pears of the valley, and a jar: 义乌古法红糖块！",
        "ｐｅａｒ ＡＰＰＬＥＳ 木刻印画 — hand-printed",
        "",
        "的了和 and or 123 x_y",
    ],
)
def test_query_words_are_the_words_the_index_holds(text):
    """analysed_words() (queries, highlighting) against the Whoosh analyzer of the `text` field."""
    whoosh_words = whoosh_backend.ChineseTokenizer() | whoosh_backend.WordFilter()
    expected = [
        (token.original, token.text, token.startchar, token.endchar)
        for token in whoosh_words(text, chars=True)
    ]
    assert [tuple(word) for word in analysis.analysed_words(text)] == expected


def test_the_backends_share_the_change_tracking_and_not_each_other():
    """Which products a transaction touched is noted once (products.search.changes) for either
    engine; neither backend reaches into the other."""
    for mine, other in (("postgresql", "whoosh"), ("whoosh", "postgresql")):
        source = (ROOT / f"products/search/{mine}_backend.py").read_text(encoding="utf-8")
        assert re.search(r"^from products\.search\.changes import", source, re.M)
        assert not re.search(rf"products\.search\.{other}_backend", source)
