"""Why the model chose a section: contributions of words and their n-grams, and strongest words.

The section score of a text is ``x @ coef[k] + intercept[k]`` where ``x`` is its TF-IDF row.
The **contribution** of feature ``j`` is ``x[j] * (coef[k][j] - mean of coef[c][j] over the
other sections c)``, ``k`` being the predicted section. Contrasting with the other sections,
rather than using ``coef[k]`` alone, makes the sign mean something: a positive contribution
pushes the text towards the predicted section and away from the alternatives, and a word that
every section weighs alike contributes nothing. All contributions plus ``bias`` (the
intercept's share) add up to ``margin``: the predicted section's score minus the mean score
of the others.

Features are hashed, so they are mapped back to text. Character n-grams never cross a word
and word uni/bigrams are made of words, so each feature's contribution is shared among the
words that produced it, in proportion to how many of its counts each word brought (a word
bigram is shared half and half). For a word's n-grams as strings, its ``char_wb`` n-grams
(the normalised word padded as ``' word '``) are regenerated and hashed like
:class:`~sklearn.feature_extraction.text.HashingVectorizer` hashes them.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Iterable

import numpy as np
from scipy.special import softmax
from sklearn.feature_extraction import FeatureHasher

from .features import Featurizer
from .normalize import normalize_word, raw_tokens, tokens

__all__ = ["Explanation", "explain", "top_features", "char_wb_ngrams", "METHOD"]

METHOD = ("contribution = tf-idf value x (weight for the predicted section - mean weight of "
          "the other sections); positive pushes towards the predicted section")
NO_SIGNAL = "no Arabic words to classify"


@dataclass
class Explanation:
    """What :func:`explain` returns. ``words`` pushed towards ``section`` most, ``against`` away."""

    section: str | None
    score: float | None
    sections: list[tuple[str, float]]
    words: list[dict] = field(default_factory=list)
    against: list[dict] = field(default_factory=list)
    keywords: list[dict] | None = None
    margin: float = 0.0
    bias: float = 0.0
    reason: str | None = None
    method: str = METHOD

    def to_dict(self) -> dict:
        out = asdict(self)
        out["sections"] = [{"label": label, "score": score} for label, score in self.sections]
        return out


def char_wb_ngrams(word: str, n_min: int, n_max: int) -> list[str]:
    """The n-grams scikit-learn's ``char_wb`` analyzer makes of ``word`` (each part padded with spaces).

    >>> char_wb_ngrams("كرة", 2, 3)
    [' ك', 'كر', 'رة', 'ة ', ' كر', 'كرة', 'رة ']
    """
    out: list[str] = []
    for part in word.split():
        padded = f" {part} "
        for n in range(n_min, n_max + 1):
            if n >= len(padded):  # a short word yields itself once, and no longer n-grams
                out.append(padded)
                break
            out.extend(padded[i:i + n] for i in range(len(padded) - n + 1))
    return out


def explain(tagger, text: str, title: str | None = None, top: int = 10,
            ngrams: int = 5) -> Explanation:
    """The words (and their n-grams) that pushed ``tagger``'s section prediction most.

    Lists the ``top`` words, each with its ``ngrams`` strongest n-grams, and explains the
    keywords when the model has a keyword model (``keywords`` is ``None`` otherwise). See
    the module docstring for how contributions are defined.

    >>> explain(Tagger.load(), "سجل المهاجم هدفين").words[0]["word"]   # doctest: +SKIP
    'المهاجم'
    """
    if not isinstance(text, str):
        from .errors import InputError

        raise InputError(f"text is {type(text).__name__}, expected str")
    model = tagger.section_model
    fz = _fresh(model.featurizer_)
    full = f"{title}\n{text}" if title else text
    raws = raw_tokens(full)[:fz.config.max_words]
    units = [normalize_word(r) for r in raws]
    distinct = list(dict.fromkeys(units))
    # The distinct words go through the word cache first, so that counts() below finds
    # every word cached even when two spellings of the text normalise to the same word.
    unit_rows = fz.counts_from_tokens([[u] for u in distinct])
    counts, n_arabic = fz.counts([full], return_arabic=True)
    x = fz.weight(counts)
    scores = np.asarray(x @ model.coef_.T).ravel() + model.intercept_
    proba = softmax(scores * model.temperature_)
    ranked = [(model.classes_[i], float(proba[i])) for i in np.argsort(-proba, kind="stable")]
    keywords = _keywords(tagger, text, title)
    if n_arabic[0] == 0:
        return Explanation(None, None, ranked, keywords=keywords, reason=NO_SIGNAL)
    k = int(np.argmax(scores))
    others = np.arange(len(scores)) != k
    direction = model.coef_[k] - model.coef_[others].mean(axis=0)
    # contribution per count of each column: shared out to words by their counts
    rate = np.zeros(fz.config.n_features, dtype=np.float64)
    rate[counts.indices] = x.data * direction[x.indices] / counts.data

    freq, per_unit, pair_items = _shares(fz, units, distinct, unit_rows, rate)
    surface = {}
    for raw, unit in zip(raws, units):
        surface.setdefault(unit, raw)
    hasher = _char_hasher(fz.config)

    def word_entry(i: int) -> dict:
        unit = distinct[i]
        items = _unit_items(unit, int(freq[i]), unit_rows[i], rate, fz.config, hasher)
        items += pair_items[i]
        sign = 1.0 if per_unit[i] >= 0 else -1.0  # the n-grams that pushed the word's way first
        items.sort(key=lambda item: -sign * item[2])
        return {"word": surface[unit], "normalized": unit, "count": int(freq[i]),
                "contribution": float(per_unit[i]),
                "ngrams": [{"ngram": g, "kind": kind, "contribution": c} for g, kind, c in items[:ngrams]]}

    order = [i for i in np.argsort(-per_unit, kind="stable") if distinct[i]]
    words = [word_entry(i) for i in order[:top] if per_unit[i] > 0]
    against = [word_entry(i) for i in reversed(order[-top:]) if per_unit[i] < 0]
    bias = float(model.intercept_[k] - model.intercept_[others].mean())
    margin = float(scores[k] - scores[others].mean())
    return Explanation(model.classes_[k], ranked[0][1], ranked, words, against, keywords,
                       margin, bias)


def _shares(fz, units, distinct, unit_rows, rate):
    """Each distinct word's count, its share of the contribution, and its word bigrams.

    Char n-grams and the word's own column go to the word; a bigram's go half to each word.
    """
    index = {u: i for i, u in enumerate(distinct)}
    freq = np.bincount([index[u] for u in units], minlength=len(distinct))
    per_unit = freq * (unit_rows @ rate)
    pair_items: list[list[tuple[str, str, float]]] = [[] for _ in distinct]
    if not (fz.config.word_bigrams and fz.config.n_word and len(units) > 1):
        return freq, per_unit, pair_items
    pairs = Counter(zip(units[:-1], units[1:]))
    a = [index[left] for left, _ in pairs]
    b = [index[right] for _, right in pairs]
    # a pair's own columns: its counts minus those of its two words
    pair_rows = fz.counts_from_tokens([list(p) for p in pairs]) - unit_rows[a] - unit_rows[b]
    share = 0.5 * np.fromiter(pairs.values(), dtype=np.float64, count=len(pairs)) * (pair_rows @ rate)
    for (left, right), i, j, half in zip(pairs, a, b, share):
        per_unit[i] += half
        per_unit[j] += half
        for u in {i, j}:
            pair_items[u].append((f"{left} {right}", "bigram", float(half) * (2 if i == j else 1)))
    return freq, per_unit, pair_items


def _fresh(featurizer: Featurizer) -> Featurizer:
    """A copy of a fitted featuriser with its own, empty word cache."""
    copy = Featurizer(featurizer.config)
    copy.idf_ = featurizer.idf_
    return copy


def _char_hasher(config) -> FeatureHasher | None:
    if not config.n_char:
        return None
    # The hashing HashingVectorizer applies to each n-gram string (same function, same seed).
    return FeatureHasher(n_features=config.n_char, input_type="string", alternate_sign=False)


def _unit_items(unit, freq, row, rate, config, hasher) -> list[tuple[str, str, float]]:
    """A word's char n-grams and its own word feature, with their share of its contribution."""
    items = []
    if hasher is not None:
        grams = Counter(char_wb_ngrams(unit, config.char_min, config.char_max))
        columns = hasher.transform([[g] for g in grams]).indices
        items += [(g, "char", float(freq * n * rate[c])) for (g, n), c in zip(grams.items(), columns)]
    word_cols = row.indices[row.indices >= config.n_char]
    word_counts = row.data[row.indices >= config.n_char]
    items += [(unit, "word", float(freq * n * rate[c])) for c, n in zip(word_cols, word_counts)]
    return items


