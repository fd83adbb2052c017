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

and prints their macro-F1 next to tagger's default model. Needs about 6 GB of memory
and 15 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
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

    started = time.perf_counter()
    model = SectionModel().fit(train.texts, train.labels)
    rows.append(("tagger (averaged SGD, two passes, defaults)", "",
                 macro_f1(test.labels, model.predict(test.texts)), time.perf_counter() - started))

    started = time.perf_counter()
    featurizer = Featurizer().fit(list(train.texts))
    X_train = sp.vstack([featurizer.transform(list(train.texts[i:i + 2000]))
                         for i in range(0, len(train), 2000)], format="csr")
    X_test = featurizer.transform(list(test.texts))
    prepared = time.perf_counter() - started
    for c in (float(v) for v in args.c.split(",")):
        started = time.perf_counter()
        svm = LinearSVC(C=c).fit(X_train, train.labels)
        rows.append(("LinearSVC on tagger's features", f"{c:g}",
                     macro_f1(test.labels, svm.predict(X_test)),
                     prepared + time.perf_counter() - started))
    del X_train, X_test

    started = time.perf_counter()
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2,
                                 sublinear_tf=True, dtype=np.float32)
    X_train = vectorizer.fit_transform([normalize(t) for t in train.texts])
    svm = LinearSVC(C=1.0).fit(X_train, train.labels)
    predicted = svm.predict(vectorizer.transform([normalize(t) for t in test.texts]))
    rows.append(("LinearSVC on pooled char_wb 2-5-gram TF-IDF", "1",
                 macro_f1(test.labels, predicted), time.perf_counter() - started))

    print(f"SANAD-AlKhaleej, {len(train):,} training and {len(test):,} test articles\n")
    print("| model | C | macro-F1 | seconds |")
    print("|---|---:|---:|---:|")
    for name, c, f1, seconds in rows:
        print(f"| {name} | {c} | {f1:.4f} | {seconds:.0f} |")


if __name__ == "__main__":
    main()
