"""``tagger predict --engine dask``: the same predictions as ``Tagger.predict_many``, on a
real local Dask cluster of two worker processes, with the model loaded once per worker."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed", reason="needs the dask extra: pip install -e '.[dask]'")

from tagger import Tagger  # noqa: E402
from tagger.cli import main  # noqa: E402
from tagger.dask_engine import SUCCESS, predict_partitions, worker_stats  # noqa: E402
from tagger.errors import DataError  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:
        yield client


@pytest.fixture(scope="module")
def tagger():
    return Tagger.load()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """data/sample.csv in four files: two Parquet (one with three row groups and titles, one
    without titles), and a JSON Lines file with titles but without ids that ends with two
    rows the model has nothing to say about. Rows are (id, title, text)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with open(ROOT / "data" / "sample.csv", encoding="utf-8", newline="") as fh:
        rows = [(r["id"], r["title"], r["text"]) for r in csv.DictReader(fh)]
    folder = tmp_path_factory.mktemp("corpus")
    a, b, c = rows[:30], rows[30:60], rows[60:]
    b = [(i, "", text) for i, _, text in b]
    pq.write_table(pa.table({"id": [i for i, _, _ in a], "title": [t for _, t, _ in a],
                             "text": [x for _, _, x in a]}), folder / "a.parquet", row_group_size=10)
    pq.write_table(pa.table({"id": [i for i, _, _ in b], "text": [x for _, _, x in b]}),
                   folder / "b.parquet")
    c = [(None, t, x) for _, t, x in c] + [(None, "", "Hello world 123"), (None, "", "")]
    with open(folder / "c.jsonl", "w", encoding="utf-8") as fh:
        for _, title, text in c:
            fh.write(json.dumps({"text": text, "title": title or None, "source": "x"},
                                ensure_ascii=False) + "\n")
    return folder, a + b + c


def expected(tagger, rows, **options):
    """What predict_many says about the rows, in the shape of a JSON Lines output row."""
    predictions = tagger.predict_many([text for _, _, text in rows],
                                      [title for _, title, _ in rows], **options)
    return [({"id": i} if i is not None else {}) | p.to_dict() for (i, _, _), p in zip(rows, predictions)]


def read_parts(out: Path) -> list[dict]:
    parts = sorted(out.glob("part-*.jsonl"))
    return [json.loads(line) for part in parts for line in part.read_text(encoding="utf-8").splitlines()]


def stats(client) -> dict:
    return client.run(worker_stats)


def test_partitions_give_the_predictions_of_predict_many(client, tagger, corpus, tmp_path,
                                                         caplog):
    folder, rows = corpus
    before = stats(client)
    out = tmp_path / "out"
    result = predict_partitions(None, [str(folder / "*.parquet"), folder / "c.jsonl"], out,
                                scheduler=client.scheduler.address, rows_per_partition=20)

    assert read_parts(out) == expected(tagger, rows)
    # c.jsonl's English and empty rows, in one warning as local prediction gives
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
        '2 rows had no Arabic words to classify: their "section" is null']
    # titles change predictions (keywords above all), so that comparison shows they were read
    assert expected(tagger, rows) != expected(tagger, [(i, "", text) for i, _, text in rows])
    # a.parquet's row groups of 10 rows make two partitions of 20 and 10 rows, then one each
    assert [p.name for p in result.parts] == [f"part-0000{i}.jsonl" for i in range(4)]
    assert sorted(p.name for p in out.iterdir()) == [SUCCESS] + [p.name for p in result.parts]
    manifest = json.loads((out / SUCCESS).read_text(encoding="utf-8"))
    assert [(Path(p["input"]).name, p["row_groups"], p["rows"]) for p in manifest["parts"]] == [
        ("a.parquet", [0, 1], 20), ("a.parquet", [2], 10), ("b.parquet", [0], 30), ("c.jsonl", None, 26)]
    assert result.rows == manifest["rows"] == len(rows) == 86
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary directory left

    after = stats(client)
    checksum = manifest["model_sha256"]
    assert len(after) == 2
    for worker, state in after.items():
        delivered = state["setups"].get(checksum, 0) - before[worker]["setups"].get(checksum, 0)
        assert delivered == 1  # shipped once to each worker for this run ...
        assert state["loads"][checksum] == 1  # ... and loaded once per worker, ever


def test_cli_with_a_scheduler_address(client, tagger, corpus, tmp_path, capsys):
    folder, rows = corpus
    out = tmp_path / "predictions"
    for run in range(2):  # the second run replaces the first run's output
        with pytest.raises(SystemExit) as exit:
            main(["predict", "--engine", "dask", "--scheduler", client.scheduler.address,
                  "--input", str(folder / "*.parquet"), "--output", str(out)])
        captured = capsys.readouterr()
        assert exit.value.code == 0, captured.err
        assert captured.err == f"wrote 60 predictions in 2 parts to {out}\n"
        assert read_parts(out) == expected(tagger, rows[:60])
    for state in stats(client).values():  # the first test already loaded it on both workers
        assert list(state["loads"].values()) == [1]


def test_a_failed_partition_leaves_the_earlier_output_alone(client, corpus, tmp_path):
    folder, _ = corpus
    bad = tmp_path / "bad.jsonl"  # the first line is fine and has every column: only a
    # worker finds the broken one
    bad.write_text('{"id": 1, "title": "", "text": "سجل المهاجم هدفا"}\n{"text": \n', encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / SUCCESS).write_text("{}", encoding="utf-8")
    (out / "part-00000.jsonl").write_text("{}\n", encoding="utf-8")

    with pytest.raises(DataError, match="at line 2"):
        predict_partitions(None, [folder / "b.parquet", bad], out, scheduler=client.scheduler.address)
    assert sorted(p.name for p in out.iterdir()) == [SUCCESS, "part-00000.jsonl"]
    assert (out / "part-00000.jsonl").read_text(encoding="utf-8") == "{}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl", "out"]


