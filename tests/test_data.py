"""Tests of tagger.data: loading labelled articles and streaming texts for prediction."""

from __future__ import annotations

import csv
import json
import logging
import os
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tagger.data import (LabelledData, check_inputs, count_rows, iter_text_batches, json_value,
                         load_label_map, load_labelled)
from tagger.errors import DataError, InputError
from tagger.stream import LabelledStream

FIXTURES = Path(__file__).parent / "fixtures" / "data"

# Short news-like articles written for these tests: (id, label, title, text, tags).
ARTICLES = [
    ("s1", "sports", "المنتخب يفوز في الافتتاح",
     "فاز المنتخب على ضيفه بهدفين نظيفين في المباراة الافتتاحية للبطولة.",
     ["المنتخب", "البطولة"]),
    ("s2", "sports", "مدرب الفريق يعلن التشكيلة",
     "أعلن مدرب الفريق قائمة اللاعبين لمباراة الغد مع غياب حارس المرمى المصاب.",
     []),
    ("e1", "economy", "البنك المركزي يرفع الفائدة",
     "قرر البنك المركزي رفع سعر الفائدة ربع نقطة لمواجهة ارتفاع التضخم.",
     ["البنك المركزي", "التضخم"]),
    ("e2", "economy", "صادرات النفط ترتفع",
     "ارتفعت صادرات النفط الخام عشرة في المئة مقارنة بالشهر الماضي.",
     []),
    ("p1", "politics", "وزير الخارجية يستقبل نظيره",
     "استقبل وزير الخارجية نظيره وبحث معه تعزيز العلاقات الثنائية.",
     ["وزير الخارجية"]),
]
COLUMNS = ["id", "label", "title", "text", "tags"]


def records(articles=ARTICLES) -> list[dict]:
    return [dict(zip(COLUMNS, article)) for article in articles]


def write(path: Path, rows: list[dict], tags_as: str = "json") -> Path:
    """Write ``rows`` in the format named by ``path``'s extension (or a folder of .txt files)."""
    if path.suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    elif path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    elif path.suffix == ".json":
        path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    elif path.suffix == ".csv":
        with open(path, "w", encoding="utf-8", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=list(rows[0]))
            writer.writeheader()
            for row in rows:
                if isinstance(row.get("tags"), list):
                    tags = row["tags"]
                    row = {**row, "tags": json.dumps(tags, ensure_ascii=False) if tags_as == "json"
                           else tags_as.join(tags)}
                writer.writerow(row)
    else:  # a folder: one sub-folder per label, one file per article
        for row in rows:
            (path / row["label"]).mkdir(parents=True, exist_ok=True)
            (path / row["label"] / f"{row['id']}.txt").write_text(row["text"], encoding="utf-8")
    return path


FORMATS = ["data.csv", "data.jsonl", "data.json", "data.parquet", "folder"]


# --- every format ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", FORMATS)
def test_each_format_loads_texts_and_labels(tmp_path, name):
    path = write(tmp_path / name, records())
    loaded = load_labelled(path)
    by_text = dict(zip(loaded.texts, loaded.labels))
    assert by_text == {text: label for _, label, _, text, _ in ARTICLES}
    assert len(loaded) == len(ARTICLES)
    assert loaded.sources == [{"data": path, "rows": 5, "kept": 5}]
    assert loaded.titles is loaded.tags is loaded.groups is loaded.ids is None


@pytest.mark.parametrize("name", ["data.csv", "data.jsonl", "data.parquet"])
def test_titles_tags_and_ids_are_carried(tmp_path, name):
    path = write(tmp_path / name, records())
    loaded = load_labelled(str(path), title_col="title", tags_col="tags", id_col="id")
    assert loaded.ids == [a[0] for a in ARTICLES]
    assert loaded.titles == [a[2] for a in ARTICLES]
    assert loaded.tags == [a[4] for a in ARTICLES]
    assert loaded.full_texts()[0] == f"{ARTICLES[0][2]}\n{ARTICLES[0][3]}"


def test_folder_ids_are_paths_inside_the_folder(tmp_path):
    loaded = load_labelled(write(tmp_path / "news", records()), id_col="id")
    assert sorted(loaded.ids) == sorted(f"{label}/{id_}.txt" for id_, label, *_ in ARTICLES)
    assert dict(zip(loaded.ids, loaded.labels))["economy/e1.txt"] == "economy"


