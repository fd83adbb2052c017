"""The SANAD-AlKhaleej split every section benchmark uses: deduplicated, mapped to the
bundled sections, stratified 80/20 with seed 0; and the macro-F1 they report on it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def sanad_split(data_dir: Path):
    """(train, test) :class:`tagger.data.LabelledData` of SANAD-AlKhaleej."""
    from sklearn.model_selection import train_test_split

    from tagger.data import load_labelled

    data = load_labelled(Path(data_dir) / "sanad_khaleej.parquet",
                         label_map=ROOT / "data" / "label_map.json")
    idx = np.arange(len(data))
    tr, te = train_test_split(idx, test_size=0.2, stratify=data.labels, random_state=0)
    return data.subset(tr), data.subset(te)


def macro_f1(truth, predicted) -> float:
    """tagger's macro-F1 (over the sections present in ``truth``)."""
    from tagger.metrics import classification_metrics

    return classification_metrics(truth, predicted)["macro_f1"]