def test_json_records_and_ids_give_what_the_local_engine_gives(client, tagger, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tagger.batch import predict_file

    # the first record has no id, no title and no text; the others have some of them
    records = [{"source": "x"}, {"id": 7, "title": "سجل المهاجم هدفين في المباراة النهائية",
                                 "text": "بعد"}, {"id": "c", "text": "ارتفعت أسعار النفط"},
               {"id": None, "text": "صوت البرلمان"}]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    numbered = tmp_path / "numbered.parquet"
    pq.write_table(pa.table({"id": pa.array([10, None], pa.int64()), "text": ["بعد", "النفط"]}), numbered)
    ids = [None, 7, "c", None, 10, None]
    predict_partitions(None, [src, numbered], tmp_path / "out", scheduler=client.scheduler.address)
    local = []
    for path in (src, numbered):
        predict_file(tagger, path, tmp_path / "local.jsonl")
        local += [json.loads(line) for line in (tmp_path / "local.jsonl").read_text(encoding="utf-8").splitlines()]
    assert read_parts(tmp_path / "out") == local
    predictions = tagger.predict_many([r.get("text", "") for r in records] + ["بعد", "النفط"],
                                      [r.get("title", "") for r in records] + ["", ""])
    assert local == [{"id": i} | p.to_dict() for i, p in zip(ids, predictions)]


def test_without_a_scheduler_a_local_cluster_is_started_and_closed(tagger, corpus, tmp_path):
    import psutil

    folder, rows = corpus
    children = {p.pid for p in psutil.Process().children(recursive=True)}
    result = predict_partitions(tagger, folder / "b.parquet", tmp_path / "out", n_workers=1,
                                top_k=2, max_keywords=1)
    assert read_parts(result.output) == expected(tagger, rows[30:60], top_k=2, max_keywords=1)
    assert {p.pid for p in psutil.Process().children(recursive=True)} <= children


def run_cli(capsys, *args):
    with pytest.raises(SystemExit) as exit:
        main(["predict", *map(str, args)])
    captured = capsys.readouterr()
    return exit.value.code, captured.err


@pytest.mark.parametrize("args, message", [
    (["--engine", "dask", "--input", "{corpus}/*.txt", "--output", "{tmp}/o"], "no files match"),
    (["--engine", "dask", "--input", "{corpus}/*.parquet"], "needs --output DIR"),
    (["--engine", "dask", "سجل المهاجم هدفا", "--output", "{tmp}/o"], "give them with --input"),
    (["--scheduler", "tcp://127.0.0.1:8786", "--input", "{corpus}/a.parquet"], "--scheduler needs --engine dask"),
    (["--engine", "dask", "--resume", "--input", "{corpus}/a.parquet", "--output", "{tmp}/o"], "--resume works with --engine local"),
    (["--engine", "dask", "--input", "{corpus}", "--output", "{tmp}/o"], "is a directory"),
    (["--engine", "dask", "--input", "{corpus}/*.parquet", "--text-col", "body", "--output", "{tmp}/o"], "column 'body' not found"),
    (["--engine", "dask", "--input", "{corpus}/*.parquet", "--title-col", "title", "--output", "{tmp}/o"], "column 'title' not found in"),
    (["--engine", "dask", "--input", "{corpus}/*.parquet", "--id-col", "ref", "--output", "{tmp}/o"], "column 'ref' not found in"),
    (["--engine", "dask", "--input", "{corpus}/c.jsonl", "--id-col", "id", "--output", "{tmp}/o"], "(use --id-col to choose another, or --id-col '' for no ids)"),
    (["--engine", "dask", "--input", "{corpus}/*.parquet", "--output", "{tmp}/no/o"], "does not exist"),
    (["--engine", "dask", "--input", "{corpus}/*.parquet", "--output", "{tmp}"], "neither empty nor an earlier tagger output"),
])
def test_cli_errors(corpus, tmp_path, capsys, args, message):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    code, err = run_cli(capsys, *(a.format(corpus=corpus[0], tmp=tmp_path) for a in args))
    assert code == 2
    assert err.startswith("tagger: error: ") and err.count("\n") == 1
    assert message in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_cli_says_how_to_install_dask(corpus, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # what `import distributed` sees without it
    code, err = run_cli(capsys, "--engine", "dask", "--input", corpus[0] / "a.parquet", "--output", tmp_path / "o")
    assert code == 2
    assert err == ("tagger: error: the dask engine needs Dask, which is not installed; "
                   "install it with: pip install 'tagger[dask]'\n")


def test_cli_unreachable_scheduler(corpus, tmp_path, capsys):
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code, err = run_cli(capsys, "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9",
                            "--input", corpus[0] / "a.parquet", "--output", tmp_path / "o")
    assert code == 1
    assert err.startswith("tagger: error: cannot connect to the Dask scheduler at tcp://127.0.0.1:9")
    assert err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_row_only_a_worker_can_read_fails_in_one_line(corpus, tmp_path):
    """A broken row past the header is found on a worker of the local cluster, in another
    process: its log must not reach the user's terminal, only the one error line."""
    from cli_processes import run_tagger

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "سجل المهاجم هدفا"}\n{"text": "bad\n', encoding="utf-8")
    result = run_tagger(["predict", "--engine", "dask", "--input", bad, "--output",
                         tmp_path / "out"], cwd=tmp_path)
    err = result.stderr.decode()
    assert result.returncode == 2
    assert err.startswith("tagger: error: ") and err.count("\n") == 1, err
    assert "line 2" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl"]
