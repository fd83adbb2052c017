"""Batch prediction on a Dask cluster, for corpora that outgrow one machine.

:func:`predict_partitions` reads one or more ``.parquet``, ``.jsonl`` or ``.csv`` files (a
glob or a list), cuts them into partitions, predicts every partition on a Dask worker with
:meth:`Tagger.predict_many <tagger.api.Tagger.predict_many>` and writes one JSON Lines file
per partition::

    OUTDIR/part-00000.jsonl, part-00001.jsonl, ...   # input order: files sorted by name,
    OUTDIR/_SUCCESS                                  # then row groups; JSON manifest

Concatenated in name order, the parts hold exactly what ``tagger predict --input FILE
--output out.jsonl`` writes for the files one after the other.

Partitions: a Parquet file gives one partition per run of consecutive row groups of about
``rows_per_partition`` rows (a row group is never split); a JSON Lines or CSV file is one
partition, so split very large ones into several files, or convert them to Parquet.

The model is shipped to every worker once per run: its files (``meta.json`` and the ``.npz``
arrays, never a pickle of them) travel inside a worker plugin, and each worker process loads
them with :meth:`Tagger.load <tagger.api.Tagger.load>`, which verifies their checksums, into
a cache keyed by the model's SHA-256. A worker that already holds the same model from an
earlier run does not load it again; :func:`worker_stats` reports the counts. (Scattering the
model with ``broadcast=True`` would not do: Dask's memory manager drops the extra replicas
and tasks would then fetch the model again.)

Nothing half-done is visible: workers write each part under a temporary name and rename it;
the parts go to a hidden directory beside OUTDIR (``.OUTDIR.*.tmp``), which is renamed to
OUTDIR only when every part is written, ``_SUCCESS`` included. A failed run removes it and
leaves an earlier OUTDIR as it was. The client and the workers must therefore see the
inputs and the parent of OUTDIR under the same paths (one machine, or a shared file system),
and ``tagger`` must be installed on every worker.
"""

from __future__ import annotations

import asyncio
import glob
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from .batch import warn_unclassified
from .errors import InputError, OutputExistsError, TaggerError

if TYPE_CHECKING:
    from .data import TextBatch

try:  # the base class only; predict_partitions reports a missing Dask with an install hint
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # pragma: no cover - exercised only without the extra installed
    WorkerPlugin = object  # type: ignore[assignment,misc]

__all__ = ["predict_partitions", "DaskResult", "Partition", "plan_partitions", "expand_inputs",
           "worker_stats", "SUCCESS"]

INSTALL_HINT = "pip install 'tagger[dask]'"
SUCCESS = "_SUCCESS"
_SUFFIXES = (".parquet", ".jsonl", ".json", ".csv")


@dataclass(frozen=True)
class Partition:
    """One unit of work: a whole file, or some row groups of a Parquet file."""

    index: int
    path: str
    row_groups: tuple[int, ...] | None = None  # None: the whole file


@dataclass
class DaskResult:
    rows: int
    parts: list[Path]
    output: Path
    manifest: dict = field(default_factory=dict)


