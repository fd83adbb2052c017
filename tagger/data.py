"""Reading news articles: labelled data for training and evaluation, plain texts for prediction.

:func:`load_labelled` reads Parquet, CSV, JSON Lines / JSON, a folder holding one sub-folder of
``.txt`` files per label, or a Hugging Face Hub dataset (``user/name``), all through
:mod:`datasets`. It maps labels to sections, drops unusable rows and removes duplicate
articles *before* anyone splits the data, so that no article lands in both train and test.

:func:`iter_text_batches` streams the texts of one file in batches for batch prediction,
without reading the whole file.

Every problem with the data is raised as a one-line :class:`~tagger.errors.DataError` that
names the problem and the fix; the underlying exception stays available as ``__cause__``.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import itertools
import json
import logging
import math
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from .errors import DataError
from .normalize import normalize

__all__ = ["LabelledData", "load_label_map", "load_labelled", "check_inputs", "iter_text_batches",
           "count_rows", "column_names", "column_batches", "inputs_with_column", "json_value"]

log = logging.getLogger(__name__)

_BUILDERS = {".parquet": "parquet", ".csv": "csv", ".jsonl": "json", ".json": "json"}
_FORMATS = "use .parquet, .csv, .jsonl or a folder of .txt files per label"
# "user/name" or "org/name" on the Hugging Face Hub; tried only when no such local path exists
# (see _is_hub_name). Hub names may hold dots ("user/corpus-2.1"), so only the endings of
# files count as a sign of a mistyped local path.
_HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_FILE_SUFFIXES = {*_BUILDERS, ".txt", ".tsv", ".xlsx", ".xls", ".ods", ".arrow", ".feather", ".ndjson",
                  ".gz", ".bz2", ".xz", ".zst", ".zip", ".tar", ".7z"}
# Columns an input may lack when several inputs are given (SANAD has no titles or tags).
_OPTIONAL = ("titles", "tags", "groups", "ids")
_TAG_SEPARATORS = re.compile(r"[|;؛]")
_HEAD_BYTES = 1 << 16
# Labels that mean "no label": a missing value written out as text by pandas or a script.
_MISSING_LABELS = frozenset({"nan", "null", "none"})
# The command-line option that chooses each column, named in error messages.
_FLAGS = {"texts": "--text-col", "labels": "--label-col", "titles": "--title-col", "tags": "--tags-col",
          "groups": "--group-col", "ids": "--id-col"}


@dataclass
class LabelledData:
    """Articles loaded by :func:`load_labelled`; all per-row lists have the same length.

    ``titles``, ``tags``, ``groups`` and ``ids`` are ``None`` when no column was asked for.
    ``labels`` is ``None`` only when ``require_labels=False`` and the data has no label column.
    An empty tag list means "not tagged", not "no keywords". The counters and ``sources``
    describe the load (one ``{"data", "rows", "kept"}`` dict per input).
    """

    texts: list[str]
    labels: list[str] | None
    titles: list[str] | None = None
    tags: list[list[str]] | None = None
    groups: list[str] | None = None
    ids: list[str] | None = None
    sources: list[dict] = field(default_factory=list)
    n_duplicates: int = 0  # rows removed as duplicates of an earlier article
    n_conflicts: int = 0  # of those, how many carried a different label than the one kept
    n_dropped_labels: int = 0  # rows dropped by the label map (mapped to null or not in it)
    n_empty: int = 0  # rows dropped for an empty text or label

    def __len__(self) -> int:
        return len(self.texts)

    def full_texts(self) -> list[str]:
        """Title and body joined by a newline when titles were loaded, else the bodies."""
        if self.titles is None:
            return list(self.texts)
        return [f"{title}\n{text}" if title else text for title, text in zip(self.titles, self.texts)]

    def label_counts(self) -> dict[str, int]:
        """Number of rows per label, most frequent first."""
        return dict(Counter(self.labels or []).most_common())

    def subset(self, indices: Iterable[int]) -> LabelledData:
        """A new LabelledData with the given rows, in that order (load statistics are copied)."""
        rows = [int(i) for i in indices]

        def pick(column: list | None) -> list | None:
            return None if column is None else [column[i] for i in rows]

        return replace(self, texts=pick(self.texts), labels=pick(self.labels), titles=pick(self.titles),
                       tags=pick(self.tags), groups=pick(self.groups), ids=pick(self.ids),
                       sources=list(self.sources))


def load_label_map(path: str | Path) -> dict[str, str | None]:
    """Read a JSON object mapping each source label to a section name, or to null to drop it."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as exc:
        raise DataError(f"label map not found: {path}") from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"label map {path} is not UTF-8 text; save it as UTF-8 JSON") from exc
    except json.JSONDecodeError as exc:
        raise DataError(f"label map {path} is not valid JSON: {_json_problem(exc)} at line "
                        f"{exc.lineno} column {exc.colno}") from exc
    except OSError as exc:
        raise DataError(f"cannot read label map {path}: {exc.strerror or exc}") from exc
    return _check_label_map(raw, str(path))


