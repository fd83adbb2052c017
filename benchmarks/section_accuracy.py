"""Held-out accuracy of the section model under the protocols the README reports.

    python benchmarks/section_accuracy.py --data-dir ../shared/data [--protocols sanad,outlets,outlets+sanad,jawharafm] [--alpha 1e-5] [--class-weight none] [--sanad-share 0.3]

* ``sanad``: SANAD-AlKhaleej alone, deduplicated, stratified 80/20 split with seed 0.
* ``outlets``: ANT multi-outlet; train on four outlets, test on the fifth, each in turn.
* ``outlets+sanad``: as ``outlets`` with SANAD added to the training side, which is how
  the bundled model meets outlets it has never seen.
* ``jawharafm``: train on all of ANT multi-outlet and SANAD, test on ANT JawharaFM (a
  Tunisian outlet in neither).

``--sanad-share`` adds only that share of SANAD (stratified, seed 0) in the last two
protocols, none at 0: how much of the other corpus helps on outlets never seen.

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
    parser.add_argument("--sanad-share", type=float, default=1.0,
                        help="share of SANAD-AlKhaleej added in outlets+sanad and jawharafm")
    args = parser.parse_args()
    if not 0 <= args.sanad_share <= 1:
        parser.error("--sanad-share must be between 0 and 1")
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

    added = sanad
    if args.sanad_share == 0:
        added = sanad.subset([])
    elif args.sanad_share < 1:
        kept, _ = train_test_split(np.arange(len(sanad)), train_size=args.sanad_share,
                                   stratify=sanad.labels, random_state=0)
        added = sanad.subset(np.sort(kept))
    if {"outlets", "outlets+sanad", "jawharafm"} & set(protocols):
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
                    train = _concat(train, added)
                metrics, seconds = evaluate(train, test, args.alpha, weight)
                scores.append(metrics["macro_f1"])
                rows.append((f"{protocol}: test on {outlet}", len(train), len(test), metrics, seconds))
            rows.append((f"{protocol}: mean of 5 outlets", None, None,
                         {"accuracy": float("nan"), "macro_f1": float(np.mean(scores))}, None))
    if "jawharafm" in protocols:
        jawhara = load_labelled(args.data_dir / "ant_jawharafm.parquet", title_col="title",
                                label_map=label_map)
        train = _concat(ant, added)
        metrics, seconds = evaluate(train, jawhara, args.alpha, weight)
        rows.append(("jawharafm: test on JawharaFM", len(train), len(jawhara),
                     metrics, seconds))

    print(f"section model with alpha {args.alpha:g}, class weights {args.class_weight}, "
          f"SANAD share {args.sanad_share:g}\n")
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