def test_csv_keeps_every_column_as_text(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("id,text,label\n007,نص عن الرياضة,1\n008,نص عن الاقتصاد,2\n", encoding="utf-8")
    loaded = load_labelled(path, id_col="id")
    assert loaded.ids == ["007", "008"] and loaded.labels == ["1", "2"]


def test_csv_with_quoted_newlines_and_byte_order_mark(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes('text,label\n"سطر أول\nسطر ثان, مع فاصلة",sports\nنص آخر,economy\n'.encode("utf-8-sig"))
    loaded = load_labelled(path)
    assert loaded.texts == ["سطر أول\nسطر ثان, مع فاصلة", "نص آخر"]


def test_checked_in_fixture_with_label_map():
    loaded = load_labelled(FIXTURES / "news.csv", title_col="title", tags_col="tags", group_col="source",
                           id_col="id", label_map=FIXTURES / "label_map.json")
    # n8 ('society') maps to null; n7 repeats n6's body with diacritics and another headline
    assert loaded.ids == ["n1", "n2", "n3", "n4", "n5", "n6"]
    assert loaded.label_counts() == {"sports": 2, "economy": 2, "politics": 2}
    assert loaded.groups == ["outlet_a", "outlet_b", "outlet_a", "outlet_b", "outlet_a", "outlet_b"]
    assert loaded.tags[0] == ["المنتخب الوطني", "البطولة"] and loaded.tags[2] == ["البنك المركزي", "التضخم"]
    assert loaded.tags[1] == []
    assert (loaded.n_dropped_labels, loaded.n_duplicates, loaded.n_conflicts) == (1, 1, 0)


# --- several inputs -------------------------------------------------------------------------

def test_several_inputs_are_concatenated_in_order(tmp_path):
    first = write(tmp_path / "a.csv", records(ARTICLES[:2]))
    second = write(tmp_path / "b.parquet", records(ARTICLES[2:4]))
    third = write(tmp_path / "c", records(ARTICLES[4:]))
    loaded = load_labelled([first, str(second), third])
    assert loaded.texts == [a[3] for a in ARTICLES]
    assert [s["data"] for s in loaded.sources] == [first, str(second), third]
    assert [(s["rows"], s["kept"]) for s in loaded.sources] == [(2, 2), (2, 2), (1, 1)]


def test_a_required_column_missing_from_one_input_names_that_input(tmp_path):
    first = write(tmp_path / "a.csv", records(ARTICLES[:2]))
    second = write(tmp_path / "b.jsonl", [{"body": a[3], "label": a[1]} for a in ARTICLES[2:]])
    expected = r"column 'text' not found in .*b\.jsonl; columns found: body, label"
    with pytest.raises(DataError, match=expected):
        load_labelled([first, second])


def test_no_inputs(tmp_path):
    with pytest.raises(DataError, match="no data given"):
        load_labelled([])


# --- titles, tags, groups -------------------------------------------------------------------

def test_full_texts_without_titles_or_with_an_empty_title():
    data = LabelledData(texts=["نص أول", "نص ثان"], labels=["a", "b"])
    assert data.full_texts() == ["نص أول", "نص ثان"]
    data.titles = ["عنوان", ""]
    assert data.full_texts() == ["عنوان\nنص أول", "نص ثان"]


@pytest.mark.parametrize("tags_as", ["json", "|", ";"])
def test_csv_tags_in_every_written_form(tmp_path, tags_as):
    loaded = load_labelled(write(tmp_path / "d.csv", records(), tags_as=tags_as), tags_col="tags")
    assert loaded.tags == [a[4] for a in ARTICLES]


def test_tags_are_stripped_and_deduplicated_and_missing_tags_are_empty(tmp_path):
    rows = records()
    rows[0]["tags"], rows[1]["tags"] = " ترمب | روسيا |ترمب| ", None
    rows[2]["tags"] = "السعودية؛ اليمن"
    loaded = load_labelled(write(tmp_path / "d.jsonl", rows), tags_col="tags")
    assert loaded.tags[:3] == [["ترمب", "روسيا"], [], ["السعودية", "اليمن"]]


def test_malformed_json_tags(tmp_path):
    rows = records()
    rows[3]["tags"] = '["غير مغلق"'
    with pytest.raises(DataError, match=r"cannot read the tags of row 4 in .*d\.jsonl"):
        load_labelled(write(tmp_path / "d.jsonl", rows), tags_col="tags")


def test_groups_and_subset(tmp_path):
    rows = [{**r, "source": f"outlet{i % 2}"} for i, r in enumerate(records())]
    loaded = load_labelled(write(tmp_path / "d.parquet", rows), group_col="source", title_col="title",
                           tags_col="tags", id_col="id")
    part = loaded.subset([4, 0])
    assert isinstance(part, LabelledData) and len(part) == 2
    assert part.ids == ["p1", "s1"] and part.labels == ["politics", "sports"]
    assert part.groups == ["outlet0", "outlet0"] and part.titles == [ARTICLES[4][2], ARTICLES[0][2]]
    assert part.tags == [ARTICLES[4][4], ARTICLES[0][4]] and part.texts == [ARTICLES[4][3], ARTICLES[0][3]]
    assert part.sources == loaded.sources and len(loaded) == 5


# --- label map ------------------------------------------------------------------------------

def test_label_map_maps_drops_null_and_unmapped_and_logs_counts(tmp_path, caplog):
    rows = records() + [{"id": "x", "label": "society", "title": "", "text": "خبر محلي عن الحي", "tags": []}]
    mapping = {"sports": "sport", "economy": "business", "society": None}
    with caplog.at_level(logging.INFO, logger="tagger.data"):
        loaded = load_labelled(write(tmp_path / "d.parquet", rows), label_map=mapping)
    assert loaded.label_counts() == {"sport": 2, "business": 2}
    assert loaded.n_dropped_labels == 2 and loaded.sources[0]["kept"] == 4
    assert "society (1)" in caplog.text and "politics (1)" in caplog.text
    unmapped = [r for r in caplog.records if "not in the label map" in r.getMessage()]
    assert unmapped and unmapped[0].levelno == logging.WARNING


def test_label_map_from_file(tmp_path):
    map_path = tmp_path / "map.json"
    mapping = {"sports": "رياضة", "economy": "اقتصاد", "politics": None}
    map_path.write_text(json.dumps(mapping), encoding="utf-8")
    loaded = load_labelled(write(tmp_path / "d.csv", records()), label_map=map_path)
    assert set(loaded.labels) == {"رياضة", "اقتصاد"} and len(loaded) == 4


def test_nothing_left_after_the_label_map(tmp_path):
    with pytest.raises(DataError, match="no rows left after applying the label map: labels found: "
                                        "economy, politics, sports; map keys: culture, sport"):
        load_labelled(write(tmp_path / "d.csv", records()), label_map={"sport": "sports", "culture": None})


def test_load_label_map(tmp_path):
    path = tmp_path / "map.json"
    path.write_text('{"sport": "sports", "society": null}', encoding="utf-8")
    assert load_label_map(path) == {"sport": "sports", "society": None}


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", r"is not valid JSON: .* at line 1 column 2"),
    ('["sport"]', r"must be a JSON object of source label -> section name or null.*; found an array"),
    ('{"sport": 3}', r"maps 'sport' to 3; expected a section name or null"),
    ('{"sport": ""}', r"maps 'sport' to \"\"; expected a section name or null"),
])
def test_bad_label_maps(tmp_path, content, message):
    path = tmp_path / "map.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        load_label_map(path)