def _check_label_map(raw: Any, where: str) -> dict[str, str | None]:
    expected = ('a JSON object of source label -> section name or null, '
                'e.g. {"sport": "sports", "society": null}')
    if not isinstance(raw, dict):
        raise DataError(f"label map {where} must be {expected}; found {_json_type(raw)}")
    for key, value in raw.items():
        if value is not None and (not isinstance(value, str) or not value.strip()):
            shown = json.dumps(value, ensure_ascii=False)
            raise DataError(f"label map {where} maps {key!r} to {shown}; expected a section name or null")
    return dict(raw)


def _inputs(data: str | Path | Sequence[str | Path]) -> list[str | Path]:
    """One input or several, as a list."""
    return [data] if isinstance(data, (str, Path)) else list(data)


def check_inputs(data: str | Path | Sequence[str | Path], *, text_col: str = "text",
                 label_col: str | None = "label", label_map: str | Path | dict | None = None) -> None:
    """The quick checks of :func:`load_labelled`, without reading the data or importing datasets.

    Raises :class:`DataError` for a missing or unreadable input, an unsupported format, a CSV
    with another delimiter, a CSV or Parquet file without ``text_col`` or ``label_col``
    (``None``: labels are optional), or a label map that cannot be read. Hub datasets are
    not checked. Lets a command line report such mistakes at once, before long imports.
    """
    inputs = _inputs(data)
    if not inputs:
        raise DataError("no data given: pass at least one data file, folder or dataset name")
    if isinstance(label_map, dict):
        _check_label_map(label_map, "(given as a dict)")
    elif label_map is not None:
        load_label_map(label_map)
    for item in inputs:
        name, path = str(item), Path(item)
        if path.is_dir():
            if not any(path.glob("*/*.txt")):
                raise DataError(f"no .txt files in the sub-folders of {path}; expected one sub-folder "
                                f"per label holding one .txt file per article")
        elif path.exists():
            builder = _BUILDERS.get(path.suffix.lower())
            if builder is None:
                suffix = path.suffix or "(no extension)"
                raise DataError(f"unsupported data format {suffix!r} for {name}; {_FORMATS}")
            _check_readable(path)
            if builder == "parquet":
                names = _parquet(path).schema_arrow.names
            elif builder == "csv":
                names = _csv_header(path, _read_head(path))
            else:  # JSON records may each hold other keys: datasets reads them all
                names = None
                _read_head(path)
            for col, flag in ((text_col, "--text-col"), (label_col, "--label-col")):
                if names is not None and col and col not in names:
                    raise _column_not_found(col, name, names, flag)
        elif not _is_hub_name(name):
            raise DataError(f"data file not found: {name}")


def inputs_with_column(data: str | Path | Sequence[str | Path], column: str) -> list[str]:
    """The local data files among ``data`` that have ``column`` (headers and footers read
    only; for JSON, the keys of its records up to the first that holds ``column``). Folders
    and hub datasets are skipped."""
    inputs = _inputs(data)
    return [str(item) for item in inputs
            if Path(item).is_file() and Path(item).suffix.lower() in _BUILDERS
            and column in column_names(Path(item), [column])]


