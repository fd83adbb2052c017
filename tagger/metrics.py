"""Evaluation metrics for the section classifier and the keyword extractor.

Values are returned unrounded; rounding happens only in :func:`format_table`.

Section metrics
---------------
``macro_f1`` is the unweighted mean of the per-section F1 over the sections that occur
in ``y_true`` (equal to ``sklearn.metrics.f1_score(y_true, y_pred, average="macro",
labels=sorted(set(y_true)))``). A section that is only ever *predicted* has no true
articles, so its recall is 0/0 and its F1 is 0 by convention; averaging that 0 in would
punish the same mistakes twice. Those mistakes are still counted once: every article
wrongly put in the phantom section is a false negative of its real section and lowers
that section's recall, hence the macro-F1. What is left out is only the phantom
section's own precision of 0; the precision of the real sections is unaffected, since
those articles are false positives of no real section. A section that occurs in
``y_true`` but is never predicted is averaged in with F1 = 0. Phantom sections still get
a row in ``per_section`` (with ``support`` 0) so they are visible.

Keyword metrics
---------------
Keywords match when equal after :func:`tagger.normalize.normalize` and case folding.
Each list is first reduced to its distinct normalised keywords in order of first
appearance, so a duplicate neither helps nor hurts. Articles whose gold list is empty
are skipped: an untagged article is unknown, not an article without keywords.
Averaging is macro over articles: precision, recall and F1 are computed per article and
then averaged (``f1_*`` is the mean of per-article F1, not the F1 of the mean P and R).
Per article, with ``G`` the gold set and ``P`` the distinct predictions:

* ``p_at_k = |P[:k] & G| / k`` (a fixed cutoff: returning fewer than ``k`` keywords does
  not raise it), ``r_at_k = |P[:k] & G| / |G|``;
* ``p_at_own = |P & G| / |P|`` (0 when nothing is predicted), ``r_at_own = |P & G| / |G|``;
* F1 is ``2PR / (P + R)``, 0 when both are 0.
"""

from __future__ import annotations

import logging
import math
import unicodedata
from typing import Hashable, Iterable, Sequence

from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from .errors import DataError
from .normalize import normalize

__all__ = ["classification_metrics", "keyword_metrics", "format_table", "resolve_labels"]

logger = logging.getLogger(__name__)


def resolve_labels(y_true: Sequence, y_pred: Sequence, labels: Iterable | None = None) -> list:
    """Check the two label sequences and return the section labels to report, in order.

    Without ``labels`` this is the sorted union of true and predicted labels. Given
    ``labels`` must list every observed label once (their order is kept).
    """
    if len(y_true) != len(y_pred):
        raise DataError(f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}")
    if len(y_true) == 0:
        raise DataError("cannot evaluate an empty set of predictions")
    observed = set(y_true) | set(y_pred)
    if labels is None:
        return sorted(observed)
    labels = list(labels)
    if len(set(labels)) != len(labels):
        raise DataError("labels contains duplicates")
    missing = observed - set(labels)
    if missing:
        raise DataError(f"labels does not list observed section(s): {sorted(map(str, missing))}")
    return labels


def classification_metrics(y_true: Sequence[Hashable], y_pred: Sequence[Hashable],
                           labels: Iterable | None = None) -> dict:
    """Accuracy, macro-F1 (over sections present in ``y_true``) and per-section P/R/F1."""
    y_true, y_pred = list(y_true), list(y_pred)
    labels = resolve_labels(y_true, y_pred, labels)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0)
    macro = f1_score(y_true, y_pred, labels=sorted(set(y_true)), average="macro",
                     zero_division=0)
    per_section = {
        label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
        for label, p, r, f, s in zip(labels, precision, recall, f1, support)
    }
    return {"accuracy": float(accuracy_score(y_true, y_pred)), "macro_f1": float(macro),
            "n": len(y_true), "per_section": per_section}


def _distinct(keywords: Sequence[str] | None) -> list[str]:
    if keywords is None:
        return []
    if isinstance(keywords, str):
        raise TypeError(f"expected a list of keywords, got the string {keywords!r}")
    out: dict[str, None] = {}
    for word in keywords:
        key = normalize(word).casefold()
        if key:
            out.setdefault(key)
    return list(out)


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def keyword_metrics(predicted: Sequence[Sequence[str]], gold: Sequence[Sequence[str]],
                    k: int = 5) -> dict:
    """Macro-averaged keyword precision/recall/F1 at ``k`` and at the model's own length."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if len(predicted) != len(gold):
        raise DataError(f"{len(predicted)} predicted keyword lists but {len(gold)} gold lists")
    names = [f"p_at_{k}", f"r_at_{k}", f"f1_at_{k}", "p_at_own", "r_at_own", "f1_at_own"]
    sums = dict.fromkeys(names, 0.0)
    n = 0
    for pred_list, gold_list in zip(predicted, gold):
        gold_set = set(_distinct(gold_list))
        if not gold_set:
            continue
        pred = _distinct(pred_list)
        n += 1
        hits_k = len(set(pred[:k]) & gold_set)
        hits = len(set(pred) & gold_set)
        p_k, r_k = hits_k / k, hits_k / len(gold_set)
        p_own = hits / len(pred) if pred else 0.0
        r_own = hits / len(gold_set)
        for name, value in zip(names, (p_k, r_k, _f1(p_k, r_k), p_own, r_own, _f1(p_own, r_own))):
            sums[name] += value
    if n == 0:
        logger.warning("no article has gold keywords; keyword metrics are undefined (NaN)")
    result = {name: (total / n if n else math.nan) for name, total in sums.items()}
    result["n"] = n
    return result


def _width(text: str) -> int:
    # Harakat and other combining marks take no column in a terminal.
    return sum(not unicodedata.combining(ch) for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def format_table(metrics: dict) -> str:
    """Plain-text report of :func:`classification_metrics` output, 4 decimals."""
    per_section = metrics.get("per_section", {})
    present = sum(1 for row in per_section.values() if row["support"] > 0)
    lines = [f"accuracy  {metrics['accuracy']:.4f}  (n={metrics['n']})",
             f"macro-F1  {metrics['macro_f1']:.4f}  (over {present} sections present "
             f"in the true labels)", ""]
    names = [str(label) for label in per_section]
    width = max([_width("section"), *map(_width, names)]) + 2
    header = "".join(f"{name:>10}" for name in ("precision", "recall", "f1", "support"))
    lines.append(_pad("section", width) + header)
    absent = False
    for name, row in zip(names, per_section.values()):
        mark = "*" if row["support"] == 0 else ""
        absent = absent or bool(mark)
        lines.append(_pad(name + mark, width) + f"{row['precision']:>10.4f}{row['recall']:>10.4f}"
                     f"{row['f1']:>10.4f}{row['support']:>10d}")
    if absent:
        lines.append("* predicted but absent from the true labels; not in macro-F1")
    return "\n".join(lines)
