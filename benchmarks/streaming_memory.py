"""Streamed training: peak memory and accuracy as the corpus grows (100k and 1M articles).

    python benchmarks/streaming_memory.py --data-dir ../shared/data --sizes 100000,1000000

The shared corpora hold about 45k SANAD-AlKhaleej articles, so bigger corpora are made
from them: SANAD is split 80/20 (deduplicated, stratified, seed 0) and the training
articles are replicated, each copy perturbed (every word dropped with probability 0.1,
so no two copies are equal), in random order, into a parquet file of N rows. `tagger
train --streaming` learns from that file in a child process of its own, whose peak RSS
(ru_maxrss) is reported, and the model is scored on the untouched 20 % test articles.
Prints a Markdown table.
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

import numpy as np

from _sanad import ROOT, sanad_split


def make_corpus(train, n_rows: int, path: Path, seed: int = 0, chunk: int = 20_000) -> None:
    """Write ``n_rows`` perturbed copies of the training articles, in random order."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    words = [t.split() for t in train.texts]
    schema = pa.schema([("text", pa.string()), ("label", pa.string())])
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, n_rows, chunk):
            picks = rng.integers(0, len(words), size=min(chunk, n_rows - start))
            texts = []
            for i in picks:
                keep = rng.random(len(words[i])) >= 0.1
                texts.append(" ".join(w for w, k in zip(words[i], keep) if k))
            labels = [train.labels[i] for i in picks]
            writer.write_table(pa.table({"text": texts, "label": labels}, schema=schema),
                               row_group_size=5000)


def _child(corpus: Path, data_dir: Path, epochs: int) -> None:
    from tagger.metrics import classification_metrics
    from tagger.train import train_streaming

    started = time.perf_counter()
    result = train_streaming([corpus], test_size=0, epochs=epochs)
    seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    _, test = sanad_split(data_dir)
    predicted = result.tagger.section_model.predict(test.texts)
    print(json.dumps({"rows": result.n_train, "seconds": seconds, "peak_rss_mb": rss,
                      "macro_f1": classification_metrics(test.labels, predicted)["macro_f1"],
                      "n_test": len(test)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--epochs", type=int, default=1, help="passes over each corpus")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where to write the corpora (default: a temporary directory)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--make", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.data_dir, args.epochs)
        return
    if args.make:
        make_corpus(sanad_split(args.data_dir)[0], int(args.make[0]), Path(args.make[1]))
        return
    # This process stays small and starts the others: Linux carries a process's peak RSS
    # over into a program it execs, so a big parent would inflate its children's figures.
    results = []
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            corpus = Path(tmp) / f"corpus-{n}.parquet"
            subprocess.run([sys.executable, __file__, "--make", str(n), str(corpus),
                            "--data-dir", str(args.data_dir)], check=True)
            out = subprocess.run([sys.executable, __file__, "--child", str(corpus), "--data-dir",
                                  str(args.data_dir), "--epochs", str(args.epochs)],
                                 check=True, capture_output=True, text=True)
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
            corpus.unlink()
            print(f"{n} rows done: {results[-1]}", file=sys.stderr, flush=True)
    print(f"tagger train --streaming, {args.epochs} pass(es); test: {results[0]['n_test']} "
          "untouched SANAD-AlKhaleej articles\n")
    print("| articles | training time (s) | peak RSS (MB) | macro-F1 |")
    print("|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['rows']:,} | {r['seconds']:.0f} | {r['peak_rss_mb']:.0f} | {r['macro_f1']:.4f} |")
    if len(results) > 1:
        print(f"\npeak RSS ratio, largest / smallest corpus: "
              f"{results[-1]['peak_rss_mb'] / results[0]['peak_rss_mb']:.3f}")


if __name__ == "__main__":
    main()