def load_labelled(
    data: str | Path | Sequence[str | Path],
    *,
    text_col: str = "text",
    label_col: str = "label",
    title_col: str | None = None,
    tags_col: str | None = None,
    group_col: str | None = None,
    id_col: str | None = None,
    label_map: str | Path | dict[str, str | None] | None = None,
    split: str = "train",
    dedupe: bool = True,
    require_labels: bool = True,
    min_classes: int = 2,
) -> LabelledData:
    """Load, clean and concatenate labelled articles from one or several inputs.

    Each input is a ``.parquet``, ``.csv``, ``.jsonl``/``.json`` file, a folder with one
    sub-folder of ``.txt`` files per label (columns ``text_col``, ``label_col`` and ``id``, the
    file's path inside the folder), or a Hub dataset name such as ``user/name`` (``split`` is
    used only there). The text and label columns must be present in every input; an
    optional column (title, tags, group, id) must be present in at least one, and inputs
    without it get empty titles, no tags, and empty groups and ids.

    Rows with an empty text or label are dropped. With ``label_map``, labels are mapped to
    sections and rows whose label maps to null or is missing from the map are dropped (the
    counts per label are logged). With ``dedupe``, an article whose normalised text equals an
    earlier one's is dropped (the first one is kept), whatever its title: outlets republish
    articles under edited headlines. ``require_labels=False`` lets the label column be absent
    and skips the check that at least ``min_classes`` sections remain.
    """
    inputs = _inputs(data)
    if not inputs:
        raise DataError("no data given: pass at least one data file, folder or dataset name")
    mapping = None
    if isinstance(label_map, dict):
        mapping = _check_label_map(label_map, "(given as a dict)")
    elif label_map is not None:
        mapping = load_label_map(label_map)
    check_inputs(inputs, text_col=text_col, label_col=label_col if require_labels else None)
    tables = [_load_input(item, split=split, text_col=text_col, label_col=label_col) for item in inputs]
    has_labels = require_labels or any(label_col in table.column_names for _, table in tables)
    columns = {"texts": text_col, "labels": label_col if has_labels else None, "titles": title_col,
               "tags": tags_col, "groups": group_col, "ids": id_col}
    out: dict[str, list | None] = {key: [] if col else None for key, col in columns.items()}
    sources, seen, dropped, counts = [], {}, Counter(), Counter()
    found_optional: set[str] = set()
    for item, (name, table) in zip(inputs, tables):
        values = _read_columns(table, name, columns, optional=len(tables) > 1)
        found_optional.update(key for key in _OPTIONAL if columns[key] in table.column_names)
        kept = 0
        for row, text in enumerate(values["texts"]):
            label = values["labels"][row] if has_labels else None
            if not text or label == "":
                counts["empty"] += 1
                continue
            if mapping is not None and label is not None:
                if mapping.get(label) is None:
                    dropped[label] += 1
                    continue
                label = values["labels"][row] = mapping[label]
            if dedupe:  # on the body alone: outlets republish an article under an edited headline
                key = hashlib.blake2b(normalize(text).encode(), digest_size=16).digest()
                if key in seen:
                    counts["duplicates"] += 1
                    counts["conflicts"] += seen[key] != label
                    continue
                seen[key] = label
            kept += 1
            for key, column in values.items():
                out[key].append(column[row])
        sources.append({"data": item, "rows": table.num_rows, "kept": kept})
        log.info("read %d rows from %s, kept %d", table.num_rows, name, kept)

    for key in _OPTIONAL:
        if columns[key] and key not in found_optional:
            _, table = tables[0]
            raise _column_not_found(columns[key], "any input", table.column_names, _FLAGS[key])
    names = [name for name, _ in tables]
    del tables, table, values
    _release_arrow_memory()  # the columns are Python lists now
    result = LabelledData(**out, sources=sources, n_duplicates=counts["duplicates"],
                          n_conflicts=counts["conflicts"], n_dropped_labels=sum(dropped.values()),
                          n_empty=counts["empty"])
    if not result.texts:
        if dropped:
            raise DataError(f"no rows left after applying the label map: labels found: "
                            f"{', '.join(sorted(dropped))}; map keys: {', '.join(sorted(mapping))} "
                            f"(fix the label map, or use --label-col to choose another column)")
        raise DataError(f"no usable rows in {', '.join(names)}: every row has an "
                        f"empty {text_col!r}" + (f" or an empty or NaN {label_col!r}" if has_labels else ""))
    sections = sorted(set(result.labels or []))
    if require_labels and len(sections) < min_classes:
        found = f"only {sections[0]!r}" if len(sections) == 1 else f"{len(sections)}: " + ", ".join(sections)
        raise DataError(f"need at least {min_classes} sections to train, found {found}")
    _report(result, dropped, mapping)  # after the checks: a failed load says it all in one line
    return result


