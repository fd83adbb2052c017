"""Bad input of every kind, through the real command line (``python -m tagger`` in a subprocess).

Each case must end with its documented exit code (2: a usage or input error; 1: another
failure, such as a damaged model; 0: a valid input that deserves a warning), print at most
one line on stderr (exactly one when it fails or warns) and no traceback, and leave the
directory it ran in exactly as it was: no output, no partial file, no changed file.

Each case runs in a directory of its own, in a process forked from a warm interpreter
(tests/cli_processes.py): imports would otherwise take most of the time. A few cases run
again through a cold ``python -m tagger`` to show that both behave the same.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from cli_processes import run_tagger

from tagger.persist import FORMAT_VERSION, sha256_file

ARTICLE = "سجل المهاجم هدفين في المباراة النهائية وفاز الفريق بكأس البطولة بعد مباراة قوية"
ROWS = "".join(json.dumps({"id": f"r{i}", "text": ARTICLE}, ensure_ascii=False) + "\n"
               for i in range(5))

# Files every case directory starts with.
FILES: dict[str, bytes] = {
    "article.txt": ARTICLE.encode(),
    "empty.txt": b"",
    "blank.txt": b"  \n\t \n",
    "latin1.txt": "café au lait".encode("latin-1"),
    "invalid.txt": ARTICLE.encode() + b" \xff\xfe\xc3( " + ARTICLE.encode(),
    "binary.dat": bytes(range(256)) * 16,
    "binary.parquet": bytes(range(256)) * 16,
    "in.jsonl": ROWS.encode(),
    "bad_row.jsonl": (ROWS + '{"id": "r5", "text": broken\n' + ROWS).encode(),
    "bad_bytes.jsonl": ROWS.encode() + b'{"id": "r5", "text": "\xff\xfe"}\n' + ROWS.encode(),
    "semicolon.csv": f"id;text;label\n1;{ARTICLE};sports\n".encode(),
    "no_text.csv": f"id,body\n1,{ARTICLE}\n".encode(),
    "in.xlsx": b"PK\x03\x04 not really a spreadsheet",
    "two.csv": f"text,label\n{ARTICLE},sports\nارتفعت أسعار النفط في الأسواق,economy\n".encode(),
    "no_label.csv": f"text,section\n{ARTICLE},sports\nارتفع سعر النفط,economy\n".encode(),
    "nan_labels.csv": f"text,label\n{ARTICLE},\nارتفع سعر النفط,nan\nصوت البرلمان,NaN\n".encode(),
    "one_section.csv": f"text,label\n{ARTICLE},sports\nفاز الفريق بالمباراة,sports\n".encode(),
    "drop_all.json": b'{"sports": null, "economy": null}',
    "broken_map.json": b'{"sports": "sports",',
    "existing-model/meta.json": b'{"note": "a model someone trained before"}',
    "a-folder/note.txt": ARTICLE.encode(),
}


@dataclass
class Case:
    id: str
    args: list
    code: int
    message: str | None = None          # in the one stderr line; None: stderr must be empty
    stdin: bytes | None = None
    prepare: object = None              # prepare(case_dir, model_dir) before the run
    section: str | None = "any"         # code 0: "null" or "any" non-null section on stdout
    root_skip: bool = False             # needs file permissions, which root ignores
    marker: str | None = None           # a file the run must not create
    result: subprocess.CompletedProcess | None = field(default=None, repr=False)
    before: dict | None = field(default=None, repr=False)
    after: dict | None = field(default=None, repr=False)


def _huge(case_dir: Path, model_dir: Path) -> None:
    line = (ARTICLE + ".\n").encode()
    (case_dir / "huge.txt").write_bytes(line * (20_000_000 // len(line) + 1))


def _unreadable(name: str):
    def prepare(case_dir: Path, model_dir: Path) -> None:
        (case_dir / name).chmod(0)
    return prepare


def _with_file(name: str, data: bytes):
    def prepare(case_dir: Path, model_dir: Path) -> None:
        (case_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (case_dir / name).write_bytes(data)
    return prepare


def _copy_model(case_dir: Path, model_dir: Path) -> Path:
    target = case_dir / "model"
    shutil.copytree(model_dir, target)
    return target


def _rewrite_meta(model: Path, **changes) -> None:
    """Rewrite meta.json, recomputing every file's checksum as a tamperer would."""
    meta = json.loads((model / "meta.json").read_text(encoding="utf-8"))
    for name in meta["files"]:
        if (model / name).exists():
            meta["files"][name] = {"sha256": sha256_file(model / name),
                                   "bytes": (model / name).stat().st_size}
    for key, value in changes.items():
        if isinstance(value, dict):
            meta[key] = {**meta.get(key, {}), **value}
        else:
            meta[key] = value
    (model / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


class WritesAFile:
    """Unpickling this creates ``path``: proof that loading ran code from the model."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def _pickled_model(case_dir: Path, model_dir: Path) -> None:
    model = _copy_model(case_dir, model_dir)
    for name in ("sections.npz", "keywords.npz"):
        (model / name).write_bytes(pickle.dumps(WritesAFile(case_dir / "pwned")))
    _rewrite_meta(model)


def _object_array_model(case_dir: Path, model_dir: Path) -> None:
    model = _copy_model(case_dir, model_dir)
    arrays = dict(np.load(model / "sections.npz"))
    arrays["classes"] = np.array([WritesAFile(case_dir / "pwned")], dtype=object)
    with open(model / "sections.npz", "wb") as fh:
        np.savez(fh, **arrays)
    _rewrite_meta(model)


def _truncated(rewrite_checksum: bool):
    def prepare(case_dir: Path, model_dir: Path) -> None:
        model = _copy_model(case_dir, model_dir)
        data = (model / "sections.npz").read_bytes()
        (model / "sections.npz").write_bytes(data[: len(data) // 2])
        if rewrite_checksum:
            _rewrite_meta(model)
    return prepare


def _truncated_meta(case_dir: Path, model_dir: Path) -> None:
    model = _copy_model(case_dir, model_dir)
    text = (model / "meta.json").read_bytes()
    (model / "meta.json").write_bytes(text[: len(text) // 2])


def _meta_change(**changes):
    def prepare(case_dir: Path, model_dir: Path) -> None:
        _rewrite_meta(_copy_model(case_dir, model_dir), **changes)
    return prepare


def _other_hashing(case_dir: Path, model_dir: Path) -> None:
    model = _copy_model(case_dir, model_dir)
    meta = json.loads((model / "meta.json").read_text(encoding="utf-8"))
    probe = meta["section_model"]["probe"]
    probe[0] = [i + 1 for i in probe[0]]  # what another hashing would have produced
    _rewrite_meta(model, section_model={"probe": probe})


def _missing_file(case_dir: Path, model_dir: Path) -> None:
    (_copy_model(case_dir, model_dir) / "keywords.npz").unlink()


P = ["predict", "-m", "{model}"]
CASES = [
    # -- texts with nothing to tag, or nothing Arabic to go on
    Case("empty-text", [*P, ""], 2, "the TEXT argument is empty"),
    Case("whitespace-only", [*P, " \n\t  "], 2, "the TEXT argument is empty"),
    Case("empty-file", [*P, "--file", "empty.txt"], 2, "empty.txt is empty"),
    Case("blank-file", [*P, "--file", "blank.txt"], 2, "blank.txt is empty"),
    Case("empty-stdin", [*P, "--file", "-"], 2, "standard input is empty", stdin=b""),
    Case("english", [*P, "Breaking news: the markets rallied today"], 0, "no Arabic words", section="null"),
    Case("emoji", [*P, "🎉🔥👍 😀"], 0, "no Arabic words", section="null"),
    Case("digits", [*P, "2024 ١٢٣ ۴۵۶ 3.5%"], 0, "no Arabic words", section="null"),
    Case("mixed-arabic-latin", [*P, "أعلنت شركة Apple عن هاتف iPhone جديد في مؤتمر للتقنية"], 0),
    Case("20-mb-article", [*P, "--file", "huge.txt"], 0, "only the first 1,000,000 are used",
         prepare=_huge),
    # -- bytes that are not UTF-8 text
    Case("invalid-utf8-file", [*P, "--file", "invalid.txt"], 2, "invalid.txt is not UTF-8"),
    Case("latin1-file", [*P, "--file", "latin1.txt"], 2, "latin1.txt is not UTF-8"),
    Case("invalid-utf8-stdin", [*P, "--file", "-"], 2, "standard input is not UTF-8",
         stdin=b"\xd9\x86\xd8\xb5 \xff\xfe"),
    Case("invalid-utf8-argument", [*P, b"\xd9\x86\xd8\xb5 \xff\xfe"], 2, "not valid UTF-8"),
    Case("invalid-utf8-row", [*P, "--input", "bad_bytes.jsonl", "--output", "out.jsonl",
                              "--batch-size", "2"], 2, "bad_bytes.jsonl is not UTF-8"),
    Case("binary-file", [*P, "--file", "binary.dat"], 2, "binary.dat looks like a binary file"),
    Case("binary-page", [*P, "--page", "binary.dat"], 2, "binary.dat looks like a binary file"),
    Case("binary-input", [*P, "--input", "binary.parquet", "--output", "out.jsonl"], 2,
         "could not read binary.parquet as PARQUET"),
    Case("binary-clean-tags", ["clean-tags", "-m", "{model}", "binary.dat"], 2, "binary file"),
    # -- tables that cannot be read
    Case("csv-wrong-delimiter", [*P, "--input", "semicolon.csv", "--output", "out.jsonl"], 2,
         "';' between columns"),
    Case("csv-missing-column", [*P, "--input", "no_text.csv", "--output", "out.jsonl"], 2,
         "column 'text' not found"),
    Case("jsonl-broken-row", [*P, "--input", "bad_row.jsonl", "--output", "out.jsonl",
                              "--batch-size", "2"], 2, "at line 6"),
    Case("unknown-extension", [*P, "--input", "in.xlsx", "--output", "out.jsonl"], 2,
         "unsupported data format '.xlsx'"),
    # -- paths
    Case("missing-file", [*P, "--file", "missing.txt"], 2, "file not found: missing.txt"),
    Case("missing-input", [*P, "--input", "missing.jsonl"], 2, "data file not found"),
    Case("directory-as-file", [*P, "--file", "a-folder"], 2, "a-folder is a directory"),
    Case("unreadable-file", [*P, "--file", "article.txt"], 2, "cannot read article.txt",
         prepare=_unreadable("article.txt"), root_skip=True),
    Case("unreadable-input", [*P, "--input", "in.jsonl", "--output", "out.jsonl"], 2,
         "cannot read in.jsonl", prepare=_unreadable("in.jsonl"), root_skip=True),
    Case("output-in-missing-directory", [*P, "--input", "in.jsonl", "--output", "no/such/out.jsonl"],
         2, "the directory for --output does not exist"),
    Case("output-is-the-input", [*P, "--input", "in.jsonl", "--output", "in.jsonl"], 2,
         "--output is the --input file"),
    Case("output-without-input", [*P, ARTICLE, "--output", "out.jsonl"], 2,
         "--output and --resume work with --input only"),
    Case("missing-model", ["predict", "-m", "no-model", ARTICLE], 2, "model directory not found"),
    Case("folder-is-not-a-model", ["predict", "-m", "a-folder", ARTICLE], 2,
         "not a tagger model directory"),
    # -- training data
    Case("train-wrong-delimiter", ["train", "-d", "semicolon.csv", "--out", "m"], 2, "';' between columns"),
    Case("train-missing-label-column", ["train", "-d", "no_label.csv", "--out", "m"], 2,
         "column 'label' not found"),
    Case("train-nan-or-empty-labels", ["train", "-d", "nan_labels.csv", "--out", "m"], 2,
         "no usable rows"),
    Case("train-label-map-drops-everything", ["train", "-d", "two.csv", "--label-map", "drop_all.json",
                                              "--out", "m"], 2, "no rows left after applying the label map"),
    Case("train-broken-label-map", ["train", "-d", "two.csv", "--label-map", "broken_map.json",
                                    "--out", "m"], 2, "broken_map.json is not valid JSON"),
    Case("train-single-section", ["train", "-d", "one_section.csv", "--out", "m"], 2,
         "need at least 2 sections to train, found only 'sports'"),
    Case("train-unknown-extension", ["train", "-d", "in.xlsx", "--out", "m"], 2,
         "unsupported data format '.xlsx'"),
    Case("train-missing-data", ["train", "-d", "missing.csv", "--out", "m"], 2, "data file not found"),
    Case("train-mistyped-data-path", ["train", "-d", "a-folder/articles", "--out", "m"], 2,
         "data file not found: a-folder/articles"),
    Case("evaluate-mistyped-data-path", ["evaluate", "-m", "{model}", "-d", "a-folder/articles"], 2,
         "data file not found: a-folder/articles"),
    Case("evaluate-jsonl-broken-row", ["evaluate", "-m", "{model}", "-d", "bad_row.jsonl"], 2,
         "could not read bad_row.jsonl as JSON: Expecting value at line 6"),
    Case("evaluate-jsonl-control-character", ["evaluate", "-m", "{model}", "-d", "tab.jsonl"], 2,
         "could not read tab.jsonl as JSON: Invalid control character at line 6",
         prepare=_with_file("tab.jsonl", (ROWS + '{"text": "a\tb", "label": "x"}\n').encode())),
    Case("evaluate-jsonl-not-utf8", ["evaluate", "-m", "{model}", "-d", "bad_bytes.jsonl"], 2,
         "bad_bytes.jsonl is not UTF-8 text; save it as UTF-8 (from Windows Arabic: iconv"),
    Case("train-streaming-folder", ["train", "--streaming", "-d", "labelled", "--out", "m"], 2,
         "labelled is a folder, which --streaming cannot read; train on it without --streaming",
         prepare=_with_file("labelled/sports/a.txt", ARTICLE.encode())),
    Case("train-infinite-alpha", ["train", "-d", "two.csv", "--out", "m", "--alpha", "inf"], 2,
         "Invalid value for '--alpha'"),
    Case("train-negative-seed", ["train", "-d", "two.csv", "--out", "m", "--seed", "-1"], 2,
         "Invalid value for '--seed'"),
    Case("train-out-in-missing-directory", ["train", "-d", "two.csv", "--out", "no/such/m"], 2,
         "the directory for --out does not exist"),
    Case("train-out-exists", ["train", "-d", "two.csv", "--out", "existing-model"], 2,
         "already exists: existing-model (choose another --out or pass --force"),
    Case("evaluate-report-in-missing-directory", ["evaluate", "-m", "{model}", "-d", "two.csv",
                                                  "--report", "no/such/report"], 2,
         "the directory for --report does not exist"),
    Case("explain-empty-text", ["explain", "-m", "{model}", "  "], 2, "the TEXT argument is empty"),
    # -- usage
    Case("unknown-option", [*P, "--no-such-option", ARTICLE], 2, "No such option"),
    Case("bad-option-value", [*P, "--top-k", "0", ARTICLE], 2, "--top-k"),
    Case("two-sources", [*P, ARTICLE, "--file", "article.txt"], 2, "give exactly one of"),
    # -- model directories that are damaged or unsafe
    Case("model-files-are-pickles", ["predict", "-m", "model", ARTICLE], 1,
         "contains pickled Python objects", prepare=_pickled_model, marker="pwned"),
    Case("model-array-of-objects", ["predict", "-m", "model", ARTICLE], 1,
         "contains pickled Python objects", prepare=_object_array_model, marker="pwned"),
    Case("model-file-truncated", ["predict", "-m", "model", ARTICLE], 1,
         "checksum mismatch for model/sections.npz", prepare=_truncated(False)),
    Case("model-file-truncated-checksum-rewritten", ["predict", "-m", "model", ARTICLE], 1,
         "cannot read model/sections.npz", prepare=_truncated(True)),
    Case("model-meta-truncated", ["predict", "-m", "model", ARTICLE], 1,
         "model/meta.json is not valid JSON", prepare=_truncated_meta),
    Case("model-file-missing", ["predict", "-m", "model", ARTICLE], 1,
         "model file missing: model/keywords.npz", prepare=_missing_file),
    Case("model-from-a-newer-tagger", ["predict", "-m", "model", ARTICLE], 1,
         f"newer tagger (model format {FORMAT_VERSION + 1}", prepare=_meta_change(format_version=FORMAT_VERSION + 1)),
    Case("model-hashing-from-another-tagger", ["predict", "-m", "model", ARTICLE], 1,
         "hashes n-grams differently from this version of tagger", prepare=_other_hashing),
]


def snapshot(directory: Path) -> dict[str, tuple]:
    """Every file and folder under ``directory`` (hidden ones too), with size and mtime."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(directory):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            stat = path.lstat()
            out[str(path.relative_to(directory))] = (stat.st_size if name in filenames else None,
                                                    stat.st_mtime_ns)
    return out


def _args(case: Case, model_dir: Path) -> list:
    return [a.replace("{model}", str(model_dir)) if isinstance(a, str) else a for a in case.args]


def _case_dir(base: Path, case: Case, model_dir: Path) -> Path:
    case_dir = base / case.id
    for name, data in FILES.items():
        (case_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (case_dir / name).write_bytes(data)
    if case.prepare:
        case.prepare(case_dir, model_dir)
    return case_dir


@pytest.fixture(scope="module")
def ran(tmp_path_factory, sample_model_dir, warm_tagger) -> dict[str, Case]:
    base = tmp_path_factory.mktemp("bad-input")
    cases = {case.id: case for case in CASES if not (case.root_skip and os.geteuid() == 0)}
    for case_id, case in cases.items():
        case_dir = _case_dir(base, case, sample_model_dir)
        case.before = snapshot(case_dir)
        case.result = warm_tagger.run(_args(case, sample_model_dir), case_dir, case.stdin)
        case.after = snapshot(case_dir)
    return cases


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_through_the_command_line(ran, case):
    if case.id not in ran:
        pytest.skip("root reads files whatever their permissions")
    result = ran[case.id].result
    stderr = result.stderr.decode("utf-8", "replace")
    lines = stderr.splitlines()
    assert result.returncode == case.code, stderr
    assert "Traceback" not in stderr and "Traceback" not in result.stdout.decode("utf-8", "replace")
    if case.message is None:
        assert lines == []
    else:
        assert len(lines) == 1, stderr
        kind = "error" if case.code else "warning"
        assert lines[0].startswith(f"tagger: {kind}: "), lines[0]
        assert case.message in lines[0]
    # nothing written, nothing changed: no output, no partial file, no model, no marker
    assert ran[case.id].after == ran[case.id].before
    if case.code:
        assert result.stdout == b""
    else:
        prediction = json.loads(result.stdout)
        if case.section == "null":
            assert prediction["section"] is None and prediction["score"] is None
            assert prediction["reason"] == "no Arabic words to classify"
            assert prediction["keywords"] == []
        else:
            assert prediction["section"] is not None and "reason" not in prediction
        assert abs(sum(s["score"] for s in prediction["sections"]) - 1) < 1e-3


COLD = ["empty-text", "invalid-utf8-argument", "csv-wrong-delimiter", "train-out-exists",
        "model-files-are-pickles", "unknown-option"]


@pytest.mark.parametrize("case_id", COLD)
def test_a_cold_python_m_tagger_gives_the_same_result(ran, case_id, tmp_path, sample_model_dir):
    """The warm runs above behave exactly as a plain `python -m tagger` run."""
    case = next(case for case in CASES if case.id == case_id)
    case_dir = _case_dir(tmp_path, case, sample_model_dir)
    before = snapshot(case_dir)
    cold = run_tagger(_args(case, sample_model_dir), case_dir, case.stdin)
    warm = ran[case_id].result
    assert (cold.returncode, cold.stdout, cold.stderr) == (warm.returncode, warm.stdout, warm.stderr)
    assert snapshot(case_dir) == before


def test_the_malicious_models_ran_no_code(ran):
    for name in ("model-files-are-pickles", "model-array-of-objects"):
        assert ran[name].result.returncode == 1
        assert "pwned" not in ran[name].after


def test_debug_adds_the_traceback_and_keeps_the_exit_code(tmp_path):
    result = run_tagger(["--debug", "predict", "--file", "missing.txt"], tmp_path)
    lines = result.stderr.decode().splitlines()
    assert result.returncode == 2
    assert lines[0].startswith("Traceback") and "InputError" in result.stderr.decode()
    assert lines[-1] == "tagger: error: file not found: missing.txt"