# -- on the client ---------------------------------------------------------------------------
def predict_partitions(model=None, inputs: str | Path | Sequence[str | Path] = (),
                       out_dir: str | Path | None = None, *, scheduler: str | None = None,
                       n_workers: int | None = None, text_col: str = "text", id_col: str = "id",
                       title_col: str | None = "title", title_required: bool = False,
                       id_required: bool = False,
                       top_k: int | None = None, max_keywords: int | None = None,
                       batch_size: int = 1000, rows_per_partition: int = 50_000,
                       progress: Callable[[str, int, int], None] | None = None) -> DaskResult:
    """Predict every row of ``inputs`` on a Dask cluster; one JSON Lines file per partition.

    ``model`` is a model directory, a loaded :class:`~tagger.api.Tagger`, or ``None`` for the
    bundled model. ``inputs`` is a glob (``"corpus/*.parquet"``), a file, or a list of them;
    matches are taken in sorted order. ``out_dir`` may be missing, empty, or an earlier output
    of this function (it holds ``_SUCCESS``), which is then replaced; anything else is refused.

    ``scheduler`` is the address of a running Dask scheduler (``tcp://host:8786``); without
    it a local cluster of ``n_workers`` processes (default: one per CPU core) with one thread
    each is started and closed afterwards. Each output row carries ``id`` when its file has
    an ``id_col`` column (every file must, with ``id_required``), and titles are read from
    ``title_col`` where a file has it (every file must, with ``title_required``), like
    :func:`tagger.batch.predict_file`.
    """
    _require_distributed()
    progress = progress or (lambda stage, done, total: None)
    if out_dir is None:
        raise InputError("the dask engine needs an output directory (--output DIR): "
                         "each partition is written to its own file there")
    if batch_size < 1:
        raise InputError(f"--batch-size must be at least 1, got {batch_size}")
    if rows_per_partition < 1:
        raise InputError(f"rows_per_partition must be at least 1, got {rows_per_partition}")
    if top_k is not None and top_k < 1:
        raise InputError(f"top_k must be at least 1, got {top_k}")
    if n_workers is not None and n_workers < 1:
        raise InputError(f"n_workers must be at least 1, got {n_workers}")
    files = expand_inputs(inputs)
    partitions = plan_partitions(files, text_col=text_col, id_col=id_col, title_col=title_col,
                                 title_required=title_required, id_required=id_required,
                                 rows_per_partition=rows_per_partition)
    out_dir = _check_output(out_dir)
    files_bytes, checksum = _model_files(model)
    options = {"text_col": text_col, "id_col": id_col, "title_col": title_col, "top_k": top_k,
               "max_keywords": max_keywords, "batch_size": batch_size}
    width = max(5, len(str(len(partitions) - 1)))
    names = [f"part-{p.index:0{width}d}.jsonl" for p in partitions]

    tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.", suffix=".tmp"))
    try:
        with _connect(scheduler, n_workers) as client:
            counts = _run(client, partitions, names, files_bytes, checksum, tmp, options, progress)
        rows = [n for n, _ in counts]
        manifest = {
            "rows": sum(rows),
            "model_sha256": checksum,
            "parts": [{"part": name, "input": p.path, "row_groups": p.row_groups, "rows": n}
                      for name, p, n in zip(names, partitions, rows)],
        }
        # Inside the hidden directory, so a plain write is enough: OUTDIR appears whole or not at all.
        (tmp / SUCCESS).write_text(_manifest_text(manifest), encoding="utf-8")
        from .persist import replace_dir

        replace_dir(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    warn_unclassified(sum(n for _, n in counts))
    return DaskResult(manifest["rows"], [out_dir / name for name in names], out_dir, manifest)


def _manifest_text(manifest: dict) -> str:
    """The manifest as JSON with one line per part, readable with ``cat``."""
    parts = ",\n".join("  " + json.dumps(part, ensure_ascii=False) for part in manifest["parts"])
    head = {k: v for k, v in manifest.items() if k != "parts"}
    return json.dumps(head, ensure_ascii=False)[:-1] + ', "parts": [\n' + parts + "\n]}\n"


def expand_inputs(inputs: str | Path | Sequence[str | Path]) -> list[Path]:
    """The files named by a glob, a path or a list of them: each pattern's matches sorted."""
    items = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    if not items:
        raise InputError("no input given: pass a file, a glob such as 'corpus/*.parquet', or a list")
    files: list[Path] = []
    for item in items:
        text = str(item)
        path = Path(text)
        if path.is_dir():
            raise InputError(f"--input is a directory: {text}; give a glob of its files, "
                             f"e.g. '{path / '*.parquet'}' (quoted, so the shell leaves it alone)")
        if path.is_file():
            files.append(path)
        elif glob.has_magic(text):
            matches = sorted(Path(m) for m in glob.glob(text, recursive=True) if Path(m).is_file())
            if not matches:
                raise InputError(f"no files match {text!r}")
            files += matches
        else:
            raise InputError(f"data file not found: {text}")
    unsupported = [f for f in files if f.suffix.lower() not in _SUFFIXES]
    if unsupported:
        raise InputError(f"unsupported input {str(unsupported[0])!r} for the dask engine; "
                         "use .parquet, .jsonl or .csv files")
    return [Path(os.path.abspath(f)) for f in dict.fromkeys(files)]


def plan_partitions(files: Sequence[Path], *, text_col: str = "text", id_col: str | None = "id",
                    title_col: str | None = "title", title_required: bool = False,
                    id_required: bool = False, rows_per_partition: int = 50_000) -> list[Partition]:
    """Check each file's columns (headers and footers only; for JSON Lines, the keys of its
    records) and cut the files into partitions."""
    import pyarrow.parquet as pq

    from .data import iter_text_batches

    partitions: list[Partition] = []
    for path in files:
        # Raises the same one-line DataError as single-machine prediction (missing file or
        # column, unreadable header) before any worker starts.
        iter_text_batches(path, text_col=text_col, id_col=id_col, title_col=title_col,
                          batch_size=1, title_required=title_required, id_required=id_required)
        if path.suffix.lower() != ".parquet":
            partitions.append(Partition(len(partitions), str(path)))
            continue
        meta = pq.ParquetFile(path).metadata
        groups: list[int] = []
        rows = 0
        for g in range(meta.num_row_groups):
            groups.append(g)
            rows += meta.row_group(g).num_rows
            if rows >= rows_per_partition:
                partitions.append(Partition(len(partitions), str(path), tuple(groups)))
                groups, rows = [], 0
        if groups or meta.num_row_groups == 0:  # an empty file still gets its (empty) part
            partitions.append(Partition(len(partitions), str(path), tuple(groups)))
    return partitions


def _require_distributed() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise InputError(f"the dask engine needs Dask, which is not installed; install it with: "
                         f"{INSTALL_HINT}") from exc


def _check_output(out_dir: str | Path) -> Path:
    out_dir = Path(os.path.abspath(out_dir))
    if not out_dir.parent.is_dir():
        raise InputError(f"the directory for --output does not exist: {out_dir.parent} "
                         "(create it first)")
    if out_dir.exists():
        if not out_dir.is_dir():
            raise OutputExistsError(f"--output exists and is not a directory: {out_dir}")
        if not (out_dir / SUCCESS).is_file() and any(out_dir.iterdir()):
            raise OutputExistsError(f"--output {out_dir} is a directory that is neither empty nor an "
                                    f"earlier tagger output (no {SUCCESS}); choose another one")
    return out_dir


def _model_files(model) -> tuple[dict[str, bytes], str]:
    """The model directory's files as bytes, checked by loading them once here, and their hash."""
    from .api import Tagger, default_model_path

    if isinstance(model, Tagger):  # it may differ from the files it came from: save it as it is
        with tempfile.TemporaryDirectory(prefix="tagger-model-") as tmp:
            return _read_model_dir(model.save(Path(tmp) / "model"))
    path = default_model_path() if model is None else Path(model)
    Tagger.load(path)  # the format, checksums and error messages of the local path
    return _read_model_dir(path)


def _read_model_dir(path: Path) -> tuple[dict[str, bytes], str]:
    from .persist import META

    meta_bytes = (path / META).read_bytes()
    names = sorted(json.loads(meta_bytes)["files"])
    files = {META: meta_bytes, **{name: (path / name).read_bytes() for name in names}}
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"{name}\0{len(files[name])}\0".encode())
        digest.update(files[name])
    return files, digest.hexdigest()


