"""Learned keyword extraction for Arabic news articles.

:class:`KeywordModel` proposes the phrases an editor would tag. Candidates are phrases of
one to three words from the title and body (see :mod:`tagger._keyword_features`); a
logistic regression over engineered features (how often editors tagged the phrase in
training articles, its document frequency, where and how often it occurs, what words
surround it, whether it looks like a name ...) ranks them; gradient boosted trees then
re-rank each article's best candidates, seeing also how the first stage judged the
article's other candidates (above all the longer phrases that contain a candidate, so
that the full name "هاني رمزي" can win over its short form "رمزي"), and give the
probabilities. A threshold tuned on held-out training articles decides how many to
return. Names never seen in training can still be proposed from their position,
frequency and shape.

>>> model = KeywordModel().fit(texts, titles, tags)        # doctest: +SKIP
>>> model.predict("قال الرئيس الروسي فلاديمير بوتين ...")   # doctest: +SKIP
[('بوتين', 0.83), ('روسيا', 0.41)]

The fitted state is JSON plus numeric and fixed-width unicode arrays (the trees too:
feature, threshold, children and value per node, walked by our own code), so a model
file can be loaded with ``np.load(allow_pickle=False)``.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from . import _keyword_features as kf
from .errors import DataError, ModelFormatError, check_integer
from .normalize import normalize

if TYPE_CHECKING:  # scikit-learn is imported when a model is trained, not to predict
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

__all__ = ["KeywordModel", "keyword_scores", "STOP_WORDS"]

STOP_WORDS = kf.STOP_WORDS
log = logging.getLogger(__name__)

_FORMAT = 3  # 2: a second stage of boosted trees re-ranks each article's best candidates;
# 3: words hashed with numpy (kf.word_hashes) instead of blake2b, one word at a time
_ALPHA = 2.0  # smoothing (in articles) of a phrase's tag rate towards the mean rate
_CTX_ALPHA = 20.0  # smoothing (in candidates) of a context's tag rate
_MIN_CONTEXT = 5  # contexts seen fewer times in training are not kept
_MAX_COUNT = np.iinfo(np.uint16).max  # stored counts are uint16; larger ones are clipped
_BATCH = 256  # articles per vectorised batch
# The second stage: gradient boosted trees (scikit-learn's HistGradientBoostingClassifier,
# stored as plain arrays) over the first stage's best candidates of each article.
_BOOST = {"learning_rate": 0.1, "max_depth": 4, "max_leaf_nodes": 12, "min_samples_leaf": 40,
          "l2_regularization": 1.0}


def _count(arrays: Iterable[np.ndarray], merge_every: int = 4_000_000) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct keys over all arrays and how often each occurs (clipped).

    Arrays are counted as they come and merged into the running counts every
    ``merge_every`` keys, so memory holds the distinct keys once rather than every
    occurrence (a corpus's candidate phrases repeat many times over).
    """
    keys, counts = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    pending: list[np.ndarray] = []
    size = 0

    def merge() -> None:
        nonlocal keys, counts, pending, size
        new, new_counts = np.unique(np.concatenate(pending), return_counts=True)
        pending, size = [], 0
        if not len(new):
            return
        both = np.concatenate([keys, new])
        order = np.argsort(both, kind="stable")  # two sorted runs: a linear merge
        both = both[order]
        starts = np.flatnonzero(np.concatenate([[True], both[1:] != both[:-1]]))
        counts = np.add.reduceat(np.concatenate([counts, new_counts])[order], starts)
        keys = both[starts]

    for array in arrays:
        pending.append(array)
        size += len(array)
        if size >= merge_every:
            merge()
    if pending:
        merge()
    return keys, np.minimum(counts, _MAX_COUNT)


def _table(keys: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, ...]:
    """Parallel arrays sorted by key, counts as uint16."""
    order = np.argsort(keys, kind="stable")
    return (keys[order],) + tuple(np.asarray(col)[order].astype(np.uint16) for col in columns)


