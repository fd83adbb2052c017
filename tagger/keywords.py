"""Learned keyword extraction for Arabic news articles.

:class:`KeywordModel` proposes the phrases an editor would tag. Candidates are phrases of
one to three words from the title and body (see :mod:`tagger._keyword_features`); a
logistic regression over engineered features (how often editors tagged the phrase in
training articles, its document frequency, where and how often it occurs, what words
surround it, whether it looks like a name ...) turns each into a calibrated probability,
and a threshold tuned on held-out training articles decides how many to return. Names
never seen in training can still be proposed from their position, frequency and shape.

>>> model = KeywordModel().fit(texts, titles, tags)        # doctest: +SKIP
>>> model.predict("قال الرئيس الروسي فلاديمير بوتين ...")   # doctest: +SKIP
[('بوتين', 0.83), ('روسيا', 0.41)]

The fitted state is JSON plus numeric and fixed-width unicode arrays, so a model file
can be loaded with ``np.load(allow_pickle=False)``.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Sequence

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from . import _keyword_features as kf
from .errors import DataError, ModelFormatError
from .normalize import normalize

__all__ = ["KeywordModel", "keyword_scores", "STOP_WORDS"]

STOP_WORDS = kf.STOP_WORDS
log = logging.getLogger(__name__)

_FORMAT = 1
_ALPHA = 2.0  # smoothing (in articles) of a phrase's tag rate towards the mean rate
_CTX_ALPHA = 20.0  # smoothing (in candidates) of a context's tag rate
_MIN_CONTEXT = 5  # contexts seen fewer times in training are not kept
_MAX_COUNT = np.iinfo(np.uint16).max  # stored counts are uint16; larger ones are clipped
_BATCH = 256  # articles per vectorised batch


def _count(arrays: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct keys over all arrays and how often each occurs (clipped)."""
    if not arrays:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    keys, counts = np.unique(np.concatenate(arrays), return_counts=True)
    return keys, np.minimum(counts, _MAX_COUNT)


def _table(keys: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, ...]:
    """Parallel arrays sorted by key, counts as uint16."""
    order = np.argsort(keys, kind="stable")
    return (keys[order],) + tuple(np.asarray(col)[order].astype(np.uint16) for col in columns)


def _tag_word_counts(tag_lists) -> tuple[np.ndarray, np.ndarray]:
    """How often each normalised word occurs in the tags, as a (hash, count) table."""
    counts = Counter(normalize(w).lower() for tags in tag_lists for tag in tags
                     for w in kf.split_tokens(tag) if kf.is_word(w))
    return _table(np.array([kf.word_hash(w) for w in counts], dtype=np.uint64),
                  np.minimum(list(counts.values()), _MAX_COUNT))


