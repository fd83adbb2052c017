"""The section classifier: hashed character n-gram features and a linear SVM with softmax scores.

Training uses scikit-learn; the fitted state is just arrays (idf, coefficients,
intercepts, class names), so prediction is computed by tagger itself from per-word
scores and a saved model never needs pickle.
"""

from __future__ import annotations

import logging
import math
import threading
import zlib
from itertools import repeat
from typing import Callable, Iterable, Sequence

import numpy as np

from .errors import DataError, ModelFormatError
from .features import (FeatureConfig, Featurizer, arabic_words, count_rows, mean_weights,
                       raw_codes, word_counts, word_hashes)
from .normalize import normalize_word, normalize_words

__all__ = ["SectionModel"]

log = logging.getLogger(__name__)

# Words hashed at save time and again at load time: if scikit-learn ever hashed n-grams
# differently, the indices would differ and the model's coefficients would be meaningless.
_PROBE = ["السياسة", "الاقتصاد", "كرة", "news"]

Progress = Callable[[str, int, int], None]


def _no_progress(stage: str, done: int, total: int) -> None:
    pass


class SectionModel:
    """Predicts a section from text, with scores that sum to 1.

    A linear SVM (hinge loss, averaged stochastic gradient descent, ``alpha`` the L2
    penalty) learnt over ``epochs`` passes of chunks of ``batch_size`` articles: memory
    holds one chunk's features at a time, so the same code trains on lists in memory and
    on corpora streamed from disk (:meth:`fit_chunks`). ``class_weight`` "balanced"
    weighs sections inversely to their frequency: when sections come from different
    corpora (religion and health only from SANAD here), it keeps the largest section from
    absorbing articles in an unfamiliar style. ``calibration`` is the share of training
    articles (at most ``max_calibration``) kept out of all passes but the last, to fit the
    softmax temperature that turns SVM margins into scores before the last pass. ``n_jobs``
    threads share the sections.

    >>> m = SectionModel(FeatureConfig(char_bits=14, word_bits=12), calibration=0)
    >>> m = m.fit(["فاز الفريق بالمباراة", "ارتفع سعر النفط"] * 10, ["sports", "economy"] * 10)
    >>> m.predict(["الفريق فاز"])[0]
    'sports'
    """

    def __init__(self, features: FeatureConfig | None = None, alpha: float = 2e-6,
                 epochs: int = 2, class_weight: str | None = "balanced",
                 calibration: float = 0.1, max_calibration: int = 5000, seed: int = 0,
                 batch_size: int = 2000, n_jobs: int = 2, lexicon_size: int = 150_000):
        self.features = features
        self.alpha = alpha
        self.epochs = epochs
        self.class_weight = class_weight
        self.calibration = calibration
        self.max_calibration = max_calibration
        self.seed = seed
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.lexicon_size = lexicon_size

    # -- training -------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], labels: Sequence[str],
            progress: Progress = _no_progress) -> "SectionModel":
        """Train on articles in memory (shuffled anew for every pass)."""
        if len(texts) != len(labels):
            raise DataError(f"got {len(texts)} texts and {len(labels)} labels")
        texts, labels = list(texts), list(labels)

        def chunks(epoch: int):
            order = np.random.default_rng([self.seed, epoch]).permutation(len(texts))
            for start in range(0, len(order), self.batch_size):
                part = order[start:start + self.batch_size]
                yield [texts[i] for i in part], [labels[i] for i in part]

        return self.fit_chunks(chunks, total=len(texts), progress=progress)

    def fit_chunks(self, chunks: Callable[[int], Iterable[tuple[list[str], list[str]]]],
                   total: int | None = None, progress: Progress = _no_progress) -> "SectionModel":
        """Train from ``chunks(epoch)``, which yields ``(texts, labels)`` lists: called once
        to count (labels, document frequencies), then once per epoch."""
        self._check_params()
        featurizer = Featurizer(self.features or FeatureConfig())
        counts: dict[str, int] = {}
        held: dict[int, tuple[str, str]] = {}  # calibration articles, by text hash
        done = 0
        for texts, labels in chunks(0):
            featurizer.partial_fit(texts)
            for text, label in zip(texts, labels):
                counts[label] = counts.get(label, 0) + 1
            if self.calibration > 0:
                for text, label, key in zip(texts, labels, _text_keys(texts)):
                    if (key % 10_000) < self.calibration * 10_000 and len(held) < self.max_calibration:
                        held[int(key)] = (text, label)
            done += len(texts)
            progress("counting", done, max(total or 0, done))
        featurizer.finish_fit()
        classes = np.array(sorted(counts))
        if len(classes) < 2:
            raise DataError(f"need at least two sections to train, found {len(classes)}")
        n = sum(counts.values())
        weights = ({c: n / (len(classes) * counts[c]) for c in classes}
                   if self.class_weight == "balanced" else None)
        if len(held) < 20 or len({label for _, label in held.values()}) < len(classes):
            held = {}  # too few to calibrate on; keep every article for training
        svm = self._sgd(weights)
        self.temperature_ = 1.0
        seen = False
        for epoch in range(1, self.epochs + 1):
            # The calibration articles sit out every pass but the last (all of them when
            # there is one pass): the temperature is fitted on them just before it.
            if held and self.epochs > 1 and epoch == self.epochs:
                self.temperature_ = self._calibrate(featurizer, svm, classes, held, progress)
            exclude = held and (epoch < self.epochs or self.epochs == 1)
            done = 0
            for texts, labels in chunks(epoch):
                done += len(texts)
                if exclude:
                    keep = [int(k) not in held for k in _text_keys(texts)]
                    texts = [t for t, k in zip(texts, keep) if k]
                    labels = [y for y, k in zip(labels, keep) if k]
                if texts:
                    # threads pay off on big chunks only (each call starts a pool)
                    svm.n_jobs = self.n_jobs if len(texts) >= 1000 else 1
                    svm.partial_fit(featurizer.transform(texts), labels, classes=classes)
                    seen = True
                progress(f"learning (pass {epoch}/{self.epochs})", done, max(total or 0, done))
        if not seen:
            raise DataError("no training articles left after holding out the calibration set")
        if held and self.epochs == 1:
            self.temperature_ = self._calibrate(featurizer, svm, classes, held, progress)
        self.featurizer_ = featurizer
        self.classes_ = [str(c) for c in svm.classes_]
        self.coef_, self.intercept_ = _one_row_per_class(svm)
        self._scorer = None
        self._lexicon_from_counts()
        return self

    def _lexicon_from_counts(self) -> None:
        """Keep the ``lexicon_size`` most frequent raw tokens of training with their
        normalised forms; their scores are computed once and shipped with the model, so
        prediction neither normalises nor hashes them, not even the first time."""
        fz = self.featurizer_
        counts = fz.raw_counts
        top = sorted((w for w, n in counts.items() if n >= 2), key=counts.__getitem__,
                     reverse=True)[:self.lexicon_size]
        fz.known_ = {raw: normalize_word(raw) for raw in top}
        fz.raw_counts = {}
        self._lexicon_words = list(dict.fromkeys(w for w in fz.known_.values() if w))
        index = {w: i for i, w in enumerate(self._lexicon_words)}
        self._lexicon_word_of = np.array([index.get(w, -1) for w in fz.known_.values()],
                                         dtype=np.int64)
        self._lexicon_scores = _char_scores(fz, self.coef_[:, :fz.config.n_char].T,
                                            self._lexicon_words)
        self._scorer = None

    @staticmethod
    def _calibrate(featurizer, svm, classes, held, progress) -> float:
        progress("calibrating", 0, 1)
        texts = [t for t, _ in held.values()]
        y = np.searchsorted(classes, [label for _, label in held.values()])
        coef, intercept = _one_row_per_class(svm)
        scores = np.asarray(featurizer.transform(texts) @ coef.T) + intercept
        progress("calibrating", 1, 1)
        return _fit_temperature(scores, y)

    def _check_params(self) -> None:
        if not 0 <= self.calibration < 0.5:
            raise ValueError(f"calibration must be in [0, 0.5), got {self.calibration}")
        if not 0 < self.alpha < math.inf:  # nan fails both comparisons
            raise ValueError(f"alpha must be a positive finite number, got {self.alpha}")
        if self.epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {self.epochs}")
        if self.class_weight not in (None, "balanced"):
            raise ValueError(f"class_weight must be None or 'balanced', got {self.class_weight!r}")

    def _sgd(self, weights):
        from sklearn.linear_model import SGDClassifier

        return SGDClassifier(loss="hinge", alpha=self.alpha, average=True, class_weight=weights,
                             random_state=self.seed, n_jobs=self.n_jobs)

    # -- prediction -----------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise RuntimeError("this SectionModel is not fitted yet: call fit() or load a model")

    def _scores(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        self._check_fitted()
        if getattr(self, "_scorer", None) is None:
            self._scorer = _Scorer(self.featurizer_, self.coef_, self._lexicon_words,
                                   self._lexicon_scores, self._lexicon_word_of)
        scores, n_arabic = self._scorer.scores(texts)
        return scores + self.intercept_, n_arabic

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """Margins per section (columns follow ``classes_``)."""
        return self._scores(texts)[0]

    def predict_proba(self, texts: Sequence[str], return_counts: bool = False):
        """Scores per section (columns follow ``classes_``), summing to 1 per row.

        With ``return_counts`` also returns how many Arabic words each text had.
        """
        scores, n_arabic = self._scores(texts)
        proba = softmax(scores * self.temperature_)
        return (proba, n_arabic) if return_counts else proba

    def predict(self, texts: Sequence[str]) -> list[str]:
        proba = self.predict_proba(texts)
        return [self.classes_[i] for i in proba.argmax(axis=1)]

    # -- persistence ----------------------------------------------------------------------
    def to_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        self._check_fitted()
        fz = self.featurizer_
        config = {
            "features": fz.config.to_dict(),
            "alpha": self.alpha,
            "epochs": self.epochs,
            "class_weight": self.class_weight,
            "calibration": self.calibration,
            "seed": self.seed,
            "temperature": float(self.temperature_),
            "probe": _probe(fz),
        }
        arrays = {
            "classes": np.array(self.classes_, dtype=str),
            "coef": self.coef_.astype(np.float16),
            "intercept": self.intercept_.astype(np.float32),
            "char_idf": fz.char_idf_.astype(np.float16),
            "word_idf": fz.word_idf_.astype(np.float16),
        }
        arrays["lexicon_raw"] = _pack(list(fz.known_))
        arrays["lexicon_word"] = self._lexicon_word_of.astype(np.int32)
        arrays["lexicon_words"] = _pack(self._lexicon_words)
        # Scores from the arrays as saved (float16), so that a loaded model scores lexicon
        # words and other words alike, and saving a loaded model changes nothing.
        as_saved = Featurizer(fz.config)
        as_saved.char_idf_ = arrays["char_idf"].astype(np.float32)
        as_saved.word_idf_ = arrays["word_idf"].astype(np.float32)
        saved_coef = arrays["coef"][:, :fz.config.n_char].T.astype(np.float32)
        arrays["lexicon_scores"] = _char_scores(as_saved, saved_coef,
                                                self._lexicon_words).astype(np.float32)
        return config, arrays

    @classmethod
    def from_state(cls, config: dict, arrays: dict[str, np.ndarray]) -> "SectionModel":
        try:
            features = FeatureConfig(**config["features"])
            model = cls(features, alpha=float(config["alpha"]), epochs=int(config["epochs"]),
                        class_weight=config.get("class_weight"),
                        calibration=float(config["calibration"]), seed=int(config["seed"]))
            model.temperature_ = float(config["temperature"])
            model.classes_ = [str(c) for c in arrays["classes"]]
            model.coef_ = np.asarray(arrays["coef"], dtype=np.float32)
            model.intercept_ = np.asarray(arrays["intercept"], dtype=np.float32)
            char_idf = np.asarray(arrays["char_idf"], dtype=np.float32)
            word_idf = np.asarray(arrays["word_idf"], dtype=np.float32)
            raw = _unpack(arrays["lexicon_raw"])
            word_of = np.asarray(arrays["lexicon_word"], dtype=np.int64)
            words = _unpack(arrays["lexicon_words"])
            scores = np.asarray(arrays["lexicon_scores"], dtype=np.float32)
            probe = config["probe"]
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"the section model's description is incomplete ({exc!r}); "
                                   "retrain the model") from exc
        n_classes = len(model.classes_)
        if (n_classes < 2 or model.coef_.shape != (n_classes, features.n_features)
                or model.intercept_.shape != (n_classes,)
                or char_idf.shape != (features.n_char,) or word_idf.shape != (features.n_word,)
                or word_of.shape != (len(raw),) or scores.shape != (len(words), n_classes)
                or (len(word_of) and not -1 <= word_of.min() <= word_of.max() < len(words))
                or not all(np.isfinite(a).all() for a in (model.coef_, model.intercept_,
                                                           char_idf, word_idf))):
            raise ModelFormatError("the section model's arrays do not match its description; "
                                   "the model is corrupted, retrain it")
        model.featurizer_ = Featurizer(features)
        model.featurizer_.char_idf_ = char_idf
        model.featurizer_.word_idf_ = word_idf
        model.featurizer_.known_ = {r: (words[i] if i >= 0 else "") for r, i in zip(raw, word_of.tolist())}
        model._lexicon_words, model._lexicon_scores = words, scores
        model._lexicon_word_of = word_of
        if _probe(model.featurizer_) != probe:
            raise ModelFormatError(
                "the model hashes n-grams differently from this version of tagger; "
                "retrain it with 'tagger train'")
        # Built now rather than at the first prediction, so that processes forked to
        # predict share it instead of each building its own.
        model._scorer = _Scorer(model.featurizer_, model.coef_, words, scores, word_of)
        return model


