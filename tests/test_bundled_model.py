"""The model that ships with the package does the product's main job."""

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest

from tagger import Tagger
from tagger.errors import InputError
from tagger.api import default_model_path
from tagger.normalize import normalize

ROOT = Path(__file__).resolve().parent.parent
NAVIGATION = ["سياسة", "اقتصاد", "رياضة", "مقالات", "صحافة", "أفكار", "تكنولوجيا", "صحة", "تفاعلي"]


@pytest.fixture(scope="module")
def bundled():
    return Tagger.load()


def test_fits_the_size_budget():
    total = sum(f.stat().st_size for f in default_model_path().iterdir())
    assert total <= 25 * 2**20


def test_card_records_data_and_held_out_figures(bundled):
    meta = bundled.meta
    assert meta["sections"] == sorted(["politics", "economy", "sports", "culture", "technology",
                                       "health", "religion"])
    assert meta["data"]["test_rows"] > 10_000
    assert meta["metrics"]["held_out"]["macro_f1"] >= 0.9
    assert set(meta["files"]) == {"sections.npz", "keywords.npz"}


def test_example_page_end_to_end(bundled, shared_examples):
    page = (shared_examples / "arabi21_scraped_page.txt").read_text(encoding="utf-8")
    prediction = bundled.predict_page(page)
    assert prediction.section == "politics"
    keywords = [normalize(k) for k, _ in prediction.keywords]
    for expected in ("بوتين", "كوريا الشمالية", "روسيا"):
        assert normalize(expected) in keywords
    assert not {normalize(w) for w in NAVIGATION} & set(keywords)
    assert normalize("ترامب") not in keywords


def test_clean_tags_on_example_page(bundled, shared_examples):
    page = (shared_examples / "arabi21_scraped_page.txt").read_text(encoding="utf-8")
    tags = [normalize(item["keyword"]) for item in bundled.clean_tags(page)]
    assert normalize("كوريا الشمالية") in tags
    assert not {normalize(w) for w in NAVIGATION} & set(tags)
    assert tags[:5] == [normalize(t) for t in ["بوتين", "كوريا الشمالية", "روسيا", "موسكو", "الغرب"]]


PAGE = ("وزير الخارجية المصري يبحث مع نظيره الأردني الأزمة في قطاع غزة\n"
        "بحث وزير الخارجية المصري سامح شكري مع نظيره الأردني أيمن الصفدي في عمان الأوضاع "
        "الإنسانية في قطاع غزة، وقال شكري إن قطاع غزة يحتاج إلى المساعدات.\n"
        "كلمات دلالية: سياسة، الصحة، سامح شكري، قطاع غزة، فيديو\n")


def test_clean_tags_leaves_navigation_words_out_of_the_models_keywords_too(monkeypatch):
    tagger = Tagger.load()
    real = tagger.predict

    def proposing_navigation(*args, **kwargs):  # the model's keywords, with two section words
        prediction = real(*args, **kwargs)
        return dataclasses.replace(prediction, keywords=[("فيديو", 0.9), ("الصحة", 0.8),
                                                         *prediction.keywords])

    monkeypatch.setattr(tagger, "predict", proposing_navigation)
    tags = [item["keyword"] for item in tagger.clean_tags(PAGE)]
    assert "سامح شكري" in tags and "قطاع غزة" in tags
    assert not {"فيديو", "الصحة", "سياسة"} & set(tags)


def test_a_page_without_article_text_says_so(bundled):
    page = "اقرأ أيضا: ميسي يقود إنتر ميامي للفوز\nسجل ميسي هدفين في المباراة\n"
    prediction = bundled.predict_page(page)
    assert prediction.section is None and prediction.reason.startswith("no article text on the page")
    assert bundled.clean_tags(page) == []
    assert bundled.predict_page(PAGE).section == "politics"


def test_hand_written_sample_is_mostly_right(bundled):
    import csv
    from pathlib import Path

    rows = list(csv.DictReader(open(Path(__file__).parent.parent / "data" / "sample.csv", encoding="utf-8")))
    predictions = bundled.predict_many([r["text"] for r in rows], [r["title"] for r in rows])
    right = sum(p.section == r["label"] for p, r in zip(predictions, rows))
    assert right / len(rows) >= 0.75


def test_processes_give_the_same_predictions_as_one(bundled):
    frame = pd.read_csv(ROOT / "data" / "sample.csv")
    texts, titles = frame["text"].tolist(), frame["title"].tolist()
    one = bundled.predict_many(texts, titles, n_jobs=1)
    shared = bundled.predict_many(texts, titles, n_jobs=2, batch_size=10)
    assert [p.to_dict() for p in shared] == [p.to_dict() for p in one]


@pytest.mark.parametrize("option, value", [("batch_size", 0), ("batch_size", -1),
                                           ("batch_size", 2.5), ("top_k", 0),
                                           ("max_keywords", -1), ("n_jobs", 0)])
def test_predict_many_refuses_a_bad_option_instead_of_losing_rows(bundled, option, value):
    with pytest.raises(InputError, match=f"{option} must be an integer of at least"):
        bundled.predict_many(["ارتفعت أسعار النفط", "سجل المهاجم هدفين"], **{option: value})


def test_any_batch_size_gives_every_row(bundled):
    texts = ["ارتفعت أسعار النفط", "سجل المهاجم هدفين", "افتتح معرض الكتاب"]
    for batch_size in (1, 2, 3, 10):
        assert len(bundled.predict_many(texts, batch_size=batch_size, n_jobs=1)) == 3


def test_titles_are_text_or_missing(bundled):
    article = "فاز المنتخب الوطني على منافسه بثلاثة أهداف في تصفيات كأس العالم"
    bare = bundled.predict(article).to_dict()
    assert bundled.predict(article, title=float("nan")).to_dict() == bare  # a pandas gap
    assert [p.to_dict() for p in bundled.predict_many([article], (t for t in [None]))] == [bare]
    for title in (["x"], b"x", 3):
        with pytest.raises(InputError, match="title 0 is"):
            bundled.predict(article, title=title)
    with pytest.raises(InputError, match="not one string"):
        bundled.predict_many([article], "عنوان")


@pytest.mark.parametrize("top", ["3", -1, 0, True])
def test_explain_refuses_a_bad_top(bundled, top):
    with pytest.raises(InputError, match="top must be an integer of at least 1"):
        bundled.explain("سجل المهاجم هدفين", top=top)


def test_load_refuses_a_path_of_another_type():
    with pytest.raises(InputError, match="str or Path, got int"):
        Tagger.load(5)