class KeywordModel:
    """Predict an article's keywords as (phrase, probability) pairs, best first.

    Parameters
    ----------
    max_keywords : most keywords returned per article.
    threshold : least probability of a returned keyword; ``None`` tunes it on held-out
        training articles for the mean of F1@5 and F1 at the list's own length.
    max_ngram : longest candidate phrase, in words (1 to 3).
    C : inverse regularisation strength of the logistic regression.
    min_df : words and phrases found in fewer training articles (and never tagged) are
        not kept in the model, which keeps it small.
    folds : cross-fitting folds for the tag statistics and the threshold.
    random_state : seed of the fold assignment.
    """

    def __init__(self, max_keywords: int = 8, threshold: float | None = None, max_ngram: int = 3,
                 C: float = 0.1, min_df: int = 5, folds: int = 5, random_state: int = 0):
        self.max_keywords = max_keywords
        self.threshold = threshold
        self.max_ngram = max_ngram
        self.C = C
        self.min_df = min_df
        self.folds = folds
        self.random_state = random_state

    def get_params(self) -> dict:
        return {name: getattr(self, name) for name in
                ("max_keywords", "threshold", "max_ngram", "C", "min_df", "folds", "random_state")}

    def _check_params(self):
        def positive_int(name, least=1):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
                raise ValueError(f"{name} must be an integer of at least {least}, got {value!r}")
        positive_int("max_keywords")
        positive_int("min_df")
        positive_int("folds", 2)
        if self.threshold is not None and not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold must be None or between 0 and 1, got {self.threshold!r}")
        if self.max_ngram not in (1, 2, 3):
            raise ValueError(f"max_ngram must be 1, 2 or 3, got {self.max_ngram!r}")
        if not (isinstance(self.C, (int, float)) and self.C > 0):
            raise ValueError(f"C must be a positive number, got {self.C!r}")

    def _check_fitted(self):
        if not hasattr(self, "coef_"):
            raise NotFittedError("this KeywordModel is not fitted yet: "
                                 "call fit() or from_state() first")

    # ------------------------------------------------------------------ fitting
    def fit(self, texts: Sequence[str], titles: Sequence[str] | None,
            tags: Sequence[Sequence[str]]) -> "KeywordModel":
        """Learn from articles and their editors' tags.

        Every article feeds the document frequencies; only articles with tags train the
        ranker (an empty list means "not tagged", not "no keywords").
        """
        self._check_params()
        texts = [t if isinstance(t, str) else "" for t in texts]
        titles = [""] * len(texts) if titles is None else [
            t if isinstance(t, str) else "" for t in titles]
        tags = [[g for g in (ts if ts is not None else []) if isinstance(g, str) and g.strip()]
                for ts in tags]
        if not len(titles) == len(tags) == len(texts):
            raise DataError(f"texts, titles and tags differ in length: "
                            f"{len(texts)}, {len(titles)}, {len(tags)}")
        tagged = [i for i, ts in enumerate(tags) if ts]
        if len(tagged) < 2 * self.folds:
            raise DataError(f"need at least {2 * self.folds} tagged articles to fit keywords "
                            f"with {self.folds} folds, got {len(tagged)}")
        self.n_docs_ = float(len(texts))
        self._fit_words(texts, titles, [tags[i] for i in tagged])
        self._prepare_words()
        df_keys, df = self._document_frequencies(texts, titles)

        self._lex.reset_if_full()
        c = self._extract(kf.read_batch(self._lex, [texts[i] for i in tagged],
                                        [titles[i] for i in tagged]))
        y, n_gold, display = self._labels(c, [tags[i] for i in tagged])
        doc_fold = np.random.RandomState(self.random_state).permutation(len(tagged)) % self.folds
        full, oof = self._tag_statistics(c, y, doc_fold, [tags[i] for i in tagged])
        self.prior_ = float(full["ntag"][1].sum() / max(full["tdf"][1].sum(), 1))
        own_df = kf.lookup(c.keys, df_keys, df)[0] - 1  # the article itself is in the corpus
        own_df[own_df < self.min_df] = 0  # as the pruned table would show it
        X = kf.features(c, self._lex, own_df, oof["tdf"], oof["ntag"], oof["ctx_n"], oof["ctx_t"],
                        self.n_docs_, self.prior_, _ALPHA, _CTX_ALPHA, oof["tag_words"])
        self._fit_ranker(X, y, doc_fold[c.doc], c.offsets, n_gold)

        keep = df >= self.min_df
        self.phrase_keys_, self.phrase_df_ = _table(df_keys[keep], df[keep])
        keys, tdf = full["tdf"]
        ntag = kf.lookup(keys, *full["ntag"])[0]
        keep = (tdf >= 2) | (ntag >= 1)
        self.tag_stat_keys_, self.tag_stat_tdf_, self.tag_stat_ntag_ = _table(
            keys[keep], tdf[keep], ntag[keep])
        keys, count = full["ctx_n"]
        keep = count >= _MIN_CONTEXT
        self.ctx_keys_, self.ctx_count_, self.ctx_tagged_ = _table(
            keys[keep], count[keep], kf.lookup(keys[keep], *full["ctx_t"])[0])
        keys = np.fromiter(display, dtype=np.uint64, count=len(display))
        order = np.argsort(keys)
        self.tag_keys_ = keys[order]
        self.tag_text_ = np.array([display[k].most_common(1)[0][0]
                                   for k in self.tag_keys_.tolist()], dtype=str)
        self._prepare()
        log.info("keywords: %d articles (%d tagged), %d candidates, threshold %.2f, "
                 "%d phrases kept", len(texts), len(tagged), len(y), self.threshold_,
                 len(self.phrase_keys_))
        return self

    def _document_frequencies(self, texts, titles) -> tuple[np.ndarray, np.ndarray]:
        """Every candidate phrase key of the corpus and how many articles hold it."""
        keys = []
        for s in range(0, len(texts), _BATCH):
            self._lex.reset_if_full()
            batch = kf.read_batch(self._lex, texts[s:s + _BATCH], titles[s:s + _BATCH])
            keys.append(self._extract(batch).keys)  # distinct within an article
        return _count(keys)

    def _tag_statistics(self, c: kf.Candidates, y: np.ndarray, doc_fold: np.ndarray, tag_lists):
        """Tag statistics of the training candidates: over all tagged articles (to keep),
        and for each candidate without its own fold's articles (cross-fitting, so that no
        feature includes the article's own tags), as the pruned tables would show them."""
        fold = doc_fold[c.doc]
        ctx = kf.context_keys(c, self._lex)
        sources = {"tdf": (c.keys, None), "ntag": (c.keys, y),
                   "ctx_n": (ctx, None), "ctx_t": (ctx, y)}
        full, oof = {}, {}
        # How often the candidates' words occur in editors' tags (as Lexicon.tag_words).
        words = np.column_stack([self._lex.h_first[w] for w in kf.words_of(c)])
        oof["tag_words"] = np.zeros(words.shape)
        for f in range(self.folds):
            here = fold == f
            counts = _tag_word_counts([t for t, g in zip(tag_lists, doc_fold) if g == f])
            own = kf.lookup(words[here].ravel(), *counts)[0].reshape(words[here].shape)
            oof["tag_words"][here] = kf.lookup(words[here].ravel(), self.tag_word_keys_,
                                               self.tag_word_count_)[0].reshape(own.shape) - own
        for name, (keys, rows) in sources.items():
            full[name] = _count([keys.ravel() if rows is None else keys[rows].ravel()])
            oof[name] = np.zeros(keys.shape, dtype=np.float64)
            for f in range(self.folds):
                here = fold == f
                mine = here if rows is None else here & rows
                queries = keys[here].ravel()
                own = kf.lookup(queries, *_count([keys[mine].ravel()]))[0]
                total = kf.lookup(queries, *full[name])[0]
                oof[name][here] = (total - own).reshape(keys[here].shape)
        kept = (oof["tdf"] >= 2) | (oof["ntag"] >= 1)
        oof["tdf"][~kept] = oof["ntag"][~kept] = 0
        rare = oof["ctx_n"] < _MIN_CONTEXT
        oof["ctx_n"][rare] = oof["ctx_t"][rare] = 0
        # Counts from folds - 1 folds, scaled to what the whole training set will show.
        scale = self.folds / (self.folds - 1)
        return full, {name: counts * scale for name, counts in oof.items()}

    def _fit_ranker(self, X, y, fold, offsets, n_gold):
        """Standardise, tune the threshold on held-out folds, fit on everything."""
        self.mean_ = X.mean(axis=0)
        self.scale_ = X.std(axis=0)
        self.scale_[self.scale_ == 0] = 1.0
        Z = (X - self.mean_) / self.scale_
        if self.threshold is None:
            held_out = np.zeros(len(y))
            for f in range(self.folds):
                train = fold != f
                held_out[~train] = self._ranker(Z[train], y[train]).predict_proba(Z[~train])[:, 1]
            self.threshold_, self.cv_scores_ = _tune_threshold(held_out, y, offsets, n_gold,
                                                               self.max_keywords)
        else:
            self.threshold_, self.cv_scores_ = float(self.threshold), {}
        ranker = self._ranker(Z, y)
        self.coef_ = ranker.coef_[0].astype(np.float64)
        self.intercept_ = float(ranker.intercept_[0])

    def _ranker(self, Z, y) -> LogisticRegression:
        return LogisticRegression(C=self.C, max_iter=2000).fit(Z, y)

    def _labels(self, c: kf.Candidates, tag_lists):
        """Which candidates are tags; how many distinct tags each article has; and the
        editors' spellings of each tag key."""
        gold_keys, gold_docs, n_gold = [], [], []
        display: dict[int, Counter] = {}
        for d, tags in enumerate(tag_lists):
            words = self._lex.content_hashes(c.ids[c.tokens_of(d)])
            for tag in tags:
                key = kf.tag_key(tag, self._lex, words, self.max_ngram)
                if key is not None:
                    gold_keys.append(key)
                    gold_docs.append(d)
                    display.setdefault(key, Counter())[" ".join(kf.surface(tag).split())] += 1
            n_gold.append(len({normalize(t) for t in tags}))
        gold = kf.doc_salted(np.array(gold_keys, dtype=np.uint64),
                             np.array(gold_docs, dtype=np.int64))
        return np.isin(kf.doc_salted(c.keys, c.doc), gold), np.array(n_gold), display

    def _fit_words(self, texts, titles, tag_lists):
        """Word document frequencies, and how often each word occurs in editors' tags."""
        plain = kf.Lexicon()  # only normalised word hashes
        pairs = []
        for s in range(0, len(texts), _BATCH):
            b = kf.read_batch(plain, texts[s:s + _BATCH], titles[s:s + _BATCH])
            words = np.flatnonzero(b.ids)
            doc = np.repeat(np.arange(len(b.start)), b.size)[words]
            hashes = plain.h_norm[b.ids[words]]
            salted = np.unique(kf.doc_salted(hashes, doc), return_index=True)[1]
            pairs.append(hashes[salted])  # each word once per article
        word_keys, df = _count(pairs)
        keep = df >= self.min_df
        self.word_keys_, self.word_df_ = word_keys[keep], df[keep].astype(np.uint16)
        self.tag_word_keys_, self.tag_word_count_ = _tag_word_counts(tag_lists)

    def _df_of(self, word: str) -> int:
        return self._word_df.get(kf.word_hash(word), 0)

    def _tags_of(self, word: str) -> int:
        return self._tag_words.get(kf.word_hash(word), 0)

    def _prepare_words(self, context=None):
        self._word_df = dict(zip(self.word_keys_.tolist(), self.word_df_.tolist()))
        self._tag_words = dict(zip(self.tag_word_keys_.tolist(), self.tag_word_count_.tolist()))
        self._lex = kf.Lexicon(self._df_of, self._tags_of, context)

    def _context_of(self, keys: np.ndarray) -> list[np.ndarray]:
        return kf.lookup(keys, self.ctx_keys_, self.ctx_count_, self.ctx_tagged_)

    def _prepare(self):
        """Derived look-ups, rebuilt after fit and after from_state."""
        self._prepare_words(self._context_of)
        self._tag_display = dict(zip(self.tag_keys_.tolist(), self.tag_text_.tolist()))
        # Standardisation folded into the weights: z = X @ w + b.
        w = self.coef_ / self.scale_
        self._w = w.astype(np.float32)
        self._b = self.intercept_ - float(self.mean_ @ w)

    # ------------------------------------------------------------------ prediction
    def _extract(self, b: kf.Batch) -> kf.Candidates:
        return kf.extract(b, self._lex, self.max_ngram)

    def _features(self, c: kf.Candidates) -> np.ndarray:
        df, = kf.lookup(c.keys, self.phrase_keys_, self.phrase_df_)
        tdf, ntag = kf.lookup(c.keys, self.tag_stat_keys_, self.tag_stat_tdf_, self.tag_stat_ntag_)
        ctx_n, ctx_t = kf.context_stats(c, self._lex)
        return kf.features(c, self._lex, df, tdf, ntag, ctx_n, ctx_t, self.n_docs_, self.prior_,
                           _ALPHA, _CTX_ALPHA)

    def _proba(self, X: np.ndarray) -> np.ndarray:
        # Column by column rather than X @ w: no BLAS threads spinning next to a service's
        # own workers, and as fast for 36 columns.
        z = np.full(len(X), self._b, dtype=np.float32)
        for column, weight in zip(X.T, self._w):
            z += column * weight
        return 1.0 / (1.0 + np.exp(-z.astype(np.float64)))

    def _choose(self, b: kf.Batch, c: kf.Candidates, p: np.ndarray, max_keywords: int,
                threshold: float) -> list[list[tuple[str, float, int]]]:
        """Each article's best candidates above ``threshold``: (phrase, score, row)."""
        lex = self._lex
        arabic = (lex.kind[b.ids] == 2) & ~lex.latin[b.ids]
        n_docs = len(b.start)
        arabic_words = np.bincount(np.repeat(np.arange(n_docs), b.size)[arabic], minlength=n_docs)
        rows = np.flatnonzero(p >= threshold)
        # By article, best first.
        rows = rows[np.argsort(c.doc[rows] - 0.5 * p[rows], kind="stable")]
        bounds = np.searchsorted(c.doc[rows], np.arange(n_docs + 1))
        out = []
        for d in range(n_docs):
            chosen, seen = [], set()
            # An article with no Arabic word (English, digits, noise) gets no keywords.
            for j in rows[bounds[d]:bounds[d + 1]].tolist() if arabic_words[d] else []:
                if len(chosen) == max_keywords:
                    break
                phrase = self._display(b, c, j)
                key = normalize(phrase)
                if key and key not in seen:
                    seen.add(key)
                    chosen.append((phrase, float(p[j]), j))
            out.append(chosen)
        return out

    def _display(self, b: kf.Batch, c: kf.Candidates, j: int) -> str:
        """The editors' spelling of a known tag, else the article's most frequent one."""
        text = self._tag_display.get(int(c.keys[j]))
        if text:
            return text
        n = int(c.n[j])
        occurrences = c.occ_pos[c.occ_start[j]:c.occ_start[j + 1]].tolist()
        if len(occurrences) > 1:  # lexicon rows stand for written forms
            forms = [(tuple(c.ids[i:i + n].tolist()), bool(c.stripped[i])) for i in occurrences]
            i = occurrences[forms.index(Counter(forms).most_common(1)[0][0])]
        else:
            i = occurrences[0]
        first = b.token(i)
        if c.stripped[i]:
            first = self._lex.uncut(c.ids[i], first)
        return " ".join([first, *(b.token(k) for k in range(i + 1, i + n))])

    def predict(self, text: str, title: str | None = None, max_keywords: int | None = None, *,
                threshold: float | None = None) -> list[tuple[str, float]]:
        """Keywords of one article as (phrase, probability), best first.

        At most ``max_keywords`` (default: the model's), each with a probability of at
        least ``threshold`` (default: the tuned one; 0 gives a full ranked list, e.g. to
        measure F1@5).

        >>> model.predict(text, title=title, max_keywords=5)   # doctest: +SKIP
        [('كوريا الشمالية', 0.91), ('بوتين', 0.88)]
        """
        return self.predict_many([text], None if title is None else [title], max_keywords,
                                 threshold=threshold)[0]

    def predict_many(self, texts: Sequence[str], titles: Sequence[str] | None = None,
                     max_keywords: int | None = None, *,
                     threshold: float | None = None) -> list[list[tuple[str, float]]]:
        """Keywords of many articles (one list per article, as :meth:`predict`)."""
        self._check_fitted()
        k = self.max_keywords if max_keywords is None else max_keywords
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
            raise ValueError(f"max_keywords must be a non-negative integer, got {k!r}")
        threshold = self.threshold_ if threshold is None else threshold
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be between 0 and 1, got {threshold!r}")
        texts = list(texts)
        titles = [None] * len(texts) if titles is None else list(titles)
        if len(titles) != len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(titles)} titles")
        out = []
        for s in range(0, len(texts), _BATCH):
            self._lex.reset_if_full()
            b = kf.read_batch(self._lex, texts[s:s + _BATCH], titles[s:s + _BATCH])
            c = self._extract(b)
            p = self._proba(self._features(c))
            out += [[(phrase, score) for phrase, score, _ in chosen]
                    for chosen in self._choose(b, c, p, k, threshold)]
        return out

    def explain(self, text: str, title: str | None = None) -> list[dict]:
        """For each keyword :meth:`predict` returns: its score, feature values and their
        contributions to the log-odds (``coef * standardised value``; with the intercept
        they add up to the logit of the score)."""
        self._check_fitted()
        self._lex.reset_if_full()
        b = kf.read_batch(self._lex, [text], [title])
        c = self._extract(b)
        X = self._features(c)
        p = self._proba(X)
        out = []
        for phrase, score, j in self._choose(b, c, p, self.max_keywords, self.threshold_)[0]:
            contrib = (X[j] - self.mean_) / self.scale_ * self.coef_
            out.append({
                "keyword": phrase, "score": score, "intercept": self.intercept_,
                "features": dict(zip(kf.FEATURE_NAMES, X[j].tolist())),
                "contributions": dict(zip(kf.FEATURE_NAMES, contrib.tolist())),
            })
        return out

    # ------------------------------------------------------------------ persistence
    _ARRAYS = ("word_keys_", "word_df_", "tag_word_keys_", "tag_word_count_", "phrase_keys_",
               "phrase_df_", "tag_stat_keys_", "tag_stat_tdf_", "tag_stat_ntag_", "ctx_keys_",
               "ctx_count_", "ctx_tagged_", "tag_keys_", "tag_text_", "mean_", "scale_", "coef_")
    _TABLES = (("word_keys_", "word_df_"), ("tag_word_keys_", "tag_word_count_"),
               ("phrase_keys_", "phrase_df_"),
               ("tag_stat_keys_", "tag_stat_tdf_", "tag_stat_ntag_"),
               ("ctx_keys_", "ctx_count_", "ctx_tagged_"), ("tag_keys_", "tag_text_"))

    def to_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """JSON-serialisable config and numeric / fixed-width unicode arrays (no pickle)."""
        self._check_fitted()
        config = {"format": _FORMAT, "params": self.get_params(),
                  "features": list(kf.FEATURE_NAMES),
                  "threshold": self.threshold_, "intercept": self.intercept_,
                  "n_docs": self.n_docs_, "prior": self.prior_, "alpha": _ALPHA,
                  "ctx_alpha": _CTX_ALPHA, "cv_scores": self.cv_scores_}
        return config, {name.rstrip("_"): np.asarray(getattr(self, name)) for name in self._ARRAYS}

    @classmethod
    def from_state(cls, config: dict, arrays: dict[str, np.ndarray]) -> "KeywordModel":
        """Rebuild a model saved by :meth:`to_state`, checking what it is given."""
        try:
            if config.get("format") != _FORMAT:
                raise ModelFormatError(f"keyword model format {config.get('format')!r} is not "
                                       f"supported (expected {_FORMAT})")
            if (list(config["features"]) != list(kf.FEATURE_NAMES) or config["alpha"] != _ALPHA
                    or config["ctx_alpha"] != _CTX_ALPHA):
                raise ModelFormatError("keyword model was saved by an incompatible tagger version")
            model = cls(**config["params"])
            model._check_params()
            for name in cls._ARRAYS:
                value = np.asarray(arrays[name.rstrip("_")])
                if value.dtype.kind not in "uifU" or value.ndim != 1:
                    raise ModelFormatError(f"keyword array {name.rstrip('_')!r} has dtype "
                                           f"{value.dtype} and {value.ndim} dimensions")
                setattr(model, name, value)
            model.threshold_ = float(config["threshold"])
            model.intercept_ = float(config["intercept"])
            model.n_docs_ = float(config["n_docs"])
            model.prior_ = float(config["prior"])
            model.cv_scores_ = dict(config.get("cv_scores", {}))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ModelFormatError(
                f"keyword model state is incomplete or corrupted: {exc!r}") from exc
        if not len(model.coef_) == len(model.mean_) == len(model.scale_) == len(kf.FEATURE_NAMES):
            raise ModelFormatError("keyword model weights do not match its features")
        for names in cls._TABLES:
            keys = getattr(model, names[0])
            if keys.dtype != np.uint64 or (len(keys) > 1 and not (keys[1:] > keys[:-1]).all()):
                raise ModelFormatError(
                    f"keyword array {names[0].rstrip('_')!r} is not sorted uint64 keys")
            if any(len(getattr(model, name)) != len(keys) for name in names[1:]):
                raise ModelFormatError(
                    f"keyword arrays {[n.rstrip('_') for n in names]} differ in length")
        if not (np.isfinite(model.coef_).all() and np.isfinite(model.mean_).all()
                and (model.scale_ > 0).all() and 0.0 <= model.threshold_ <= 1.0):
            raise ModelFormatError("keyword model weights are not finite or out of range")
        model._prepare()
        return model