def _column_not_found(col: str, where: str, names: Sequence[str], flag: str,
                      other: str = "") -> DataError:
    """The error for a column missing from ``where``: the columns found and the option
    that chooses another (``other``: what else the user may do)."""
    return DataError(f"column {col!r} not found in {where}; columns found: "
                     f"{', '.join(names) or 'none'} (use {flag} to choose another{other})")


def _release_arrow_memory() -> None:
    """Give the memory Arrow freed back to the system: its allocator keeps freed blocks
    for reuse, which would otherwise stay in the process for the whole training run."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def _read_columns(table: Any, name: str, columns: dict[str, str | None],
                  optional: bool = False) -> dict[str, list]:
    """The requested columns of one input as cleaned Python lists (stripped text, parsed tags).

    With ``optional``, a missing title, tags, group or id column is filled with empty values.
    """
    if table.num_rows == 0:
        raise DataError(f"no rows in {name}: the dataset is empty")
    for key, col in columns.items():
        if optional and key in _OPTIONAL and col and col not in table.column_names:
            continue
        if col and col not in table.column_names:
            raise _column_not_found(col, name, table.column_names, _FLAGS[key])
    arrow = table.with_format("arrow")[:]
    values = {}
    for key, col in columns.items():
        if col and col not in table.column_names:
            values[key] = [[] if key == "tags" else "" for _ in range(table.num_rows)]
        elif col:
            cells = arrow.column(col).to_pylist()
            if key == "tags":
                values[key] = [_parse_tags(cell, name, row) for row, cell in enumerate(cells)]
            else:
                values[key] = [_as_text(cell).strip() for cell in cells]
    if "labels" in values:  # "nan" is what a missing label becomes in df.astype(str)
        values["labels"] = ["" if label.lower() in _MISSING_LABELS else label
                            for label in values["labels"]]
    return values


def _report(result: LabelledData, dropped: Counter, mapping: dict | None) -> None:
    if mapping is not None:
        nulled = {label: n for label, n in dropped.items() if label in mapping}
        unmapped = {label: n for label, n in dropped.items() if label not in mapping}
        if nulled:
            log.info("label map dropped %d rows: %s", sum(nulled.values()), _counts(nulled))
        if unmapped:
            log.warning("dropped %d rows whose label is not in the label map: %s",
                        sum(unmapped.values()), _counts(unmapped))
    if result.n_empty:
        log.warning("dropped %d rows with an empty text or an empty or NaN label", result.n_empty)
    if result.n_duplicates:
        log.info("removed %d duplicate articles (%d of them with a different label than the one kept)",
                 result.n_duplicates, result.n_conflicts)


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{label} ({n})" for label, n in Counter(counter).most_common())


def _load_input(item: str | Path, *, split: str, text_col: str, label_col: str) -> tuple[str, Any]:
    """Return ``(display name, datasets.Dataset)`` for one input."""
    name, path = str(item), Path(item)
    if path.is_dir():
        return name, _load_folder(path, text_col, label_col)
    if path.is_file():
        builder = _BUILDERS.get(path.suffix.lower())
        if builder is None:
            suffix = path.suffix or "(no extension)"
            raise DataError(f"unsupported data format {suffix!r} for {name}; {_FORMATS}")
        return name, _load_file(path, builder)
    if _is_hub_name(name):
        return name, _load_hub(name, split)
    raise DataError(f"data file not found: {name}")


def _is_hub_name(name: str) -> bool:
    """Whether ``name``, which is no existing local path, is sent to the Hugging Face hub.

    Only a ``user/name`` is. A value that looks like a local path is not: one that starts
    with ``./``, ``../``, ``/`` or ``~``, has more than one slash or a file's extension, or
    whose first folder exists here. Such a value is a mistyped path, reported as not found
    at once instead of after the hub's retries.
    """
    path = Path(name)
    return (_HUB_NAME.match(name) is not None and path.suffix.lower() not in _FILE_SUFFIXES
            and not Path(path.parts[0]).exists())


def _load_file(path: Path, builder: str) -> Any:
    columns = None
    if builder != "parquet":
        head = _read_head(path)
        if builder == "csv":
            columns = _csv_header(path, head)
            if "\n" not in head.strip() and path.stat().st_size <= _HEAD_BYTES:
                raise DataError(f"no rows in {path}: the file has a header line only")
    try:
        # A fresh cache per load: datasets keys its cache on path and mtime, which can miss a rewrite.
        with _quiet_datasets() as datasets, tempfile.TemporaryDirectory(
                prefix="tagger-", ignore_cleanup_errors=True) as cache:
            options: dict[str, Any] = {}
            if columns:  # read every CSV column as text, so that ids keep their leading zeros
                options = {"features": datasets.Features({c: datasets.Value("string") for c in columns}),
                           "na_filter": False}
            return datasets.load_dataset(builder, data_files=[str(path)], split="train", cache_dir=cache,
                                         keep_in_memory=True, **options)
    except Exception as exc:
        if _find_cause(exc, UnicodeDecodeError):
            raise DataError(_not_utf8(path)) from exc
        if "corresponds to no data" in str(exc):  # datasets' message for a file without rows
            raise DataError(f"no rows in {path}: the dataset is empty") from exc
        if builder == "json":
            _find_bad_json(path)
        raise DataError(f"could not read {path} as {builder.upper()}: {_detail(exc)}") from exc


def _find_bad_json(path: Path) -> None:
    """Raise the error that names the line of ``path`` that is no JSON object, as
    prediction reports it: datasets (pyarrow) names a bad row counted from 0, not the
    line a user looks for."""
    for _ in _json_records(path):
        pass


def _load_folder(path: Path, text_col: str, label_col: str) -> Any:
    files = sorted(path.glob("*/*.txt"))
    if not files:
        raise DataError(f"no .txt files in the sub-folders of {path}; expected one sub-folder per label "
                        f"holding one .txt file per article")
    texts = [_read_text(file) for file in files]
    with _quiet_datasets() as datasets:
        return datasets.Dataset.from_dict({text_col: texts, label_col: [f.parent.name for f in files],
                                           "id": [f.relative_to(path).as_posix() for f in files]})


def _load_hub(name: str, split: str) -> Any:
    try:
        with _quiet_datasets() as datasets:
            return datasets.load_dataset(name, split=split)
    except Exception as exc:
        raise _hub_error(name, split, exc) from exc


def _hub_error(name: str, split: str, exc: BaseException) -> DataError:
    """The error for a hub dataset that could not be loaded: unreachable or unknown (no
    network, no such dataset), or found but unusable (a missing split, a broken file)."""
    if _find_cause(exc, (ConnectionError, FileNotFoundError)):
        return DataError(f"{name!r} is neither a local file or folder nor a dataset reachable on the "
                         f"Hugging Face hub: {_detail(exc)}; check the path, or your network "
                         "connection and the dataset name")
    return DataError(f"could not load the Hugging Face dataset {name!r} (split {split!r}): "
                     f"{_detail(exc)}; check the dataset name and --split")


@contextlib.contextmanager
def _quiet_datasets() -> Iterator[Any]:
    """Import :mod:`datasets` with its progress bars and log messages off, and those of
    ``huggingface_hub`` (which logs every retry of a hub request), restoring them after."""
    import datasets
    from datasets.utils import logging as datasets_logging

    hub_log = logging.getLogger("huggingface_hub")
    verbosity, bars = datasets_logging.get_verbosity(), datasets.is_progress_bar_enabled()
    hub_level = hub_log.level
    datasets_logging.set_verbosity(logging.CRITICAL)
    hub_log.setLevel(logging.CRITICAL)
    datasets.disable_progress_bars()
    try:
        yield datasets
    finally:
        datasets_logging.set_verbosity(verbosity)
        hub_log.setLevel(hub_level)
        if bars:
            datasets.enable_progress_bars()


# (ids, texts, titles) of a batch of rows; ids and titles are None when the data lacks them.
# Ids are JSON values (a string, a number, null ...), as :func:`json_value` makes them.
TextBatch = tuple[list[Any] | None, list[str], list[str] | None]


def iter_text_batches(path: str | Path, *, text_col: str = "text", id_col: str | None = "id",
                      title_col: str | None = "title", batch_size: int = 1000,
                      title_required: bool = False, id_required: bool = False) -> Iterator[TextBatch]:
    """Stream ``(ids, texts, titles)`` batches of at most ``batch_size`` rows, for batch
    prediction.

    ``path`` is a ``.parquet``, ``.csv`` or ``.jsonl`` file (a ``.json`` array is read whole) or
    a folder of ``.txt`` files, whose ids are the files' paths inside it. Problems visible up
    front (missing file or text column, unknown format) are raised by this call, not at the
    first batch. ``ids`` is ``None`` when the data has no ``id_col`` column, ``titles`` when it
    has no ``title_col`` column (the models learned from titles, so they are used when there).
    With ``title_required`` or ``id_required`` (a column the user named) a missing
    ``title_col`` or ``id_col`` is an error, raised by this call. A JSON record may lack keys
    that other records have: the columns of a JSON file are the keys of all its records,
    which this call reads line by line until it has seen every column asked for (so it
    reports a broken line it meets), and a record without a column has a missing value
    there. A missing text or title comes out as ``""``, so that every input row gets one
    output; an id keeps its value (an integer stays an integer, a missing id is ``None``; see
    :func:`json_value`), so that it is written out as it was read.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    path = Path(path)
    required = [(col, flag, what) for col, flag, what, needed in (
        (title_col, "--title-col", "no title", title_required),
        (id_col, "--id-col", "no ids", id_required)) if needed and col]
    if path.is_dir():
        files = sorted(path.rglob("*.txt"))
        if not files:
            raise DataError(f"no .txt files in {path}")
        if required:
            col, flag, _ = required[0]
            raise DataError(f"{path} is a folder of .txt files, which has no {col!r} "
                            f"column; leave out {flag}")
        return (([f.relative_to(path).as_posix() for f in chunk], [_read_text(f) for f in chunk],
                 None) for chunk in _chunks(files, batch_size))
    names = column_names(path, (text_col, id_col, title_col))
    _check_column(path, names, text_col, "--text-col")
    for col, flag, what in required:
        _check_column(path, names, col, flag, f", or {flag} '' for {what}")
    columns = text_columns(names, text_col, id_col, title_col)
    return text_batches(column_batches(path, columns_to_read(columns), batch_size), columns)