@contextmanager
def _connect(scheduler: str | None, n_workers: int | None) -> Iterator:
    from distributed import Client, LocalCluster

    if scheduler is None:
        n = n_workers or _cores()
        # Quiet workers: a failed run must end in one line on stderr, not in their logs (a
        # worker logs a failed task at ERROR level; the error itself is re-raised here).
        # ":0": the scheduler's web server on a free port; the default 8787 clashes with any
        # other cluster on the machine.
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                          dashboard_address=":0", silence_logs=logging.CRITICAL) as cluster, \
                Client(cluster, set_as_default=False) as client:
            yield client
        return
    try:
        client = Client(scheduler, set_as_default=False)
    except (ValueError, TypeError) as exc:
        raise InputError(f"--scheduler {scheduler!r} is not a Dask scheduler address "
                         f"(e.g. tcp://10.0.0.5:8786): {exc}") from exc
    except OSError as exc:  # includes timeouts
        raise TaggerError(f"cannot connect to the Dask scheduler at {scheduler}: {exc}") from exc
    with client:
        yield client


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _run(client, partitions: list[Partition], names: list[str], files: dict[str, bytes],
         checksum: str, tmp: Path, options: dict, progress) -> list[tuple[int, int]]:
    from distributed import as_completed

    plugin = f"tagger-model-{checksum[:12]}-{uuid.uuid4().hex[:8]}"
    try:
        client.register_plugin(_ModelPlugin(files, checksum), name=plugin)
    except ImportError as exc:
        raise TaggerError(f"a Dask worker cannot load the model: {exc} (install tagger, the same "
                          "version, on every worker)") from exc
    futures = []
    try:
        run = uuid.uuid4().hex[:8]
        futures = [client.submit(_predict_partition, p, checksum, str(tmp / name), options,
                                 key=f"tagger-{name}-{run}", pure=False)
                   for p, name in zip(partitions, names)]
        rows = {}
        progress("partitions", 0, len(futures))
        for future in as_completed(futures, loop=client.loop):
            rows[future.key] = future.result()  # re-raises a worker's error here
            progress("partitions", len(rows), len(futures))
        return [rows[f.key] for f in futures]
    finally:
        client.cancel(futures)
        try:
            client.unregister_worker_plugin(plugin)
        except Exception:  # a dead cluster; the run's own error matters more
            pass


# -- on the workers --------------------------------------------------------------------------
@dataclass
class _Loaded:
    tagger: object
    lock: threading.Lock  # the featuriser's word cache is not thread-safe
    users: int = 0