def _tune_threshold(p, y, offsets, n_gold, max_keywords, k=5) -> tuple[float, dict]:
    """Threshold for the returned lists, from held-out scores: the one maximising the mean
    of F1 at ``k`` and F1 at the list's own length.

    F1 at own length alone favours short, sure lists, but F1 at ``k`` counts a list shorter
    than ``k`` as if padded with misses; the two together keep a list as long as its
    doubtful keywords still pay for themselves, and ``cv_scores`` reports both.
    """
    grid = np.round(np.arange(0.0, 0.96, 0.01), 2)
    f1_own = np.zeros(len(grid))
    f1_k = np.zeros(len(grid))
    for d, g in enumerate(n_gold):
        pd, yd = p[offsets[d]:offsets[d + 1]], y[offsets[d]:offsets[d + 1]]
        order = np.argsort(-pd, kind="stable")[:max_keywords]
        hits = np.concatenate([[0], np.cumsum(yd[order])])
        length = (pd[order][None, :] >= grid[:, None]).sum(axis=1)
        f1_own += 2 * hits[length] / np.maximum(length + g, 1)
        f1_k += 2 * hits[np.minimum(length, k)] / (k + g)
    n = max(len(n_gold), 1)
    f1_own, f1_k = f1_own / n, f1_k / n
    best = int(np.argmax(f1_own + f1_k))
    return float(grid[best]), {"cv_f1_own_length": float(f1_own[best]),
                               f"cv_f1_at_{k}": float(f1_k[best])}