def test_missing_label_map(tmp_path):
    with pytest.raises(DataError, match=r"label map not found: .*nope\.json"):
        load_labelled(write(tmp_path / "d.csv", records()), label_map=tmp_path / "nope.json")


def test_label_map_given_as_a_dict_is_checked(tmp_path):
    with pytest.raises(DataError, match="maps 'sports' to"):
        load_labelled(write(tmp_path / "d.csv", records()), label_map={"sports": ["a"]})


# --- empty rows and duplicates --------------------------------------------------------------

def test_rows_with_empty_text_or_label_are_dropped(tmp_path):
    rows = records() + [{"id": "a", "label": "sports", "title": "", "text": "  ", "tags": []},
                        {"id": "b", "label": None, "title": "", "text": "نص بلا قسم", "tags": []},
                        {"id": "c", "label": "economy", "title": "", "text": None, "tags": []}]
    loaded = load_labelled(write(tmp_path / "d.parquet", rows), id_col="id")
    assert loaded.ids == [a[0] for a in ARTICLES] and loaded.n_empty == 3
    assert loaded.sources[0] == {"data": tmp_path / "d.parquet", "rows": 8, "kept": 5}


def test_nan_in_a_csv_is_an_empty_text(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("text,label\n,sports\nنص,\nنص عن الرياضة,sports\nنص عن المال,economy\n", encoding="utf-8")
    loaded = load_labelled(path)
    assert loaded.texts == ["نص عن الرياضة", "نص عن المال"] and loaded.n_empty == 2


def test_exact_and_spelling_variant_duplicates_are_removed_keeping_the_first(tmp_path):
    base = "أعلن المدرب قائمة اللاعبين لمباراة الغد"
    variants = [
        "أَعْلَنَ المدربُ قائمةَ اللاعبين لمباراة الغد",  # diacritics
        "اعلن المدرب قائمة اللاعبين لمباراة الغد",  # bare alef
        "أعلـــن المدرب  قائمة اللاعبين\nلمباراة الغد ",  # tatweel and whitespace
        base,  # exact copy
    ]
    rows = [{"id": str(i), "label": "sports", "text": t} for i, t in enumerate([base, *variants])]
    rows.append({"id": "other", "label": "economy", "text": "ارتفعت أسعار الذهب"})
    loaded = load_labelled(write(tmp_path / "d.jsonl", rows), id_col="id")
    assert loaded.ids == ["0", "other"] and loaded.n_duplicates == 4 and loaded.n_conflicts == 0


def test_duplicates_with_another_label_keep_the_first_and_are_counted(tmp_path):
    first = write(tmp_path / "a.csv", records())
    copy = [{**records()[0], "id": "copy", "label": "economy", "title": "عنوان آخر"}]
    loaded = load_labelled([first, write(tmp_path / "b.csv", copy)], id_col="id")
    assert "copy" not in loaded.ids and loaded.labels[0] == "sports"
    assert (loaded.n_duplicates, loaded.n_conflicts) == (1, 1)
    assert loaded.sources[1] == {"data": tmp_path / "b.csv", "rows": 1, "kept": 0}


def test_duplicates_mapped_to_the_same_section_are_no_conflict(tmp_path):
    rows = records() + [{**records()[4], "id": "again", "label": "middleEast"}]
    mapping = {"sports": "sports", "economy": "economy", "politics": "politics", "middleEast": "politics"}
    loaded = load_labelled(write(tmp_path / "d.csv", rows), label_map=mapping)
    assert (loaded.n_duplicates, loaded.n_conflicts) == (1, 0)


def test_dedupe_can_be_turned_off(tmp_path):
    rows = records() + records()
    loaded = load_labelled(write(tmp_path / "d.csv", rows), dedupe=False)
    assert len(loaded) == 10 and loaded.n_duplicates == 0


# --- labels required or not -----------------------------------------------------------------

def test_one_section_is_not_enough_to_train(tmp_path):
    with pytest.raises(DataError, match="need at least 2 sections to train, found only 'sports'"):
        load_labelled(write(tmp_path / "d.csv", records(ARTICLES[:2])))


def test_min_classes(tmp_path):
    path = write(tmp_path / "d.csv", records(ARTICLES[:4]))
    with pytest.raises(DataError, match="need at least 3 sections to train, found 2: economy, sports"):
        load_labelled(path, min_classes=3)
    assert len(load_labelled(write(tmp_path / "one.csv", records(ARTICLES[:2])), min_classes=1)) == 2


def test_labels_optional_when_not_required(tmp_path):
    path = write(tmp_path / "d.jsonl", [{"text": a[3], "tags": a[4]} for a in ARTICLES[:3]])
    loaded = load_labelled(path, require_labels=False, tags_col="tags")
    assert loaded.labels is None and len(loaded) == 3 and loaded.tags[2] == ARTICLES[2][4]
    single = load_labelled(write(tmp_path / "one.csv", records(ARTICLES[:2])), require_labels=False)
    assert single.labels == ["sports", "sports"]
    with pytest.raises(DataError, match="column 'label' not found"):
        load_labelled(path)


# --- errors ---------------------------------------------------------------------------------

def test_missing_column_names_the_columns_found_and_the_option(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("id,text,category\n1,نص,sports\n", encoding="utf-8")
    with pytest.raises(DataError) as error:
        load_labelled(path)
    assert str(error.value) == (f"column 'label' not found in {path}; columns found: id, text, category "
                                f"(use --label-col to choose another)")
    with pytest.raises(DataError, match=r"column 'body' not found .*\(use --text-col to choose another\)"):
        load_labelled(path, text_col="body", label_col="category")


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"^data file not found: .*nope\.csv$"):
        load_labelled(tmp_path / "nope.csv")


def test_unsupported_format(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(DataError, match=r"unsupported data format '\.xlsx' for .*x\.xlsx; use \.parquet, "
                                        r"\.csv, \.jsonl or a folder of \.txt files per label"):
        load_labelled(path)


@pytest.mark.parametrize(("sep", "name"), [(";", "';'"), ("\t", "tabs")])
def test_csv_with_another_delimiter(tmp_path, sep, name):
    path = tmp_path / "x.csv"
    path.write_text(f"text{sep}label\nنص، مع فاصلة{sep}sports\n", encoding="utf-8")
    with pytest.raises(DataError, match=f"seems to use {name} between columns, not commas"):
        load_labelled(path)


@pytest.mark.parametrize(("name", "fix"), [
    ("x.csv", "save it with UTF-8 encoding (e.g. 'CSV UTF-8' in Excel)"),
    ("x.jsonl", "save it as UTF-8 (from Windows Arabic: iconv ")])
def test_not_utf8(tmp_path, name, fix):
    path = tmp_path / name
    content = "text,label\nخبر رياضي,sports\n" if name.endswith("csv") else '{"text": "خبر", "label": "a"}\n'
    path.write_bytes(content.encode("cp1256"))
    with pytest.raises(DataError, match=r"x\.\w+ is not UTF-8 text; ") as error:
        load_labelled(path)
    assert fix in str(error.value)


def test_only_csv_files_get_the_excel_hint(tmp_path):
    folder = tmp_path / "folder"
    (folder / "sports").mkdir(parents=True)
    (folder / "sports" / "a.txt").write_bytes("خبر رياضي".encode("cp1256"))
    with pytest.raises(DataError, match=r"a\.txt is not UTF-8 text; save it as UTF-8") as error:
        load_labelled(folder)
    assert "Excel" not in str(error.value)


def test_not_utf8_beyond_the_first_bytes_keeps_the_cause(tmp_path):
    path = tmp_path / "x.csv"
    good = "".join(f"خبر رياضي رقم {i},sports\n" for i in range(5000))
    path.write_bytes(f"text,label\n{good}".encode() + "خبر أخير,sports\n".encode("cp1256"))
    with pytest.raises(DataError, match="is not UTF-8 text") as error:
        load_labelled(path)
    assert error.value.__cause__ is not None


def test_binary_file_named_parquet(tmp_path):
    path = tmp_path / "x.parquet"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DataError, match=r"could not read .*x\.parquet as PARQUET: .*magic bytes") as error:
        load_labelled(path)
    assert error.value.__cause__ is not None


def test_invalid_json_lines(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "خبر", "label": "a"}\n{"text": خبر}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"could not read .*x\.jsonl as JSON: ") as error:
        load_labelled(path)
    assert "\n" not in str(error.value) and error.value.__cause__ is not None