def _tag_word_counts(tag_lists) -> tuple[np.ndarray, np.ndarray]:
    """How often each normalised word occurs in the tags, as a (hash, count) table."""
    counts = Counter(normalize(w).lower() for tags in tag_lists for tag in tags
                     for w in kf.split_tokens(tag) if kf.is_word(w))
    return _table(kf.word_hashes(list(counts)),
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
    rerank : how many of each article's best candidates (by the logistic model) the
        second stage re-ranks; 0 keeps the logistic model's ranking.
    trees : boosting iterations of the second stage.
    max_words : in prediction, candidates come from the title and the first this many
        words of the body; None reads it all. The model learns from whole articles. Editors
        tag what the lead is about: on 374 held-out Alarabiya articles, one model
        predicting with a window of 400 words and with none differed on 8 articles, by
        0.0004 F1@5, while on SANAD's longer articles the window saves a fifth of the
        keyword model's time. (Learning from the window too cost 0.003 F1@5 of the
        ranking, over two seeds.)
    """

    def __init__(self, max_keywords: int = 8, threshold: float | None = None, max_ngram: int = 3,
                 C: float = 0.1, min_df: int = 5, folds: int = 5, random_state: int = 0,
                 rerank: int = 20, trees: int = 75, max_words: int | None = 400):
        self.max_keywords = max_keywords
        self.threshold = threshold
        self.max_ngram = max_ngram
        self.C = C
        self.min_df = min_df
        self.folds = folds
        self.random_state = random_state
        self.rerank = rerank
        self.trees = trees
        self.max_words = max_words

    def get_params(self) -> dict:
        return {name: getattr(self, name) for name in
                ("max_keywords", "threshold", "max_ngram", "C", "min_df", "folds", "random_state",
                 "rerank", "trees", "max_words")}

    def _check_params(self):
        for name, least in (("max_keywords", 1), ("min_df", 1), ("folds", 2), ("rerank", 0),
                            ("trees", 1)):
            check_integer(name, getattr(self, name), least)
        if self.max_words is not None:
            check_integer("max_words", self.max_words, 1)
        if self.threshold is not None and not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold must be None or between 0 and 1, got {self.threshold!r}")
        if self.max_ngram not in (1, 2, 3):
            raise ValueError(f"max_ngram must be 1, 2 or 3, got {self.max_ngram!r}")
        if not (isinstance(self.C, (int, float)) and self.C > 0):
            raise ValueError(f"C must be a positive number, got {self.C!r}")

    def _check_fitted(self):
        if not hasattr(self, "coef_"):
            from sklearn.exceptions import NotFittedError

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
        self._fit_ranker(c, X, y, doc_fold[c.doc], n_gold)

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
        def keys():
            for s in range(0, len(texts), _BATCH):
                self._lex.reset_if_full()
                batch = kf.read_batch(self._lex, texts[s:s + _BATCH], titles[s:s + _BATCH])
                yield self._extract(batch).keys  # distinct within an article

        return _count(keys())

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

    def _fit_ranker(self, c, X, y, fold, n_gold):
        """Standardise; fit the logistic first stage and, on each article's best candidates
        by its held-out (cross-fitted) scores, the boosted second stage; tune the threshold
        on held-out folds; fit both on everything."""
        self.mean_ = X.mean(axis=0)
        self.scale_ = X.std(axis=0)
        self.scale_[self.scale_ == 0] = 1.0
        Z = (X - self.mean_) / self.scale_
        held_out = np.zeros(len(y))
        for f in range(self.folds):
            train = fold != f
            held_out[~train] = self._ranker(Z[train], y[train]).decision_function(Z[~train])
        ranker = self._ranker(Z, y)
        self.coef_ = ranker.coef_[0].astype(np.float64)
        self.intercept_ = float(ranker.intercept_[0])
        if self.rerank:
            rank = _rank_in_article(c, held_out)
            rows = np.flatnonzero(rank < self.rerank)
            S = kf.rerank_features(c, X, held_out, rank, rows)
            ys, fs = y[rows], fold[rows]
            held_out = np.full(len(y), -np.inf)
            if self.threshold is None:
                for f in range(self.folds):
                    train = fs != f
                    held_out[rows[~train]] = self._booster(S[train], ys[train]).decision_function(
                        S[~train])
            self._set_trees(self._booster(S, ys))
        else:
            self._set_trees(None)
        if self.threshold is None:
            p = 1.0 / (1.0 + np.exp(-held_out))
            self.threshold_, self.cv_scores_ = _tune_threshold(p, y, c.offsets, n_gold,
                                                               self.max_keywords)
        else:
            self.threshold_, self.cv_scores_ = float(self.threshold), {}

    def _booster(self, S, y) -> HistGradientBoostingClassifier:
        from sklearn.ensemble import HistGradientBoostingClassifier
        from threadpoolctl import threadpool_limits

        # One thread: the data are small (tens of thousands of rows), and OpenMP threads
        # fighting over busy cores made these fits many times slower.
        with threadpool_limits(1, user_api="openmp"):
            return HistGradientBoostingClassifier(
                max_iter=self.trees, early_stopping=False, random_state=self.random_state,
                **_BOOST).fit(S, y)

    def _set_trees(self, booster: HistGradientBoostingClassifier | None):
        """Keep the boosted trees as plain arrays (see :func:`_export_trees`)."""
        if booster is None:
            self.tree_baseline_ = 0.0
            self.tree_roots_ = np.zeros(0, dtype=np.int32)
            self.tree_feature_ = self.tree_left_ = self.tree_right_ = np.zeros(0, dtype=np.int32)
            self.tree_threshold_ = self.tree_value_ = np.zeros(0, dtype=np.float64)
            return
        self.tree_baseline_ = float(np.ravel(booster._baseline_prediction)[0])
        (self.tree_roots_, self.tree_feature_, self.tree_threshold_, self.tree_left_,
         self.tree_right_, self.tree_value_) = _export_trees(booster)

    def _ranker(self, Z, y) -> LogisticRegression:
        from sklearn.linear_model import LogisticRegression

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

        def pairs():
            for s in range(0, len(texts), _BATCH):
                b = kf.read_batch(plain, texts[s:s + _BATCH], titles[s:s + _BATCH])
                words = np.flatnonzero(b.ids)
                doc = np.repeat(np.arange(len(b.start)), b.size)[words]
                hashes = plain.h_norm[b.ids[words]]
                salted = np.unique(kf.doc_salted(hashes, doc), return_index=True)[1]
                yield hashes[salted]  # each word once per article

        word_keys, df = _count(pairs())
        keep = df >= self.min_df
        self.word_keys_, self.word_df_ = word_keys[keep], df[keep].astype(np.uint16)
        self.tag_word_keys_, self.tag_word_count_ = _tag_word_counts(tag_lists)

    def _prepare_words(self, context=None):
        self._lex = kf.Lexicon((self.word_keys_, self.word_df_),
                               (self.tag_word_keys_, self.tag_word_count_), context)

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
        self._trees = _compact_trees(self.tree_roots_, self.tree_feature_, self.tree_threshold_,
                                     self.tree_left_, self.tree_right_, self.tree_value_)

    # ------------------------------------------------------------------ prediction
    def _read(self, texts, titles) -> kf.Batch:
        return kf.read_batch(self._lex, texts, titles, self.max_words)

    def _extract(self, b: kf.Batch) -> kf.Candidates:
        return kf.extract(b, self._lex, self.max_ngram)

    def _features(self, c: kf.Candidates) -> np.ndarray:
        order = np.argsort(c.keys)
        df, = kf.lookup(c.keys, self.phrase_keys_, self.phrase_df_, order=order)
        tdf, ntag = kf.lookup(c.keys, self.tag_stat_keys_, self.tag_stat_tdf_, self.tag_stat_ntag_,
                              order=order)
        ctx_n, ctx_t = kf.context_stats(c, self._lex)
        return kf.features(c, self._lex, df, tdf, ntag, ctx_n, ctx_t, self.n_docs_, self.prior_,
                           _ALPHA, _CTX_ALPHA)

    def _logit(self, X: np.ndarray) -> np.ndarray:
        """The first stage's log-odds."""
        # Column by column rather than X @ w: no BLAS threads spinning next to a service's
        # own workers, and as fast for 36 columns.
        z = np.full(len(X), self._b, dtype=np.float32)
        for column, weight in zip(X.T, self._w):
            z += column * weight
        return z.astype(np.float64)

    def _scores(self, c: kf.Candidates, X: np.ndarray):
        """Scores of all candidates (0 for those the second stage did not re-rank), the
        first stage's log-odds, and the re-ranked rows with their second-stage features."""
        s1 = self._logit(X)
        if not len(self.tree_roots_):
            return 1.0 / (1.0 + np.exp(-s1)), s1, np.arange(len(s1)), None
        rank = _rank_in_article(c, s1)
        rows = np.flatnonzero(rank < self.rerank)
        S = kf.rerank_features(c, X, s1, rank, rows)
        p = np.zeros(len(s1))
        p[rows] = 1.0 / (1.0 + np.exp(-(self.tree_baseline_ + _tree_sum(S, *self._trees))))
        return p, s1, rows, S

    def _choose(self, b: kf.Batch, c: kf.Candidates, p: np.ndarray, s1: np.ndarray,
                max_keywords: int, threshold: float) -> list[list[tuple[str, float, int]]]:
        """Each article's best candidates above ``threshold``: (phrase, score, row)."""
        lex = self._lex
        arabic = (lex.kind[b.ids] == 2) & ~lex.latin[b.ids]
        n_docs = len(b.start)
        arabic_words = np.bincount(np.repeat(np.arange(n_docs), b.size)[arabic], minlength=n_docs)
        rows = np.flatnonzero(p >= threshold)
        # By article, best first (candidates the second stage did not see: by the first).
        rows = rows[np.lexsort((-s1[rows], -p[rows], c.doc[rows]))]
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
        lex = self._lex
        first = lex.spelling(c.ids[i])
        if c.stripped[i]:
            first = lex.uncut(c.ids[i], first)
        return " ".join([first, *(lex.spelling(c.ids[k]) for k in range(i + 1, i + n))])

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
            b = self._read(texts[s:s + _BATCH], titles[s:s + _BATCH])
            c = self._extract(b)
            p, s1, _, _ = self._scores(c, self._features(c))
            out += [[(phrase, score) for phrase, score, _ in chosen]
                    for chosen in self._choose(b, c, p, s1, k, threshold)]
        return out

    def explain(self, text: str, title: str | None = None) -> list[dict]:
        """For each keyword :meth:`predict` returns: its score, feature values and their
        contributions to the log-odds; with the intercept they add up to the logit of the
        score. Without a second stage a contribution is ``coef * standardised value``;
        with one, it is what the feature's splits added along the keyword's path through
        the trees (the first stage enters through ``stage1_*`` features)."""
        self._check_fitted()
        self._lex.reset_if_full()
        b = self._read([text], [title])
        c = self._extract(b)
        X = self._features(c)
        p, s1, rows, S = self._scores(c, X)
        names = kf.FEATURE_NAMES if S is None else kf.FEATURE_NAMES + kf.RERANK_NAMES
        out = []
        for phrase, score, j in self._choose(b, c, p, s1, self.max_keywords, self.threshold_)[0]:
            if S is None:
                values = X[j]
                intercept = self.intercept_
                contrib = (X[j] - self.mean_) / self.scale_ * self.coef_
            else:
                values = S[int(np.searchsorted(rows, j))]
                intercept, contrib = _tree_contributions(
                    values, self.tree_baseline_, self.tree_roots_, self.tree_feature_,
                    self.tree_threshold_, self.tree_left_, self.tree_right_, self.tree_value_)
            out.append({
                "keyword": phrase, "score": score, "intercept": intercept,
                "features": dict(zip(names, values.tolist())),
                "contributions": dict(zip(names, contrib.tolist())),
            })
        return out

    # ------------------------------------------------------------------ persistence
    _ARRAYS = ("word_keys_", "word_df_", "tag_word_keys_", "tag_word_count_", "phrase_keys_",
               "phrase_df_", "tag_stat_keys_", "tag_stat_tdf_", "tag_stat_ntag_", "ctx_keys_",
               "ctx_count_", "ctx_tagged_", "tag_keys_", "tag_text_", "mean_", "scale_", "coef_",
               "tree_roots_", "tree_feature_", "tree_threshold_", "tree_left_", "tree_right_",
               "tree_value_")
    _TABLES = (("word_keys_", "word_df_"), ("tag_word_keys_", "tag_word_count_"),
               ("phrase_keys_", "phrase_df_"),
               ("tag_stat_keys_", "tag_stat_tdf_", "tag_stat_ntag_"),
               ("ctx_keys_", "ctx_count_", "ctx_tagged_"), ("tag_keys_", "tag_text_"))

    def to_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """JSON-serialisable config and numeric / fixed-width unicode arrays (no pickle)."""
        self._check_fitted()
        config = {"format": _FORMAT, "params": self.get_params(),
                  "features": list(kf.FEATURE_NAMES), "rerank_features": list(kf.RERANK_NAMES),
                  "threshold": self.threshold_, "intercept": self.intercept_,
                  "tree_baseline": self.tree_baseline_,
                  "n_docs": self.n_docs_, "prior": self.prior_, "alpha": _ALPHA,
                  "ctx_alpha": _CTX_ALPHA, "cv_scores": self.cv_scores_}
        return config, {name.rstrip("_"): np.asarray(getattr(self, name)) for name in self._ARRAYS}

    @classmethod
    def from_state(cls, config: dict, arrays: dict[str, np.ndarray]) -> "KeywordModel":
        """Rebuild a model saved by :meth:`to_state`, checking what it is given."""
        try:
            if config.get("format") != _FORMAT:
                older = isinstance(config.get("format"), int) and config["format"] < _FORMAT
                raise ModelFormatError(
                    f"keyword model format {config.get('format')!r} is not supported (this "
                    f"tagger reads {_FORMAT})" + ("; it was written by an older tagger: retrain "
                                                   "it with 'tagger train'" if older else ""))
            if (list(config["features"]) != list(kf.FEATURE_NAMES) or config["alpha"] != _ALPHA
                    or list(config["rerank_features"]) != list(kf.RERANK_NAMES)
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
            model.tree_baseline_ = float(config["tree_baseline"])
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
                and (model.scale_ > 0).all() and 0.0 <= model.threshold_ <= 1.0
                and np.isfinite(model.tree_value_).all() and np.isfinite(model.tree_baseline_)
                and not np.isnan(model.tree_threshold_).any()):
            raise ModelFormatError("keyword model weights are not finite or out of range")
        _check_trees(model)
        model._prepare()
        return model


