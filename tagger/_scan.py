"""Splitting a whole batch of texts into runs of characters with numpy.

Both models read text this way. The batch is joined into one string, each character gets
a class from a lookup table, and every maximal run of one class becomes a run with its
span in the joined text and a 64-bit hash of its characters. Marks (a class of their
own: diacritics, tatweel, invisible joiners) are left out before runs are found, so
``كتاب`` and ``كِتَاب`` are one run with one hash. Python never loops over tokens:
callers find the distinct hashes with numpy and look at the strings of those alone.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Sequence

import numpy as np

__all__ = ["SEPARATOR", "Runs", "scan", "spell", "prefix_sums", "base_power"]

SEPARATOR = "\x00"  # ends every part of a batch, and always ends a run

# A run's hash is sum(code[i] * B**i) over its characters (i counted from the run's
# start), in wrapping uint64. It is computed from prefix sums over the whole batch,
# P[k] = sum(code[j] * B**j for j < k), as (P[end] - P[start]) * B**-start: B is odd, so
# it has an inverse modulo 2**64. Keyword models save word hashes built on this one
# (tagger._keyword_features.word_hashes): changing the base means a new keyword format.
_BASE = 0x100000001B3
_INVERSE = pow(_BASE, -1, 1 << 64)
_POWERS = np.ones(1, dtype=np.uint64)
_INVERSE_POWERS = np.ones(1, dtype=np.uint64)


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """B**i and B**-i (mod 2**64) for i < n; tables up to _CACHED long are kept."""
    global _POWERS, _INVERSE_POWERS
    if len(_POWERS) < n:
        size = max(n, min(2 * len(_POWERS), _CACHED), 64)
        tables = []
        for base in (_BASE, _INVERSE):
            powers = np.ones(size, dtype=np.uint64)
            with np.errstate(over="ignore"):
                powers[1:] = np.cumprod(np.full(size - 1, base, dtype=np.uint64))
            tables.append(powers)
        if size > _CACHED:
            return tables[0][:n], tables[1][:n]
        _POWERS, _INVERSE_POWERS = tables
    return _POWERS[:n], _INVERSE_POWERS[:n]


_CACHED = 1 << 21  # a group of parts is about _GROUP_CHARS long; one huge part may be longer


@dataclass
class Runs:
    """Runs of one character class in ``text``, the batch joined by :data:`SEPARATOR`."""

    text: str
    cls: np.ndarray    # per run: its class
    begin: np.ndarray  # per run: span in ``text`` (marks inside a run are within the span)
    end: np.ndarray
    keys: np.ndarray   # per run: uint64 hash of its characters, marks left out
    part: np.ndarray   # per run: index of the part (input string) it belongs to


def scan(parts: Sequence[str], classes: np.ndarray, mark: int, skip: int) -> Runs:
    """Split ``parts`` into runs (see :func:`_scan`), a group of parts of about
    ``_GROUP_CHARS`` characters at a time, so that each step's arrays stay small."""
    ends = np.cumsum(np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)))
    total = int(ends[-1]) if len(ends) else 0
    cuts = np.searchsorted(ends, np.arange(_GROUP_CHARS, total, _GROUP_CHARS)) + 1
    bounds = np.unique(np.concatenate([[0], cuts, [len(parts)]])).tolist()
    groups = [_scan(parts[a:b], classes, mark, skip) for a, b in zip(bounds[:-1], bounds[1:])]
    if len(groups) <= 1:
        return groups[0] if groups else _scan([], classes, mark, skip)
    offsets = np.cumsum([0] + [len(g.text) for g in groups[:-1]])
    return Runs("".join(g.text for g in groups),
                np.concatenate([g.cls for g in groups]),
                np.concatenate([g.begin + o for g, o in zip(groups, offsets)]),
                np.concatenate([g.end + o for g, o in zip(groups, offsets)]),
                np.concatenate([g.keys for g in groups]),
                np.concatenate([g.part + b for g, b in zip(groups, bounds)]))


_GROUP_CHARS = 200_000


def _scan(parts: Sequence[str], classes: np.ndarray, mark: int, skip: int) -> Runs:
    """Split ``parts`` into runs of the classes that ``classes`` (a table over the Basic
    Multilingual Plane) gives their characters; characters beyond it get class
    ``classes[0xFFFF]``. Characters of class ``mark`` are dropped first, and runs of
    class ``skip`` are not returned. Text is read in NFKC form, so presentation forms and
    composed letters count as the letters they are.
    """
    joined = SEPARATOR.join(parts) + SEPARATOR
    if joined.count(SEPARATOR) > len(parts):  # a part holds the separator: it becomes a space
        joined = SEPARATOR.join(p.replace(SEPARATOR, " ") for p in parts) + SEPARATOR
    # No-break spaces are the usual reason a text is not NFKC already (NFKC makes them
    # spaces). The separator composes with nothing, so the whole batch normalises at once.
    joined = joined.replace("\xa0", " ")
    if not unicodedata.is_normalized("NFKC", joined):
        joined = unicodedata.normalize("NFKC", joined)
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    cls = np.take(classes, codes if codes.max() < 0x10000 else np.minimum(codes, 0xFFFF))
    unmarked = cls != mark
    kept = None
    if not unmarked.all():
        kept = np.flatnonzero(unmarked)
        cls, codes = cls[unmarked], codes[unmarked]
    # A separator ends the run before it as well as its own, so that every part gets the
    # same runs whatever else is in the batch.
    run_start = np.flatnonzero(np.concatenate([[True], (cls[1:] != cls[:-1]) | (codes[:-1] == 0)]))
    run_end = np.append(run_start[1:], len(codes))
    total, inverse = prefix_sums(codes)
    wanted = np.flatnonzero(cls[run_start] != skip)
    start, end = run_start[wanted], run_end[wanted]
    with np.errstate(over="ignore"):
        keys = (total[end] - total[start]) * inverse[start]
    separators = np.flatnonzero(codes == 0)
    part = np.searchsorted(separators, start)  # separators before the run
    if kept is not None:
        start, end = kept[start], kept[end - 1] + 1
    return Runs(joined, cls[run_start[wanted]], start, end, keys, part)


def base_power(n: int) -> np.uint64:
    """B**n (mod 2**64): the hash of a + b is hash(a) + B**len(a) * hash(b)."""
    return np.uint64(pow(_BASE, n, 1 << 64))


def prefix_sums(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The prefix sums P[k] of ``codes`` and B**-k, for k = 0 .. len: the hash of
    ``codes[a:b]`` is (P[b] - P[a]) * B**-a."""
    powers, inverse = _powers(len(codes) + 1)
    total = np.empty(len(codes) + 1, dtype=np.uint64)
    total[0] = 0
    with np.errstate(over="ignore"):  # in place: three times faster than with temporaries
        np.multiply(codes, powers[:len(codes)], out=total[1:])
        np.cumsum(total[1:], out=total[1:])
    return total, inverse


def spell(text: str, begin: np.ndarray, end: np.ndarray) -> list[str]:
    """The strings ``text[begin[i]:end[i]]``."""
    return [text[b:e] for b, e in zip(begin.tolist(), end.tolist())]
