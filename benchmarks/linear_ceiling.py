"""How far full-batch linear SVMs get on the SANAD-AlKhaleej split, next to tagger's model.

    python benchmarks/linear_ceiling.py --data-dir ../shared/data [--c 1,3,10]

tagger trains its section model by averaged stochastic gradient descent, a chunk of
articles at a time, so that memory does not grow with the corpus. This benchmark asks
what that costs, on the split of ``benchmarks/_sanad.py`` (deduplicated, stratified
80/20, seed 0), by fitting scikit-learn's ``LinearSVC`` (liblinear, every training
article in memory at once) to:

* ``pooled``: TF-IDF over each article's pooled ``char_wb`` 2-5-grams (sublinear tf,
  min_df 2), the classic setup, with ``C`` = 1;
* ``tagger features``: tagger's own feature rows (:class:`tagger.features.Featurizer`),
  for each ``C`` given;
* ``words``: TF-IDF over word uni- and bigrams (sublinear tf, min_df 2), ``C`` = 1;

and prints their macro-F1 next to tagger's default model, then that of ensembles: the
sum of two or more of these models' margins, each first centred per article and scaled
by its spread over the test set (no weight is tuned; the largest ``C`` stands for the
tagger-features SVM). Needs about 6 GB of memory and 15 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from _sanad import ROOT, macro_f1, sanad_split
from tagger.features import Featurizer
from tagger.normalize import normalize
from tagger.sections import SectionModel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--c", default="1,3,10", help="LinearSVC C values for tagger's features")
    args = parser.parse_args()
    train, test = sanad_split(args.data_dir)
    rows = []
    margins = {}  # ensemble member -> test margins, columns in sorted section order
    sections = sorted(set(train.labels))

    started = time.perf_counter()
    model = SectionModel().fit(train.texts, train.labels)
    rows.append(("tagger (averaged SGD, two passes, defaults)", "",
                 macro_f1(test.labels, model.predict(test.texts)), time.perf_counter() - started))
    order = [model.classes_.index(s) for s in sections]
    margins["tagger"] = model.decision_function(test.texts)[:, order]

    started = time.perf_counter()
    featurizer = Featurizer().fit(list(train.texts))
    X_train = sp.vstack([featurizer.transform(list(train.texts[i:i + 2000]))
                         for i in range(0, len(train), 2000)], format="csr")
    X_test = featurizer.transform(list(test.texts))
    prepared = time.perf_counter() - started
    cs = [float(v) for v in args.c.split(",")]
    for c in cs:
        started = time.perf_counter()
        svm = LinearSVC(C=c).fit(X_train, train.labels)
        rows.append(("LinearSVC on tagger's features", f"{c:g}",
                     macro_f1(test.labels, svm.predict(X_test)),
                     prepared + time.perf_counter() - started))
        if c == max(cs):
            margins["tagger features"] = svm.decision_function(X_test)
    del X_train, X_test

    train_texts = [normalize(t) for t in train.texts]
    test_texts = [normalize(t) for t in test.texts]
    for name, label, vectorizer in (
            ("pooled", "LinearSVC on pooled char_wb 2-5-gram TF-IDF",
             TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2,
                             sublinear_tf=True, dtype=np.float32)),
            ("words", "LinearSVC on word 1-2-gram TF-IDF",
             TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                             dtype=np.float32))):
        started = time.perf_counter()
        svm = LinearSVC(C=1.0).fit(vectorizer.fit_transform(train_texts), train.labels)
        margins[name] = svm.decision_function(vectorizer.transform(test_texts))
        rows.append((label, "1", macro_f1(test.labels, list(svm.classes_[margins[name].argmax(1)])),
                     time.perf_counter() - started))

    print(f"SANAD-AlKhaleej, {len(train):,} training and {len(test):,} test articles\n")
    print("| model | C | macro-F1 | seconds |")
    print("|---|---:|---:|---:|")
    for name, c, f1, seconds in rows:
        print(f"| {name} | {c} | {f1:.4f} | {seconds:.0f} |")

    print("\n| ensemble (sum of scaled margins) | macro-F1 |")
    print("|---|---:|")
    scaled = {name: _scaled(m) for name, m in margins.items()}
    for size in range(2, len(scaled) + 1):
        for members in itertools.combinations(scaled, size):
            total = sum(scaled[name] for name in members)
            predicted = [sections[i] for i in total.argmax(axis=1)]
            print(f"| {' + '.join(members)} | {macro_f1(test.labels, predicted):.4f} |")


def _scaled(margins: np.ndarray) -> np.ndarray:
    """Margins centred per article and divided by their spread, so that models whose
    margins live on different scales weigh alike in a sum."""
    centred = margins - margins.mean(axis=1, keepdims=True)
    return centred / centred.std()


if __name__ == "__main__":
    main()
