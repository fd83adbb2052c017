"""Peak memory and time of training the bundled model, as its model card's command does it.

    python benchmarks/training_memory.py --data-dir ../shared/data

Runs `tagger train` on SANAD-AlKhaleej and ANT multi-outlet with the bundled model's
settings (title column, editor tags, the shared label map, --alpha 2e-5, --epochs 3) in a child
process and reports its wall time and peak RSS (ru_maxrss, read once the child has
exited; this process stays small, so the figure is the child's own). The model is written
to a temporary directory and its held-out metrics are printed from its meta.json.
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

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "model"
        command = [sys.executable, "-m", "tagger", "train",
                   "--data", str(args.data_dir / "sanad_khaleej.parquet"),
                   "--data", str(args.data_dir / "ant_multisource.parquet"),
                   "--title-col", "title", "--tags-col", "tags",
                   "--label-map", str(ROOT / "data" / "label_map.json"),
                   "--alpha", "2e-5", "--epochs", "3", "--out", str(out)]
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    held_out = meta["metrics"].get("held_out") or {}
    keywords = meta["metrics"].get("keywords") or {}
    print("| figure | value |")
    print("|---|---:|")
    print(f"| articles trained on | {meta['data']['train_rows']:,} |")
    print(f"| wall time, loading included (s) | {seconds:.0f} |")
    print(f"| peak RSS (MB) | {peak:,.0f} |")
    if held_out:
        print(f"| held-out macro-F1 | {held_out['macro_f1']:.4f} |")
    if keywords:
        print(f"| held-out keywords F1@5 | {keywords['f1_at_5']:.3f} |")


if __name__ == "__main__":
    main()
