"""Batch prediction over files, written so that nothing half-done is ever left as output.

Rows are appended to a hidden ``.NAME.partial`` file beside the output and flushed batch
by batch; only a finished run renames it to the output. An interrupted run (Ctrl-C,
kill, power loss) leaves the previous output, or none, plus the partial file, from which
``resume=True`` continues after the last complete row.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterator

from .data import count_rows, iter_text_batches
from .errors import InputError

__all__ = ["predict_file", "BatchResult", "partial_path"]

log = logging.getLogger(__name__)


@dataclass
class BatchResult:
    rows: int
    skipped: int
    output: Path | None


def partial_path(output: Path) -> Path:
    return output.with_name(f".{output.name}.partial")


def predict_file(tagger, input_path: str | Path, output: str | Path | None, *,
                 text_col: str = "text", id_col: str = "id", batch_size: int = 1000,
                 top_k: int | None = None, max_keywords: int | None = None,
                 resume: bool = False, stdout: IO[str] | None = None,
                 progress: Callable[[str, int, int], None] | None = None) -> BatchResult:
    """Predict every row of ``input_path`` and write one JSON object per row, in order.

    With ``output=None`` the lines go to ``stdout`` as they are produced.
    """
    input_path = Path(input_path)
    progress = progress or (lambda stage, done, total: None)
    if batch_size < 1:
        raise InputError(f"--batch-size must be at least 1, got {batch_size}")
    batches = iter_text_batches(input_path, text_col=text_col, id_col=id_col,
                                batch_size=batch_size)
    total = count_rows(input_path) or 0
    if output is None:
        if resume:
            raise InputError("--resume needs --output: there is no file to resume")
        rows = _write(tagger, batches, stdout, 0, total, top_k, max_keywords, progress)
        return BatchResult(rows, 0, None)

    output = Path(output)
    if not output.parent.is_dir():
        raise InputError(f"the directory for --output does not exist: {output.parent} "
                         "(create it first)")
    if output.is_dir():
        raise InputError(f"--output is a directory: {output} (give a file name)")
    partial = partial_path(output)
    skip = _complete_rows(partial) if resume and partial.exists() else 0
    if resume and not partial.exists():
        log.info("nothing to resume for %s: starting from the first row", output)
    with open(partial, "a" if skip else "w", encoding="utf-8") as fh:
        rows = _write(tagger, batches, fh, skip, total, top_k, max_keywords, progress)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(partial, output)
    return BatchResult(rows, skip, output)


def _complete_rows(partial: Path) -> int:
    """Count complete lines in ``partial`` and cut off a trailing half-written one."""
    with open(partial, "rb+") as fh:
        data = fh.read()
        keep = data.rfind(b"\n") + 1
        if keep != len(data):
            fh.truncate(keep)
    return data.count(b"\n", 0, keep)


def _write(tagger, batches: Iterator, fh: IO[str], skip: int, total: int, top_k, max_keywords,
           progress) -> int:
    done = 0
    written = 0
    for ids, texts in batches:
        if done + len(texts) <= skip:
            done += len(texts)
            continue
        offset = max(0, skip - done)
        ids = None if ids is None else ids[offset:]
        predictions = tagger.predict_many(texts[offset:], top_k=top_k, max_keywords=max_keywords)
        lines = []
        for i, prediction in enumerate(predictions):
            row = prediction.to_dict()
            if ids is not None:
                row = {"id": ids[i], **row}
            lines.append(json.dumps(row, ensure_ascii=False))
        fh.write("\n".join(lines) + "\n")
        fh.flush()
        done += len(texts)
        written += len(predictions)
        progress("predicting", done, max(total, done))
    return written
