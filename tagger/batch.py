"""Batch prediction over files, written so that nothing half-done is ever left as output.

Rows are appended to a hidden ``.NAME.partial`` file beside the output and flushed batch
by batch; only a finished run renames it to the output. An interrupted run (Ctrl-C,
kill, power loss) leaves the previous output, or none, plus the partial file, from which
``resume=True`` continues after the last complete row. A run stopped by a problem in its
input removes the partial file it started: once the input is fixed, there is nothing to
continue.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterator, Sequence

from .data import TextBatch, count_rows, iter_text_batches
from .errors import InputError

__all__ = ["predict_file", "check_output", "BatchResult", "BatchInterrupted", "partial_path",
           "prediction_lines", "unclassified", "warn_unclassified", "MAX_ARTICLE_CHARS"]

log = logging.getLogger(__name__)

# Longer texts are cut here. The section model reads only an article's lead; the longest
# news articles hold some 100,000 characters, and a longer "article" is a dump of many.
MAX_ARTICLE_CHARS = 1_000_000


@dataclass
class BatchResult:
    rows: int
    skipped: int
    output: Path | None


class BatchInterrupted(KeyboardInterrupt):
    """A Ctrl-C during a run with an output file; the message says how to resume."""


def partial_path(output: Path) -> Path:
    return output.with_name(f".{output.name}.partial")


def check_output(input_path: str | Path, output: str | Path | None, *, resume: bool = False) -> None:
    """Refuse an output that cannot be written, before any work is done."""
    if output is None:
        if resume:
            raise InputError("--resume needs --output: there is no file to resume")
        return
    output = Path(output)
    if not output.parent.is_dir():
        raise InputError(f"the directory for --output does not exist: {output.parent} "
                         "(create it first)")
    if output.is_dir():
        raise InputError(f"--output is a directory: {output} (give a file name)")
    if output.exists() and Path(input_path).exists() and output.samefile(input_path):
        raise InputError(f"--output is the --input file {output}: it would be replaced by the "
                         "predictions; choose another output file")


def predict_file(tagger, input_path: str | Path, output: str | Path | None, *,
                 text_col: str = "text", id_col: str = "id", title_col: str | None = "title",
                 batch_size: int = 1000,
                 top_k: int | None = None, max_keywords: int | None = None,
                 resume: bool = False, stdout: IO[str] | None = None,
                 progress: Callable[[str, int, int], None] | None = None,
                 batches: Iterator[TextBatch] | None = None) -> BatchResult:
    """Predict every row of ``input_path`` and write one JSON object per row, in order.

    Titles are read from ``title_col`` when the input has it; each row leads with its
    ``id_col`` value, unchanged, when the input has that. With ``output=None`` the lines go
    to ``stdout`` as they are produced. ``batches`` are the input's rows when the caller
    has already opened it with :func:`~tagger.data.iter_text_batches` (the command line
    does, to check the input before it loads a model; finding a JSON Lines file's columns
    can take a pass over it), and the column and batch size options are then theirs.
    """
    input_path = Path(input_path)
    progress = progress or (lambda stage, done, total: None)
    if batch_size < 1:
        raise InputError(f"--batch-size must be at least 1, got {batch_size}")
    if batches is None:
        batches = iter_text_batches(input_path, text_col=text_col, id_col=id_col,
                                    title_col=title_col, batch_size=batch_size)
    check_output(input_path, output, resume=resume)
    total = count_rows(input_path) or 0
    writer = _Writer(tagger, top_k, max_keywords, progress, total)
    if output is None:
        rows = writer.write(batches, stdout, skip=0)
        writer.report()
        return BatchResult(rows, 0, None)

    output = Path(output)
    partial = partial_path(output)
    skip, last_id = 0, None
    if resume and partial.exists():
        skip, last_id = _complete_rows(partial)
        if total and skip > total:
            raise InputError(f"{partial} holds {skip} rows but {input_path} has {total}: it is "
                             "not this input's output; delete it or run without --resume")
    elif resume:
        log.info("nothing to resume for %s: starting from the first row", output)
    started = skip == 0
    try:
        with open(partial, "a" if skip else "w", encoding="utf-8") as fh:
            rows = writer.write(batches, fh, skip=skip, last_id=last_id, partial=partial)
            fh.flush()
            os.fsync(fh.fileno())
    except KeyboardInterrupt:
        done = _complete_rows(partial)[0] if partial.exists() else 0
        raise BatchInterrupted(f"interrupted after {done} rows; run the same command with "
                               "--resume to continue from there") from None
    except InputError:
        if started:  # the input must be fixed first, so there is nothing to continue
            partial.unlink(missing_ok=True)
        raise
    writer.report()
    os.replace(partial, output)
    return BatchResult(rows, skip, output)


def _complete_rows(partial: Path) -> tuple[int, object]:
    """Count complete lines in ``partial``, cutting off a trailing half-written one.

    Returns the count and the ``id`` of the last complete row (``None`` without ids).
    """
    with open(partial, "rb+") as fh:
        data = fh.read()
        keep = data.rfind(b"\n") + 1
        if keep != len(data):
            fh.truncate(keep)
    count = data.count(b"\n", 0, keep)
    if not count:
        return 0, None
    last = data[data.rfind(b"\n", 0, keep - 1) + 1:keep]
    try:
        row = json.loads(last)
    except ValueError as exc:
        raise InputError(f"the last complete row of {partial} is not JSON: the file is damaged; "
                         "delete it and run without --resume") from exc
    return count, row.get("id") if isinstance(row, dict) else None


class _Writer:
    def __init__(self, tagger, top_k, max_keywords, progress, total):
        self.tagger, self.top_k, self.max_keywords = tagger, top_k, max_keywords
        self.progress, self.total = progress, total
        self.cut = self.unclassified = 0

    def write(self, batches: Iterator, fh: IO[str], *, skip: int, last_id=None,
              partial: Path | None = None) -> int:
        done = written = 0
        for ids, texts, titles in batches:
            if done < skip <= done + len(texts):
                found = None if ids is None else ids[skip - 1 - done]
                if found != last_id:
                    raise InputError(
                        f"{partial} does not belong to this input: its last row has id "
                        f"{last_id!r} but row {skip} of the input has id {found!r}; delete it "
                        "or run without --resume")
            if done + len(texts) <= skip:
                done += len(texts)
                continue
            offset = max(0, skip - done)
            ids = None if ids is None else ids[offset:]
            titles = None if titles is None else [t[:MAX_ARTICLE_CHARS] for t in titles[offset:]]
            texts = [self._fit(text) for text in texts[offset:]]
            # split each batch over the cores (predict_many forks one process per part)
            part = max(100, -(-len(texts) // (os.cpu_count() or 1)))
            predictions = self.tagger.predict_many(texts, titles, top_k=self.top_k,
                                                   max_keywords=self.max_keywords, batch_size=part)
            fh.write(prediction_lines(predictions, ids))
            fh.flush()
            self.unclassified += unclassified(predictions)
            done += offset + len(texts)
            written += len(predictions)
            self.progress("predicting", done, max(self.total, done))
        return written

    def _fit(self, text: str) -> str:
        if len(text) > MAX_ARTICLE_CHARS:
            self.cut += 1
            return text[:MAX_ARTICLE_CHARS]
        return text

    def report(self) -> None:
        if self.cut:
            log.warning("%d rows held more than %s characters: only their first %s were used",
                        self.cut, f"{MAX_ARTICLE_CHARS:,}", f"{MAX_ARTICLE_CHARS:,}")
        warn_unclassified(self.unclassified)


def unclassified(predictions: Sequence) -> int:
    """How many of ``predictions`` have no section (a text without Arabic words)."""
    return sum(prediction.section is None for prediction in predictions)


def warn_unclassified(count: int) -> None:
    """One warning for a batch's rows without a section, as ``predict TEXT`` warns for one."""
    if count:
        log.warning('%d rows had no Arabic words to classify: their "section" is null', count)


def prediction_lines(predictions: Sequence, ids: Sequence | None) -> str:
    """The JSON Lines of a batch's predictions, each object led by its row's ``id`` as read
    (when the input has ids): the output rows of both engines."""
    rows = (prediction.to_dict() for prediction in predictions)
    if ids is not None:
        rows = ({"id": row_id, **row} for row_id, row in zip(ids, rows))
    return "".join(_json_line(row) for row in rows)


def _json_line(row: dict) -> str:
    line = json.dumps(row, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a JSON escape in the input
        line = json.dumps(row)
    return line + "\n"
