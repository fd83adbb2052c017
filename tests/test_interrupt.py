"""A batch prediction stopped half-way, by Ctrl-C or by SIGKILL, then resumed.

Through the real command line, each run a ``python -m tagger`` process of its own, as a
user starts it from a shell:
the output file is never half-written (it stays the previous complete one until a run
finishes), and ``--resume`` completes the run with every input row exactly once, in order,
as an uninterrupted run would have.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from cli_processes import ColdRun, run_tagger

from tagger.api import Tagger

TEXTS = [
    "سجل المهاجم هدفين في المباراة النهائية وفاز الفريق بكأس البطولة",
    "ارتفعت أسعار النفط في الأسواق العالمية بعد قرار خفض الإنتاج",
    "صوت البرلمان على قانون الانتخابات الجديد بأغلبية الأعضاء",
    "افتتح المتحف معرضا للفن التشكيلي يضم أعمال فنانين عرب",
    "أطلقت الشركة هاتفا ذكيا جديدا بمعالج أسرع وبطارية أكبر",
    "حذرت وزارة الصحة من انتشار الإنفلونزا مع دخول فصل الشتاء",
]
N = 6000  # a few seconds of work (batches of 2): room to signal a run before it ends


def complete_rows(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def stop_after(run, partial: Path, rows: int, sig: int):
    """Send ``sig`` to ``run`` once ``partial`` holds ``rows`` complete rows; its result."""
    deadline = time.monotonic() + 120
    while complete_rows(partial) < rows:
        assert time.monotonic() < deadline, "no rows were written"
        try:
            os.kill(run.pid, 0)
        except ProcessLookupError:  # pragma: no cover - the run ended too soon
            pytest.fail("the run ended before it could be interrupted")
        time.sleep(0.005)
    os.kill(run.pid, sig)
    return run.wait()


def test_interrupted_and_killed_runs_leave_no_corrupt_output_and_resume_completes(
        tmp_path, sample_model_dir):
    ids = [f"row-{i:04d}" for i in range(N)]
    texts = [f"{TEXTS[i % len(TEXTS)]} {i}" for i in range(N)]
    src = tmp_path / "big.jsonl"
    src.write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n"
                           for i, t in zip(ids, texts)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    previous = '{"id": "an earlier complete run"}\n'
    out.write_text(previous, encoding="utf-8")
    partial = tmp_path / ".out.jsonl.partial"
    args = ["predict", "-m", sample_model_dir, "--input", src.name, "--output", out.name,
            "--batch-size", "2"]

    # Ctrl-C: one line saying how to go on, exit code 130, the previous output untouched.
    result = stop_after(ColdRun(args, tmp_path), partial, 30, signal.SIGINT)
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 130, err
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    first = complete_rows(partial)
    assert lines[0] == (f"tagger: error: interrupted after {first} rows; run the same command "
                        "with --resume to continue from there")
    assert 30 <= first < N
    assert out.read_text(encoding="utf-8") == previous

    # SIGKILL during the resumed run: no chance to clean up, and still nothing corrupt.
    result = stop_after(ColdRun([*args, "--resume"], tmp_path), partial, first + 30,
                        signal.SIGKILL)
    assert result.returncode == -signal.SIGKILL
    second = complete_rows(partial)
    assert first + 30 <= second < N
    assert out.read_text(encoding="utf-8") == previous
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [src.name, out.name, partial.name])

    # --resume completes it: every input row exactly once, in order, and nothing else left.
    result = run_tagger([*args, "--resume"], tmp_path)
    err = result.stderr
    assert result.returncode == 0, err.decode()
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == ids
    assert not partial.exists()
    assert f"resumed after {second}" in err.decode()
    # ... and the same predictions as one uninterrupted run (scores are rounded to 4 places)
    expected = [p.to_dict() for p in Tagger.load(sample_model_dir).predict_many(texts)]
    assert [row["section"] for row in rows] == [e["section"] for e in expected]
    for row, e in zip(rows, expected):
        assert {s["label"]: s["score"] for s in row["sections"]} == pytest.approx(
            {s["label"]: s["score"] for s in e["sections"]}, abs=2e-4)
        assert [k["keyword"] for k in row["keywords"]] == [k["keyword"] for k in e["keywords"]]


if sys.platform == "win32":  # pragma: no cover
    pytestmark = pytest.mark.skip("POSIX signals")
