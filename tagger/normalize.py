"""Arabic text normalisation shared by training, prediction and keyword extraction.

Two levels:

* :func:`normalize` folds spelling variants but keeps words, digits and punctuation, so
  the result is still readable (keywords are shown from it).
* :func:`tokens` splits normalised text into the letter runs the section model sees.
  Digits and punctuation are dropped there because SANAD, one of the training corpora,
  was published with both already stripped: a model trained on it alongside other
  outlets must not learn "has punctuation" as a feature of a section.

Both are plain module-level functions so that nothing in a saved model refers to code
that cannot be rebuilt.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Sequence

import numpy as np

__all__ = ["normalize", "tokens", "raw_tokens", "normalize_word", "normalize_words",
           "fold_letters", "raw_token_classes"]

# Harakat, Quranic annotation marks, superscript alef and tatweel carry no meaning for
# topic or keyword matching and are written inconsistently across outlets.
_STRIP = dict.fromkeys(
    [*range(0x0610, 0x061B), *range(0x064B, 0x0660), 0x0670, *range(0x06D6, 0x06DD),
     *range(0x06DF, 0x06E9), *range(0x06EA, 0x06EE), 0x0640,
     # invisible marks: ZWNJ, ZWJ, LRM, RLM, ALM, bidi embeddings and isolates, BOM, soft hyphen
     0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x061C, *range(0x202A, 0x202F),
     *range(0x2066, 0x206A), 0xFEFF, 0x00AD],
)

_FOLD = {
    # alef forms: hamza above/below, madda and wasla are dropped by many writers
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا",
    # Persian and Urdu letters that scraped pages use for their Arabic twins
    "ک": "ك", "ڪ": "ك", "ی": "ي", "ې": "ي", "ۍ": "ي", "ے": "ي", "ۓ": "ي",
    "ۀ": "ه", "ہ": "ه", "ۂ": "ه", "ھ": "ه", "ە": "ه", "ۃ": "ة",
    # alef maqsura: the same word is spelled with ى or ي depending on the outlet
    # (Egyptian sites write final ي as ى); folding it raised outlet-held-out macro-F1
    # in our measurements, see README "Normalisation choices".
    "ى": "ي",
    # Arabic punctuation to its Latin counterpart, so one set of rules splits sentences
    "،": ",", "؛": ";", "؟": "?", "«": '"', "»": '"', "٪": "%", "٫": ".", "٬": ",",
}
# Arabic-Indic and Persian digits become ASCII digits.
_FOLD.update({chr(0x0660 + i): str(i) for i in range(10)})
_FOLD.update({chr(0x06F0 + i): str(i) for i in range(10)})

_TABLE = {**_STRIP, **{ord(k): v for k, v in _FOLD.items()}}
# str.translate with a dict costs ~200 ns per character; substituting only the runs of
# characters that change is several times faster on real news text.
_CHANGES = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_TABLE)) + "]+")


def _fold_run(match: re.Match) -> str:
    return match.group().translate(_TABLE)
# A token is a run of letters: Arabic block letters or Latin ones. Digits, punctuation,
# emoji and symbols separate tokens.
_TOKEN = re.compile(r"[a-z\u0621-\u064a\u0671-\u06d3]+")

# ة (ta marbuta) is deliberately NOT folded to ه: outlets agree on it far more than on
# ى/ي, and folding it merges distinct words (e.g. feminine nouns with pronoun suffixes).


def fold_letters(text: str) -> str:
    """Apply the character-level folds (no whitespace changes)."""
    return _CHANGES.sub(_fold_run, text)


def normalize(text: str) -> str:
    """Return ``text`` with Arabic spelling variants folded and whitespace collapsed.

    Idempotent: ``normalize(normalize(t)) == normalize(t)``.

    >>> normalize("أَحْمَدُ  ی")
    'احمد ي'
    """
    if not text:
        return ""
    # NFKC first turns presentation forms (ﻻ, ﷲ ...) back into plain letters. Removing
    # invisible marks can bring a base letter and a combining mark together, so NFKC
    # may have work to do again after folding; a second round makes the result stable.
    for _ in range(2):
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        folded = _CHANGES.sub(_fold_run, text)
        if folded == text:
            break
        text = folded
    return " ".join(text.split())


# Raw tokens are found before normalisation: runs of letters (Arabic, Persian,
# presentation forms or Latin) with their marks, tatweel and invisible joiners. Normalising
# each distinct raw token once (cached) is far cheaper than normalising whole texts.
_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u200b-\u200f\u00ad"
_LETTERS = "A-Za-z\u00c0-\u024f\u0621-\u063f\u0641-\u064a\u0671-\u06d3\u06d5\ufb50-\ufdff\ufe70-\ufefc"
_RAW = re.compile(f"[{_LETTERS}{_MARKS}]+")


def raw_tokens(text: str) -> list[str]:
    """Letter runs of ``text`` before normalisation (see :func:`normalize_word`)."""
    return _RAW.findall(text)


def raw_token_classes(other: int, letter: int, mark: int) -> np.ndarray:
    """A class per character of the Basic Multilingual Plane, for reading raw tokens with
    numpy (:mod:`tagger._scan`): ``letter`` for what :func:`raw_tokens` takes into a
    token, ``mark`` among those for what normalisation deletes (so that a word hashes
    alike with and without its diacritics), ``other`` for the rest."""
    table = np.full(0x10000, other, dtype=np.uint8)
    for match in _RAW.finditer("".join(map(chr, range(0x10000)))):
        table[match.start():match.end()] = letter
    letters = np.flatnonzero(table == letter).tolist()
    table[[c for c in letters if not fold_letters(chr(c))]] = mark
    return table


# A few hundred bytes an entry: 2**18 entries keep the common vocabulary of any corpus
# while staying small enough that memory reaches its plateau early in a long training run.
@functools.lru_cache(maxsize=1 << 18)
def normalize_word(raw: str) -> str:
    """Normalise one raw token; may return several space-separated tokens or ''."""
    return " ".join(_TOKEN.findall(normalize(raw).lower()))


_NOT_TOKEN = re.compile(r"[^a-z\u0621-\u064a\u0671-\u06d3\n]+")


def normalize_words(raws: Sequence[str]) -> list[str]:
    """:func:`normalize_word` of each raw token, in one pass over them all.

    A newline composes with nothing and folding never makes one, so the tokens joined by
    newlines normalise at once; a batch that needs NFKC, or holds a newline, goes token by
    token.
    """
    if not raws:
        return []
    joined = "\n".join(raws)
    if joined.count("\n") == len(raws) - 1 and unicodedata.is_normalized("NFKC", joined):
        folded = fold_letters(joined)
        if unicodedata.is_normalized("NFKC", folded):
            return [part.strip(" ") for part in _NOT_TOKEN.sub(" ", folded.lower()).split("\n")]
    return [normalize_word(raw) for raw in raws]


def tokens(text: str) -> list[str]:
    """Split text into normalised, lower-cased letter tokens (digits and punctuation dropped).

    >>> tokens("قال الرئيسُ: «السلام» 2024")
    ['قال', 'الرئيس', 'السلام']
    """
    out: list[str] = []
    for raw in raw_tokens(text):
        word = normalize_word(raw)
        if " " in word:
            out.extend(word.split())
        elif word:
            out.append(word)
    return out
