"""Text analysis that every search backend shares, so that the index and the queries cut text
the same way: words as the segmenter cuts them (rjieba, taught this market's words), lower case,
stop words, English stems, pinyin syllables, words and initials (pypinyin), full-width folding.

The only module that imports rjieba or pypinyin. Of Whoosh it takes only the language tools (the
Porter stemmer and the English stop words, as the index has always used), never its index.
"""

import re
import time
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

import rjieba
from pypinyin import lazy_pinyin

# Whoosh's language tools (its Porter stemmer and stop words), not its index: analysis stays
# engine-neutral while stemming exactly as the index always has.
from whoosh.analysis.filters import STOP_WORDS as WHOOSH_STOP_WORDS
from whoosh.lang.porter import stem as english_stem

#: Words of this market that the segmenter's dictionary lacks or splits wrongly: without them
#: 义乌古法红糖 ends in 古/法 and 德格印经院木刻印画 in 木/刻印/画. The same list is used when
#: indexing and when querying, so both sides cut text the same way. Whole product names are left
#: out on purpose: their parts already match, and romanize() keeps giving word-by-word slugs.
MARKET_WORDS = (
    "黄桃",
    "南枣",
    "古法",
    "红糖块",
    "木刻",
    "印画",
    "绣绷",
    "地理标志",
    "非遗",
    "冷链",
    "贡布",
)

#: English words too common to search for: Whoosh's list.
STOP_WORDS = frozenset(WHOOSH_STOP_WORDS)
#: Chinese particles too common to search for.
STOP_WORDS_ZH = frozenset("的了和与及或是在也就都而把被很等之其个这那着吗呢啊")
#: Words too common to search for: the English list and Chinese particles.
ALL_STOP_WORDS = STOP_WORDS | STOP_WORDS_ZH


def _teach_segmenter() -> None:
    for word in MARKET_WORDS:
        rjieba.add_word(word, None, None)


_teach_segmenter()


_HAS_WORD_CHARACTER = re.compile(r"[^\W_]")
CHINESE_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


def is_cjk(character: str) -> bool:
    """True for a Chinese character."""
    return "\u3400" <= character <= "\u9fff" or "\uf900" <= character <= "\ufaff"


def fold_width(text: str) -> str:
    """Full-width letters and digits as ASCII (ｐｅａｒ -> pear), when offsets stay the same."""
    folded = unicodedata.normalize("NFKC", text)
    return folded if len(folded) == len(text) else text


def segment(text: str) -> Iterator[tuple[str, int, int]]:
    """Words of mixed Chinese/English text with their character offsets, as rjieba cuts them.

    Search mode also yields the shorter words inside long ones (延安市 -> 延安, 延安市), so a
    query for either finds the text. Pieces with no letter or digit (spaces, punctuation) are
    left out.
    """
    for word, start, end in rjieba.tokenize(fold_width(text), mode="search"):
        if word.isalnum() or _HAS_WORD_CHARACTER.search(word):
            yield word, start, end


#: How much a word counts in the part of a product it appears in: BM25 takes the sum as the
#: word's frequency, so one field weighs titles above tags, places and descriptions with one
#: postings list per word (a field per part cost four lists to read and score per word).
PART_WEIGHTS = {"title": 4.0, "tags": 2.0, "place": 1.5, "body": 1.0}
_PART_MARK = "\x1f"
_PARTS = re.compile(r"\x1f(\w+)\x1f")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def weighted_text(**parts: str) -> str:
    """Parts of a product as one value for the `text` field, each marked with its name."""
    return "".join(
        f"{_PART_MARK}{name}{_PART_MARK}{_CONTROL.sub(' ', text)} " for name, text in parts.items()
    )


def weighted_parts(value: str) -> Iterator[tuple[str, float]]:
    """The parts of a weighted_text() value, each with its weight (text before any mark: 1.0)."""
    pieces = _PARTS.split(value)
    yield pieces[0], 1.0
    for name, text in zip(pieces[1::2], pieces[2::2], strict=True):
        yield text, PART_WEIGHTS.get(name, 1.0)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The English stem of a lower-case word (Porter's); other words unchanged."""
    return english_stem(word) if word.isascii() else word


class Word(NamedTuple):
    """A word of a text: lower-cased as written, its stem, and its character offsets."""

    original: str
    stem: str
    start: int
    end: int


def analysed_words(text: str) -> Iterator[Word]:
    """The words of a text as queries and highlighting see them: segmented, lower-cased, stop
    words left out, English stemmed (Chinese words pass unchanged)."""
    for word, start, end in segment(text):
        lowered = word.lower()
        if lowered not in ALL_STOP_WORDS:
            yield Word(lowered, stem(lowered), start, end)


def warm_up() -> float:
    """Run the segmenter and pinyin once so their start-up cost is paid now; returns seconds."""
    started = time.perf_counter()
    list(analysed_words("砀山酥梨 Dangshan crisp pears 延安市洛川苹果"))
    pinyin_text("砀山酥梨")
    return time.perf_counter() - started


def pinyin_forms(word: str) -> tuple[str, str]:
    """Whole-word pinyin and initials of a Chinese word: 砀山 -> ('dangshan', 'ds')."""
    syllables = [syllable.lower() for syllable in lazy_pinyin(word)]
    return "".join(syllables), "".join(syllable[:1] for syllable in syllables)


@lru_cache(maxsize=8192)
def pinyin_text(text: str) -> str:
    """Pinyin of the Chinese in a text, as syllables, words, word initials and the whole run:
    砀山酥梨 -> 'dang shan su li dangshan suli dangshansuli ds sl dssl'."""
    pieces: list[str] = []
    for run in CHINESE_RUN.findall(text):
        # One conversion per run (pypinyin is the slow part of indexing, and the run gives it
        # the context for characters with several readings); words are slices of it.
        syllables = [syllable.lower() for syllable in lazy_pinyin(run)]
        if len(syllables) != len(run):
            syllables = [pinyin_forms(character)[0] for character in run]
        words = [(start, end) for _word, start, end in rjieba.tokenize(run, mode="search")]
        pieces += syllables
        pieces += ["".join(syllables[start:end]) for start, end in words]
        pieces.append("".join(syllables))
        pieces += [
            "".join(syllable[:1] for syllable in syllables[start:end]) for start, end in words
        ]
        pieces.append("".join(syllable[:1] for syllable in syllables))
    unique = dict.fromkeys(piece for piece in pieces if piece.isascii() and piece.isalnum())
    return " ".join(unique)


@lru_cache(maxsize=8192)
def pinyin_words(text: str) -> str:
    """Whole pinyin words of the Chinese in a text, for place names: 砀山县 -> 'dangshan dangshanxian'."""
    words = []
    for run in CHINESE_RUN.findall(text):
        syllables = [syllable.lower() for syllable in lazy_pinyin(run)]
        if len(syllables) != len(run):
            continue
        words += [
            "".join(syllables[start:end]) for _w, start, end in rjieba.tokenize(run, mode="search")
        ]
        words.append("".join(syllables))
    return " ".join(dict.fromkeys(word for word in words if word.isascii() and word.isalnum()))


def romanize(text: str) -> str:
    """Chinese as pinyin words, other text kept: '砀山 Pears' -> 'dangshan pears' (for URL slugs)."""
    words = [word.strip() for word in rjieba.cut(text) if word.strip()]
    return " ".join("".join(lazy_pinyin(word)) for word in words).lower()