def _check_column(path: Path, names: Sequence[str], col: str, flag: str, other: str = "") -> None:
    """Raise :func:`_column_not_found` if ``col`` is not among ``names``, the columns of
    ``path``."""
    if col not in names:
        raise _column_not_found(col, str(path), names, flag, other)


def text_columns(names: Sequence[str], text_col: str, id_col: str | None,
                 title_col: str | None) -> tuple[str, str | None, str | None]:
    """The text, id and title columns of a table with the columns ``names``: the id and
    title columns are ``None`` where the table lacks them (and the title is, if it names
    the text column)."""
    def optional(col: str | None) -> str | None:
        return col if col and col in names else None

    return text_col, optional(id_col), None if title_col == text_col else optional(title_col)


def columns_to_read(columns: Sequence[str | None]) -> list[str]:
    """The distinct columns to read, of :func:`text_columns`."""
    return [col for col in dict.fromkeys(columns) if col]


def text_batches(chunks: Iterable[dict[str, list]],
                 columns: tuple[str, str | None, str | None]) -> Iterator[TextBatch]:
    """``(ids, texts, titles)`` from ``{column: values}`` batches that hold
    :func:`columns_to_read` ``(columns)``."""
    text_col, id_col, title_col = columns

    def values(chunk: dict[str, list], col: str | None, convert: Callable[[Any], Any]) -> list | None:
        return None if col is None else [convert(v) for v in chunk[col]]

    return ((values(c, id_col, json_value), values(c, text_col, _as_text), values(c, title_col, _as_text))
            for c in chunks)