def _rank_in_article(c: kf.Candidates, score: np.ndarray) -> np.ndarray:
    """Each candidate's place (0 = best) among its article's candidates by ``score``."""
    # One sort on article * 100 - score (scores clipped to +-40: far beyond any ranking
    # that matters) is several times faster than a two-key lexsort.
    order = np.argsort(c.doc * 100.0 - np.clip(score, -40.0, 40.0), kind="stable")
    rank = np.empty(len(score), dtype=np.int64)
    rank[order] = np.arange(len(score)) - c.offsets[c.doc[order]]
    return rank


def _export_trees(booster: HistGradientBoostingClassifier) -> tuple[np.ndarray, ...]:
    """A fitted binary HistGradientBoostingClassifier's trees as plain arrays: each tree's
    root; per node its feature, threshold (go left if the value is at most it), left and
    right child (both the node itself for a leaf, whose threshold is +inf) and value (a
    leaf's contribution to the log-odds; an inner node's is the mean of its leaves'
    values weighted by training samples, which :func:`_tree_contributions` needs)."""
    roots, columns, offset = [], [[] for _ in range(5)], 0
    for (predictor,) in booster._predictors:
        nodes = predictor.nodes
        if nodes["is_categorical"].any():
            raise ValueError("categorical splits are not supported")
        n = len(nodes)
        leaf = nodes["is_leaf"].astype(bool)
        left, right = nodes["left"].astype(np.int64), nodes["right"].astype(np.int64)
        value, count = nodes["value"].astype(np.float64), nodes["count"].astype(np.float64)
        for i in range(n - 1, -1, -1):  # children come after their parent
            if not leaf[i]:
                weights = count[[left[i], right[i]]]
                value[i] = value[[left[i], right[i]]] @ weights / max(weights.sum(), 1.0)
        own = np.arange(n)
        roots.append(offset)
        for column, values in zip(columns, (
                np.where(leaf, 0, nodes["feature_idx"]),
                np.where(leaf, np.inf, nodes["num_threshold"]),
                np.where(leaf, own, left) + offset, np.where(leaf, own, right) + offset, value)):
            column.append(values)
        offset += n
    feature, threshold, left, right, value = (np.concatenate(col) for col in columns)
    return (np.array(roots, dtype=np.int32), feature.astype(np.int32),
            threshold.astype(np.float64), left.astype(np.int32), right.astype(np.int32),
            value.astype(np.float64))


