"""Evaluating a trained model on labelled data: metrics, figures and the misclassified rows.

:func:`evaluate` predicts every row, computes the same figures as ``tagger train``
(accuracy, macro-F1, per-section precision/recall/F1; keyword P/R/F1 at 5 when tags are
given), optionally per group (``by="source"``: the per-outlet view), and can write a report
directory::

    metrics.json          the figures (see below)
    confusion_matrix.png  row-normalised confusion matrix
    per_section_f1.png    F1 per section
    errors.jsonl          every misclassified row: id, true, predicted, score, text

Sections in the data that the model does not know are kept, not dropped: they are true
labels the model can never predict, so each such row is an error and the section enters
macro-F1 with F1 = 0. They are listed under ``unknown_sections`` and logged as a warning.
A text without Arabic words gets no prediction (``predicted`` is null in errors.jsonl and
``"(no prediction)"`` in the figures). Because ``errors.jsonl`` holds every misclassified
row, per-section F1 and macro-F1 can be recomputed from it and the per-section ``support``.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .data import LabelledData, load_labelled
from .errors import DataError, InputError, OutputExistsError
from .metrics import classification_metrics, keyword_metrics
from .persist import check_replaceable, replace_dir

__all__ = ["EvaluationResult", "evaluate", "NO_PREDICTION"]

log = logging.getLogger(__name__)

#: The label a row gets in the metrics and figures when its text has no Arabic words.
NO_PREDICTION = "(no prediction)"
#: Name given to rows whose group column is empty (an input without that column).
NO_GROUP = "(none)"
SNIPPET = 200


@dataclass
class EvaluationResult:
    """What :func:`evaluate` returns; ``metrics`` is what ``metrics.json`` holds."""

    metrics: dict
    y_true: list[str]
    y_pred: list[str]
    scores: list[float]
    errors: list[dict]
    unknown_sections: dict[str, int] = field(default_factory=dict)
    report: Path | None = None

    def confusion_matrix_figure(self, title: str | None = None):
        from .plots import confusion_matrix_figure

        return confusion_matrix_figure(self.y_true, self.y_pred, title=title)

    def per_section_f1_figure(self, title: str | None = None):
        from .plots import per_section_f1_figure

        return per_section_f1_figure(self.metrics, title=title)


def evaluate(tagger, data: str | Path | Sequence[str | Path] | LabelledData, *,
             text_col: str = "text", label_col: str = "label", title_col: str | None = None,
             tags_col: str | None = None, id_col: str | None = "id",
             label_map: str | Path | dict | None = None, split: str = "train",
             by: str | None = None, report: str | Path | None = None, force: bool = False,
             batch_size: int = 2000) -> EvaluationResult:
    """Evaluate ``tagger`` (a :class:`tagger.Tagger`) on labelled ``data``.

    ``data`` is anything :func:`tagger.data.load_labelled` reads (the column options are
    its own; an absent ``id_col`` is simply not reported) or an already loaded
    :class:`~tagger.data.LabelledData`, whose ``groups`` are used when ``by`` is given.
    With ``report`` the report directory is written atomically; an existing non-empty
    one is replaced only with ``force``.

    >>> result = evaluate(Tagger.load(), "data/sample.csv", title_col="title", by="source")  # doctest: +SKIP
    >>> result.metrics["macro_f1"], sorted(result.metrics["by"])                            # doctest: +SKIP
    """
    if report is not None:
        _check_report_dir(Path(report), force)
    if isinstance(data, LabelledData):
        dataset = data
        if by is not None and dataset.groups is None:
            raise DataError(f"cannot evaluate by {by!r}: the data was loaded without a group column")
    else:
        dataset = _load(data, text_col=text_col, label_col=label_col, title_col=title_col,
                        tags_col=tags_col, id_col=id_col, group_col=by, label_map=label_map,
                        split=split)
    if not dataset.labels:
        raise DataError("the data has no labels to evaluate against")
    y_true = list(dataset.labels)
    y_pred, scores = _predict_sections(tagger, dataset.full_texts(), batch_size)
    known = set(tagger.sections)
    unknown = dict(Counter(label for label in y_true if label not in known).most_common())
    if unknown:
        log.warning("%d rows have sections the model does not know, counted as errors: %s",
                    sum(unknown.values()), ", ".join(f"{k} ({n})" for k, n in unknown.items()))
    shown = [NO_PREDICTION if p is None else p for p in y_pred]
    metrics = classification_metrics(y_true, shown)
    metrics["unknown_sections"] = unknown
    metrics["no_prediction"] = sum(p is None for p in y_pred)

    keywords = None
    if tags_col is not None or (isinstance(data, LabelledData) and dataset.tags is not None):
        keywords = _predict_keywords(tagger, dataset)
        metrics["keywords"] = _keyword_figures(keywords, dataset.tags, range(len(dataset)))
    if by is not None:
        groups = [g or NO_GROUP for g in dataset.groups]
        metrics["by_column"] = by
        metrics["by"] = {}
        for group in sorted(set(groups)):
            rows = [i for i, g in enumerate(groups) if g == group]
            part = classification_metrics([y_true[i] for i in rows], [shown[i] for i in rows])
            if keywords is not None:
                part["keywords"] = _keyword_figures(keywords, dataset.tags, rows)
            metrics["by"][group] = part
    metrics["model"] = {"path": None if tagger.path is None else str(tagger.path),
                        "sections": list(tagger.sections)}
    metrics["data"] = {"sources": [{**s, "data": str(s["data"])} for s in dataset.sources],
                       "rows": len(dataset), "duplicates_removed": dataset.n_duplicates}

    errors = [_error_row(dataset, i, y_pred[i], scores[i])
              for i in range(len(y_true)) if y_pred[i] != y_true[i]]
    result = EvaluationResult(metrics, y_true, shown, scores, errors, unknown)
    if report is not None:
        result.report = _write_report(result, Path(report), force)
    return result


def _load(data, *, id_col, group_col, **options) -> LabelledData:
    try:
        return load_labelled(data, id_col=id_col, group_col=group_col, min_classes=1, **options)
    except DataError as exc:
        message = str(exc)
        if id_col and message.startswith(f"column {id_col!r} not found"):
            log.debug("no %r column: errors.jsonl will not carry ids", id_col)
            return _load(data, id_col=None, group_col=group_col, **options)
        if group_col and message.startswith(f"column {group_col!r} not found"):
            raise DataError(message.replace("--group-col", "--by")) from exc
        raise


def _predict_sections(tagger, texts: list[str], batch_size: int):
    """Best section (None without Arabic words) and its score for every text, in batches."""
    model = tagger.section_model
    labels, scores = [], []
    for start in range(0, len(texts), batch_size):
        proba, n_arabic = model.predict_proba(texts[start:start + batch_size], return_counts=True)
        best = proba.argmax(axis=1)
        for row, (i, n) in enumerate(zip(best, n_arabic)):
            labels.append(model.classes_[i] if n else None)
            scores.append(float(proba[row, i]) if n else None)
    return labels, scores


def _predict_keywords(tagger, dataset: LabelledData) -> list[list[str]] | None:
    if tagger.keyword_model is None:
        log.warning("the model has no keyword model; keyword metrics are skipped")
        return None
    if dataset.tags is None:
        raise DataError("keyword metrics need a tags column (--tags-col)")
    rows = [i for i, tags in enumerate(dataset.tags) if tags]
    predicted: list[list[str]] = [[] for _ in dataset.texts]
    if rows:
        titles = None if dataset.titles is None else [dataset.titles[i] for i in rows]
        lists = tagger.keyword_model.predict_many([dataset.texts[i] for i in rows], titles)
        for i, pairs in zip(rows, lists):
            predicted[i] = [keyword for keyword, _ in pairs]
    return predicted


def _keyword_figures(predicted, gold, rows) -> dict | None:
    if predicted is None:
        return None
    rows = [i for i in rows if gold[i]]
    if not rows:  # untagged rows say nothing about keywords
        return None
    figures = keyword_metrics([predicted[i] for i in rows], [gold[i] for i in rows], k=5)
    return {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in figures.items()}


def _error_row(dataset: LabelledData, i: int, predicted: str | None, score: float | None) -> dict:
    row = {"id": dataset.ids[i]} if dataset.ids is not None else {}
    row.update({"true": dataset.labels[i], "predicted": predicted,
                "score": None if score is None else round(score, 4)})
    if dataset.groups is not None:
        row["group"] = dataset.groups[i]
    if dataset.titles is not None:
        row["title"] = dataset.titles[i]
    row["text"] = dataset.texts[i][:SNIPPET]
    return row


def _check_report_dir(path: Path, force: bool) -> None:
    if path.exists() and not path.is_dir():
        raise OutputExistsError(f"report path exists and is not a directory: {path}")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise OutputExistsError(f"report directory already exists and is not empty: {path} "
                                "(choose another --report or pass --force to replace it)")
    check_replaceable(path, option="--report", marker="metrics.json")
    if not path.parent.is_dir():
        raise InputError(f"the directory for --report does not exist: {path.parent} (create it first)")


def _write_report(result: EvaluationResult, path: Path, force: bool) -> Path:
    """Write every report file into a temporary sibling, then rename it into place."""
    from .plots import save_figure

    _check_report_dir(path, force)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        (tmp / "metrics.json").write_text(
            json.dumps(result.metrics, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        with open(tmp / "errors.jsonl", "w", encoding="utf-8") as fh:
            for row in result.errors:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        n = result.metrics["n"]
        save_figure(result.confusion_matrix_figure(f"confusion matrix (n={n})"),
                    tmp / "confusion_matrix.png")
        save_figure(result.per_section_f1_figure(f"F1 per section (n={n})"),
                    tmp / "per_section_f1.png")
        replace_dir(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("wrote the evaluation report to %s", path)
    return path
