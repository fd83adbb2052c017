"""Property tests of prediction: whatever the text, a well-formed answer and never an exception.

(Normalisation and the page parser have theirs in test_normalize.py and test_page.py.)
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tagger.api import Tagger

ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأإؤئىةکیپچگًٌٍَُِّْـ"
# Characters that are not Arabic letters: Latin, digits of every script, Arabic punctuation,
# emoji, marks and invisible characters.
NOT_ARABIC = ("abcXYZ éü 0123456789 ٠١٢٣٤٥٦٧٨٩ ۴۵۶ ،؛؟٪ .,;:!?\"'()[]-_/\\ \n\t "
              "🎉🔥👍😀 \u200c\u200d\u200f\ufeff ـ ًٌٍَُِّْ")
MIXED = st.text(alphabet=ARABIC + NOT_ARABIC, max_size=200)
ANY_TEXT = st.one_of(st.text(max_size=200), MIXED)
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def tagger(sample_model_dir):
    return Tagger.load(sample_model_dir)


def check_prediction(prediction, tagger, top_k=None):
    n = len(tagger.sections)
    labels = [label for label, _ in prediction.sections]
    scores = [score for _, score in prediction.sections]
    assert len(labels) == (n if top_k is None else min(top_k, n)) and len(set(labels)) == len(labels)
    assert set(labels) <= set(tagger.sections)
    assert all(math.isfinite(s) and 0.0 <= s <= 1.0 for s in scores)
    assert scores == sorted(scores, reverse=True)
    if top_k is None:
        assert math.isclose(sum(scores), 1.0, abs_tol=1e-6)
    if prediction.section is None:  # nothing to go on: says so, guesses nothing
        assert prediction.score is None and prediction.reason and prediction.keywords == []
    else:
        assert prediction.reason is None
        assert (prediction.section, prediction.score) == prediction.sections[0]
    keywords = [k for k, _ in prediction.keywords]
    assert all(k.strip() for k in keywords) and len(set(keywords)) == len(keywords)
    assert all(math.isfinite(s) and 0.0 <= s <= 1.0 for _, s in prediction.keywords)
    assert json.loads(prediction.to_json()) == prediction.to_dict()


@SETTINGS
@given(text=ANY_TEXT)
def test_prediction_is_well_formed_for_any_text(tagger, text):
    check_prediction(tagger.predict(text), tagger)


@SETTINGS
@given(text=ANY_TEXT, title=st.one_of(st.none(), MIXED), top_k=st.integers(1, 10),
       max_keywords=st.integers(0, 10))
def test_options_keep_the_prediction_well_formed(tagger, text, title, top_k, max_keywords):
    prediction = tagger.predict(text, title=title, top_k=top_k, max_keywords=max_keywords)
    check_prediction(prediction, tagger, top_k=top_k)
    assert len(prediction.keywords) <= max_keywords


@SETTINGS
@given(text=st.text(alphabet=NOT_ARABIC, max_size=200))
def test_text_without_arabic_letters_gets_no_section(tagger, text):
    prediction = tagger.predict(text)
    assert prediction.section is None and prediction.reason == "no Arabic words to classify"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(ANY_TEXT, max_size=12))
def test_a_batch_predicts_each_text_as_alone(tagger, texts):
    batch = tagger.predict_many(texts)
    assert len(batch) == len(texts)
    for text, prediction in zip(texts, batch):
        check_prediction(prediction, tagger)
        alone = tagger.predict(text)
        batch_scores, alone_scores = dict(prediction.sections), dict(alone.sections)
        assert batch_scores.keys() == alone_scores.keys()
        assert all(math.isclose(batch_scores[l], alone_scores[l], abs_tol=1e-5) for l in batch_scores)
        near_tie = len(alone.sections) > 1 and alone.sections[0][1] - alone.sections[1][1] < 1e-5
        if not near_tie:
            assert prediction.section == alone.section


@SETTINGS
@given(page=st.one_of(st.text(max_size=300),
                      st.lists(st.one_of(MIXED, st.sampled_from(
                          ["كلمات دلالية:", "المصدر: وكالات", "اقرأ أيضاً:", "\n", "\r\n"])),
                          max_size=12).map("\n".join)))
def test_page_prediction_is_well_formed_for_any_page(tagger, page):
    check_prediction(tagger.predict_page(page), tagger)
    for item in tagger.clean_tags(page):
        assert item["keyword"].strip() and item["source"] in {"page", "model", "page+model"}
