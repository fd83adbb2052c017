"""Training on streamed chunks: the same API and outputs as in-memory training."""

import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tagger import Tagger
from tagger.errors import DataError
from tagger.features import FeatureConfig
from tagger.stream import LabelledStream
from tagger.train import train_streaming

ROOT = Path(__file__).resolve().parent.parent
SMALL = FeatureConfig(char_bits=14, word_bits=12)


@pytest.fixture(scope="module")
def sample_parquet(tmp_path_factory) -> Path:
    frame = pd.read_csv(ROOT / "data" / "sample.csv").sample(frac=1.0, random_state=1)
    path = tmp_path_factory.mktemp("stream") / "sample.parquet"
    frame.to_parquet(path, row_group_size=10)
    return path


def test_train_and_test_parts_are_disjoint_and_cover_every_row(sample_parquet):
    stream = LabelledStream([sample_parquet], title_col="title", batch_size=16, test_size=0.25)
    train = [t for texts, _ in stream.chunks(0, "train") for t in texts]
    test = [t for texts, _ in stream.chunks(0, "test") for t in texts]
    assert len(train) + len(test) == 84 and not set(train) & set(test)
    assert 0 < len(test) < 42
    assert max(len(texts) for texts, _ in stream.chunks(1, "train")) <= 16
    # every pass agrees on the split, whatever the shuffle
    assert sorted(t for texts, _ in stream.chunks(3, "test") for t in texts) == sorted(test)
    assert sum(stream.counts.values()) == len(train)


