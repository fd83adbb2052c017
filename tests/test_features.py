import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import HashingVectorizer

from tagger.features import FeatureConfig, Featurizer
from tagger.normalize import tokens

DOCS = [
    "أعلنت وزارة الصحة عن حملة تطعيم جديدة ضد الحصبة في المدارس",
    "فاز النادي الأهلي على منافسه بهدفين نظيفين في الدوري",
    "",
    "ارتفعت أسعار النفط، وارتفعت أسعار الذهب أيضاً!",
    "Breaking: the market closed higher 123",
]


def test_char_block_equals_scikit_learn_char_wb():
    cfg = FeatureConfig(char_min=2, char_max=5, char_bits=16, word_bits=0)
    ours = Featurizer(cfg).counts(DOCS).toarray()
    reference = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), n_features=1 << 16,
                                  alternate_sign=False, norm=None, lowercase=False)
    expected = reference.transform([" ".join(tokens(d)) for d in DOCS]).toarray()
    np.testing.assert_array_equal(ours, expected)


def test_cache_does_not_change_results():
    f = Featurizer(FeatureConfig(char_bits=14, word_bits=10))
    first = f.counts(DOCS).toarray()
    again = f.counts(list(reversed(DOCS))).toarray()[::-1]
    np.testing.assert_array_equal(first, again)


def test_word_block_counts_unigrams_and_bigrams():
    cfg = FeatureConfig(char_bits=0, word_bits=12, word_bigrams=True)
    x = Featurizer(cfg).counts(["واحد اثنان واحد اثنان"])
    # 4 unigram occurrences + 3 bigrams (2 distinct: "واحد اثنان" twice, "اثنان واحد" once)
    assert x.sum() == 7
    assert sorted(x.data.tolist()) == [1, 2, 2, 2]


def test_lead_window_limits_words():
    cfg = FeatureConfig(char_bits=0, word_bits=12, word_bigrams=False, max_words=3)
    x = Featurizer(cfg).counts(["كلمة " * 10])
    assert x.sum() == 3


def test_tfidf_rows_are_unit_length_and_empty_rows_zero():
    f = Featurizer(FeatureConfig(char_bits=14, word_bits=10)).fit(DOCS)
    x = f.transform(DOCS + ["!!!"])
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    np.testing.assert_allclose(norms[[0, 1, 3, 4]], 1.0, rtol=1e-5)
    assert norms[2] == 0 and norms[5] == 0


def test_arabic_word_counts():
    _, n = Featurizer(FeatureConfig(char_bits=10, word_bits=0)).counts(DOCS, return_arabic=True)
    assert n.tolist() == [11, 9, 0, 7, 0]


def test_transform_before_fit_raises():
    with pytest.raises(RuntimeError, match="not fitted"):
        Featurizer().transform(["نص"])


@pytest.mark.parametrize("kwargs", [{"char_min": 0}, {"char_min": 4, "char_max": 3},
                                    {"char_bits": 30}, {"max_words": 0}])
def test_bad_config_names_the_problem(kwargs):
    with pytest.raises(ValueError):
        FeatureConfig(**kwargs)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=5))
def test_counts_never_fail(texts):
    f = Featurizer(FeatureConfig(char_bits=12, word_bits=8))
    x = f.counts(texts)
    assert x.shape == (len(texts), (1 << 12) + (1 << 8))
    assert (x.data >= 0).all()


def test_spellings_that_normalise_alike_share_one_cache_row():
    cached = Featurizer(FeatureConfig(char_bits=14, word_bits=10))
    cached.counts(["لكأس لكاس بالكأس"])
    fresh = Featurizer(FeatureConfig(char_bits=14, word_bits=10))
    np.testing.assert_array_equal(cached.counts(["كرة القدم والكاس"]).toarray(),
                                  fresh.counts(["كرة القدم والكاس"]).toarray())
