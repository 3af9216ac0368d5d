"""Search results' text as escaped HTML with the words a query matched wrapped in <mark>,
whatever the backend: the text is cut by the same analysis as the index.
"""

from functools import lru_cache

from markupsafe import Markup, escape

from products.search.analysis import CHINESE_RUN, analysed_words, pinyin_forms
from products.search.query import MatchTerms


@lru_cache(maxsize=65536)
def _cached_pinyin_forms(word: str) -> frozenset[str]:
    return frozenset(pinyin_forms(word))


@lru_cache(maxsize=8192)
def _run_pinyin_forms(run: str) -> frozenset[str]:
    """Whole pinyin and initials of a run of Chinese: 砀山酥梨 -> {'dangshansuli', 'dssl'}."""
    whole, initials = pinyin_forms(run)
    return frozenset((whole, initials))


def _marked_spans(text: str, terms: MatchTerms) -> list[tuple[int, int]]:
    spans = []
    for word in analysed_words(text):
        matched = word.stem in terms.stems or word.original in terms.pinyin
        if not matched and terms.pinyin and CHINESE_RUN.match(word.original):
            matched = bool(_cached_pinyin_forms(word.original) & terms.pinyin)
        if matched:
            spans.append((word.start, word.end))
    if terms.pinyin:
        # Whole-name pinyin and initials (dangshansuli, dssl) mark the whole run of Chinese.
        for run in CHINESE_RUN.finditer(text):
            if _run_pinyin_forms(run.group()) & terms.pinyin:
                spans.append(run.span())
    lowered = text.lower()
    for phrase in terms.phrases:
        start = lowered.find(phrase)
        while start != -1:
            spans.append((start, start + len(phrase)))
            start = lowered.find(phrase, start + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _render(text: str, spans: list[tuple[int, int]], offset: int = 0) -> Markup:
    """Escape the text and wrap the spans (positions in the text + offset) in <mark>."""
    pieces, position = [], 0
    for start, end in spans:
        start, end = max(start - offset, 0), min(end - offset, len(text))
        if end <= start:
            continue
        pieces.append(escape(text[position:start]))
        pieces.append(Markup("<mark>%s</mark>") % text[start:end])
        position = end
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)


def highlight(text: str, terms: MatchTerms) -> Markup:
    """The text escaped, with the words the query matched wrapped in <mark>."""
    if not terms or not text:
        return escape(text)
    return _render(text, _marked_spans(text, terms))


def excerpt(text: str, terms: MatchTerms, width: int = 90) -> Markup:
    """About `width` characters of the text around its first match, highlighted."""
    spans = _marked_spans(text, terms) if terms and text else []
    start = max(0, spans[0][0] - width // 3) if spans and len(text) > width else 0
    end = min(len(text), start + width)
    prefix, suffix = ("…" if start > 0 else ""), ("…" if end < len(text) else "")
    return escape(prefix) + _render(text[start:end], spans, offset=start) + escape(suffix)