class _Scorer:
    """Section scores without building n-gram vectors.

    The char block of an article is the weighted mean of its words' vectors, so its score
    is the weighted mean of per-word scores. Every word seen gets an id with its score
    row, word hash and whether it is Arabic; every raw token seen maps, by its hash (see
    :func:`tagger.features.raw_codes`), to the id of its normalised word. The model's
    lexicon is loaded in from the start: ``words`` and their char ``scores`` (one row
    each), and ``word_of``, for each raw token of ``featurizer.known_``, the index of its
    word in ``words`` (-1: it normalises to nothing); its raw tokens become a sorted array
    of hashes, later tokens go to a dictionary. A batch is then a binary search and a
    dictionary lookup per distinct raw token, and array arithmetic. The tables are
    bounded, and reset to the lexicon when full.
    """

    def __init__(self, featurizer: Featurizer, coef: np.ndarray, words: Sequence[str],
                 scores: np.ndarray, word_of: np.ndarray, max_words: int = 1_000_000):
        cfg = featurizer.config
        self.featurizer = featurizer
        self.char_coef = np.ascontiguousarray(coef[:, :cfg.n_char].T)
        # Sums run in float64: a word's id, and so the order in which an article's words
        # are added up, depends on what the scorer saw before; float32 sums would let
        # that history show in the scores' last digits.
        self.word_coef = np.ascontiguousarray(coef[:, cfg.n_char:].T, dtype=np.float64)
        self.n_classes = coef.shape[0]
        self.max_words = max_words
        self._prefill = (list(words), scores, np.asarray(word_of, dtype=np.int64))
        self._lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self.word_ids: dict[str, int] = {}
        self.raw_ids: dict[int, int] = {}  # raw token hash -> word id, beyond the lexicon
        self.size = 0
        self._grow(1024)
        words, scores, word_of = self._prefill
        word_ids = self._words(words, scores)
        # the lexicon's raw tokens: their hashes, sorted, and word ids
        self.lexicon_keys = np.zeros(0, dtype=np.uint64)
        self.lexicon_ids = np.zeros(0, dtype=np.int64)
        known = self.featurizer.known_
        if known:
            raw = raw_codes(list(known), 2)
            single = np.flatnonzero(raw.lengths == 1)  # entries that read as one raw token
            token = (np.cumsum(raw.lengths) - 1)[single]
            of = word_of[single]
            ids = word_ids[np.maximum(of, 0)] if len(word_ids) else np.zeros(len(of), np.int64)
            if (of < 0).any():
                ids[of < 0] = self._words([""])[0]
            keys = raw.keys[raw.codes[token]]
            order = np.argsort(keys, kind="stable")
            self.lexicon_keys, self.lexicon_ids = keys[order], ids[order]

    def _grow(self, capacity: int) -> None:
        def grown(old, shape, dtype):
            new = np.zeros(shape, dtype=dtype)
            if old is not None:
                new[:self.size] = old[:self.size]
            return new

        self.table = grown(getattr(self, "table", None), (capacity, self.n_classes), np.float64)
        self.hashes = grown(getattr(self, "hashes", None), capacity, np.int64)
        self.arabic = grown(getattr(self, "arabic", None), capacity, bool)
        self.real = grown(getattr(self, "real", None), capacity, bool)

    def _words(self, words: Sequence[str], scores: np.ndarray | None = None) -> np.ndarray:
        """Ids of normalised ``words``, adding the new ones (with ``scores`` if given, one
        row per word, else computed)."""
        ids = self.word_ids
        new = list(dict.fromkeys(w for w in words if w not in ids)) if ids else \
            list(dict.fromkeys(words))
        if new:
            start = self.size
            end = start + len(new)
            if end > len(self.table):
                self._grow(max(end, 2 * len(self.table)))
            ids.update(zip(new, range(start, end)))
            if scores is not None:
                if len(new) < len(words):  # repeats: each word's first row
                    first = dict(zip(reversed(words), range(len(words) - 1, -1, -1)))
                    scores = scores[[first[w] for w in new]]
                self.table[start:end] = scores
            else:
                self.table[start:end] = _char_scores(self.featurizer, self.char_coef, new)
            self.hashes[start:end] = word_hashes(new)
            self.arabic[start:end] = arabic_words(new)
            self.real[start:end] = np.fromiter(map(bool, new), dtype=bool, count=len(new))
            self.size = end
        return np.fromiter(map(ids.__getitem__, words), dtype=np.int64, count=len(words))

    def _token_ids(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Each token's word id, and its article, for the first ``max_words`` of each text."""
        raw = raw_codes(texts, self.featurizer.config.max_words)
        if self.size + len(raw.keys) > self.max_words:
            self._clear()
        ids = np.full(len(raw.keys), -1, dtype=np.int64)
        if len(self.lexicon_keys):
            at = np.minimum(np.searchsorted(self.lexicon_keys, raw.keys), len(self.lexicon_keys) - 1)
            found = self.lexicon_keys[at] == raw.keys
            ids[found] = self.lexicon_ids[at[found]]
        rest = np.flatnonzero(ids < 0)
        if len(rest) and self.raw_ids:
            ids[rest] = np.fromiter(map(self.raw_ids.get, raw.keys[rest].tolist(), repeat(-1)),
                                    dtype=np.int64, count=len(rest))
        missing = np.flatnonzero(ids < 0)
        if len(missing):
            ids[missing] = found = self._words(normalize_words(raw.strings(missing)))
            self.raw_ids.update(zip(raw.keys[missing].tolist(), found.tolist()))
        return ids[raw.codes], np.repeat(np.arange(len(texts)), raw.lengths)

    def scores(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Margins without intercepts (articles x classes) and Arabic words per article."""
        fz = self.featurizer
        cfg = fz.config
        n = len(texts)
        with self._lock:
            ids, doc_of = self._token_ids(texts)
            keep = self.real[ids]
            ids, doc_of = ids[keep], doc_of[keep]
            n_arabic = np.bincount(doc_of, weights=self.arabic[ids], minlength=n).astype(np.int64)
            out = np.zeros((n, self.n_classes), dtype=np.float64)
            if len(ids) and cfg.n_char:
                weights = mean_weights(count_rows(doc_of, ids, n, self.size))
                out += weights.astype(np.float64) @ self.table[:self.size]
            if len(ids) and cfg.n_word:
                words = fz.weigh_words(word_counts(self.hashes[ids], doc_of, n, cfg))
                out += words.astype(np.float64) @ self.word_coef
        return out, n_arabic


def _char_scores(featurizer: Featurizer, char_coef: np.ndarray,
                 words: Sequence[str]) -> np.ndarray:
    """Each word's char block scores (words x classes): its n-gram vector times
    ``char_coef``, the char block's coefficients (n_char x classes)."""
    if not featurizer.config.n_char or not words:
        return np.zeros((len(words), char_coef.shape[1]), dtype=np.float32)
    return featurizer.word_vectors(words) @ char_coef


def _probe(featurizer: Featurizer) -> list[list[int]]:
    rows = featurizer.word_vectors(_PROBE) if featurizer.config.n_char else None
    if rows is None:
        return []
    return [sorted(map(int, rows[i].indices))[:8] for i in range(rows.shape[0])]


def _pack(words: Sequence[str]) -> np.ndarray:
    """Words as one array of UTF-8 bytes, newline-separated (tokens hold no newline)."""
    return np.frombuffer("\n".join(words).encode("utf-8", "surrogatepass"), dtype=np.uint8)


def _unpack(packed: np.ndarray) -> list[str]:
    text = np.asarray(packed, dtype=np.uint8).tobytes().decode("utf-8", "surrogatepass")
    return text.split("\n") if text else []


def _one_row_per_class(svm) -> tuple[np.ndarray, np.ndarray]:
    """The SVM's coefficients and intercepts as float32, one row per class (a binary SVM
    has a single hyperplane, split here into two opposite halves)."""
    coef = svm.coef_.astype(np.float32)
    intercept = svm.intercept_.astype(np.float32)
    if coef.shape[0] == 1:
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2], dtype=np.float32)
    return coef, intercept


def _text_keys(texts: Sequence[str]) -> list[int]:
    """A stable number per text (the same in every pass, whatever the order)."""
    # seeded apart from the hash that picks held-out rows in tagger.stream
    return [zlib.crc32(t.encode("utf-8", "surrogatepass"), 0x9E3779B9) for t in texts]


def softmax(scores: np.ndarray) -> np.ndarray:
    """Softmax over the last axis (numpy alone: scipy.special takes a second to import,
    which every 'tagger predict' would pay)."""
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """The softmax temperature that minimises log loss of ``scores`` on held-out rows."""
    from scipy.optimize import minimize_scalar  # training alone needs these: imported then
    from scipy.special import log_softmax

    def nll(log_t: float) -> float:
        return -log_softmax(scores * np.exp(log_t), axis=1)[np.arange(len(y)), y].mean()

    result = minimize_scalar(nll, bounds=(-3.0, 5.0), method="bounded")
    return float(np.exp(result.x))