@pytest.mark.parametrize(("bad", "line", "problem"), [("garbage", 12, "Expecting value"),
                                                    ('{"text": "a\tb", "label": "a"}', 12,
                                                     "Invalid control character")])
def test_a_bad_json_line_is_named_by_its_line_number_as_prediction_names_it(tmp_path, bad, line, problem):
    good = [json.dumps(row, ensure_ascii=False) for row in records() * 2]
    path = tmp_path / "x.jsonl"  # a blank line 3, ten records, then the bad one
    path.write_text("\n".join(good[:2] + [""] + good[2:] + [bad]) + "\n", encoding="utf-8")
    expected = f"could not read {path} as JSON: {problem} at line {line}"
    with pytest.raises(DataError) as training:
        load_labelled(path)
    with pytest.raises(DataError) as prediction:
        list(iter_text_batches(path))
    assert str(training.value) == str(prediction.value) == expected


def test_json_problems_are_not_followed_by_a_doubled_at(tmp_path):
    path = tmp_path / "map.json"
    path.write_text('{"sport":\n "sp\torts"}', encoding="utf-8")
    with pytest.raises(DataError, match=r"is not valid JSON: Invalid control character at line 2 column 5$"):
        load_label_map(path)


@pytest.mark.parametrize(("name", "content"), [("x.csv", ""), ("x.csv", "text,label\n"), ("x.jsonl", "\n"),
                                               ("x.json", "[]")])