def keyword_scores(predicted: Sequence[Sequence[str]], gold: Sequence[Sequence[str]],
                   k: int = 5) -> dict:
    """Precision, recall and F1 at ``k`` and at each list's own length.

    Means over the articles with non-empty ``gold``; phrases match exactly after
    :func:`~tagger.normalize.normalize`. Precision at ``k`` divides by ``k`` (a list shorter
    than ``k`` is not rewarded); at own length it divides by the list's length (0 for an
    empty list). F1 is computed per article, then averaged.

    >>> keyword_scores([["روسيا", "بوتين"]], [["روسيا"]], k=2)["f1_at_k"]
    0.6666666666666666
    """
    if len(predicted) != len(gold):
        raise ValueError(f"got {len(predicted)} predicted lists but {len(gold)} gold lists")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k!r}")
    rows = []
    for pred, true in zip(predicted, gold):
        true = {normalize(t) for t in true} - {""}
        if not true:
            continue
        pred = list(dict.fromkeys(p for p in map(normalize, pred) if p))
        hit_k, hit = len(set(pred[:k]) & true), len(set(pred) & true)
        p_k, r_k = hit_k / k, hit_k / len(true)
        p, r = (hit / len(pred) if pred else 0.0), hit / len(true)
        rows.append([p_k, r_k, 2 * hit_k / (k + len(true)), p, r,
                     2 * hit / (len(pred) + len(true)), len(pred)])
    if not rows:
        return {"n": 0, "k": k}
    mean = np.mean(rows, axis=0).tolist()
    names = ("precision_at_k", "recall_at_k", "f1_at_k", "precision", "recall", "f1", "mean_length")
    return {"n": len(rows), "k": k, **dict(zip(names, mean))}
