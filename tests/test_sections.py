import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagger.errors import DataError, ModelFormatError
from tagger.features import FeatureConfig
from tagger.sections import SectionModel


def test_learns_the_tiny_sections(tiny_model):
    assert tiny_model.classes_ == ["economy", "politics", "sports"]
    assert tiny_model.predict([
        "سجل اللاعب هدفا في المباراة",
        "ارتفع سعر النفط والدولار",
        "البرلمان والحكومة والانتخابات",
    ]) == ["sports", "economy", "politics"]


def test_scores_sum_to_one(tiny_model):
    proba = tiny_model.predict_proba(["فاز الفريق", "", "hello"])
    assert proba.shape == (3, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert ((proba >= 0) & (proba <= 1)).all()


def test_counts_arabic_words(tiny_model):
    _, n = tiny_model.predict_proba(["فاز الفريق اليوم", "only english 42", ""], return_counts=True)
    assert n.tolist() == [3, 0, 0]


def test_state_round_trip_gives_same_scores(tiny_model):
    config, arrays = tiny_model.to_state()
    assert all(not a.dtype.hasobject for a in arrays.values())
    again = SectionModel.from_state(config, arrays)
    texts = ["سجل اللاعب هدفا", "سعر الفائدة"]
    np.testing.assert_allclose(again.predict_proba(texts), tiny_model.predict_proba(texts), atol=2e-3)
    assert again.predict(texts) == tiny_model.predict(texts)


def test_state_with_wrong_shapes_is_refused(tiny_model):
    config, arrays = tiny_model.to_state()
    arrays = dict(arrays, coef=arrays["coef"][:, :10])
    with pytest.raises(ModelFormatError, match="do not match"):
        SectionModel.from_state(config, arrays)


def test_changed_hashing_is_detected(tiny_model):
    config, arrays = tiny_model.to_state()
    config = dict(config, probe=[[0]] * len(config["probe"]))
    with pytest.raises(ModelFormatError, match="hashes n-grams differently"):
        SectionModel.from_state(config, arrays)


def _sample():
    import csv
    from pathlib import Path

    with open(Path(__file__).parent.parent / "data" / "sample.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], [r["label"] for r in rows]


def test_calibration_sets_a_temperature():
    texts, labels = _sample()
    model = SectionModel(FeatureConfig(char_bits=12, word_bits=10), calibration=0.3).fit(
        texts, labels)
    assert model.temperature_ > 0 and model.temperature_ != 1.0


def test_calibration_articles_are_not_learnt_from():
    texts, labels = _sample()
    with_held = SectionModel(FeatureConfig(char_bits=12, word_bits=10), calibration=0.3).fit(
        texts, labels)
    without = SectionModel(FeatureConfig(char_bits=12, word_bits=10), calibration=0.0).fit(
        texts, labels)
    assert not np.allclose(with_held.coef_, without.coef_)


def test_scores_equal_the_linear_model_on_feature_rows(tiny_model):
    """The per-word scoring shortcut gives the same margins as features @ coef."""
    texts = ["سجل اللاعب هدفا في المباراة النهائية", "ارتفع سعر النفط، وارتفع الدولار", "",
             "hello world", "البرلمان البرلمان والحكومة"]
    rows = tiny_model.featurizer_.transform(texts)
    expected = np.asarray(rows @ tiny_model.coef_.T) + tiny_model.intercept_
    np.testing.assert_allclose(tiny_model.decision_function(texts), expected, rtol=1e-4, atol=1e-5)


def test_chunks_from_a_stream_train_the_same_model_as_lists(tiny_texts):
    texts, labels = tiny_texts
    cfg = FeatureConfig(char_bits=12, word_bits=10)
    from_list = SectionModel(cfg, calibration=0.0, batch_size=7).fit(texts, labels)

    def chunks(epoch):  # the same order SectionModel.fit uses
        order = np.random.default_rng([0, epoch]).permutation(len(texts))
        for start in range(0, len(order), 7):
            part = order[start:start + 7]
            yield [texts[i] for i in part], [labels[i] for i in part]

    streamed = SectionModel(cfg, calibration=0.0, batch_size=7).fit_chunks(chunks)
    np.testing.assert_allclose(streamed.coef_, from_list.coef_)


def test_binary_problem_has_one_row_per_class(tiny_texts):
    texts, labels = tiny_texts
    keep = [i for i, l in enumerate(labels) if l != "politics"]
    model = SectionModel(FeatureConfig(char_bits=12, word_bits=10), calibration=0.0).fit(
        [texts[i] for i in keep], [labels[i] for i in keep])
    assert model.coef_.shape[0] == 2
    assert model.predict(["سجل اللاعب هدفا", "ارتفع سعر النفط"]) == ["sports", "economy"]


def test_single_class_is_refused():
    with pytest.raises(DataError, match="at least two sections"):
        SectionModel().fit(["نص", "نص اخر"], ["sports", "sports"])


@pytest.mark.parametrize("alpha", [0.0, -1e-6, float("inf"), float("nan")])
def test_a_penalty_that_is_not_a_positive_finite_number_is_refused(tiny_texts, alpha):
    with pytest.raises(ValueError, match="alpha must be a positive finite number"):
        SectionModel(alpha=alpha).fit(*tiny_texts)


def test_predict_before_fit_raises():
    with pytest.raises(RuntimeError, match="not fitted"):
        SectionModel().predict(["نص"])


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_predict_never_fails(tiny_model, text):
    proba = tiny_model.predict_proba([text])
    assert abs(proba.sum() - 1) < 1e-5


def test_the_lexicon_maps_each_raw_token_to_its_normalised_word(tiny_model):
    from tagger.normalize import normalize_word

    for model in (tiny_model, SectionModel.from_state(*tiny_model.to_state())):
        known, words = model.featurizer_.known_, model._lexicon_words
        assert len(model._lexicon_word_of) == len(known) > 0
        for raw, i in zip(known, model._lexicon_word_of.tolist()):
            assert (words[i] if i >= 0 else "") == normalize_word(raw)


def test_a_loaded_model_scores_as_the_fitted_one(tiny_model):
    texts = ["سجل اللاعب هدفا في المباراة", "ارتفع سعر النفط في الاسواق", "كلمة جديدة تماما"]
    loaded = SectionModel.from_state(*tiny_model.to_state())
    assert loaded._scorer is not None  # built at load
    fitted = tiny_model.decision_function(texts)
    np.testing.assert_allclose(loaded.decision_function(texts), fitted, atol=2e-2)
    assert loaded.predict(texts) == tiny_model.predict(texts)