def test_empty_files(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=r"no rows in .*x\.jsonl?|no rows in .*x\.csv"):
        load_labelled(path)


def test_rows_all_unusable(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("text,label\n,sports\n  ,economy\n", encoding="utf-8")
    expected = r"no usable rows in .*x\.csv: every row has an empty 'text' or an empty or NaN 'label'"
    with pytest.raises(DataError, match=expected):
        load_labelled(path)


def test_folder_without_label_subfolders(tmp_path):
    (tmp_path / "loose.txt").write_text("خبر", encoding="utf-8")
    with pytest.raises(DataError, match="no .txt files in the sub-folders of .*one sub-folder per label"):
        load_labelled(tmp_path)


def test_data_errors_are_input_errors(tmp_path):
    with pytest.raises(InputError):
        load_labelled(tmp_path / "nope.parquet")


# --- Hugging Face hub ------------------------------------------------------------------------

def test_hub_failure_names_the_dataset(monkeypatch):
    import datasets

    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    with pytest.raises(DataError, match=r"^'someone/arabic-news' is neither a local file or folder nor a "
                                        r"dataset reachable on the Hugging Face hub: .*; check the path, "
                                        r"or your network connection and the dataset name$") as error:
        load_labelled("someone/arabic-news", split="test")
    assert error.value.__cause__ is not None


def _unreachable_hub(name, *args, **kwargs):
    """load_dataset without a network: huggingface_hub logs each retry, then datasets gives up."""
    retries = logging.getLogger("huggingface_hub.utils._http")
    for attempt in range(1, 3):
        retries.warning("'[Errno -2] Name or service not known' thrown while requesting HEAD "
                        "https://huggingface.co/datasets/%s/resolve/main/README.md", name)
        retries.warning("Retrying in %ds [Retry %d/5].", attempt, attempt)
    raise ConnectionError(f"Couldn't reach '{name}' on the Hub (LocalEntryNotFoundError)")


def test_an_unreachable_hub_logs_no_retries(monkeypatch):
    import datasets

    heard = []
    handler = logging.Handler()
    handler.emit = lambda record: heard.append(record.getMessage())
    hub_log = logging.getLogger("huggingface_hub")  # its own handler writes to stderr
    level = hub_log.level
    hub_log.addHandler(handler)
    monkeypatch.setattr(datasets, "load_dataset", _unreachable_hub)
    try:
        with pytest.raises(DataError, match=r"'someone/arabic-news' is neither a local file or folder "
                                            r"nor a dataset reachable on the Hugging Face hub: "
                                            r"Couldn't reach"):
            load_labelled("someone/arabic-news")
        assert heard == [] and hub_log.level == level
        logging.getLogger("huggingface_hub.utils._http").warning("after the load")
        assert heard == ["after the load"]
    finally:
        hub_log.removeHandler(handler)


def test_a_hub_dataset_that_is_found_but_unusable_says_so(monkeypatch):
    import datasets

    def unknown_split(name, split=None, **kwargs):
        raise ValueError(f"Unknown split \"{split}\". Should be one of ['train'].")

    monkeypatch.setattr(datasets, "load_dataset", unknown_split)
    with pytest.raises(DataError, match=r"could not load the Hugging Face dataset 'someone/arabic-news' "
                                        r"\(split 'dev'\): Unknown split .*"
                                        r"check the dataset name and --split"):
        load_labelled("someone/arabic-news", split="dev")


def test_hub_names_go_to_load_dataset_with_the_split(monkeypatch):
    import datasets

    calls = []

    def fake_load_dataset(name, split=None, **kwargs):
        calls.append((name, split))
        columns = {"text": [a[3] for a in ARTICLES], "label": [a[1] for a in ARTICLES]}
        return datasets.Dataset.from_dict(columns)

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    loaded = load_labelled("someone/arabic-news", split="validation")
    assert calls == [("someone/arabic-news", "validation")] and len(loaded) == 5


def test_a_missing_local_path_with_an_extension_is_not_sent_to_the_hub(monkeypatch):
    import datasets

    monkeypatch.setattr(datasets, "load_dataset", lambda *a, **k: pytest.fail("hub was queried"))
    with pytest.raises(DataError, match="data file not found: data/news.csv"):
        load_labelled("data/news.csv")


@pytest.mark.parametrize("name", ["corpus/articles", "./corpus/articles", "../corpus/articles", "./articles",
                                  "~/articles", "news/2024/articles", "news/articles.tsv",
                                  "news/articles.parquet"])
def test_a_missing_value_that_looks_like_a_local_path_is_not_sent_to_the_hub(tmp_path, monkeypatch, name):
    import datasets

    (tmp_path / "corpus").mkdir()  # "corpus/articles": a mistyped file in an existing folder
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(datasets, "load_dataset", lambda *a, **k: pytest.fail("hub was queried"))
    for load in (check_inputs, load_labelled, LabelledStream):
        with pytest.raises(DataError, match=f"^data file not found: {re.escape(name)}$"):
            load(name)


def test_a_user_slash_name_with_no_such_local_folder_goes_to_the_hub(tmp_path, monkeypatch):
    import datasets

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(datasets, "load_dataset", _unreachable_hub)
    check_inputs("someone/news-2.1")  # not checked: a hub name (dots are allowed in them)
    for load in (load_labelled, LabelledStream):
        with pytest.raises(DataError, match="'someone/news-2.1' is neither a local file or folder nor"):
            load("someone/news-2.1")


# --- datasets side effects ------------------------------------------------------------------

def test_rewritten_file_is_read_again_and_no_cache_is_left(tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    path = write(tmp_path / "d.csv", records())
    stat = path.stat()
    assert len(load_labelled(path)) == 5
    write(path, records(ARTICLES[:3]))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same mtime: what datasets keys its cache on
    assert len(load_labelled(path)) == 3
    assert list(scratch.iterdir()) == []


def test_loading_is_quiet_and_restores_datasets_settings(tmp_path, capfd):
    import datasets
    from datasets.utils import logging as datasets_logging

    before = (datasets.is_progress_bar_enabled(), datasets_logging.get_verbosity())
    load_labelled(write(tmp_path / "d.csv", records()))
    assert "Generating" not in capfd.readouterr().err
    assert (datasets.is_progress_bar_enabled(), datasets_logging.get_verbosity()) == before


# --- iter_text_batches and count_rows -------------------------------------------------------

@pytest.mark.parametrize("name", ["d.csv", "d.jsonl", "d.json", "d.parquet"])
def test_iter_text_batches_each_format(tmp_path, name):
    path = write(tmp_path / name, records())
    batches = list(iter_text_batches(path, batch_size=2))
    assert [len(texts) for _, texts, _ in batches] == [2, 2, 1]
    assert [i for ids, _, _ in batches for i in ids] == [a[0] for a in ARTICLES]
    assert [t for _, texts, _ in batches for t in texts] == [a[3] for a in ARTICLES]
    assert [t for _, _, titles in batches for t in titles] == [a[2] for a in ARTICLES]
    assert count_rows(path) == (None if name.endswith(".json") else 5)


@pytest.mark.parametrize("name", ["d.csv", "d.jsonl", "d.parquet"])
def test_iter_text_batches_other_columns_and_no_ids(tmp_path, name):
    rows = [{"body": a[3], "ref": i} for i, a in enumerate(ARTICLES)]
    rows[1]["body"] = None
    path = write(tmp_path / name, rows)
    (ids, texts, titles), = iter_text_batches(path, text_col="body", id_col="ref")
    # ids keep their type; CSV has none: its cells are text (so that "007" stays "007")
    assert ids == (["0", "1", "2", "3", "4"] if name == "d.csv" else [0, 1, 2, 3, 4])
    assert texts[1] == "" and texts[0] == ARTICLES[0][3]
    assert titles is None
    (ids, texts, titles), = iter_text_batches(path, text_col="body")
    assert ids is None and titles is None and len(texts) == 5


@pytest.mark.parametrize("name", ["d.csv", "d.jsonl", "d.parquet"])
def test_iter_text_batches_titles_from_another_column_or_none(tmp_path, name):
    rows = [{"id": a[0], "headline": a[2], "title": "x", "text": a[3]} for a in ARTICLES]
    rows[2]["headline"] = None
    path = write(tmp_path / name, rows)
    (_, texts, titles), = iter_text_batches(path, title_col="headline")
    assert titles[2] == "" and titles[0] == ARTICLES[0][2] and texts[0] == ARTICLES[0][3]
    (_, _, titles), = iter_text_batches(path, title_col="")
    assert titles is None
    (_, _, titles), = iter_text_batches(path, title_col="text")  # the text is not its own title
    assert titles is None


@pytest.mark.parametrize("name", ["d.jsonl", "d.json"])
def test_iter_text_batches_json_columns_are_the_keys_of_every_record(tmp_path, name):
    rows = [{"id": "a", "title": "عنوان أول"}, {"text": ARTICLES[1][3]},
            {"id": "c", "title": ARTICLES[2][2], "text": ARTICLES[2][3]}]
    path = write(tmp_path / name, rows)
    (ids, texts, titles), = iter_text_batches(path, title_required=True)
    assert texts == ["", ARTICLES[1][3], ARTICLES[2][3]]  # a record without text is read as ""
    assert titles == ["عنوان أول", "", ARTICLES[2][2]]
    assert ids == ["a", None, "c"]
    (ids, _, titles), = iter_text_batches(write(tmp_path / name, rows[1:2] + rows), batch_size=5)
    assert ids is not None and titles is not None  # the first record has neither


@pytest.mark.parametrize("name", ["d.jsonl", "d.json"])
def test_iter_text_batches_json_without_the_column_in_any_record(tmp_path, name):
    path = write(tmp_path / name, [{"id": "a", "body": "نص"}, {"id": "b", "title": "عنوان"}])
    with pytest.raises(DataError, match=r"column 'text' not found in .*; columns found: id, body, "
                                        r"title \(use --text-col to choose another\)"):
        iter_text_batches(path)
    with pytest.raises(DataError, match=r"column 'headline' not found in .*; columns found: id, "
                                        r"body, title \(use --title-col"):
        iter_text_batches(path, text_col="body", title_col="headline", title_required=True)


def test_iter_text_batches_ids_keep_their_json_values(tmp_path):
    ids = [1, "a", None, 2.5, True, ["x", 2], {"k": 3}, 10**20]
    path = write(tmp_path / "d.jsonl", [{"id": i, "text": "نص"} for i in ids] + [{"text": "نص"}])
    (read, _, _), = iter_text_batches(path)
    assert read == [*ids, None]
    assert [type(i) for i in read[:5]] == [int, str, type(None), float, bool]


def test_iter_text_batches_parquet_ids_as_plain_python_values(tmp_path):
    import datetime

    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"id": pa.array([10, None, 12], pa.int64()),
                             "day": [datetime.date(2024, 1, 2)] * 3,
                             "score": [1.5, float("nan"), None], "text": ["نص"] * 3}), path)
    (ids, _, _), = iter_text_batches(path)
    assert ids == [10, None, 12] and type(ids[0]) is int
    assert next(iter_text_batches(path, id_col="day"))[0] == ["2024-01-02"] * 3  # JSON has no dates
    assert next(iter_text_batches(path, id_col="score"))[0] == [1.5, None, None]