def _compact_trees(roots, feature, threshold, left, right, value):
    """The trees laid out for :func:`_tree_sum`: nodes renumbered level by level so that
    a node's right child follows its left one, thresholds as float32 (rounded down, so
    that ``x <= t`` decides the same for every float32 ``x``), and the depth."""
    levels, level = [], np.asarray(roots, dtype=np.int64)
    while len(level):
        levels.append(level)
        inner = level[left[level] != level]
        level = np.column_stack([left[inner], right[inner]]).ravel()
    old = np.concatenate(levels) if levels else np.zeros(0, dtype=np.int64)
    new = np.empty(len(feature), dtype=np.intp)
    new[old] = np.arange(len(old))
    t32 = threshold[old].astype(np.float32)
    above = t32.astype(np.float64) > threshold[old]
    t32[above] = np.nextafter(t32[above], np.float32(-np.inf))
    return (new[np.asarray(roots, dtype=np.int64)], feature[old].astype(np.intp), t32,
            new[left[old]], value[old], max(len(levels) - 1, 0))


def _tree_sum(S, roots, feature, threshold, left, value, depth) -> np.ndarray:
    """Sum over the trees (laid out by :func:`_compact_trees`) of the leaf value each row
    of float32 ``S`` reaches, all rows and trees at once: a leaf is its own left child
    with an infinite threshold, so rows that reached one stay there."""
    n, n_features = S.shape
    flat = np.ascontiguousarray(S, dtype=np.float32).ravel()
    node = np.broadcast_to(roots, (n, len(roots))).copy()
    base = (np.arange(n, dtype=np.intp) * n_features)[:, None]
    for _ in range(depth):  # np.take: a fifth faster than indexing with [] here
        at = np.take(feature, node)
        at += base
        node = np.take(left, node) + (np.take(flat, at) > np.take(threshold, node))
    return np.take(value, node).sum(axis=1)