def test_label_map_and_empty_rows(tmp_path):
    path = tmp_path / "rows.jsonl"
    rows = [{"text": "فاز الفريق", "label": "sport"}, {"text": "خبر محلي", "label": "localNews"},
            {"text": "", "label": "sport"}, {"text": "ارتفع النفط", "label": None}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    stream = LabelledStream([path], label_map=ROOT / "data" / "label_map.json", test_size=0)
    assert list(stream.chunks(0)) == [(["فاز الفريق"], ["sports"])]
    assert sum(stream.dropped.values()) == 3


def test_json_records_need_not_all_have_every_key(tmp_path):
    path = tmp_path / "rows.jsonl"
    rows = [{"text": "فاز الفريق"}, {"text": "ارتفع النفط", "label": "economy", "title": "النفط"}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    stream = LabelledStream([path], title_col="title", test_size=0)
    assert list(stream.chunks(0)) == [(["النفط\nارتفع النفط"], ["economy"])]
    assert sum(stream.dropped.values()) == 1


def test_missing_column_names_the_columns_found(sample_parquet):
    with pytest.raises(DataError, match="'body' not found.*columns found: id, source, label"):
        LabelledStream([sample_parquet], text_col="body")


def test_streamed_model_predicts_and_saves(sample_parquet, tmp_path):
    result = train_streaming([sample_parquet], out=tmp_path / "m", title_col="title",
                             test_size=0.25, features=SMALL, batch_size=16, epochs=8)
    assert result.n_test > 0 and result.n_train + result.n_test == 84
    assert result.metrics["accuracy"] > 0.28  # 7 sections: chance is about 0.14
    loaded = Tagger.load(tmp_path / "m")
    assert loaded.meta["parameters"]["streaming"] is True
    texts = ["سجل المهاجم هدفين في المباراة النهائية", "ارتفعت أسعار النفط"]
    assert [p.section for p in loaded.predict_many(texts)] == result.tagger.section_model.predict(texts)


def test_sorted_data_is_warned_about(tmp_path, caplog):
    frame = pd.read_csv(ROOT / "data" / "sample.csv")
    frame = pd.concat([frame] * 15, ignore_index=True)
    frame["text"] = frame["text"] + " " + frame.index.astype(str)  # distinct rows
    path = tmp_path / "sorted.parquet"
    frame.sort_values("label").to_parquet(path)
    with caplog.at_level(logging.WARNING, logger="tagger.train"):
        train_streaming([path], features=SMALL, epochs=1, test_size=0.1)
    assert "shuffle the data once beforehand" in caplog.text


def test_cli_refuses_tags_with_streaming(sample_parquet, tmp_path):
    out = subprocess.run([sys.executable, "-m", "tagger", "train", "--streaming", "--data",
                          str(sample_parquet), "--tags-col", "tags", "--out", str(tmp_path / "m")],
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert "--tags-col cannot be used with --streaming" in out.stderr
    assert "Traceback" not in out.stderr and not (tmp_path / "m").exists()


def test_csv_and_parquet_stream_the_same_rows(sample_parquet, tmp_path):
    path = tmp_path / "sample.csv"
    pd.read_parquet(sample_parquet).to_csv(path, index=False)
    rows = [list(LabelledStream([p], title_col="title", test_size=0).chunks(0))
            for p in (sample_parquet, path)]
    assert rows[0] == rows[1] and sum(len(t) for t, _ in rows[0][:]) == 84


@pytest.fixture(scope="module")
def titled_and_untitled(sample_parquet, tmp_path_factory) -> list[Path]:
    """The sample split in two: a CSV file with titles and a Parquet file without (as
    ANT and SANAD are)."""
    frame = pd.read_parquet(sample_parquet)
    folder = tmp_path_factory.mktemp("mixed")
    titled, untitled = folder / "titled.csv", folder / "untitled.parquet"
    frame.iloc[:40].to_csv(titled, index=False)
    frame.iloc[40:].drop(columns="title").to_parquet(untitled, index=False)
    return [titled, untitled]


def test_titles_are_read_from_the_inputs_that_have_them_as_without_streaming(titled_and_untitled):
    from tagger.data import load_labelled

    stream = LabelledStream(titled_and_untitled, title_col="title", test_size=0)
    streamed = [text for texts, _ in stream.chunks(0) for text in texts]
    loaded = load_labelled(titled_and_untitled, title_col="title", dedupe=False).full_texts()
    assert streamed == loaded
    assert sum("\n" in text for text in streamed) == 40  # the titled file's rows only


def test_a_title_column_no_input_has_is_an_error_as_without_streaming(titled_and_untitled):
    from tagger.data import load_labelled

    for inputs, where in ((titled_and_untitled, "any input"),
                          (titled_and_untitled[1:], str(titled_and_untitled[1]))):
        expected = (f"^column 'headline' not found in {re.escape(where)}; columns found: id, source, "
                    r"label, (title, )?text, tags \(use --title-col to choose another\)$")
        for load in (LabelledStream, load_labelled):
            with pytest.raises(DataError, match=expected):
                load(inputs, title_col="headline")


def test_a_folder_of_text_files_cannot_be_streamed(tmp_path):
    (tmp_path / "corpus" / "sports").mkdir(parents=True)
    (tmp_path / "corpus" / "sports" / "a.txt").write_text("فاز الفريق", encoding="utf-8")
    with pytest.raises(DataError, match=r"corpus is a folder, which --streaming cannot read; train on it "
                                        r"without --streaming, or convert it to .*\.parquet"):
        LabelledStream([tmp_path / "corpus"])


def test_the_card_of_a_streamed_model_says_what_is_known(titled_and_untitled, tmp_path):
    from typer.testing import CliRunner

    from tagger.cli import app

    out = tmp_path / "m"
    result = CliRunner().invoke(app, ["train", "--streaming", "--data", str(titled_and_untitled[0]),
                                      "--data", str(titled_and_untitled[1]), "--title-col", "title",
                                      "--test-size", "0.25", "--out", str(out)])
    assert result.exit_code == 0, result.output
    sources = json.loads((out / "meta.json").read_text(encoding="utf-8"))["data"]["sources"]
    assert [(s["rows"], s["kept"]) for s in sources] == [(40, 40), (44, 44)]

    def card() -> str:
        shown = CliRunner().invoke(app, ["info", "--model", str(out)])
        assert shown.exit_code == 0, shown.output
        return shown.stdout

    text = card()
    assert "None" not in text
    assert "84 articles; streamed, duplicates not removed; trained on" in text
    assert f"{titled_and_untitled[0]}: 40 rows, kept 40" in text
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    del meta["data"]["rows"]  # as a streamed model of an earlier tagger recorded it
    meta["data"]["sources"] = [{"data": s["data"]} for s in meta["data"]["sources"]]
    (out / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    text = card()
    assert "None" not in text and "data      streamed, duplicates not removed; trained on" in text
    assert f"\n          {titled_and_untitled[1]}\n" in text