_LOCK = threading.Lock()
_MODELS: dict[str, _Loaded] = {}
_LOADS: Counter = Counter()  # model loads in this process, per model checksum
_SETUPS: Counter = Counter()  # model deliveries (plugin set-ups) in this process
_KEEP_IDLE = 1  # models kept in memory after their run, for the next one


class _ModelPlugin(WorkerPlugin):
    """Carries the model's files to each worker once and loads them into the worker's cache."""

    def __init__(self, files: dict[str, bytes], checksum: str):
        self.files = files
        self.checksum = checksum

    async def setup(self, worker=None):
        # Loading takes a moment: keep the worker's event loop (heartbeats) free meanwhile.
        await asyncio.to_thread(self._acquire)
        self.files = None  # the loaded model is all the worker needs now

    def _acquire(self) -> None:
        with _LOCK:
            _SETUPS[self.checksum] += 1
            entry = _MODELS.get(self.checksum)
            if entry is None:
                entry = _MODELS[self.checksum] = _Loaded(_load_files(self.files), threading.Lock())
                _LOADS[self.checksum] += 1
            else:  # most recently used last
                _MODELS[self.checksum] = _MODELS.pop(self.checksum)
            entry.users += 1

    def teardown(self, worker=None):
        with _LOCK:
            entry = _MODELS.get(self.checksum)
            if entry is not None:
                entry.users -= 1
            idle = [key for key, e in _MODELS.items() if e.users <= 0]
            for key in idle[:max(0, len(idle) - _KEEP_IDLE)]:
                del _MODELS[key]


def _load_files(files: dict[str, bytes]):
    """Write the shipped files to a private directory and load them the safe way (no pickle)."""
    from .api import Tagger

    with tempfile.TemporaryDirectory(prefix="tagger-model-") as tmp:
        for name, data in files.items():
            if Path(name).name != name or name.startswith("."):
                raise TaggerError(f"unexpected model file name {name!r}")
            (Path(tmp) / name).write_bytes(data)
        tagger = Tagger.load(tmp)
    tagger.path = None
    return tagger


def worker_stats() -> dict:
    """This process's model counters: ``{"loads": {sha256: n}, "setups": ..., "cached": [...]}``.

    Run it on every worker with ``client.run(worker_stats)``.
    """
    with _LOCK:
        return {"loads": dict(_LOADS), "setups": dict(_SETUPS), "cached": list(_MODELS)}


def _predict_partition(part: Partition, checksum: str, target: str,
                       options: dict) -> tuple[int, int]:
    """Predict one partition and write it to ``target`` through a temporary file; rows
    written, and how many of them got no section."""
    from .batch import prediction_lines, unclassified

    entry = _MODELS.get(checksum)
    if entry is None:
        raise TaggerError("the model is not loaded on this Dask worker (its plugin was removed "
                          "or failed to set up); run the prediction again")
    target_path = Path(target)
    partial = target_path.with_name(f".{target_path.name}.{uuid.uuid4().hex[:8]}.tmp")
    rows = no_section = 0
    try:
        with open(partial, "w", encoding="utf-8") as fh:
            for ids, texts, titles in _read_partition(part, options["text_col"], options["id_col"],
                                                      options["title_col"], options["batch_size"]):
                with entry.lock:
                    # one process per worker: Dask spreads the partitions over cores
                    predictions = entry.tagger.predict_many(texts, titles, top_k=options["top_k"],
                                                            max_keywords=options["max_keywords"],
                                                            n_jobs=1)
                fh.write(prediction_lines(predictions, ids))
                rows += len(predictions)
                no_section += unclassified(predictions)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, target_path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return rows, no_section


def _read_partition(part: Partition, text_col: str, id_col: str | None, title_col: str | None,
                    batch_size: int) -> Iterator[TextBatch]:
    """``(ids, texts, titles)`` batches of one partition, read as :func:`iter_text_batches`
    reads files."""
    from .data import columns_to_read, iter_text_batches, text_batches, text_columns

    if part.row_groups is None:
        yield from iter_text_batches(part.path, text_col=text_col, id_col=id_col,
                                     title_col=title_col, batch_size=batch_size)
        return
    if not part.row_groups:
        return
    import pyarrow.parquet as pq

    reader = pq.ParquetFile(part.path, pre_buffer=False)  # see tagger.data._parquet
    columns = text_columns(reader.schema_arrow.names, text_col, id_col, title_col)
    yield from text_batches((batch.to_pydict() for batch in reader.iter_batches(
        batch_size=batch_size, row_groups=list(part.row_groups), columns=columns_to_read(columns))),
        columns)