def _keywords(tagger, text: str, title: str | None) -> list[dict] | None:
    if tagger.keyword_model is None:
        return None
    return [_plain(item) for item in tagger.keyword_model.explain(text, title)]


def _plain(value):
    """``value`` with numpy scalars turned into Python numbers (for JSON)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def top_features(tagger, texts: Iterable[str], k: int = 10, min_count: int = 2) -> dict:
    """The ``k`` words of ``texts`` that on their own most favour each section.

    A word's strength for section ``s`` is the contribution, as defined above, of a text
    made of that word alone. Words in fewer than ``min_count`` texts are left out (rare
    words and typos). Returns ``{section: [(word, strength), ...]}``, strongest first,
    the shape :func:`tagger.plots.top_features_figure` draws.
    """
    model = tagger.section_model
    fz = _fresh(model.featurizer_)
    df: Counter = Counter()
    for text in texts:
        df.update(set(tokens(text)))
    vocab = [w for w, n in df.items() if n >= min_count and len(w) > 1]
    if not vocab:
        return {section: [] for section in model.classes_}
    x = fz.weight(fz.counts_from_tokens([[w] for w in vocab]))
    scores = np.asarray(x @ model.coef_.T)
    out = {}
    for c, section in enumerate(model.classes_):
        others = np.delete(scores, c, axis=1)
        strength = scores[:, c] - (others.mean(axis=1) if others.shape[1] else 0.0)
        best = np.argsort(-strength, kind="stable")[:k]
        out[section] = [(vocab[i], float(strength[i])) for i in best if strength[i] > 0]
    return out
