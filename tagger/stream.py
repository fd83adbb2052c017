"""Labelled articles streamed in chunks, for training on corpora bigger than memory.

``tagger train --streaming`` reads its inputs a batch at a time on every pass over the
data (local files with pyarrow or pandas, hub datasets through ``datasets`` streaming), so
memory holds a shuffle buffer and one chunk, never the corpus. Which
articles are held out for evaluation is decided by a hash of each article's text: every
pass agrees on the split without remembering it, and exact duplicates always land on the
same side (streaming does not remove duplicates, which would need a set of every article
seen).
"""

from __future__ import annotations

import itertools
import zlib
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from .data import (_column_not_found, _hub_error, _is_hub_name, _quiet_datasets, column_batches,
                   column_names, load_label_map)
from .errors import DataError

__all__ = ["LabelledStream"]


@dataclass
class LabelledStream:
    """``chunks(epoch, part)`` yields ``(texts, labels)`` lists of about ``batch_size`` rows.

    ``part`` is ``"train"`` or ``"test"`` (a ``test_size`` share, chosen by text hash).
    Rows are shuffled within a buffer of ``shuffle_buffer`` rows, anew on every epoch;
    a corpus sorted by section should be shuffled once beforehand (the first pass warns
    when it looks sorted). ``counts`` holds the training rows per section, ``dropped``
    the rows left out, and ``rows`` and ``kept`` the rows read and used (training and
    held out) per input, as counted on the first pass.
    """

    inputs: Sequence[str | Path]
    text_col: str = "text"
    label_col: str = "label"
    title_col: str | None = None
    label_map: str | Path | dict | None = None
    split: str = "train"
    batch_size: int = 2000
    test_size: float = 0.2
    seed: int = 0
    shuffle_buffer: int = 20_000
    counts: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)
    runs: int = 0
    rows: list[int] = field(default_factory=list, init=False)
    kept: list[int] = field(default_factory=list, init=False)

    def __post_init__(self):
        if isinstance(self.inputs, (str, Path)):
            self.inputs = [self.inputs]
        if not self.inputs:
            raise DataError("no --data given")
        if not 0 <= self.test_size < 1:
            raise DataError(f"--test-size must be in [0, 1), got {self.test_size}")
        mapping = self.label_map
        self._mapping = (load_label_map(mapping) if isinstance(mapping, (str, Path))
                         else mapping)
        opened = [self._open(item) for item in self.inputs]
        self._check_title([names for _, names in opened])
        self._datasets = [partial(read, self._columns(item, names))
                          for item, (read, names) in zip(self.inputs, opened)]
        self._reset_counts()

    def _reset_counts(self) -> None:
        """Zero what the first pass counts."""
        self.counts.clear()
        self.dropped.clear()
        self.rows = [0] * len(self.inputs)
        self.kept = [0] * len(self.inputs)
        self.runs = 0

    def _check_title(self, names: list[list[str]]) -> None:
        """Titles are read where an input has the title column, as
        :func:`~tagger.data.load_labelled` reads them (SANAD has none); at least one must."""
        if self.title_col and not any(self.title_col in columns for columns in names):
            where = "any input" if len(names) > 1 else str(self.inputs[0])
            raise _column_not_found(self.title_col, where, names[0], "--title-col")

    def _columns(self, item: str | Path, names: list[str]) -> list[str]:
        """The columns to read from ``item``, whose columns are ``names``: the text and the
        label, which every input must have, and the title where it has one."""
        required = [self.text_col, self.label_col]
        for col, flag in zip(required, ("--text-col", "--label-col")):
            if col not in names:
                raise _column_not_found(col, str(item), names, flag)
        title = [self.title_col] if self.title_col and self.title_col in names else []
        return list(dict.fromkeys(required + title))

    def _open(self, item: str | Path) -> tuple[Callable[[list[str]], Iterator[dict]], list[str]]:
        """``(read, columns)`` of ``item``: ``read(columns)`` reads its rows anew on each
        call. Local files are read a batch at a time (pyarrow, pandas, line by line), the hub
        through ``datasets`` streaming: memory holds one batch, whatever the size of the file."""
        path = Path(item)
        if path.is_dir():
            raise DataError(f"{item} is a folder, which --streaming cannot read; train on it without "
                            "--streaming, or convert it to one .parquet, .jsonl or .csv file with "
                            f"{self.text_col!r} and {self.label_col!r} columns")
        if path.exists():
            wanted = [c for c in (self.text_col, self.label_col, self.title_col) if c]
            return partial(_file_rows, path), column_names(path, wanted)
        if not _is_hub_name(str(item)):
            raise DataError(f"data file not found: {item}")
        with _quiet_datasets() as datasets:
            try:
                ds = datasets.load_dataset(str(item), split=self.split, streaming=True)
                names = list(ds.column_names or []) or list(next(iter(ds.take(1)), {}).keys())
            except Exception as exc:
                raise _hub_error(str(item), self.split, exc) from exc
        return lambda columns: iter(ds.select_columns(columns)), names

    def _label(self, value: Any) -> str | None:
        if value is None or (isinstance(value, float) and value != value):
            return None
        label = str(value).strip()
        if not label:
            return None
        if self._mapping is not None:
            return self._mapping.get(label)
        return label

    def _in_test(self, text: str) -> bool:
        key = zlib.crc32(text.encode("utf-8", "surrogatepass")) ^ (self.seed * 0x9E3779B1 & 0xFFFFFFFF)
        return (key % 10_000) < self.test_size * 10_000

    def chunks(self, epoch: int, part: str = "train") -> Iterator[tuple[list[str], list[str]]]:
        if part not in ("train", "test"):
            raise ValueError(f"part must be 'train' or 'test', got {part!r}")
        first = epoch == 0 and part == "train"
        if first:
            self._reset_counts()
        texts: list[str] = []
        labels: list[str] = []
        previous = None
        for source, row in self._rows(epoch):
            self.rows[source] += first
            text = row.get(self.text_col)
            label = self._label(row.get(self.label_col))
            if not isinstance(text, str) or not text.strip():
                self.dropped["empty text"] += first
                continue
            if label is None:
                self.dropped["no label, or dropped by the label map"] += first
                continue
            self.kept[source] += first
            if (part == "test") != self._in_test(text):
                continue
            title = row.get(self.title_col) if self.title_col else None
            texts.append(f"{title}\n{text}" if isinstance(title, str) and title else text)
            labels.append(label)
            if first:
                self.counts[label] += 1
                self.runs += label != previous
                previous = label
            if len(texts) >= self.batch_size:
                yield texts, labels
                texts, labels = [], []
        if texts:
            yield texts, labels

    def _rows(self, epoch: int) -> Iterator[tuple[int, dict]]:
        """``(input index, row)`` for every row of every input; from epoch 1 on, shuffled
        within blocks of ``shuffle_buffer`` rows (a new order on every epoch)."""
        rows = ((source, row) for source, read in enumerate(self._datasets) for row in read())
        if epoch == 0:
            yield from rows
            return
        rng = np.random.default_rng([self.seed, epoch])
        while block := list(itertools.islice(rows, self.shuffle_buffer)):
            for i in rng.permutation(len(block)):
                yield block[i]

    def looks_sorted(self) -> bool:
        """After the first pass: are sections in long runs, as in a corpus sorted by section?"""
        n = sum(self.counts.values())
        if n < 1000 or len(self.counts) < 2:
            return False
        # In random order a row starts a new run with probability 1 - sum(p^2).
        expected = n * (1 - sum((c / n) ** 2 for c in self.counts.values()))
        return self.runs < 0.1 * expected


def _file_rows(path: Path, columns: list[str], batch: int = 1000) -> Iterator[dict]:
    for chunk in column_batches(path, columns, batch):
        yield from (dict(zip(columns, values)) for values in zip(*(chunk[c] for c in columns)))
