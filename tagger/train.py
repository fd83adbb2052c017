"""Training: data in, a held-out evaluation and a saved model directory out."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from numbers import Integral, Real
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .data import LabelledData, load_labelled
from .errors import DataError, InputError, check_integer
from .features import FeatureConfig
from .metrics import classification_metrics
from .persist import check_out
from .sections import SectionModel

__all__ = ["train", "train_streaming", "TrainResult"]

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


@dataclass
class TrainResult:
    """What :func:`train` returns: the model, its held-out figures and where it was saved."""

    tagger: "Tagger"  # noqa: F821 (imported lazily to avoid a cycle)
    metrics: dict
    keyword_metrics: dict | None = None
    path: Path | None = None
    n_train: int = 0
    n_test: int = 0
    seconds: float = 0.0
    data: dict = field(default_factory=dict)


def train(
    data: str | Path | Sequence[str | Path] | LabelledData,
    *,
    out: str | Path | None = None,
    force: bool = False,
    text_col: str = "text",
    label_col: str = "label",
    title_col: str | None = None,
    tags_col: str | None = None,
    label_map: str | Path | dict | None = None,
    split: str = "train",
    test_size: float = 0.2,
    seed: int = 0,
    features: FeatureConfig | None = None,
    alpha: float = 2e-6,
    epochs: int = 2,
    max_keywords: int = 8,
    progress: Progress | None = None,
) -> TrainResult:
    """Train a section model (and a keyword model when ``tags_col`` is given).

    A stratified ``test_size`` share of the deduplicated rows is held out; the returned
    metrics are measured on it and stored in the model's ``meta.json``. With ``out`` the
    model directory is written atomically (an existing one only with ``force``).

    >>> result = train("data/sample.csv", title_col="title")   # doctest: +SKIP
    >>> result.metrics["macro_f1"]                               # doctest: +SKIP
    """
    from .api import Tagger

    progress = progress or (lambda stage, done, total: None)
    started = time.perf_counter()
    _check_options(test_size=test_size, seed=seed, alpha=alpha, epochs=epochs,
                   max_keywords=max_keywords)
    check_out(out, force)
    if isinstance(data, LabelledData):
        _check_dataset(data)
        dataset = data
    else:
        _check_sources(data)
        progress("loading data", 0, 1)
        dataset = load_labelled(data, text_col=text_col, label_col=label_col, title_col=title_col,
                                tags_col=tags_col, label_map=label_map, split=split)
        progress("loading data", 1, 1)
    train_idx, test_idx = _split(dataset.labels, test_size, seed)
    train_set, test_set = dataset.subset(train_idx), dataset.subset(test_idx)

    model = SectionModel(features, alpha=alpha, epochs=epochs, seed=seed).fit(train_set.full_texts(), train_set.labels,
                                                       progress=progress)
    tagger = Tagger(model)
    metrics: dict = {}
    if len(test_set):
        progress("evaluating", 0, 1)
        predicted = model.predict(test_set.full_texts())
        metrics = classification_metrics(test_set.labels, predicted)
        progress("evaluating", 1, 1)

    keyword_metrics = None
    if tags_col is not None:
        keyword_metrics = _train_keywords(tagger, train_set, test_set, max_keywords, progress)

    seconds = time.perf_counter() - started
    tagger.meta = _meta(dataset, train_set, test_set, model, metrics, keyword_metrics,
                        test_size=test_size, seed=seed, seconds=seconds)
    path = tagger.save(out, force=force) if out is not None else None
    return TrainResult(tagger, metrics, keyword_metrics, path, len(train_set), len(test_set),
                       seconds, tagger.meta["data"])


def train_streaming(
    data: str | Path | Sequence[str | Path],
    *,
    out: str | Path | None = None,
    force: bool = False,
    text_col: str = "text",
    label_col: str = "label",
    title_col: str | None = None,
    label_map: str | Path | dict | None = None,
    split: str = "train",
    test_size: float = 0.2,
    seed: int = 0,
    features: FeatureConfig | None = None,
    alpha: float = 2e-6,
    epochs: int = 2,
    batch_size: int = 2000,
    shuffle_buffer: int = 20_000,
    progress: Progress | None = None,
) -> TrainResult:
    """Train a section model on data streamed in chunks, in memory that does not grow
    with the corpus (see :mod:`tagger.stream`). Held-out rows are chosen by text hash;
    duplicates are not removed; there is no keyword model (it needs its data in memory).
    """
    from .api import Tagger
    from .stream import LabelledStream

    progress = progress or (lambda stage, done, total: None)
    started = time.perf_counter()
    check_out(out, force)
    stream = LabelledStream(data if isinstance(data, (list, tuple)) else [data],
                            text_col=text_col, label_col=label_col, title_col=title_col,
                            label_map=label_map, split=split, batch_size=batch_size,
                            test_size=test_size, seed=seed, shuffle_buffer=shuffle_buffer)
    model = SectionModel(features, alpha=alpha, epochs=epochs, seed=seed, batch_size=batch_size)

    def chunks(epoch: int):
        yield from stream.chunks(epoch, "train")
        if epoch == 0 and stream.looks_sorted():
            log.warning("the training rows come in long runs of one section: streamed training "
                        "shuffles only within %d rows, so shuffle the data once beforehand "
                        "for a better model", shuffle_buffer)

    model.fit_chunks(chunks, progress=progress)
    truth: list[str] = []
    predicted: list[str] = []
    for texts, labels in stream.chunks(0, "test"):
        truth += labels
        predicted += model.predict(texts)
        progress("evaluating", len(truth), len(truth))
    metrics = classification_metrics(truth, predicted) if truth else {}
    seconds = time.perf_counter() - started
    n_train = sum(stream.counts.values())
    tagger = Tagger(model)
    tagger.meta = {
        **_versions(),
        "sections": list(model.classes_),
        "parameters": {"test_size": test_size, "seed": seed, "streaming": True},
        "training_seconds": round(seconds, 1),
        "data": {"sources": [{"data": str(item), "rows": rows, "kept": kept}
                             for item, rows, kept in zip(stream.inputs, stream.rows, stream.kept)],
                 "rows": n_train + len(truth), "train_rows": n_train, "test_rows": len(truth),
                 "dropped": dict(stream.dropped), "label_counts": dict(stream.counts.most_common())},
        "metrics": {"held_out": metrics, "keywords": None},
    }
    path = tagger.save(out, force=force) if out is not None else None
    return TrainResult(tagger, metrics, None, path, n_train, len(truth), seconds, tagger.meta["data"])


def _versions() -> dict:
    import sklearn

    from . import __version__

    return {"tagger_version": __version__, "sklearn_version": sklearn.__version__,
            "numpy_version": np.__version__,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def _check_options(*, test_size, seed, alpha, epochs, max_keywords) -> None:
    """The numeric options of :func:`train`, checked as the command line checks them."""
    def number(value, integer: bool) -> bool:
        kinds = Integral if integer else Real
        return (isinstance(value, kinds) and not isinstance(value, bool)
                and math.isfinite(value))

    if not number(test_size, False) or not 0 <= test_size < 1:
        raise InputError(f"test_size must be a number in [0, 1), got {test_size!r}")
    if not number(seed, True) or not 0 <= seed < 2**32:
        raise InputError(f"seed must be an integer in [0, 2**32), got {seed!r}")
    if not number(alpha, False) or not 0 < alpha <= 1:
        raise InputError(f"alpha must be a number in (0, 1], got {alpha!r}")
    check_integer("epochs", epochs, 1)
    check_integer("max_keywords", max_keywords, 1)


def _check_sources(data) -> None:
    """``data`` names files or hub datasets: a table or texts in memory get a pointer to
    :class:`~tagger.data.LabelledData` instead of a 'file not found' for their first cell."""
    if hasattr(data, "columns"):
        raise InputError("data is a table in memory; pass LabelledData(texts=..., labels=...) "
                         "built from its columns, or save it (e.g. to_parquet) and pass the path")
    items = [data] if isinstance(data, (str, Path)) else data
    if not isinstance(items, Sequence) or not items or not all(
            isinstance(item, (str, Path)) for item in items):
        raise InputError(f"data must be a path or hub name, a list of them, or a LabelledData; "
                         f"got {type(data).__name__}")


def _check_dataset(data: LabelledData) -> None:
    """A :class:`LabelledData` built by hand, checked as :func:`load_labelled` checks a file:
    one label (and title, tag list) per text, texts and labels that are text."""
    n = len(data.texts)
    if n == 0:
        raise DataError("the data has no rows")
    if data.labels is None:
        raise DataError("the data has no labels to learn from")
    for name in ("labels", "titles", "tags", "groups", "ids"):
        column = getattr(data, name)
        if column is not None and len(column) != n:
            raise DataError(f"the data has {n} texts but {len(column)} {name}: give one per text")
    for name, column, optional in (("texts", data.texts, False), ("labels", data.labels, False),
                                   ("titles", data.titles, True)):
        for i, value in enumerate(column or ()):
            if not isinstance(value, str) and not (optional and value is None):
                raise DataError(f"{name}[{i}] is {type(value).__name__}, not text"
                                + (" (use None or '' for no title)" if optional else ""))


def _split(labels: Sequence[str], test_size: float, seed: int):
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(labels))
    if test_size == 0:
        return idx, idx[:0]
    labels = np.asarray(labels)
    _, counts = np.unique(labels, return_counts=True)
    n_test = int(np.ceil(test_size * len(labels)))
    if counts.min() < 2 or n_test < len(counts):
        raise DataError(
            f"too few rows to hold out a stratified {test_size:.0%} test set "
            f"(smallest section has {counts.min()} rows); add data or pass --test-size 0")
    return train_test_split(idx, test_size=test_size, random_state=seed, stratify=labels)


def _train_keywords(tagger, train_set: LabelledData, test_set: LabelledData, max_keywords: int,
                    progress: Progress) -> dict | None:
    from .keywords import KeywordModel
    from .metrics import keyword_metrics

    if train_set.tags is None:
        raise DataError("--tags-col was given but the data has no tags")
    tagged = [i for i, tags in enumerate(train_set.tags) if tags]
    if not tagged:
        raise DataError("no training row has tags: the keyword model needs tagged articles")
    progress("keywords", 0, 1)
    titles = train_set.titles
    tagger.keyword_model = KeywordModel(max_keywords=max_keywords).fit(
        train_set.texts, titles, train_set.tags)
    progress("keywords", 1, 1)
    test_tagged = [i for i, tags in enumerate(test_set.tags or []) if tags]
    if not test_tagged:
        return None
    held = test_set.subset(test_tagged)
    predicted = tagger.keyword_model.predict_many(held.texts, held.titles)
    return keyword_metrics([[k for k, _ in p] for p in predicted], held.tags, k=5)


def _meta(dataset, train_set, test_set, model, metrics, keyword_metrics, **params) -> dict:
    return {
        **_versions(),
        "sections": list(model.classes_),
        "parameters": {k: v for k, v in params.items() if k != "seconds"},
        "training_seconds": round(params["seconds"], 1),
        "data": {
            "sources": [{**source, "data": str(source["data"])} for source in dataset.sources],
            "rows": len(dataset),
            "duplicates_removed": dataset.n_duplicates,
            "train_rows": len(train_set),
            "test_rows": len(test_set),
            "label_counts": dataset.label_counts(),
        },
        "metrics": {"held_out": metrics, "keywords": keyword_metrics},
    }
