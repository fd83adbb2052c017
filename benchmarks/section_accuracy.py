"""Held-out accuracy of the section model under the protocols the README reports.

    python benchmarks/section_accuracy.py --data-dir ../shared/data [--protocols sanad,outlets,outlets+sanad] [--alpha 1e-5] [--class-weight none]

* ``sanad``: SANAD-AlKhaleej alone, deduplicated, stratified 80/20 split with seed 0.
* ``outlets``: ANT multi-outlet; train on four outlets, test on the fifth, each in turn.
* ``outlets+sanad``: as ``outlets`` with all of SANAD added to the training side, which is
  how the bundled model meets outlets it has never seen.

Articles are deduplicated on their normalised body before any split, labels go through
``data/label_map.json``, and macro-F1 is averaged over the sections present in the test
part. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from tagger.data import load_labelled
from tagger.metrics import classification_metrics
from tagger.sections import SectionModel

ROOT = Path(__file__).resolve().parent.parent


def evaluate(train, test, alpha: float, class_weight: str | None) -> tuple[dict, float]:
    started = time.perf_counter()
    # The softmax temperature changes scores, never the best section: skip fitting it.
    model = SectionModel(alpha=alpha, class_weight=class_weight, calibration=0.0).fit(
        train.full_texts(), train.labels)
    metrics = classification_metrics(test.labels, model.predict(test.full_texts()))
    return metrics, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--protocols", default="sanad,outlets,outlets+sanad")
    parser.add_argument("--alpha", type=float, default=SectionModel().alpha,
                        help="the section model's penalty (tagger train --alpha)")
    parser.add_argument("--class-weight", choices=["balanced", "none"], default="balanced",
                        help="weigh sections inversely to their size (default) or not")
    args = parser.parse_args()
    weight = None if args.class_weight == "none" else args.class_weight
    label_map = ROOT / "data" / "label_map.json"
    protocols = args.protocols.split(",")
    rows = []

    sanad = load_labelled(args.data_dir / "sanad_khaleej.parquet", label_map=label_map)
    if "sanad" in protocols:
        idx = np.arange(len(sanad))
        tr, te = train_test_split(idx, test_size=0.2, stratify=sanad.labels, random_state=0)
        metrics, seconds = evaluate(sanad.subset(tr), sanad.subset(te), args.alpha, weight)
        rows.append(("SANAD-AlKhaleej 80/20, seed 0", len(tr), len(te), metrics, seconds))

    if {"outlets", "outlets+sanad"} & set(protocols):
        ant = load_labelled(args.data_dir / "ant_multisource.parquet", title_col="title",
                            group_col="source", label_map=label_map)
        groups = np.asarray(ant.groups)
        for protocol in ("outlets", "outlets+sanad"):
            if protocol not in protocols:
                continue
            scores = []
            for outlet in sorted(set(groups)):
                train = ant.subset(np.flatnonzero(groups != outlet))
                test = ant.subset(np.flatnonzero(groups == outlet))
                if protocol == "outlets+sanad":
                    train = _concat(train, sanad)
                metrics, seconds = evaluate(train, test, args.alpha, weight)
                scores.append(metrics["macro_f1"])
                rows.append((f"{protocol}: test on {outlet}", len(train), len(test), metrics, seconds))
            rows.append((f"{protocol}: mean of 5 outlets", None, None,
                         {"accuracy": float("nan"), "macro_f1": float(np.mean(scores))}, None))

    print(f"section model with alpha {args.alpha:g}, class weights {args.class_weight}\n")
    print("| protocol | train | test | accuracy | macro-F1 | seconds |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, n_train, n_test, metrics, seconds in rows:
        acc = "" if np.isnan(metrics["accuracy"]) else f"{metrics['accuracy']:.4f}"
        print(f"| {name} | {n_train or ''} | {n_test or ''} | {acc} | "
              f"{metrics['macro_f1']:.4f} | {'' if seconds is None else f'{seconds:.0f}'} |")


def _concat(a, b):
    """Rows of two LabelledData (texts with titles folded in, and labels)."""
    from tagger.data import LabelledData

    return LabelledData(texts=a.full_texts() + b.full_texts(), labels=a.labels + b.labels)


if __name__ == "__main__":
    main()
