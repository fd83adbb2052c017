import csv
import json

import pytest
from typer.testing import CliRunner

from tagger.api import Tagger
from tagger.cli import app, main
from tagger.batch import partial_path

runner = CliRunner()


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory, tiny_model):
    path = tmp_path_factory.mktemp("models") / "tiny"
    Tagger(tiny_model).save(path)
    return path


@pytest.fixture(scope="session")
def train_csv(tmp_path_factory, tiny_texts):
    path = tmp_path_factory.mktemp("data") / "train.csv"
    texts, labels = tiny_texts
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "text", "label"])
        for i, (t, l) in enumerate(zip(texts * 2, labels * 2)):
            writer.writerow([f"a{i}", f"{t} {'.' * (i // len(texts))}", l])
    return path


def run(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def run_main(capsys, *args):
    with pytest.raises(SystemExit) as exit:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return exit.value.code, out.out, out.err


def test_predict_text_prints_one_json_object(model_dir):
    result = run("predict", "--model", model_dir, "سجل المهاجم هدفين في المباراة")
    assert result.exit_code == 0, result.output
    obj = json.loads(result.stdout)
    assert obj["section"] == "sports"
    assert obj["score"] == obj["sections"][0]["score"]
    assert abs(sum(s["score"] for s in obj["sections"]) - 1) < 1e-3
    assert obj["keywords"] == []


def test_predict_file_stdin_and_table(model_dir, tmp_path):
    article = tmp_path / "a.txt"
    article.write_text("ارتفعت أسعار النفط وسعر الفائدة", encoding="utf-8")
    assert json.loads(run("predict", "-m", model_dir, "--file", article).stdout)["section"] == "economy"
    piped = run("predict", "-m", model_dir, "--file", "-", input="البرلمان والانتخابات والحكومة")
    assert json.loads(piped.stdout)["section"] == "politics"
    table = run("predict", "-m", model_dir, "--format", "table", "--top-k", "2", "ارتفع سعر النفط")
    assert table.stdout.splitlines()[0].split() == ["section", "economy"]
    assert len(table.stdout.splitlines()) == 3


def test_text_without_arabic_says_so(model_dir):
    obj = json.loads(run("predict", "-m", model_dir, "Hello world 123 🎉").stdout)
    assert obj["section"] is None and obj["score"] is None
    assert "no Arabic" in obj["reason"]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_batch_prediction_keeps_order_and_ids(model_dir, tmp_path, suffix):
    rows = [("x1", "سجل المهاجم هدفا"), ("x2", "ارتفع سعر النفط"), ("x3", "صوت البرلمان")]
    src = tmp_path / f"in{suffix}"
    if suffix == ".jsonl":
        src.write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n"
                               for i, t in rows), encoding="utf-8")
    else:
        src.write_text("id,text\n" + "".join(f"{i},{t}\n" for i, t in rows), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run("predict", "-m", model_dir, "--input", src, "--output", out, "--batch-size", 2)
    assert result.exit_code == 0, result.output
    lines = [json.loads(l) for l in out.read_text(encoding="utf-8").splitlines()]
    assert [l["id"] for l in lines] == ["x1", "x2", "x3"]
    assert [l["section"] for l in lines] == ["sports", "economy", "politics"]
    assert not partial_path(out).exists()


def test_batch_prediction_finds_the_inputs_columns_once(model_dir, tmp_path, monkeypatch):
    """A JSON Lines file without a title takes a pass over it to find its columns: the
    check before the model loads and the prediction share that pass."""
    import tagger.data

    calls = []
    real = tagger.data.column_names
    monkeypatch.setattr(tagger.data, "column_names", lambda *a: calls.append(a) or real(*a))
    src = _jsonl(tmp_path / "in.jsonl", [{"id": 1, "text": TEXTS[1]}, {"id": 2, "text": TEXTS[0]}])
    result = run("predict", "-m", model_dir, "--input", src, "--output", tmp_path / "out.jsonl")
    assert result.exit_code == 0, result.output
    assert len(calls) == 1
    assert [json.loads(l)["id"] for l in (tmp_path / "out.jsonl").read_text().splitlines()] == [1, 2]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_batch_prediction_reads_titles_like_the_api(model_dir, tmp_path, suffix):
    rows = [("x1", "سجل المهاجم هدفين في المباراة", "ارتفع سعر النفط"),
            ("x2", "", "صوت البرلمان على الحكومة")]
    src = tmp_path / f"in{suffix}"
    if suffix == ".jsonl":
        src.write_text("".join(json.dumps({"id": i, "headline": h, "text": t}, ensure_ascii=False) + "\n"
                               for i, h, t in rows), encoding="utf-8")
    else:
        src.write_text("id,headline,text\n" + "".join(f"{i},{h},{t}\n" for i, h, t in rows),
                       encoding="utf-8")
    tagger = Tagger.load(model_dir)
    outputs = {}
    for title_col in ("headline", ""):
        out = tmp_path / f"out-{title_col}.jsonl"
        result = run("predict", "-m", model_dir, "--input", src, "--output", out,
                     "--title-col", title_col)
        assert result.exit_code == 0, result.output
        outputs[title_col] = [json.loads(l) for l in out.read_text(encoding="utf-8").splitlines()]
    with_titles = [tagger.predict(t, title=h or None).to_dict() for _, h, t in rows]
    without = [tagger.predict(t).to_dict() for _, _, t in rows]
    assert [{k: v for k, v in l.items() if k != "id"} for l in outputs["headline"]] == with_titles
    assert [{k: v for k, v in l.items() if k != "id"} for l in outputs[""]] == without
    assert with_titles[0] != without[0]  # the title counts, so the two runs can be told apart


def test_resume_continues_after_last_complete_row(model_dir, tmp_path):
    src = tmp_path / "in.jsonl"
    texts = ["سجل المهاجم هدفا", "ارتفع سعر النفط", "صوت البرلمان", "فاز الفريق"]
    src.write_text("".join(json.dumps({"id": str(i), "text": t}, ensure_ascii=False) + "\n"
                           for i, t in enumerate(texts)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    # what an interrupted run leaves: two complete rows and half of a third
    partial_path(out).write_text('{"id": "0", "section": "sports"}\n{"id": "1", "section": "economy"}\n{"id": "2", "sec',
                                 encoding="utf-8")
    result = run("predict", "-m", model_dir, "--input", src, "--output", out, "--resume", "--batch-size", 1)
    assert result.exit_code == 0, result.output
    ids = [json.loads(l)["id"] for l in out.read_text(encoding="utf-8").splitlines()]
    assert ids == ["0", "1", "2", "3"]


def test_train_command_writes_a_model(train_csv, tmp_path):
    out = tmp_path / "m"
    result = run("train", "--data", train_csv, "--out", out, "--test-size", 0.25)
    assert result.exit_code == 0, result.output
    assert "macro" in result.stdout.lower()
    meta = json.loads((out / "meta.json").read_text())
    assert meta["sections"] == ["economy", "politics", "sports"]
    assert meta["data"]["test_rows"] == 9
    again = run("train", "--data", train_csv, "--out", out)
    assert again.exit_code == 2
    assert "--force" in again.stderr


def test_force_replaces_an_earlier_model_but_no_folder_of_the_users(train_csv, tmp_path,
                                                                     monkeypatch):
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.txt").write_text("mine", encoding="utf-8")
    refused = run("train", "--data", train_csv, "--out", mine, "--force")
    assert refused.exit_code == 2
    assert "is not an earlier tagger output (it has no meta.json)" in refused.stderr
    assert [p.name for p in mine.iterdir()] == ["chapter1.txt"]

    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("train", "--data", train_csv, "--out", empty, "--force").exit_code == 0
    before = (empty / "meta.json").read_text()
    assert run("train", "--data", train_csv, "--out", empty, "--force", "--seed", 1).exit_code == 0
    assert (empty / "meta.json").read_text() != before

    monkeypatch.chdir(empty)
    here = run("train", "--data", train_csv, "--out", ".", "--force")
    assert here.exit_code == 2 and "is the current directory or holds it" in here.stderr
    assert (empty / "meta.json").is_file()


@pytest.mark.parametrize("args, code, message", [
    (["predict", "--model", "{tmp}/missing", "نص"], 2, "model directory not found"),
    (["predict", "--file", "{tmp}/missing.txt"], 2, "file not found"),
    (["predict", "--input", "{tmp}/in.xlsx"], 2, "unsupported"),
    (["predict"], 2, None),
    (["predict", "نص", "--file", "{tmp}/x.txt"], 2, "exactly one of"),
    (["train", "--data", "{tmp}/missing.csv", "--out", "{tmp}/m"], 2, "not found"),
    (["train", "--data", "{tmp}/one.csv", "--out", "{tmp}/m"], 2, "need at least 2 sections"),
    (["predict", "--input", "{tmp}/in.jsonl", "--output", "{tmp}/no/such/dir/out.jsonl"], 2, "does not exist"),
    (["predict", "--input", "{tmp}/in.jsonl", "--title-col", "headline"], 2, "column 'headline' not found"),
    (["predict", "--input", "{tmp}/news", "--title-col", "title"], 2, "has no 'title' column"),
    (["predict", "--input", "{tmp}/in.jsonl", "--id-col", "ref"], 2,
     "column 'ref' not found in {tmp}/in.jsonl; columns found: text (use --id-col to choose "
     "another, or --id-col '' for no ids)"),
    (["predict", "--input", "{tmp}/in.jsonl", "--id-col", "id"], 2, "column 'id' not found"),
    (["predict", "--input", "{tmp}/news", "--id-col", "ref"], 2, "has no 'ref' column; leave out --id-col"),
])
def test_bad_input_gives_one_line_and_exit_code(tmp_path, model_dir, args, code, message):
    (tmp_path / "in.xlsx").write_bytes(b"PK\x03\x04")
    (tmp_path / "in.jsonl").write_text('{"text": "نص"}\n', encoding="utf-8")
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "a.txt").write_text("نص", encoding="utf-8")
    (tmp_path / "one.csv").write_text("text,label\nنص أول,sports\nنص ثان,sports\n", encoding="utf-8")
    args = [a.format(tmp=tmp_path) for a in args]
    if args[0] == "predict" and "--model" not in args and len(args) > 1:
        args += ["--model", str(model_dir)]
    result = run(*args)
    assert result.exit_code == code, result.output
    if message:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert message.format(tmp=tmp_path) in lines[0]
        assert "Traceback" not in result.output


def test_binary_and_non_utf8_files(model_dir, tmp_path):
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    latin = tmp_path / "l.txt"
    latin.write_bytes("café".encode("latin-1"))
    for path, message in ((binary, "binary"), (latin, "not UTF-8")):
        result = run("predict", "-m", model_dir, "--file", path)
        assert result.exit_code == 2
        assert message in result.stderr


def test_usage_errors_are_one_line(capsys):
    code, out, err = run_main(capsys, "predict", "--no-such-option")
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "--no-such-option" in err


def test_version_and_help(capsys):
    code, out, _ = run_main(capsys, "--version")
    assert code == 0 and out.startswith("tagger ")
    code, out, _ = run_main(capsys)
    assert code == 0 and "predict" in out and "train" in out


PAGES = __import__("pathlib").Path(__file__).parent / "fixtures" / "pages"


def test_predict_page_ignores_the_other_articles(model_dir, tmp_path):
    page = (PAGES / "economy_page.txt").read_text(encoding="utf-8")
    related = page[page.index("اقرأ أيضًا:"):]
    # A page whose body is about the economy but whose related block is pure sports:
    # only the body may count.
    sports_tail = "\n".join(["اقرأ أيضًا:"] + [
        "سجل المهاجم هدفين وفاز الفريق بالمباراة", "تأهل المنتخب إلى نهائي كأس البطولة",
        "أحرز اللاعب هدف الفوز في الدقيقة الأخيرة من الشوط الثاني",
        "تصدر النادي جدول ترتيب الدوري بعد فوزه على منافسه",
        "أعلن المدرب تشكيلة الفريق لمباراة الديربي", "انتقل الحارس إلى نادٍ جديد في الميركاتو",
        "فاز العداء بالميدالية الذهبية في بطولة ألعاب القوى",
        "تعادل الفريقان سلبيا في ملعب المدينة الرياضية"] * 10)
    path = tmp_path / "page.txt"
    path.write_text(page.replace(related, sports_tail), encoding="utf-8")
    obj = json.loads(run("predict", "-m", model_dir, "--page", path).stdout)
    assert obj["section"] == "economy"
    whole = json.loads(run("predict", "-m", model_dir, "--file", path).stdout)
    assert whole["section"] == "sports"  # proof the tail would have mattered


def test_clean_tags_repairs_the_page_list(model_dir):
    result = run("clean-tags", "-m", model_dir, "--plain", PAGES / "economy_page.txt")
    assert result.exit_code == 0, result.output
    tags = result.stdout.splitlines()
    assert tags[:3] == ["البنك المركزي", "سعر الفائدة", "التضخم"]
    assert not {"اقتصاد", "سياسة", "رياضة", "الرئيسية"} & set(tags)
    items = json.loads(run("clean-tags", "-m", model_dir, PAGES / "economy_page.txt").stdout)
    assert [i["keyword"] for i in items] == tags
    assert {i["source"] for i in items} <= {"page", "model", "page+model"}


def test_a_long_page_is_parsed_before_it_is_cut(model_dir, tmp_path, monkeypatch, caplog):
    import tagger.batch

    page = (PAGES / "economy_page.txt").read_text(encoding="utf-8")
    monkeypatch.setattr(tagger.batch, "MAX_ARTICLE_CHARS", len(page) // 2)  # its list is past it
    path = tmp_path / "page.txt"
    path.write_text(page, encoding="utf-8")
    tags = run("clean-tags", "-m", model_dir, "--plain", path).stdout.splitlines()
    assert tags[:3] == ["البنك المركزي", "سعر الفائدة", "التضخم"]
    assert not caplog.records
    monkeypatch.setattr(tagger.batch, "MAX_ARTICLE_CHARS", len(page) // 20)
    assert run("clean-tags", "-m", model_dir, "--plain", path).exit_code == 0
    assert "more than any page" in caplog.records[0].getMessage()


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows),
                    encoding="utf-8")
    return path


TEXTS = ["سجل المهاجم هدفا", "ارتفع سعر النفط", "صوت البرلمان", "فاز الفريق"]


def test_resume_refuses_the_partial_file_of_another_input(model_dir, tmp_path):
    src = _jsonl(tmp_path / "in.jsonl", [{"id": str(i), "text": t} for i, t in enumerate(TEXTS)])
    out = tmp_path / "out.jsonl"
    stale = '{"id": "other-0", "section": "sports"}\n{"id": "other-1", "section": "sports"}\n'
    partial_path(out).write_text(stale, encoding="utf-8")
    result = run("predict", "-m", model_dir, "--input", src, "--output", out, "--resume")
    assert result.exit_code == 2
    assert "does not belong to this input" in result.stderr and "'other-1'" in result.stderr
    assert partial_path(out).read_text(encoding="utf-8") == stale and not out.exists()
    # more rows than the input has: not this input's output either
    partial_path(out).write_text('{"section": null}\n' * 5, encoding="utf-8")
    result = run("predict", "-m", model_dir, "--input", src, "--output", out, "--resume")
    assert result.exit_code == 2 and "holds 5 rows" in result.stderr


def test_resume_without_a_partial_file_starts_from_the_first_row(model_dir, tmp_path):
    src = _jsonl(tmp_path / "in.jsonl", [{"id": str(i), "text": t} for i, t in enumerate(TEXTS)])
    out = tmp_path / "out.jsonl"
    result = run("predict", "-m", model_dir, "--input", src, "--output", out, "--resume")
    assert result.exit_code == 0, result.output
    assert [json.loads(l)["id"] for l in out.read_text(encoding="utf-8").splitlines()] == ["0", "1", "2", "3"]


def test_bad_row_while_resuming_keeps_the_rows_already_written(model_dir, tmp_path):
    src = tmp_path / "in.jsonl"
    # every column in the first record: the checks stop there and the run meets the bad row
    _jsonl(src, [{"id": str(i), "title": "", "text": t} for i, t in enumerate(TEXTS)])
    with open(src, "a", encoding="utf-8") as fh:
        fh.write('{"id": "4", "text": broken\n')
    out = tmp_path / "out.jsonl"
    done = '{"id": "0", "section": "sports"}\n'
    partial_path(out).write_text(done, encoding="utf-8")
    result = run("predict", "-m", model_dir, "--input", src, "--output", out, "--resume",
                 "--batch-size", 1)
    assert result.exit_code == 2 and "line 5" in result.stderr
    kept = partial_path(out).read_text(encoding="utf-8").splitlines()
    assert kept[0] == done.strip() and [json.loads(l)["id"] for l in kept] == ["0", "1", "2", "3"]
    assert not out.exists()


def test_lone_surrogates_in_the_input_still_give_json_lines(model_dir, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a\\udcff", "text": "سجل المهاجم \\udcff هدفا"}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run("predict", "-m", model_dir, "--input", src, "--output", out)
    assert result.exit_code == 0, result.output
    row = json.loads(out.read_text(encoding="utf-8"))
    assert row["id"] == "a\udcff" and row["section"] == "sports"


def test_rows_without_arabic_get_null_and_one_warning(model_dir, tmp_path, caplog):
    src = _jsonl(tmp_path / "in.jsonl", [{"text": "Hello world"}, {"text": TEXTS[1]},
                                         {"text": ""}, {"text": "2024 !"}])
    out = tmp_path / "out.jsonl"
    result = run("predict", "-m", model_dir, "--input", src, "--output", out)
    assert result.exit_code == 0, result.output
    sections = [json.loads(l)["section"] for l in out.read_text(encoding="utf-8").splitlines()]
    assert sections[0] is None and sections[1] is not None and sections[2:] == [None, None]
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
        '3 rows had no Arabic words to classify: their "section" is null']


def test_overlong_rows_are_cut_with_one_warning(model_dir, tmp_path, monkeypatch, caplog):
    import tagger.batch

    monkeypatch.setattr(tagger.batch, "MAX_ARTICLE_CHARS", 40)
    src = _jsonl(tmp_path / "in.jsonl", [{"text": "سجل المهاجم هدفا " * 20}, {"text": TEXTS[1]},
                                         {"text": "ارتفع سعر النفط " * 20}])
    out = tmp_path / "out.jsonl"
    result = tagger.batch.predict_file(Tagger.load(model_dir), src, out)
    assert result.rows == 3
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == ["2 rows held more than 40 characters: only their first 40 were used"]
    assert [json.loads(l)["section"] for l in out.read_text(encoding="utf-8").splitlines()] == \
        ["sports", "economy", "economy"]


def test_an_unread_title_column_is_pointed_out(model_dir, tmp_path, caplog):
    data = tmp_path / "labelled.csv"
    data.write_text("title,text,label\nالمنتخب يفوز,سجل المهاجم هدفا,sports\n"
                    "النفط يرتفع,ارتفع سعر النفط,economy\n", encoding="utf-8")
    plain = tmp_path / "plain.csv"
    plain.write_text("text,label\nسجل المهاجم هدفا,sports\nارتفع سعر النفط,economy\n",
                     encoding="utf-8")

    def warnings(*args):
        caplog.clear()
        result = run("evaluate", "-m", model_dir, *args)
        assert result.exit_code == 0, result.output
        return [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]

    assert warnings("--data", data, "--data", plain) == [
        f"{data} has a 'title' column that is not read; add --title-col title to read title "
        "and body, as the bundled model was trained"]
    assert warnings("--data", plain) == []
    assert warnings("--data", data, "--title-col", "title") == []


def test_batch_prediction_reads_the_keys_of_each_json_record(model_dir, tmp_path):
    # the first record has neither a title nor an id, the last no text: the others do
    rows = [{"text": TEXTS[1]}, {"id": "b", "title": "سجل المهاجم هدفين في المباراة النهائية",
                                 "text": "صوت البرلمان على القانون"}, {"id": "c", "title": TEXTS[2]}]
    src = _jsonl(tmp_path / "in.jsonl", rows)
    tagger = Tagger.load(model_dir)
    expected = [tagger.predict(row.get("text", ""), title=row.get("title")).to_dict() for row in rows]
    assert expected[1] != tagger.predict(rows[1]["text"]).to_dict()  # the title counts
    for args in ([], ["--title-col", "title"]):
        out = tmp_path / "out.jsonl"
        result = run("predict", "-m", model_dir, "--input", src, "--output", out, *args)
        assert result.exit_code == 0, result.output
        lines = [json.loads(l) for l in out.read_text(encoding="utf-8").splitlines()]
        assert [{k: v for k, v in l.items() if k != "id"} for l in lines] == expected
        assert [l["id"] for l in lines] == [None, "b", "c"]


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_batch_prediction_writes_ids_as_read_and_resumes_with_them(model_dir, tmp_path, suffix):
    import pyarrow as pa
    import pyarrow.parquet as pq

    ids = [10, None, 12, 13]
    src = tmp_path / f"in{suffix}"
    if suffix == ".jsonl":
        _jsonl(src, [{"id": i, "text": t} for i, t in zip(ids, TEXTS)])
    else:
        pq.write_table(pa.table({"id": pa.array(ids, pa.int64()), "text": TEXTS}), src)
    out = tmp_path / "out.jsonl"
    result = run("predict", "-m", model_dir, "--input", src, "--output", out)
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(l)["id"] for l in lines] == ids
    assert lines[0].startswith('{"id": 10, ') and lines[1].startswith('{"id": null, ')
    # an interrupted run stopped in the fourth row: resuming compares the third row's id, 12
    partial_path(out).write_text("\n".join(lines[:3]) + "\n" + lines[3][:20], encoding="utf-8")
    out.unlink()
    result = run("predict", "-m", model_dir, "--input", src, "--output", out, "--resume",
                 "--batch-size", 2)
    assert result.exit_code == 0, result.output
    assert "resumed after 3" in result.stderr
    assert out.read_text(encoding="utf-8").splitlines() == lines
    # the same rows with other ids are another input's
    partial_path(out).write_text(lines[0].replace('"id": 10', '"id": "10"') + "\n", encoding="utf-8")
    result = run("predict", "-m", model_dir, "--input", src, "--output", out, "--resume")
    assert result.exit_code == 2 and "its last row has id '10' but row 1 of the input has id 10" in result.stderr


def test_ids_are_read_from_an_id_column_when_there_and_from_a_named_one(model_dir, tmp_path):
    src = _jsonl(tmp_path / "in.jsonl", [{"ref": "r0", "id": 0, "text": TEXTS[0]},
                                         {"ref": "r1", "id": 1, "text": TEXTS[1]}])
    plain = _jsonl(tmp_path / "plain.jsonl", [{"text": TEXTS[0]}])

    def ids(path, *args):
        result = run("predict", "-m", model_dir, "--input", path, *args)
        assert result.exit_code == 0, result.output
        return [json.loads(l).get("id", "-") for l in result.stdout.splitlines()]

    assert ids(src) == [0, 1] and ids(src, "--id-col", "ref") == ["r0", "r1"]
    assert ids(src, "--id-col", "") == ["-", "-"]  # '' reads no ids
    assert ids(plain) == ["-"]  # the default 'id' is read only when there is one