def column_names(path: Path, wanted: Iterable[str | None] = ()) -> list[str]:
    """The columns of a local .parquet, .csv or .jsonl/.json file, read without loading the
    file.

    A JSON record may lack keys that other records have, so a JSON file's columns are the
    keys of all its records, in the order they first appear: finding them takes a pass over
    the records, which stops as soon as every column of ``wanted`` has been seen.
    """
    kind = _kind(path)
    if kind == "parquet":
        return _parquet(path).schema_arrow.names
    if kind == "csv":
        return _csv_header(path, _read_head(path))
    return _json_keys(path, {col for col in wanted if col})


def _json_keys(path: Path, wanted: set[str]) -> list[str]:
    """The keys of a JSON file's records, up to the record where the last of ``wanted``
    appears (all records when ``wanted`` is empty or some of it never appears)."""
    keys: dict[str, None] = {}
    with contextlib.closing(_json_records(path)) as records:
        for record in records:
            keys.update(dict.fromkeys(record))
            if wanted and wanted.issubset(keys):
                break
    return list(keys)


def column_batches(path: Path, columns: list[str], size: int) -> Iterator[dict[str, list]]:
    """The given columns of a local file, ``size`` rows at a time, as ``{column: values}``
    (a JSON record without a column gives ``None``): memory holds one batch."""
    kind = _kind(path)
    if kind == "parquet":
        return (b.to_pydict() for b in _parquet(path).iter_batches(batch_size=size, columns=columns))
    if kind == "csv":
        return (frame.to_dict("list") for frame in _csv_frames(path, columns, size))
    return ({col: [record.get(col) for record in chunk] for col in columns}
            for chunk in _chunks(_json_records(path), size))


