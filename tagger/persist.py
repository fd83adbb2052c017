"""Saving and loading model directories without ever running code from them.

A model directory holds ``meta.json`` and one ``.npz`` file per component. The ``.npz``
files contain plain numeric or fixed-width string arrays and are read with
``allow_pickle=False``: a file that holds pickled objects is refused, not executed.
``meta.json`` lists every component file with its SHA-256, checked before the file is
opened, so a truncated or corrupted file is reported by name.

Directories are written to a temporary sibling first and renamed into place, so an
interrupted save leaves either the previous model or none, never half of one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Mapping

import numpy as np

from .errors import InputError, ModelFormatError, ModelNotFoundError, OutputExistsError

__all__ = ["FORMAT_VERSION", "save_model_dir", "load_model_dir", "sha256_file",
           "atomic_write_text", "replace_dir"]


FORMAT_NAME = "tagger-model"
FORMAT_VERSION = 2  # 2: section model of word-mean char n-grams learnt by SGD
META = "meta.json"
_MAX_META_BYTES = 16 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _check_arrays(name: str, arrays: Mapping[str, np.ndarray]) -> None:
    for key, value in arrays.items():
        if not isinstance(value, np.ndarray) or value.dtype.hasobject:
            raise TypeError(f"component {name!r} array {key!r} must be a numeric or "
                            f"fixed-width string numpy array, got {type(value).__name__}")


def save_model_dir(path: str | Path, meta: dict, components: Mapping[str, Mapping[str, np.ndarray]],
                   *, force: bool = False) -> Path:
    """Write ``meta`` and each component's arrays to the directory ``path``, atomically.

    ``components`` maps a component name (``"sections"``, ``"keywords"``) to its arrays;
    each becomes ``NAME.npz`` and is recorded with its checksum in ``meta["files"]``.
    """
    path = Path(path)
    check_out(path, force)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        files = {}
        for name, arrays in components.items():
            _check_arrays(name, arrays)
            target = tmp / f"{name}.npz"
            with open(target, "wb") as fh:
                np.savez_compressed(fh, **arrays)
                fh.flush()
                os.fsync(fh.fileno())
            files[f"{name}.npz"] = {"sha256": sha256_file(target), "bytes": target.stat().st_size}
        meta = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **meta, "files": files}
        (tmp / META).write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n",
                                encoding="utf-8")
        replace_dir(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def check_out(out: str | Path | None, force: bool) -> None:
    """Refuse an ``--out`` that exists (unless ``force``, and then only an earlier model or
    an empty directory) or whose parent directory does not."""
    if out is None:
        return
    out = Path(out)
    if out.exists() and not force:
        raise OutputExistsError(f"output directory already exists: {out} "
                                "(choose another --out or pass --force to replace it)")
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"output path exists and is not a directory: {out}")
    check_replaceable(out, option="--out", marker=META)
    if not out.parent.is_dir():
        raise InputError(f"the directory for --out does not exist: {out.parent} (create it first)")


def check_replaceable(path: Path, *, option: str, marker: str) -> None:
    """Refuse to replace (with ``--force``) a directory that is not an earlier output of
    the same kind, with ``marker`` in it, nor empty: a mistyped path must not cost the user
    a folder of their own. Nor can the directory the user works in be replaced."""
    if not path.is_dir():
        return
    here = Path.cwd().resolve()
    target = path.resolve()
    if target == here or target in here.parents:
        raise InputError(f"{option} {path} is the current directory or holds it, which cannot "
                         f"be replaced; choose another {option}")
    if any(path.iterdir()) and not (path / marker).is_file():
        raise OutputExistsError(f"{path} is not an earlier tagger output (it has no {marker}), "
                                f"so --force does not replace it; choose another {option}, or "
                                "empty or remove it yourself")


def replace_dir(tmp: Path, path: Path) -> None:
    """Move the finished directory ``tmp`` to ``path``, replacing what is there.

    The old directory is first renamed aside, so at every moment ``path`` is either the
    complete old directory or the complete new one.
    """
    os.chmod(tmp, 0o755)
    if path.exists():
        old = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".old"))
        os.rmdir(old)
        os.replace(path, old)
        os.replace(tmp, path)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, path)


def _read_meta(path: Path) -> dict:
    meta_path = path / META
    if not path.exists():
        raise ModelNotFoundError(f"model directory not found: {path} "
                                 "(train one with 'tagger train' or omit --model for the bundled model)")
    if not path.is_dir() or not meta_path.is_file():
        raise ModelNotFoundError(f"not a tagger model directory (no {META}): {path}")
    if meta_path.stat().st_size > _MAX_META_BYTES:
        raise ModelFormatError(f"{meta_path} is too large to be a model card")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise ModelFormatError(f"{meta_path} is not valid JSON ({exc}); the model is corrupted, "
                               "retrain or copy it again") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise ModelFormatError(f"{meta_path} is not a tagger model card")
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFormatError(
            f"{path} was written by a newer tagger (model format {version}, this tagger reads "
            f"up to {FORMAT_VERSION}); upgrade with 'pip install -U tagger'")
    if version < FORMAT_VERSION:
        raise ModelFormatError(
            f"{path} was written by an older tagger (model format {version}, this tagger reads "
            f"{FORMAT_VERSION}); retrain it with 'tagger train' (its meta.json lists the data)")
    if not isinstance(meta.get("files"), dict):
        raise ModelFormatError(f"{meta_path} lists no model files")
    return meta


def _load_component(path: Path, name: str, expected: dict) -> dict[str, np.ndarray]:
    file = path / name
    if not file.is_file():
        raise ModelFormatError(f"model file missing: {file}")
    digest = expected.get("sha256") if isinstance(expected, dict) else None
    if sha256_file(file) != digest:
        raise ModelFormatError(f"checksum mismatch for {file}: the file is corrupted, truncated "
                               "or was modified; retrain the model or copy it again")
    try:
        with np.load(file, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except ValueError as exc:
        if "pickle" in str(exc):
            raise ModelFormatError(f"{file} contains pickled Python objects, which tagger refuses "
                                   "to load because they can run code") from exc
        raise ModelFormatError(f"cannot read {file}: {exc}") from exc
    except Exception as exc:  # zipfile.BadZipFile, OSError, EOFError ...
        raise ModelFormatError(f"cannot read {file}: not a valid tagger array file ({exc})") from exc


def load_model_dir(path: str | Path) -> tuple[dict, dict[str, dict[str, np.ndarray]]]:
    """Read and verify a model directory; returns ``(meta, {component: arrays})``."""
    path = Path(path)
    meta = _read_meta(path)
    components = {}
    for name, expected in meta["files"].items():
        if not isinstance(name, str) or not name.endswith(".npz") or "/" in name or "\\" in name:
            raise ModelFormatError(f"{path / META} lists an unexpected file {name!r}")
        components[name[: -len(".npz")]] = _load_component(path, name, expected)
    return meta, components
