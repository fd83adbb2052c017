"""tagger's section model against fastText, side by side on the same split in the same run.

    pip install -e ".[bench]"
    python benchmarks/sections_vs_fasttext.py --data-dir ../shared/data

Data: SANAD-AlKhaleej, deduplicated on the normalised body, stratified 80/20 split with
seed 0. fastText is configured as in the issue that set the target: word bigrams,
25 epochs, learning rate 1.0, 2 threads; it gets the same normalised tokens tagger sees,
prepared outside its timed section (which favours fastText). tagger is timed on raw
text, model loaded from disk with cold caches: normalisation, features and sections, then
the whole pipeline with the bundled keyword model added (SANAD has no editor tags), against
fastText's sections-only speed. Prediction is timed three times for each system and the
fastest run kept (tagger's model loaded afresh for each, so every run starts cold).

Each system runs in its own process so that peak RSS (ru_maxrss) is its own. Prints a
Markdown table with tagger / fastText ratios.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _sanad import ROOT, macro_f1, sanad_split


# Prediction is timed this many times for each system, the fastest run kept: on a shared
# machine single runs vary by a quarter, fastText's most.
REPEATS = 3


def run_tagger(data_dir: Path, workdir: Path) -> dict:
    from tagger import Tagger
    from tagger.sections import SectionModel

    train, test = sanad_split(data_dir)
    started = time.perf_counter()
    model = SectionModel().fit(train.texts, train.labels)
    fit_seconds = time.perf_counter() - started
    path = Tagger(model).save(workdir / "tagger-model")

    def cold_run(with_keywords: bool):
        """Seconds to predict the test set with a model as users get it: freshly loaded
        from disk, caches empty. The whole pipeline adds the bundled keyword model (SANAD
        has no editor tags to learn keywords from)."""
        tagger = Tagger.load(path)
        if with_keywords:
            tagger.keyword_model = Tagger.load().keyword_model
        started = time.perf_counter()
        predictions = tagger.predict_many(test.texts)
        return time.perf_counter() - started, predictions

    runs = [cold_run(False) for _ in range(REPEATS)]
    predict_seconds, predictions = min(runs, key=lambda run: run[0])
    full_seconds = min(cold_run(True)[0] for _ in range(REPEATS))
    return {
        "macro_f1": macro_f1(test.labels, [p.section for p in predictions]),
        "train_seconds": fit_seconds,
        "articles_per_second": len(test) / predict_seconds,
        "with_keywords_per_second": len(test) / full_seconds,
        "model_mb": sum(f.stat().st_size for f in path.iterdir()) / 2**20,
        "n_train": len(train), "n_test": len(test),
    }


def run_fasttext(data_dir: Path, workdir: Path) -> dict:
    import fasttext

    from tagger.normalize import tokens

    train, test = sanad_split(data_dir)
    train_file = workdir / "fasttext-train.txt"
    train_file.write_text("".join(f"__label__{label} {' '.join(tokens(text))}\n"
                                  for text, label in zip(train.texts, train.labels)),
                          encoding="utf-8")
    test_lines = [" ".join(tokens(text)) for text in test.texts]
    started = time.perf_counter()
    model = fasttext.train_supervised(str(train_file), wordNgrams=2, epoch=25, lr=1.0, thread=2,
                                      verbose=0)
    fit_seconds = time.perf_counter() - started
    model_path = workdir / "fasttext.bin"
    model.save_model(str(model_path))
    model = fasttext.load_model(str(model_path))
    predict_seconds = float("inf")
    for _ in range(REPEATS):
        started = time.perf_counter()
        labels, _ = model.predict(test_lines, k=1)
        predict_seconds = min(predict_seconds, time.perf_counter() - started)
    predicted = [l[0][len("__label__"):] for l in labels]
    return {
        "macro_f1": macro_f1(test.labels, predicted),
        "train_seconds": fit_seconds,
        "articles_per_second": len(test) / predict_seconds,
        "model_mb": model_path.stat().st_size / 2**20,
        "n_train": len(train), "n_test": len(test),
    }


def _child(system: str, data_dir: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = {"tagger": run_tagger, "fasttext": run_fasttext}[system](data_dir, Path(tmp))
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--child", choices=["tagger", "fasttext"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.data_dir)
        return
    results = {}
    for system in ("tagger", "fasttext"):
        out = subprocess.run([sys.executable, __file__, "--child", system, "--data-dir",
                              str(args.data_dir)], check=True, capture_output=True, text=True)
        results[system] = json.loads(out.stdout.strip().splitlines()[-1])
    t, f = results["tagger"], results["fasttext"]
    f["with_keywords_per_second"] = f["articles_per_second"]  # fastText has no keywords
    print(f"SANAD-AlKhaleej 80/20 seed 0: {t['n_train']} train / {t['n_test']} test articles\n")
    print("| figure | tagger | fastText | tagger / fastText |")
    print("|---|---:|---:|---:|")
    for key, label, fmt in [("macro_f1", "macro-F1", "{:.4f}"),
                            ("train_seconds", "training time (s)", "{:.0f}"),
                            ("articles_per_second", "prediction, sections (articles/s)", "{:.0f}"),
                            ("with_keywords_per_second",
                             "prediction, sections + keywords (articles/s)", "{:.0f}"),
                            ("peak_rss_mb", "peak RSS (MB)", "{:.0f}"),
                            ("model_mb", "model size (MB)", "{:.1f}")]:
        print(f"| {label} | {fmt.format(t[key])} | {fmt.format(f[key])} | {t[key] / f[key]:.2f} |")


if __name__ == "__main__":
    main()