def count_rows(path: str | Path) -> int | None:
    """Number of rows :func:`iter_text_batches` will yield, for progress bars.

    Parquet reads only the file's footer; CSV and JSON Lines take one quick pass over the
    file. ``None`` for a ``.json`` file holding one array.
    """
    path = Path(path)
    if path.is_dir():
        return sum(1 for _ in path.rglob("*.txt"))
    kind = _kind(path)
    if kind == "parquet":
        return _parquet(path).metadata.num_rows
    if kind == "csv":
        return sum(len(frame) for frame in _csv_frames(path, [0], 100_000))
    if _read_head(path).lstrip().startswith("["):
        return None
    with open(path, "rb") as file:
        return sum(1 for line in file if line.strip())


def _kind(path: Path) -> str:
    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    builder = _BUILDERS.get(path.suffix.lower())
    if builder is None:
        raise DataError(f"unsupported data format {path.suffix or '(no extension)'!r} for {path}; "
                        f"use .parquet, .csv, .jsonl or a folder of .txt files")
    _check_readable(path)
    return builder


def _check_readable(path: Path) -> None:
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _parquet(path: Path) -> Any:
    import pyarrow.parquet as pq

    try:
        # pre_buffer=False: with pre-buffering, reading batch after batch kept what had
        # been read (31 MB more every 20,000 SANAD articles), so a pass over a big file
        # held all of it in memory.
        return pq.ParquetFile(path, pre_buffer=False)
    except Exception as exc:
        raise DataError(f"could not read {path} as PARQUET: {_detail(exc)}") from exc


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _csv_frames(path: Path, columns: list, size: int) -> Iterator[Any]:
    """The given columns of a CSV file as text, in pandas frames of ``size`` rows."""
    import pandas as pd

    try:
        yield from pd.read_csv(path, usecols=columns, dtype=str, keep_default_na=False, encoding="utf-8",
                               chunksize=size)
    except UnicodeDecodeError as exc:
        raise DataError(_not_utf8(path)) from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"could not read {path} as CSV: {_detail(exc)}") from exc


def _json_records(path: Path) -> Iterator[dict]:
    """The objects of a JSON Lines file, read line by line, or of a JSON array (read whole)."""
    array = _read_head(path).lstrip().startswith("[")
    try:
        with open(path, encoding="utf-8-sig") as file:
            if array:
                records: Iterable = enumerate(json.load(file), 1)
            else:
                records = ((n, _json_line(line, n, path))
                           for n, line in enumerate(file, 1) if line.strip())
            for number, record in records:
                if not isinstance(record, dict):
                    where = "record" if array else "line"
                    raise DataError(f"{where} {number} of {path} is not a JSON object")
                yield record
    except UnicodeDecodeError as exc:
        raise DataError(_not_utf8(path)) from exc
    except json.JSONDecodeError as exc:
        raise DataError(f"could not read {path} as JSON: {_json_problem(exc)} at line {exc.lineno}") from exc


def _json_line(line: str, number: int, path: Path) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise DataError(f"could not read {path} as JSON: {_json_problem(exc)} at line {number}") from exc


