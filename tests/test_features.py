import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.utils import murmurhash3_32

from tagger.features import (FeatureConfig, Featurizer, arabic_words, char_ngram_counts,
                             count_rows, raw_codes, tokenize, word_hashes)
from tagger.normalize import normalize_word, tokens

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


# Words as normalisation leaves them (Arabic and Latin letters, sometimes several joined by
# a space), plus the odd characters the hashes must still get right.
_WORDS = st.lists(st.text(alphabet=st.sampled_from("ابتثجحخدذرسشصضطظعغفقكلمنهويةءئؤىaz é€𝒜"),
                          max_size=12), max_size=30)


@settings(max_examples=200, deadline=None)
@given(_WORDS, st.integers(1, 3), st.integers(0, 3))
def test_char_ngram_counts_equal_scikit_learn(words, char_min, extra):
    config = FeatureConfig(char_min=char_min, char_max=char_min + extra, char_bits=12, word_bits=0)
    reference = HashingVectorizer(analyzer="char_wb", ngram_range=(config.char_min, config.char_max),
                                  n_features=config.n_char, alternate_sign=False, norm=None,
                                  lowercase=False)
    ours = char_ngram_counts(words, config)
    assert ours.shape == (len(words), config.n_char)
    if words:  # scikit-learn cannot transform an empty list
        np.testing.assert_array_equal(ours.toarray(), reference.transform(words).toarray())


@settings(max_examples=200, deadline=None)
@given(_WORDS)
def test_word_hashes_equal_murmurhash(words):
    assert word_hashes(words).tolist() == [murmurhash3_32(w, positive=True) for w in words]
    assert arabic_words(words).tolist() == [any("\u0621" <= c <= "\u064a" for c in w) for w in words]


_TEXT = st.text(alphabet=st.sampled_from("كتاب علي إلى على ِ ـ\u200c ﻻ،.1 abc\u00a0\x00\nﷺ"), max_size=60)


@settings(max_examples=200, deadline=None)
@given(st.lists(_TEXT, max_size=6), st.integers(1, 8))
def test_raw_tokens_of_a_text_do_not_depend_on_its_batch(texts, max_words):
    batch = raw_codes(texts, max_words)
    spelled = np.array(batch.strings() or [""], dtype=object)
    ends = np.cumsum(batch.lengths)
    for i, text in enumerate(texts):
        alone = raw_codes([text], max_words)
        expected = [normalize_word(r) for r in np.array(alone.strings() or [""], dtype=object)[alone.codes]]
        got = [normalize_word(r) for r in spelled[batch.codes[ends[i] - batch.lengths[i]:ends[i]]]]
        assert got == expected
        assert len(expected) <= max_words


def test_raw_tokens_are_the_letter_runs_of_the_text():
    raw = raw_codes(["قالَ الرئيسُ: «السلام» 2024 ok", "", "ﻻ بأس"], 1000)
    assert raw.lengths.tolist() == [4, 0, 2]
    words = [normalize_word(w) for w in np.array(raw.strings(), dtype=object)[raw.codes]]
    assert words == ["قال", "الرئيس", "السلام", "ok", "لا", "باس"]


def test_scanning_in_groups_gives_the_same_runs(monkeypatch):
    import tagger._scan as scan_module

    texts = [DOCS[i % len(DOCS)] * (i + 1) for i in range(12)]
    whole = raw_codes(texts, 1000)
    monkeypatch.setattr(scan_module, "_GROUP_CHARS", 50)
    grouped = raw_codes(texts, 1000)
    assert grouped.lengths.tolist() == whole.lengths.tolist()
    assert grouped.codes.tolist() == whole.codes.tolist()
    assert grouped.strings() == whole.strings()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(" ابتكرة az€𝒜"), min_size=1, max_size=6),
                min_size=1, max_size=20), st.integers(1, 1 << 20))
def test_ngram_columns_equal_feature_hasher(grams, n_features):
    from sklearn.feature_extraction import FeatureHasher

    from tagger.features import ngram_columns

    reference = FeatureHasher(n_features=n_features, input_type="string", alternate_sign=False)
    expected = [reference.transform([[g]]).indices[0] for g in grams]
    assert ngram_columns(grams, n_features).tolist() == expected


def test_the_hash_minus_two_to_the_31_gets_scikit_learn_column():
    from tagger.features import _column

    for n in (1, 7, 1 << 10, 1 << 20, 1000003):
        # scikit-learn's special case for abs(-2**31)
        assert _column(np.array([-(1 << 31)], dtype=np.int32), n)[0] == (2147483647 - (n - 1)) % n


@settings(max_examples=100, deadline=None)
@given(st.lists(_TEXT, max_size=6), st.sampled_from([1 << 21, 8]))
def test_scan_hashes_each_run_from_its_own_characters(texts, cached):
    import tagger._scan as scan_module
    from tagger.normalize import raw_token_classes

    classes = raw_token_classes(0, 1, 2)
    saved = scan_module._CACHED, scan_module._POWERS, scan_module._INVERSE_POWERS
    # Tables grown from scratch, and (cached=8) computed afresh for a batch too long to keep.
    scan_module._CACHED = cached
    scan_module._POWERS = scan_module._INVERSE_POWERS = np.ones(1, dtype=np.uint64)
    try:
        runs = scan_module.scan(texts, classes, mark=2, skip=0)
    finally:
        scan_module._CACHED, scan_module._POWERS, scan_module._INVERSE_POWERS = saved
    for key, begin, end in zip(runs.keys.tolist(), runs.begin.tolist(), runs.end.tolist()):
        chars = [ord(c) for c in runs.text[begin:end] if classes[min(ord(c), 0xFFFF)] != 2]
        expected = sum(c * pow(scan_module._BASE, i, 1 << 64) for i, c in enumerate(chars))
        assert key == expected % (1 << 64)


@pytest.mark.parametrize("n_rows,n_cols", [(1, 1), (3, 5), (7, 1000), (50, 1 << 18)])
def test_count_rows_counts_pairs_for_any_width(n_rows, n_cols):
    rng = np.random.default_rng(n_cols)
    rows, cols = rng.integers(0, n_rows, 3000), rng.integers(0, n_cols, 3000)
    expected = sp.coo_matrix((np.ones(3000), (rows, cols)), shape=(n_rows, n_cols)).toarray()
    assert (count_rows(rows, cols, n_rows, n_cols).toarray() == expected).all()