def _tree_contributions(row, baseline, roots, feature, threshold, left, right, value):
    """Intercept and per-feature contributions to the log-odds of one row: what each
    split on the feature changed along the row's paths (they add up to the log-odds)."""
    contrib = np.zeros(len(row))
    intercept = baseline
    for root in roots.tolist():
        node = root
        intercept += value[node]
        while left[node] != node:
            child = left[node] if row[feature[node]] <= threshold[node] else right[node]
            contrib[feature[node]] += value[child] - value[node]
            node = child
    return float(intercept), contrib


def _check_trees(model: KeywordModel):
    """The stored trees are well formed: every child index points forward within its
    tree's nodes (so every walk ends at a leaf), every feature exists."""
    roots, feature = model.tree_roots_, model.tree_feature_
    left, right = model.tree_left_, model.tree_right_
    n = len(feature)
    if any(a.dtype.kind != "i" for a in (roots, feature, left, right)) or not (
            len(model.tree_threshold_) == len(left) == len(right) == len(model.tree_value_) == n):
        raise ModelFormatError("keyword trees: arrays differ in length or are not integers")
    if n == 0:
        if len(roots):
            raise ModelFormatError("keyword trees: roots without nodes")
        return
    ends = np.append(roots[1:], n) if len(roots) else np.zeros(0, dtype=np.int64)
    tree_end = np.repeat(ends, np.diff(np.append(roots, n))) if len(roots) else ends
    own = np.arange(n)
    leaf = left == own
    ok = (len(roots) and roots[0] == 0 and (np.diff(roots) > 0).all()
          and (feature >= 0).all()
          and (feature < len(kf.FEATURE_NAMES) + len(kf.RERANK_NAMES)).all()
          and ((right == own) == leaf).all() and np.isinf(model.tree_threshold_[leaf]).all()
          and ((left > own) & (left < tree_end) | leaf).all()
          and ((right > own) & (right < tree_end) | leaf).all())
    if not ok:
        raise ModelFormatError("keyword trees are malformed")
    if not model.rerank:
        raise ModelFormatError("keyword model has trees but re-ranks no candidate")


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
