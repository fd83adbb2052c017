"""Why the model chose a section: contributions of words and their n-grams, and strongest words.

The section score of a text is ``x @ coef[k] + intercept[k]`` where ``x`` is its feature row.
The **contribution** of feature ``j`` is ``x[j] * (coef[k][j] - mean of coef[c][j] over the
other sections c)``, ``k`` being the predicted section. Contrasting with the other sections,
rather than using ``coef[k]`` alone, makes the sign mean something: a positive contribution
pushes the text towards the predicted section and away from the alternatives, and a word that
every section weighs alike contributes nothing. All contributions plus ``bias`` (the
intercept's share) add up to ``margin``: the predicted section's score minus the mean score
of the others.

Features are hashed, so they are mapped back to text. The char block is a weighted mean
of word vectors (see :mod:`tagger.features`), so each word's share of it is exact: its
weight times its vector's contribution, shared among its ``char_wb`` n-grams (regenerated
and hashed by the model's own :func:`tagger.features.ngram_columns`) by
their counts. A word unigram or bigram column is shared among the words and pairs that
produced it by their counts, a pair's half and half between its two words.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Iterable

import numpy as np

from .features import _BIGRAM_SALT, ngram_columns, word_hashes
from .normalize import normalize_word, raw_tokens, tokens
from .sections import softmax

__all__ = ["Explanation", "explain", "top_features", "char_wb_ngrams", "METHOD"]

METHOD = ("contribution = feature value x (weight for the predicted section - mean weight of "
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
    from .errors import InputError, check_integer

    if not isinstance(text, str):
        raise InputError(f"text is {type(text).__name__}, expected str")
    if title is not None and not isinstance(title, str):
        raise InputError(f"title is {type(title).__name__}, expected str or None")
    check_integer("top", top, 1)
    check_integer("ngrams", ngrams, 1)
    model = tagger.section_model
    fz = model.featurizer_
    cfg = fz.config
    full = f"{title}\n{text}" if title else text
    tok = fz.tokens([full])
    scores = model.decision_function([full])[0]
    proba = softmax(scores * model.temperature_)
    ranked = [(model.classes_[i], float(proba[i])) for i in np.argsort(-proba, kind="stable")]
    keywords = _keywords(tagger, text, title)
    if tok.n_arabic[0] == 0:
        return Explanation(None, None, ranked, keywords=keywords, reason=NO_SIGNAL)
    k = int(np.argmax(scores))
    others = np.arange(len(scores)) != k
    direction = model.coef_[k] - model.coef_[others].mean(axis=0)
    words = tok.words
    per_word = np.zeros(len(words))
    items: list[list[tuple[str, str, float]]] = [[] for _ in words]
    if cfg.n_char:
        _char_shares(fz, tok, direction[:cfg.n_char], per_word, items)
    if cfg.n_word:
        _word_shares(fz, tok, direction[cfg.n_char:], per_word, items)

    surface: dict[str, str] = {}
    for raw in raw_tokens(full)[:cfg.max_words]:
        surface.setdefault(normalize_word(raw), raw)
    freq = np.bincount(tok.codes, minlength=len(words))

    def word_entry(i: int) -> dict:
        sign = 1.0 if per_word[i] >= 0 else -1.0  # the n-grams that pushed the word's way first
        ranked_items = sorted(items[i], key=lambda item: -sign * item[2])
        return {"word": surface.get(words[i], words[i]), "normalized": words[i],
                "count": int(freq[i]), "contribution": float(per_word[i]),
                "ngrams": [{"ngram": g, "kind": kind, "contribution": c}
                           for g, kind, c in ranked_items[:ngrams]]}

    order = [i for i in np.argsort(-per_word, kind="stable") if words[i] and freq[i]]
    pushed = [word_entry(i) for i in order[:top] if per_word[i] > 0]
    against = [word_entry(i) for i in reversed(order[-top:]) if per_word[i] < 0]
    bias = float(model.intercept_[k] - model.intercept_[others].mean())
    margin = float(scores[k] - scores[others].mean())
    return Explanation(model.classes_[k], ranked[0][1], ranked, pushed, against, keywords,
                       margin, bias)


def _char_shares(fz, tok, direction, per_word, items) -> None:
    """Each word's char-block contribution: its weight in the mean times its vector's
    projection on ``direction``, shared among its n-grams by their counts."""
    cfg = fz.config
    weights = fz.doc_weights(tok).toarray()[0]
    vectors = fz.word_vectors(tok.words)
    raw = fz._rows.rows(tok.words)
    per_word += weights * (vectors @ direction)
    for i, word in enumerate(tok.words):
        if not weights[i]:
            continue
        row, raw_row = vectors[i], raw[i]
        value = dict(zip(row.indices.tolist(), row.data.tolist()))
        total = dict(zip(raw_row.indices.tolist(), raw_row.data.tolist()))
        grams = Counter(char_wb_ngrams(word, cfg.char_min, cfg.char_max))
        columns = ngram_columns(list(grams), cfg.n_char).tolist()
        items[i] += [(g, "char", float(weights[i] * value[c] * n / total[c] * direction[c]))
                     for (g, n), c in zip(grams.items(), columns)]


def _word_shares(fz, tok, direction, per_word, items) -> None:
    """Word uni/bigram contributions: each column's value times ``direction``, shared among
    the words and word pairs that hash to it by their counts (a pair's half to each word)."""
    cfg = fz.config
    block = fz.word_block(tok)
    counts = fz._word_counts(tok)
    rate = np.zeros(cfg.n_word)
    rate[block.indices] = block.data * direction[block.indices] / counts.data
    full = word_hashes(tok.words).tolist()
    hashes = [h % cfg.n_word for h in full]
    freq = np.bincount(tok.codes, minlength=len(tok.words))
    for i, word in enumerate(tok.words):
        if freq[i]:
            share = float(freq[i] * rate[hashes[i]])
            per_word[i] += share
            items[i].append((word, "word", share))
    if cfg.word_bigrams and len(tok.codes) > 1:
        for (a, b), n in Counter(zip(tok.codes[:-1].tolist(), tok.codes[1:].tolist())).items():
            half = 0.5 * n * rate[((full[a] * _BIGRAM_SALT) ^ full[b]) % cfg.n_word]
            per_word[a] += half
            per_word[b] += half
            pair = f"{tok.words[a]} {tok.words[b]}"
            for u in {a, b}:
                items[u].append((pair, "bigram", float(half) * (2 if a == b else 1)))


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
    df: Counter = Counter()
    for text in texts:
        df.update(set(tokens(text)))
    vocab = [w for w, n in df.items() if n >= min_count and len(w) > 1]
    if not vocab:
        return {section: [] for section in model.classes_}
    scores = model.decision_function(vocab) - model.intercept_
    out = {}
    for c, section in enumerate(model.classes_):
        others = np.delete(scores, c, axis=1)
        strength = scores[:, c] - (others.mean(axis=1) if others.shape[1] else 0.0)
        best = np.argsort(-strength, kind="stable")[:k]
        out[section] = [(vocab[i], float(strength[i])) for i in best if strength[i] > 0]
    return out
