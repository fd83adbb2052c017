"""The Python front door: :class:`Tagger` loads a model and predicts."""

from __future__ import annotations

import dataclasses
import logging
import math
import multiprocessing
import os
from importlib import resources
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .errors import InputError, ModelFormatError, check_integer
from .normalize import normalize
from .page import is_navigation, parse_page, repair_site_tags
from .persist import load_model_dir, save_model_dir
from .prediction import Prediction
from .sections import SectionModel

__all__ = ["Tagger", "default_model_path"]

log = logging.getLogger(__name__)

NO_SIGNAL = "no Arabic words to classify"
NO_ARTICLE = ("no article text on the page: every line of it is a keyword list, a source or "
              "date line or a 'read also' block")


def default_model_path() -> Path:
    """Where the bundled default model lives inside the installed package."""
    return Path(str(resources.files("tagger") / "models" / "default"))


class Tagger:
    """A trained section (and keyword) model.

    >>> from tagger import Tagger
    >>> tagger = Tagger.load()                       # the bundled model
    >>> tagger.predict("فاز المنتخب الوطني بالمباراة النهائية").section
    'sports'
    """

    def __init__(self, sections: SectionModel, keywords=None, meta: dict | None = None,
                 path: Path | None = None):
        self.section_model = sections
        self.keyword_model = keywords
        self.meta = meta or {}
        self.path = path

    # -- loading and saving ---------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path | None = None) -> "Tagger":
        """Load a model directory, or the bundled default model when ``path`` is None."""
        if path is not None and not isinstance(path, (str, os.PathLike)):
            raise InputError(f"the model path must be a str or Path, got {type(path).__name__}")
        path = default_model_path() if path is None else Path(path)
        return cls._from_model_dir(path, *load_model_dir(path))

    @classmethod
    def _from_model_dir(cls, path: Path, meta: dict, arrays: dict) -> "Tagger":
        """Build the model from what :func:`tagger.persist.load_model_dir` read and verified."""
        if "sections" not in arrays:
            raise ModelFormatError(f"{path} has no section model (sections.npz)")
        try:
            sections = SectionModel.from_state(meta.get("section_model", {}), arrays["sections"])
        except ModelFormatError as exc:
            raise ModelFormatError(f"{path / 'sections.npz'}: {exc}") from exc
        keywords = None
        if "keywords" in arrays:
            from .keywords import KeywordModel

            try:
                keywords = KeywordModel.from_state(meta.get("keyword_model", {}), arrays["keywords"])
            except ModelFormatError as exc:
                raise ModelFormatError(f"{path / 'keywords.npz'}: {exc}") from exc
        return cls(sections, keywords, meta, path)

    def save(self, path: str | Path, *, force: bool = False) -> Path:
        """Write the model directory atomically (refuses to replace one unless ``force``)."""
        section_cfg, section_arrays = self.section_model.to_state()
        meta = {k: v for k, v in self.meta.items() if k not in ("files", "format", "format_version")}
        meta["section_model"] = section_cfg
        components = {"sections": section_arrays}
        if self.keyword_model is not None:
            keyword_cfg, keyword_arrays = self.keyword_model.to_state()
            meta["keyword_model"] = keyword_cfg
            components["keywords"] = keyword_arrays
        self.path = save_model_dir(path, meta, components, force=force)
        return self.path

    # -- prediction -------------------------------------------------------------------------
    @property
    def sections(self) -> list[str]:
        return list(self.section_model.classes_)

    def predict(self, text: str, title: str | None = None, *, top_k: int | None = None,
                max_keywords: int | None = None) -> Prediction:
        """Predict the section and keywords of one article."""
        return self.predict_many([text], None if title is None else [title],
                                 top_k=top_k, max_keywords=max_keywords)[0]

    def predict_many(self, texts: Sequence[str], titles: Sequence[str | None] | None = None, *,
                     top_k: int | None = None, max_keywords: int | None = None,
                     batch_size: int = 2000, n_jobs: int | None = None) -> list[Prediction]:
        """Predict many articles at once (much faster than calling :meth:`predict` in a loop).

        Inputs of two batches or more are shared out to ``n_jobs`` processes (default: one
        per core; ``1`` keeps everything in this process). Results are the same either way.
        """
        texts = _check_texts(texts)
        titles = None if titles is None else _check_titles(titles)
        if titles is not None and len(titles) != len(texts):
            raise InputError(f"got {len(titles)} titles for {len(texts)} texts")
        for name, value, least in (("top_k", top_k, 1), ("max_keywords", max_keywords, 0),
                                   ("batch_size", batch_size, 1), ("n_jobs", n_jobs, 1)):
            if value is not None:
                check_integer(name, value, least)
        jobs = min(n_jobs or os.cpu_count() or 1, len(texts) // batch_size)
        if jobs > 1 and "fork" in multiprocessing.get_all_start_methods():
            return self._predict_forked(texts, titles, top_k, max_keywords, batch_size, jobs)
        return self._predict_batches(texts, titles, top_k, max_keywords, batch_size)

    def _predict_batches(self, texts, titles, top_k, max_keywords, batch_size) -> list[Prediction]:
        return self._predictions(*self._score_batches(texts, titles, max_keywords, batch_size),
                                 top_k)

    def _score_batches(self, texts, titles, max_keywords, batch_size):
        """Section scores, Arabic word counts and keywords of ``texts``, batch by batch."""
        full = texts if titles is None else [f"{t}\n{x}" if t else x for t, x in zip(titles, texts)]
        probas, counts, keywords = [], [], []
        for start in range(0, len(full), batch_size):
            proba, n_arabic = self.section_model.predict_proba(full[start:start + batch_size],
                                                               return_counts=True)
            probas.append(proba)
            counts.append(n_arabic)
            keywords += self._keywords(texts[start:start + batch_size],
                                       None if titles is None else titles[start:start + batch_size],
                                       max_keywords)
        if not probas:
            return np.zeros((0, len(self.sections))), np.zeros(0, dtype=np.int64), []
        return np.concatenate(probas), np.concatenate(counts), keywords

    def _predict_forked(self, texts, titles, top_k, max_keywords, batch_size, jobs):
        """Share the texts out to forked processes, which inherit this model, its warm
        caches and the texts: only slice bounds go out, and scores and keywords come back.
        Each process gets several equal slices, so that all finish at about the same time."""
        global _FORKED
        size = min(batch_size, -(-len(texts) // (4 * jobs)))
        bounds = list(range(0, len(texts), size)) + [len(texts)]
        _FORKED = (self, texts, titles, max_keywords, batch_size)
        try:
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                parts = pool.map(_score_forked_part, list(zip(bounds[:-1], bounds[1:])),
                                 chunksize=1)
        finally:
            _FORKED = None
        return self._predictions(np.concatenate([p for p, _, _ in parts]),
                                 np.concatenate([n for _, n, _ in parts]),
                                 [k for _, _, words in parts for k in words], top_k)

    def predict_page(self, page_text: str, *, top_k: int | None = None,
                     max_keywords: int | None = None) -> Prediction:
        """Predict on a scraped article page: its title and body only.

        The site's keyword list, source line and blocks of other articles
        ("اقرأ أيضا") are recognised by :func:`tagger.page.parse_page` and left out.
        """
        page = parse_page(page_text)
        prediction = self.predict(page.body, title=page.title or None, top_k=top_k,
                                  max_keywords=max_keywords)
        if not page.article_text().strip():  # say why: the page may well be all Arabic
            prediction = dataclasses.replace(prediction, reason=NO_ARTICLE)
        return prediction

    def clean_tags(self, page_text: str, *, max_keywords: int | None = None) -> list[dict]:
        """The page's own keyword list repaired, then merged with the predicted keywords.

        Each item is ``{"keyword", "score", "source"}``: ``source`` is ``"page"`` (the
        site's list, kept because the article supports it), ``"model"`` (predicted) or
        ``"page+model"``; ``score`` is the keyword model's score, ``None`` for a page tag
        the model did not propose. Page tags come first (those the model proposes too,
        then the others), each in the page's order. Navigation and section words are left
        out of both lists.
        """
        page = parse_page(page_text)
        repaired = repair_site_tags(page.site_tags_text or "", page.article_text())
        predicted = [(k, s) for k, s in self.predict(page.body, title=page.title or None,
                                                     max_keywords=max_keywords).keywords
                     if not is_navigation(k)]
        scores = {normalize(k).lower(): s for k, s in predicted}
        items = [{"keyword": tag, "score": scores.pop(normalize(tag).lower(), None), "source": "page"}
                 for tag in repaired]
        for item in items:
            if item["score"] is not None:
                item["source"] = "page+model"
        items.sort(key=lambda item: item["score"] is None)  # stable: page order otherwise
        items += [{"keyword": k, "score": s, "source": "model"} for k, s in predicted
                  if normalize(k).lower() in scores]
        return items

    def explain(self, text: str, title: str | None = None, top: int = 10):
        """Why this section (and these keywords): the words that pushed the prediction most.

        Returns a :class:`tagger.explain.Explanation`; see :func:`tagger.explain.explain`.

        >>> tagger.explain("سجل المهاجم هدفين").words[0]["word"]      # doctest: +SKIP
        'المهاجم'
        """
        from .explain import explain

        return explain(self, text, title, top=top)

    def _keywords(self, texts, titles, max_keywords) -> list[list[tuple[str, float]]]:
        if self.keyword_model is None:
            return [[] for _ in texts]
        return self.keyword_model.predict_many(texts, titles, max_keywords=max_keywords)

    def _predictions(self, proba: np.ndarray, n_arabic: np.ndarray, keywords,
                     top_k) -> list[Prediction]:
        order = np.argsort(-proba, axis=1, kind="stable")
        if top_k is not None:
            order = order[:, :top_k]
        labels = np.array(self.section_model.classes_, dtype=object)[order].tolist()
        scores = np.take_along_axis(proba, order, axis=1).tolist()
        out = []
        for names, values, n, words in zip(labels, scores, n_arabic.tolist(), keywords):
            ranked = list(zip(names, values))
            out.append(Prediction(names[0], values[0], ranked, words) if n else
                       Prediction(None, None, ranked, [], reason=NO_SIGNAL))
        return out


_FORKED: tuple | None = None  # what forked workers predict with: the model and the inputs


def _score_forked_part(bounds: tuple[int, int]):
    tagger, texts, titles, max_keywords, batch_size = _FORKED
    a, b = bounds
    return tagger._score_batches(texts[a:b], None if titles is None else titles[a:b],
                                 max_keywords, batch_size)


def _check_texts(texts: Iterable[str]) -> list[str]:
    if isinstance(texts, str):
        raise InputError("predict_many takes a list of texts, not one string (use predict)")
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise InputError(f"text {i} is {type(text).__name__}, expected str")
    return texts


def _check_titles(titles: Iterable[str | None]) -> list[str | None]:
    """Titles as a list: each a str, or None, "" or NaN (a pandas gap) for an article
    without one."""
    if isinstance(titles, str):
        raise InputError("titles must be a list with one title per text, not one string")
    titles = [None if isinstance(t, float) and math.isnan(t) else t for t in titles]
    for i, title in enumerate(titles):
        if title is not None and not isinstance(title, str):
            raise InputError(f"title {i} is {type(title).__name__}, expected str or None")
    return titles
