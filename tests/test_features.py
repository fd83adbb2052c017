import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import HashingVectorizer

from tagger.features import FeatureConfig, Featurizer, tokenize
from tagger.normalize import tokens

DOCS = [
    "أعلنت وزارة الصحة عن حملة تطعيم جديدة ضد الحصبة في المدارس",
    "فاز النادي الأهلي على منافسه بهدفين نظيفين في الدوري",
    "",
    "ارتفعت أسعار النفط، وارتفعت أسعار الذهب أيضاً!",
    "Breaking: the market closed higher 123",
]


def _fitted(**kwargs) -> Featurizer:
    return Featurizer(FeatureConfig(**{"char_bits": 14, "word_bits": 10, **kwargs})).fit(DOCS)


def test_word_rows_equal_scikit_learn_char_wb():
    words = sorted({w for d in DOCS for w in tokens(d)})
    f = Featurizer(FeatureConfig(char_min=2, char_max=5, char_bits=16, word_bits=0))
    ours = f._rows.rows(words).toarray()
    reference = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), n_features=1 << 16,
                                  alternate_sign=False, norm=None, lowercase=False)
    np.testing.assert_array_equal(ours, reference.transform(words).toarray())


def test_char_block_is_the_weighted_mean_of_word_vectors():
    f = _fitted(word_bits=0)
    doc = "النفط النفط النفط الذهب"
    vectors = f.word_vectors(["النفط", "الذهب"]).toarray()
    w = np.log1p([3.0, 1.0])
    expected = (w[0] * vectors[0] + w[1] * vectors[1]) / w.sum()
    np.testing.assert_allclose(f.transform([doc]).toarray()[0], expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 2.0, rtol=1e-5)


def test_cache_does_not_change_results():
    f = _fitted()
    first = f.transform(DOCS).toarray()
    again = f.transform(list(reversed(DOCS))).toarray()[::-1]
    np.testing.assert_array_equal(first, again)


def test_word_block_counts_unigrams_and_bigrams():
    f = Featurizer(FeatureConfig(char_bits=0, word_bits=12, word_bigrams=True))
    x = f._word_counts(f.tokens(["واحد اثنان واحد اثنان"]))
    # 4 unigram occurrences + 3 bigrams (2 distinct: "واحد اثنان" twice, "اثنان واحد" once)
    assert x.sum() == 7
    assert sorted(x.data.tolist()) == [1, 2, 2, 2]


def test_lead_window_limits_words():
    f = Featurizer(FeatureConfig(char_bits=0, word_bits=12, word_bigrams=False, max_words=3))
    assert f._word_counts(f.tokens(["كلمة " * 10])).sum() == 3


def test_word_block_is_unit_length_and_empty_rows_zero():
    f = _fitted(char_bits=0)
    x = f.transform(DOCS + ["!!!"])
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    np.testing.assert_allclose(norms[[0, 1, 3, 4]], 1.0, rtol=1e-5)
    assert norms[2] == 0 and norms[5] == 0


def test_arabic_word_counts():
    assert tokenize(DOCS, 1000).n_arabic.tolist() == [11, 9, 0, 7, 0]


def test_transform_before_fit_raises():
    with pytest.raises(RuntimeError, match="not fitted"):
        Featurizer().transform(["نص"])


def test_idf_favours_rare_words():
    f = _fitted(char_bits=0, word_bigrams=False)
    x = f.transform(["في الحصبة"]).toarray()[0]
    common, rare = (x[f._word_counts(f.tokens([w])).indices[0]] for w in ("في", "الحصبة"))
    assert rare > common > 0


@pytest.mark.parametrize("kwargs", [{"char_min": 0}, {"char_min": 4, "char_max": 3},
                                    {"char_bits": 30}, {"max_words": 0}, {"char_weight": 0},
                                    {"char_bits": 0, "word_bits": 0}])
def test_bad_config_names_the_problem(kwargs):
    with pytest.raises(ValueError):
        FeatureConfig(**kwargs)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=5))
def test_transform_never_fails(texts):
    f = _fitted(char_bits=12, word_bits=8)
    x = f.transform(texts)
    assert x.shape == (len(texts), (1 << 12) + (1 << 8))
    assert np.isfinite(x.data).all() and (x.data >= 0).all()


def test_spellings_that_normalise_alike_give_one_row():
    cached = _fitted()
    cached.transform(["لكأس لكاس بالكأس"])
    fresh = _fitted()
    np.testing.assert_array_equal(cached.transform(["كرة القدم والكاس"]).toarray(),
                                  fresh.transform(["كرة القدم والكاس"]).toarray())
    tok = tokenize(["الكأس والكاس الكأس"], 1000)
    assert len(set(tok.codes.tolist())) == 2
