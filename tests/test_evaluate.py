"""tagger.evaluate and ``tagger evaluate``: report files, metrics that add up, unknown sections, groups."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tagger.api import Tagger
from tagger.cli import app
from tagger.data import load_labelled
from tagger.evaluate import NO_PREDICTION, evaluate

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, tiny_model):
    path = tmp_path_factory.mktemp("models") / "tiny"
    Tagger(tiny_model).save(path)
    return path


@pytest.fixture(scope="module")
def tagger(model_dir):
    return Tagger.load(model_dir)


@pytest.fixture(scope="module")
def eval_csv(tmp_path_factory, tiny_texts):
    """The tiny articles, some relabelled (sure errors), one section the model lacks, one non-Arabic text."""
    texts, labels = tiny_texts
    rows = [(text, label) for text, label in zip(texts, labels)]
    rows += [(texts[0] + " اليوم", "economy"), (texts[6] + " اليوم", "politics")]  # mislabelled on purpose
    rows += [("افتتح المعرض الدولي للكتاب بمشاركة دور نشر عربية", "culture"),
             ("فاز الروائي بجائزة الرواية العربية عن عمله الأخير", "culture")]
    rows += [("Breaking news 2024 without a single Arabic word", "sports")]
    path = tmp_path_factory.mktemp("eval") / "eval.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "source", "title", "text", "label", "tags"])
        for i, (text, label) in enumerate(rows):
            writer.writerow([f"e{i}", "outlet_a" if i % 2 else "outlet_b", f"عنوان {i}", text, label,
                             "|".join(text.split()[:2]) if i % 3 else ""])
    return path


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def read_report(path: Path):
    metrics = json.loads((path / "metrics.json").read_text(encoding="utf-8"))
    errors = [json.loads(line) for line in (path / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    return metrics, errors


def macro_f1_from_errors(metrics: dict, errors: list[dict]) -> float:
    """What a reader can compute with errors.jsonl and the per-section row counts alone."""
    f1s = []
    for section, row in metrics["per_section"].items():
        if row["support"] == 0:
            continue
        fn = sum(e["true"] == section for e in errors)
        fp = sum(e["predicted"] == section for e in errors)
        tp = row["support"] - fn
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    return sum(f1s) / len(f1s)


def test_evaluate_writes_every_report_file(model_dir, eval_csv, tmp_path):
    report = tmp_path / "report"
    result = run("evaluate", "--model", model_dir, "--data", eval_csv, "--title-col", "title",
                 "--report", report)
    assert result.exit_code == 0, result.output
    assert {p.name for p in report.iterdir()} == {"metrics.json", "errors.jsonl",
                                                  "confusion_matrix.png", "per_section_f1.png"}
    for png in ("confusion_matrix.png", "per_section_f1.png"):
        assert (report / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    metrics, errors = read_report(report)
    assert {"accuracy", "macro_f1", "per_section", "n", "unknown_sections"} <= set(metrics)
    assert set(metrics["per_section"]["sports"]) == {"precision", "recall", "f1", "support"}
    assert errors and all({"id", "true", "predicted", "score", "text"} <= set(e) for e in errors)
    assert all(len(e["text"]) <= 200 and e["true"] != e["predicted"] for e in errors)
    assert "macro-F1" in result.stdout and str(report) in result.stdout
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary dirs left


def test_macro_f1_and_accuracy_agree_with_errors_jsonl(model_dir, eval_csv, tmp_path):
    report = tmp_path / "r"
    assert run("evaluate", "-m", model_dir, "-d", eval_csv, "--report", report).exit_code == 0
    metrics, errors = read_report(report)
    assert metrics["macro_f1"] == pytest.approx(macro_f1_from_errors(metrics, errors), abs=1e-9)
    assert metrics["accuracy"] == pytest.approx(1 - len(errors) / metrics["n"])
    assert sum(row["support"] for row in metrics["per_section"].values()) == metrics["n"]


def test_unknown_sections_and_texts_without_arabic_count_as_errors(tagger, eval_csv, caplog):
    result = evaluate(tagger, eval_csv)
    assert result.unknown_sections == {"culture": 2}
    assert result.metrics["unknown_sections"] == {"culture": 2}
    culture = result.metrics["per_section"]["culture"]
    assert culture["support"] == 2 and culture["recall"] == 0
    assert sum(e["true"] == "culture" for e in result.errors) == 2
    assert "culture" in caplog.text and "does not know" in caplog.text
    assert result.metrics["no_prediction"] == 1
    assert [e["predicted"] for e in result.errors if e["text"].startswith("Breaking")] == [None]
    assert NO_PREDICTION in result.y_pred
    assert result.metrics["macro_f1"] == pytest.approx(macro_f1_from_errors(result.metrics, result.errors))


def test_unknown_sections_warning_is_one_stderr_line(model_dir, eval_csv, tmp_path):
    """The real console: the library's warning reaches stderr as one line."""
    proc = subprocess.run([sys.executable, "-m", "tagger", "evaluate", "-m", str(model_dir), "-d", str(eval_csv)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "culture" in line]
    assert len(warnings) == 1 and "does not know" in warnings[0]
    assert "accuracy" in proc.stdout


def test_by_column_gives_metrics_per_group(model_dir, eval_csv, tmp_path):
    report = tmp_path / "by"
    result = run("evaluate", "-m", model_dir, "-d", eval_csv, "--by", "source", "--report", report)
    assert result.exit_code == 0, result.output
    metrics, errors = read_report(report)
    assert set(metrics["by"]) == {"outlet_a", "outlet_b"} and metrics["by_column"] == "source"
    assert sum(group["n"] for group in metrics["by"].values()) == metrics["n"]
    for name, group in metrics["by"].items():
        assert {"accuracy", "macro_f1", "per_section"} <= set(group)
        group_errors = [e for e in errors if e["group"] == name]
        assert group["accuracy"] == pytest.approx(1 - len(group_errors) / group["n"])
    assert "outlet_a" in result.stdout and "outlet_b" in result.stdout


def test_labelled_data_and_keyword_metrics(model_dir, eval_csv):
    """A loaded LabelledData works too; keyword figures appear when the model has a keyword model."""

    class FirstWords:  # stands in for KeywordModel: the article's first two words
        def predict_many(self, texts, titles=None, max_keywords=None):
            return [[(word, 0.5) for word in text.split()[:2]] for text in texts]

    data = load_labelled(eval_csv, title_col="title", tags_col="tags", group_col="source",
                         min_classes=1)
    with_keywords = Tagger.load(model_dir)
    with_keywords.keyword_model = FirstWords()
    result = evaluate(with_keywords, data, by="source")
    keywords = result.metrics["keywords"]
    assert {"p_at_5", "r_at_5", "f1_at_5", "p_at_own", "r_at_own", "f1_at_own", "n"} <= set(keywords)
    assert keywords["n"] == sum(1 for tags in data.tags if tags)
    assert 0 < keywords["r_at_5"] <= 1
    assert all("keywords" in group for group in result.metrics["by"].values())
    without = evaluate(Tagger.load(model_dir), data)  # no keyword model: said, not faked
    assert without.metrics["keywords"] is None


def test_report_dir_is_replaced_only_with_force(model_dir, eval_csv, tmp_path):
    report = tmp_path / "again"
    report.mkdir()  # an empty directory is fine
    assert run("evaluate", "-m", model_dir, "-d", eval_csv, "--report", report).exit_code == 0
    again = run("evaluate", "-m", model_dir, "-d", eval_csv, "--report", report)
    assert again.exit_code == 2 and "--force" in again.stderr
    (report / "mine.txt").write_text("x")
    forced = run("evaluate", "-m", model_dir, "-d", eval_csv, "--report", report, "--force")
    assert forced.exit_code == 0, forced.output
    assert not (report / "mine.txt").exists() and (report / "metrics.json").exists()


def test_force_does_not_replace_a_folder_that_is_not_a_report(model_dir, eval_csv, tmp_path):
    mine = tmp_path / "photos"
    mine.mkdir()
    (mine / "holiday.jpg").write_bytes(b"\xff\xd8")
    result = run("evaluate", "-m", model_dir, "-d", eval_csv, "--report", mine, "--force")
    assert result.exit_code == 2
    assert "is not an earlier tagger output (it has no metrics.json)" in result.stderr
    assert [p.name for p in mine.iterdir()] == ["holiday.jpg"]


@pytest.mark.parametrize("args, message", [
    (["--text-col", "body"], "column 'body' not found"),
    (["--by", "outlet"], "--by"),
    (["--model", "{tmp}/missing"], "model directory not found"),
    (["--data", "{tmp}/missing.csv"], "not found"),
    (["--report", "{tmp}/full"], "already exists"),
    (["--report", "{tmp}/no/such/report"], "does not exist"),
])
def test_bad_input_gives_one_line_and_exit_2(model_dir, eval_csv, tmp_path, args, message):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "metrics.json").write_text("{}")
    args = [a.format(tmp=tmp_path) for a in args]
    base = [] if "--data" in args else ["--data", eval_csv]
    base += [] if "--model" in args else ["--model", model_dir]
    result = run("evaluate", *base, *args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert (tmp_path / "full" / "metrics.json").read_text() == "{}"
