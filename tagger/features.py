"""Fast hashed TF-IDF features: character n-grams within words, plus word uni/bigrams.

scikit-learn's ``char_wb`` analyzer builds every n-gram of every word of every document
as a Python string, which makes it slow. But ``char_wb`` n-grams never cross a word
boundary, so a document's n-gram counts are the sum of its words' n-gram counts. News
vocabularies are Zipfian: a few thousand words make most of any article. So we hash
each *distinct* word once with scikit-learn's :class:`~sklearn.feature_extraction.text.HashingVectorizer`,
keep its row in a cache, and build a batch's matrix as ``docs x words @ words x features``
in sparse C code. The result equals ``HashingVectorizer(analyzer="char_wb")`` on the
same tokens (the tests check this), at a fraction of the cost.

The fitted state is a handful of numbers and one ``idf`` array, so the featuriser is
saved as JSON plus an array and never needs pickle.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from itertools import chain
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.utils import murmurhash3_32

from .normalize import normalize_word, raw_tokens

__all__ = ["FeatureConfig", "Featurizer"]

_BIGRAM_SALT = 0x5BD1E995
_ARABIC = re.compile("[\u0621-\u064a]")


@dataclass(frozen=True)
class FeatureConfig:
    """Parameters of the featuriser (stored in ``meta.json``)."""

    char_min: int = 2
    char_max: int = 5
    char_bits: int = 20
    word_bits: int = 18
    word_bigrams: bool = True
    max_words: int = 1000
    sublinear_tf: bool = True

    def __post_init__(self):
        if not 1 <= self.char_min <= self.char_max <= 8:
            raise ValueError(
                f"char n-gram range must satisfy 1 <= char_min <= char_max <= 8, "
                f"got ({self.char_min}, {self.char_max})"
            )
        for name in ("char_bits", "word_bits"):
            bits = getattr(self, name)
            if not 0 <= bits <= 24:
                raise ValueError(f"{name} must be between 0 and 24, got {bits}")
        if self.max_words < 1:
            raise ValueError(f"max_words must be at least 1, got {self.max_words}")

    @property
    def n_char(self) -> int:
        return (1 << self.char_bits) if self.char_bits else 0

    @property
    def n_word(self) -> int:
        return (1 << self.word_bits) if self.word_bits else 0

    @property
    def n_features(self) -> int:
        return self.n_char + self.n_word

    def to_dict(self) -> dict:
        return asdict(self)


class _WordCache:
    """Distinct words -> (hashed char n-gram row, word hash), grown as new words appear."""

    def __init__(self, config: FeatureConfig, max_words: int = 2_000_000):
        self.config = config
        self.max_words = max_words
        self._hv = (
            HashingVectorizer(
                analyzer="char_wb",
                ngram_range=(config.char_min, config.char_max),
                n_features=config.n_char,
                alternate_sign=False,
                norm=None,
                lowercase=False,
                dtype=np.float32,
            )
            if config.n_char
            else None
        )
        self.clear()

    def clear(self) -> None:
        self.ids: dict[str, int] = {}
        self._blocks: list[sp.csr_matrix] = []
        self._hashes: list[np.ndarray] = []
        self._matrix: sp.csr_matrix | None = None
        self._hash_array: np.ndarray | None = None

    def lookup(self, words: Sequence[str]) -> np.ndarray:
        """Return cache ids for ``words`` (distinct), hashing the ones not seen yet."""
        if len(self.ids) + len(words) > self.max_words:
            self.clear()
        ids = self.ids
        # distinct spellings can normalise to the same word within one batch
        new = list(dict.fromkeys(w for w in words if w not in ids))
        if new:
            start = len(ids)
            for offset, word in enumerate(new):
                ids[word] = start + offset
            if self._hv is not None:
                self._blocks.append(self._hv.transform(new).tocsr())
            self._hashes.append(
                np.fromiter((murmurhash3_32(w, positive=True) for w in new),
                            dtype=np.uint32, count=len(new))
            )
            self._matrix = None
            self._hash_array = None
        return np.fromiter((ids[w] for w in words), dtype=np.int64, count=len(words))

    @property
    def matrix(self) -> sp.csr_matrix | None:
        if self._matrix is None and self._blocks:
            self._matrix = sp.vstack(self._blocks, format="csr")
            self._blocks = [self._matrix]
        return self._matrix

    @property
    def hashes(self) -> np.ndarray:
        if self._hash_array is None:
            self._hash_array = (np.concatenate(self._hashes) if self._hashes
                                else np.zeros(0, dtype=np.uint32))
            self._hashes = [self._hash_array]
        return self._hash_array


class Featurizer:
    """Turns texts into L2-normalised TF-IDF rows over hashed char and word n-grams.

    >>> f = Featurizer(FeatureConfig(char_bits=12, word_bits=10)).fit(["السلام عليكم", "مرحبا"])
    >>> f.transform(["السلام"]).shape
    (1, 5120)
    """

    def __init__(self, config: FeatureConfig | None = None):
        self.config = config or FeatureConfig()
        self.idf_: np.ndarray | None = None
        self._cache = _WordCache(self.config)

    # -- counting ---------------------------------------------------------------------
    def counts(self, texts: Sequence[str], return_arabic: bool = False):
        """Raw n-gram counts, one row per text.

        Per-token work stays in C (regex, list extension, hash-table factorisation);
        Python only touches each distinct raw token of the batch once. With
        ``return_arabic`` also returns how many Arabic words each text has (in the
        lead window), which tells callers when a text gives the model nothing to go on.
        """
        lead = self.config.max_words
        raws = [raw_tokens(t)[:lead] if t else [] for t in texts]
        lengths = np.fromiter(map(len, raws), dtype=np.int64, count=len(raws))
        codes, uniques = pd.factorize(
            np.fromiter(chain.from_iterable(raws), dtype=object, count=int(lengths.sum()))
        )
        words = [normalize_word(u) for u in uniques]
        x = self._count_matrix(lengths, codes, words)
        if not return_arabic:
            return x
        is_arabic = np.fromiter((_ARABIC.search(w) is not None for w in words), dtype=bool,
                                count=len(words))
        doc_of = np.repeat(np.arange(len(raws)), lengths)
        n_arabic = np.bincount(doc_of, weights=is_arabic[codes], minlength=len(raws))
        return x, n_arabic.astype(np.int64)

    def counts_from_tokens(self, docs: Sequence[Sequence[str]]) -> sp.csr_matrix:
        """Raw n-gram counts for documents already split by :func:`tagger.normalize.tokens`."""
        docs = [d[: self.config.max_words] for d in docs]
        lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
        codes, uniques = pd.factorize(
            np.fromiter(chain.from_iterable(docs), dtype=object, count=int(lengths.sum()))
        )
        return self._count_matrix(lengths, codes, list(uniques))

    def _count_matrix(self, lengths: np.ndarray, codes: np.ndarray,
                      words: list[str]) -> sp.csr_matrix:
        cfg = self.config
        n_docs = len(lengths)
        if not words:
            return sp.csr_matrix((n_docs, cfg.n_features), dtype=np.float32)
        cache_ids = self._cache.lookup(words)
        doc_of = np.repeat(np.arange(n_docs), lengths)
        blocks = []
        if cfg.n_char:
            doc_word = sp.csr_matrix(
                (np.ones(len(codes), dtype=np.float32), (doc_of, codes)),
                shape=(n_docs, len(words)),
            )
            blocks.append((doc_word @ self._cache.matrix[cache_ids]).tocsr())
        if cfg.n_word:
            h = self._cache.hashes[cache_ids].astype(np.int64)[codes]
            cols = [h % cfg.n_word]
            rows = [doc_of]
            if cfg.word_bigrams and len(h) > 1:
                same_doc = doc_of[1:] == doc_of[:-1]
                pair = ((h[:-1] * _BIGRAM_SALT) ^ h[1:]) % cfg.n_word
                cols.append(pair[same_doc])
                rows.append(doc_of[1:][same_doc])
            c = np.concatenate(cols)
            blocks.append(sp.csr_matrix(
                (np.ones(len(c), dtype=np.float32), (np.concatenate(rows), c)),
                shape=(n_docs, cfg.n_word),
            ))
        return blocks[0] if len(blocks) == 1 else sp.hstack(blocks, format="csr")

    # -- tf-idf -------------------------------------------------------------------------
    def fit_counts(self, x: sp.csr_matrix) -> "Featurizer":
        """Learn smoothed idf weights from a count matrix (one row per training document)."""
        n = x.shape[0]
        df = np.bincount(x.indices, minlength=x.shape[1]).astype(np.float64)
        self.idf_ = (np.log((1 + n) / (1 + df)) + 1).astype(np.float32)
        return self

    def fit(self, texts: Iterable[str]) -> "Featurizer":
        return self.fit_counts(self.counts(texts))

    def weight(self, x: sp.csr_matrix) -> sp.csr_matrix:
        """Apply sublinear tf, idf and L2 normalisation to a count matrix (returns a copy)."""
        if self.idf_ is None:
            raise RuntimeError("Featurizer is not fitted: call fit() first")
        x = x.astype(np.float32, copy=True)
        if self.config.sublinear_tf:
            np.log1p(x.data, out=x.data)
        x.data *= self.idf_[x.indices]
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        x.data /= np.repeat(norms, np.diff(x.indptr)).astype(np.float32)
        return x

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        return self.weight(self.counts(texts))