def test_json_value_converts_numpy_and_pyarrow_scalars():
    import numpy as np

    values = [np.int64(7), np.float32(0.5), np.bool_(True), np.float64("nan"), np.str_("x"),
              pa.scalar(8), pa.scalar(None, pa.int64()), np.array([1, 2]), (1, np.int8(2))]
    converted = [json_value(v) for v in values]
    assert converted == [7, 0.5, True, None, "x", 8, None, [1, 2], [1, 2]]
    assert [type(v) for v in converted[:6]] == [int, float, bool, type(None), str, int]
    assert json.loads(json.dumps(converted)) == converted


@pytest.mark.parametrize("name", ["d.csv", "d.jsonl", "d.parquet"])
def test_iter_text_batches_a_required_id_column_must_be_there(tmp_path, name):
    path = write(tmp_path / name, [{"ref": "a", "text": "نص"}])
    assert next(iter_text_batches(path))[0] is None  # the default id column is optional
    assert next(iter_text_batches(path, id_col="ref", id_required=True))[0] == ["a"]
    with pytest.raises(DataError, match=r"column 'id' not found in .*; columns found: ref, text "
                                        r"\(use --id-col to choose another, or --id-col '' for no ids\)"):
        iter_text_batches(path, id_required=True)
    assert next(iter_text_batches(path, id_col="", id_required=True))[0] is None


