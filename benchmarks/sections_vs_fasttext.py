"""tagger's section model against fastText, side by side on the same split in the same run.

    pip install -e ".[bench]"
    python benchmarks/sections_vs_fasttext.py --data-dir ../shared/data [--repeats 3]

Data: SANAD-AlKhaleej, deduplicated on the normalised body, stratified 80/20 split with
seed 0. fastText is configured as in the issue that set the target: word bigrams,
25 epochs, learning rate 1.0, 2 threads; it gets the same normalised tokens tagger sees,
prepared outside its timed section (which favours fastText). tagger is timed on raw
text, model loaded from disk with cold caches: normalisation, features and sections, then
the whole pipeline with the bundled keyword model added (SANAD has no editor tags), against
fastText's sections-only speed.

Every step runs in a fresh process: each system's training (its peak RSS is the figure
reported), then ``--repeats`` rounds of prediction timings that take turns (tagger,
fastText, tagger with keywords, ...), so that a slow spell of a shared machine falls on
both systems alike. The fastest timing of each is kept. Prints a Markdown table with
tagger / fastText ratios and every timing.
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


def train_tagger(data_dir: Path, workdir: Path) -> dict:
    from tagger import Tagger
    from tagger.sections import SectionModel

    train, test = sanad_split(data_dir)
    (workdir / "test.json").write_text(json.dumps([test.texts, test.labels]), encoding="utf-8")
    started = time.perf_counter()
    model = SectionModel().fit(train.texts, train.labels)
    fit_seconds = time.perf_counter() - started
    path = Tagger(model).save(workdir / "tagger-model")
    return {
        "macro_f1": macro_f1(test.labels, [p.section for p in Tagger(model).predict_many(test.texts)]),
        "train_seconds": fit_seconds,
        "model_mb": sum(f.stat().st_size for f in path.iterdir()) / 2**20,
        "n_train": len(train), "n_test": len(test),
    }


def train_fasttext(data_dir: Path, workdir: Path) -> dict:
    import fasttext

    from tagger.normalize import tokens

    train, test = sanad_split(data_dir)
    train_file = workdir / "fasttext-train.txt"
    train_file.write_text("".join(f"__label__{label} {' '.join(tokens(text))}\n"
                                  for text, label in zip(train.texts, train.labels)),
                          encoding="utf-8")
    test_lines = [" ".join(tokens(text)) for text in test.texts]
    (workdir / "fasttext-test.txt").write_text("".join(line + "\n" for line in test_lines),
                                               encoding="utf-8")
    started = time.perf_counter()
    model = fasttext.train_supervised(str(train_file), wordNgrams=2, epoch=25, lr=1.0, thread=2,
                                      verbose=0)
    fit_seconds = time.perf_counter() - started
    model_path = workdir / "fasttext.bin"
    model.save_model(str(model_path))
    labels, _ = model.predict(test_lines, k=1)
    return {
        "macro_f1": macro_f1(test.labels, [l[0][len("__label__"):] for l in labels]),
        "train_seconds": fit_seconds,
        "model_mb": model_path.stat().st_size / 2**20,
        "n_train": len(train), "n_test": len(test),
    }


def time_tagger(workdir: Path, with_keywords: bool) -> dict:
    """Seconds to predict the test set with a model as users get it: freshly loaded from
    disk, caches empty. The whole pipeline adds the bundled keyword model."""
    from tagger import Tagger

    texts, _ = json.loads((workdir / "test.json").read_text(encoding="utf-8"))
    tagger = Tagger.load(workdir / "tagger-model")
    if with_keywords:
        tagger.keyword_model = Tagger.load().keyword_model
    started = time.perf_counter()
    tagger.predict_many(texts)
    return {"seconds": time.perf_counter() - started}


def time_fasttext(workdir: Path) -> dict:
    import fasttext

    lines = (workdir / "fasttext-test.txt").read_text(encoding="utf-8").splitlines()
    model = fasttext.load_model(str(workdir / "fasttext.bin"))
    started = time.perf_counter()
    model.predict(lines, k=1)
    return {"seconds": time.perf_counter() - started}


STEPS = {
    "train-tagger": lambda args: train_tagger(args.data_dir, args.workdir),
    "train-fasttext": lambda args: train_fasttext(args.data_dir, args.workdir),
    "time-tagger": lambda args: time_tagger(args.workdir, with_keywords=False),
    "time-fasttext": lambda args: time_fasttext(args.workdir),
    "time-tagger-keywords": lambda args: time_tagger(args.workdir, with_keywords=True),
}


def _step(name: str, data_dir: Path, workdir: Path) -> dict:
    """Run one step in a fresh process; its result with the process's peak RSS."""
    out = subprocess.run([sys.executable, __file__, "--step", name, "--data-dir", str(data_dir),
                          "--workdir", str(workdir)], capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"benchmark step {name} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of prediction timings")
    parser.add_argument("--step", choices=list(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.step:
        result = STEPS[args.step](args)
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        t = _step("train-tagger", args.data_dir, workdir)
        f = _step("train-fasttext", args.data_dir, workdir)
        timings = {"time-tagger": [], "time-fasttext": [], "time-tagger-keywords": []}
        for _ in range(args.repeats):
            for name, runs in timings.items():
                result = _step(name, args.data_dir, workdir)
                runs.append(result["seconds"])
                system = f if name == "time-fasttext" else t
                system["peak_rss_mb"] = max(system["peak_rss_mb"], result["peak_rss_mb"])

    n = t["n_test"]
    t["articles_per_second"] = n / min(timings["time-tagger"])
    t["with_keywords_per_second"] = n / min(timings["time-tagger-keywords"])
    f["articles_per_second"] = f["with_keywords_per_second"] = n / min(timings["time-fasttext"])
    print(f"SANAD-AlKhaleej 80/20 seed 0: {t['n_train']} train / {n} test articles\n")
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
    print("\nPrediction timings, in the order they ran (articles/s):")
    for name, runs in timings.items():
        print(f"- {name}: " + ", ".join(f"{n / s:.0f}" for s in runs))


if __name__ == "__main__":
    main()