def _json_problem(exc: json.JSONDecodeError) -> str:
    """What is wrong, without the "at" json ends some messages with ("Invalid control
    character at"): the caller says where."""
    return exc.msg.removesuffix(" at")


def _read_head(path: Path) -> str:
    """The start of a text file, decoded; raises DataError when it is empty or not UTF-8."""
    with open(path, "rb") as file:
        head = file.read(_HEAD_BYTES)
    if not head.strip():
        raise DataError(f"no rows in {path}: the file is empty")
    try:  # an incremental decoder accepts a character cut in two at the end of the chunk
        return codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise DataError(_not_utf8(path)) from exc


def _csv_header(path: Path, head: str) -> list[str]:
    columns = next(csv.reader([head.splitlines()[0]]))
    if len(columns) == 1:
        for sep, name in ((";", "';'"), ("\t", "tabs"), ("|", "'|'")):
            if sep in columns[0]:
                raise DataError(f"{path} seems to use {name} between columns, not commas "
                                f"(header: {columns[0][:60]!r}); save it as comma-separated CSV")
    repeated = sorted(c for c, n in Counter(columns).items() if n > 1)
    if repeated:
        raise DataError(f"{path} has repeated column names: {', '.join(repeated)}; rename them")
    return columns


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(_not_utf8(path)) from exc


def _parse_tags(value: Any, name: str, row: int) -> list[str]:
    """Tags as a list of strings: from a list, a JSON-encoded list or a '|' or ';' separated string.

    A JSON-encoded string is decoded too: datasets stores a JSON column that mixes lists and
    strings as JSON text.
    """
    while isinstance(value, str) and value.strip()[:1] in ("[", '"'):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            if value.strip().startswith("["):
                raise DataError(f"cannot read the tags of row {row + 1} in {name}: "
                                f"{value.strip()[:60]!r} (write them as a JSON list or separated by '|')"
                                ) from exc
            break
    if isinstance(value, str):
        value = _TAG_SEPARATORS.split(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if not isinstance(value, (list, tuple)):
        value = [value]
    tags = [_as_text(tag).strip() for tag in value]
    return list(dict.fromkeys(tag for tag in tags if tag))


def _as_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return value if isinstance(value, str) else str(value)


# The scalar types JSON writes and reads back as they are; json_value converts any other.
_JSON_TYPES = (str, int, float, bool, type(None))


def json_value(value: Any) -> Any:
    """``value`` as JSON holds it, so that it is written out and read back unchanged: a
    missing value (``None``, NaN) as ``None``; a numpy or pyarrow scalar as the Python value
    it holds; lists and dicts item by item; a value JSON has no type for (a date, a decimal,
    bytes) as its text. Strings, integers, floats and booleans stay as they are."""
    if type(value) is float and math.isnan(value):
        return None
    if type(value) in _JSON_TYPES:
        return value
    if isinstance(value, (list, tuple)):
        return [json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    for method in ("as_py", "tolist"):  # a pyarrow scalar; a numpy scalar or array
        if hasattr(value, method):
            return json_value(getattr(value, method)())
    return str(value)


def _not_utf8(path: Path) -> str:
    """The error for a file that is not UTF-8, with a way to convert it: Excel's for a CSV
    file, iconv from Windows Arabic (the usual other encoding) for any other."""
    if path.suffix.lower() == ".csv":
        return f"{path} is not UTF-8 text; save it with UTF-8 encoding (e.g. 'CSV UTF-8' in Excel)"
    return f"{path} is not UTF-8 text; save it as UTF-8 (from Windows Arabic: iconv -f CP1256 -t UTF-8)"


def _find_cause(exc: BaseException | None, kind: type | tuple[type, ...]) -> BaseException | None:
    while exc is not None and not isinstance(exc, kind):
        exc = exc.__cause__ or exc.__context__
    return exc


def _detail(exc: BaseException) -> str:
    """The first line of the first informative message in an exception chain."""
    messages = []
    while exc is not None:
        if str(exc).strip() and type(exc).__name__ != "DatasetGenerationError":
            messages.append(str(exc).strip().splitlines()[0])
        exc = exc.__cause__ or exc.__context__
    return messages[0] if messages else "unknown error"


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")