def test_iter_text_batches_folder(tmp_path):
    folder = write(tmp_path / "news", records())
    batches = list(iter_text_batches(folder, batch_size=10))
    assert len(batches) == 1 and "sports/s1.txt" in batches[0][0] and batches[0][2] is None
    assert dict(zip(*batches[0][:2]))["economy/e2.txt"] == ARTICLES[3][3]
    assert count_rows(folder) == 5


def test_iter_text_batches_csv_with_multiline_texts(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('id,text\n1,"سطر\nثان"\n2,نص\n', encoding="utf-8")
    assert list(iter_text_batches(path)) == [(["1", "2"], ["سطر\nثان", "نص"], None)]
    assert count_rows(path) == 2


@pytest.mark.parametrize("name", ["d.csv", "d.jsonl", "d.parquet"])
def test_iter_text_batches_missing_column_fails_at_the_call(tmp_path, name):
    path = write(tmp_path / name, [{"id": "1", "body": "نص"}])
    with pytest.raises(DataError, match=r"column 'text' not found in .*; columns found: id, body "
                                        r"\(use --text-col to choose another\)"):
        iter_text_batches(path)


def test_iter_text_batches_bad_paths(tmp_path):
    with pytest.raises(DataError, match="data file not found"):
        iter_text_batches(tmp_path / "nope.parquet")
    (tmp_path / "x.txt").write_text("نص", encoding="utf-8")
    with pytest.raises(DataError, match=r"unsupported data format '\.txt'"):
        iter_text_batches(tmp_path / "x.txt")
    with pytest.raises(DataError, match="data file not found"):
        count_rows(tmp_path / "nope.csv")


def test_iter_text_batches_csv_with_another_delimiter(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("id;text\n1;نص\n", encoding="utf-8")
    with pytest.raises(DataError, match="seems to use ';' between columns"):
        iter_text_batches(path)


def test_iter_text_batches_bad_json_lines_name_the_line(tmp_path):
    path = tmp_path / "d.jsonl"
    # the first record holds every column, so the call reads no further and the reading
    # finds the broken line
    path.write_text('{"id": "1", "title": "عنوان", "text": "نص"}\n\n{"text": نص}\n', encoding="utf-8")
    batches = iter_text_batches(path)
    with pytest.raises(DataError, match=r"could not read .*d\.jsonl as JSON: .* at line 3"):
        list(batches)
    # without ids and titles, the call looks for them in every record and finds it at once
    path.write_text('{"text": "نص"}\n\n{"text": نص}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"could not read .*d\.jsonl as JSON: .* at line 3"):
        iter_text_batches(path)
    path.write_text('{"text": "نص"}\n["نص"]\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"line 2 of .*d\.jsonl is not a JSON object"):
        list(iter_text_batches(path))


def test_iter_text_batches_not_utf8(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes("id,text\n1,خبر\n".encode("cp1256"))
    with pytest.raises(DataError, match="is not UTF-8 text"):
        iter_text_batches(path)


# --- the real corpora -----------------------------------------------------------------------

def test_ant_multisource_with_the_shared_label_map(shared_data):
    path = shared_data / "ant_multisource.parquet"
    mapping = load_label_map(shared_data / "label_map.json")
    loaded = load_labelled(path, title_col="title", tags_col="tags", group_col="source", id_col="id",
                           label_map=mapping)
    rows = count_rows(path)
    assert loaded.sources == [{"data": path, "rows": rows, "kept": len(loaded)}]
    assert len(loaded) + loaded.n_duplicates + loaded.n_dropped_labels + loaded.n_empty == rows
    assert loaded.n_duplicates > 1000  # the README counts about 1,470 repeated texts
    # its six source labels all map to sections: internationalNews and middleEast both to politics
    labels = ["internationalNews", "middleEast", "sport", "economy", "technology", "culture"]
    assert set(loaded.labels) == {mapping[label] for label in labels}
    assert set(loaded.groups) == {"alarabia", "skynews", "bbc", "cnn", "france24"}
    tagged = [tags for tags in loaded.tags if tags]
    assert 1000 < len(tagged) < len(loaded) / 2 and all(isinstance(t, str) for t in tagged[0])
    assert len(set(loaded.ids)) == len(loaded)


def test_optional_columns_may_be_missing_from_some_inputs(tmp_path):
    with_title = tmp_path / "a.csv"
    with_title.write_text("text,label,title,tags\nفاز الفريق بالكأس,sports,فوز,الكأس\n"
                          "ارتفع سعر النفط,economy,النفط,\n", encoding="utf-8")
    body_only = tmp_path / "b.csv"
    body_only.write_text("text,label\nصوت البرلمان على القانون,politics\n", encoding="utf-8")
    data = load_labelled([with_title, body_only], title_col="title", tags_col="tags")
    assert data.titles == ["فوز", "النفط", ""]
    assert data.tags == [["الكأس"], [], []]
    with pytest.raises(DataError, match="'headline' not found in any input"):
        load_labelled([with_title, body_only], title_col="headline")


def test_nan_labels_written_as_text_are_missing_labels(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("text,label\nنص أول,nan\nنص ثان,NaN\nنص ثالث,null\nنص عن الرياضة,sports\n"
                    "نص عن المال,economy\n", encoding="utf-8")
    loaded = load_labelled(path)
    assert loaded.labels == ["sports", "economy"] and loaded.n_empty == 3
    path.write_text("text,label\nنص أول,nan\nنص ثان,\n", encoding="utf-8")
    with pytest.raises(DataError, match="no usable rows"):
        load_labelled(path)


def test_check_inputs_finds_mistakes_without_reading_the_data(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("text,label\nنص,sports\n", encoding="utf-8")
    check_inputs(good)  # no error
    (tmp_path / "semi.csv").write_text("text;label\nنص;sports\n", encoding="utf-8")
    (tmp_path / "x.xlsx").write_bytes(b"PK")
    (tmp_path / "empty").mkdir()
    cases = [(tmp_path / "missing.csv", "data file not found"),
             (tmp_path / "semi.csv", "';' between columns"),
             (tmp_path / "x.xlsx", "unsupported data format '.xlsx'"),
             (tmp_path / "empty", "no .txt files"),
             ([], "no data given")]
    for data, message in cases:
        with pytest.raises(DataError, match=message):
            check_inputs(data)
    with pytest.raises(DataError, match="column 'section' not found .* --label-col"):
        check_inputs(good, label_col="section")
    check_inputs(good, label_col=None)
    with pytest.raises(DataError, match="label map not found"):
        check_inputs(good, label_map=tmp_path / "nope.json")
