import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from tagger.normalize import normalize, normalize_word, normalize_words, raw_tokens, tokens

ARABIC_ALPHABET = st.characters(min_codepoint=0x0600, max_codepoint=0x06FF)
MIXED = st.lists(
    st.one_of(ARABIC_ALPHABET, st.characters(), st.sampled_from(
        ["\u200c", "\u200f", "\ufeff", "ـ", "ﻻ", "ﷺ", " ", "\n", "e\u200c\u0301", "ا\u0653"])),
    max_size=60,
).map("".join)


def test_diacritics_and_tatweel_removed():
    assert normalize("مُحَمَّدٌ") == "محمد"
    assert normalize("جـــميل") == "جميل"


def test_alef_forms_unified():
    assert normalize("أحمد إسلام آمن ٱلله") == "احمد اسلام امن الله"


def test_persian_letters_folded():
    assert normalize("کوریا الشمالیة") == "كوريا الشمالية"
    assert normalize("ۀ ھ ۃ") == "ه ه ة"


def test_alef_maqsura_folded_ta_marbuta_kept():
    assert normalize("مستشفى") == "مستشفي"
    assert normalize("مدرسة") == "مدرسة"


def test_digits_unified():
    assert normalize("٢٠٢٤ و ۱۹۹۹") == "2024 و 1999"


def test_arabic_punctuation_is_punctuation():
    assert normalize("نعم، لا؛ لماذا؟ «هنا»") == 'نعم, لا; لماذا? "هنا"'
    assert tokens("نعم، لا؛ لماذا؟ «هنا»") == ["نعم", "لا", "لماذا", "هنا"]


def test_invisible_marks_removed():
    assert normalize("\ufeffمي\u200cزان\u200f") == "ميزان"


def test_presentation_forms_become_letters():
    assert normalize("ﻻ") == "لا"


def test_tokens_drop_digits_and_lowercase_latin():
    assert tokens("قال CNN إن 3 أشخاص") == ["قال", "cnn", "ان", "اشخاص"]


def test_tokens_and_normalize_agree():
    text = "أعلنت الوزارةُ، اليوم، عن خطة «جديدة» ل٣ سنوات"
    assert tokens(text) == tokens(normalize(text))


def test_empty_inputs():
    assert normalize("") == ""
    assert tokens("   \n") == []
    assert raw_tokens("") == []


@settings(max_examples=300, deadline=None)
@given(MIXED)
def test_normalize_is_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=300, deadline=None)
@given(MIXED)
def test_normalize_output_is_nfkc_and_trimmed(text):
    out = normalize(text)
    assert unicodedata.is_normalized("NFKC", out)
    assert out == out.strip()
    assert "  " not in out


@settings(max_examples=300, deadline=None)
@given(MIXED)
def test_tokens_are_normalised_words(text):
    for token in tokens(text):
        assert token and " " not in token
        assert normalize_word(token) == token


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(MIXED, MIXED.map(raw_tokens).map("".join)), max_size=12))
def test_normalize_words_normalises_a_batch_as_one_word_at_a_time(words):
    assert normalize_words(words) == [normalize_word(w) for w in words]


def test_normalize_words_on_typical_raw_tokens():
    raws = ["الرئيسُ", "لـلاقتصاد", "Kelvin", "کتاب", "إ\u200cسلام", "", "مُ", "ی"]
    # without presentation forms the batch is normalised in one pass; with one, word by word
    for batch in (raws, raws + ["ﻻ"]):
        assert normalize_words(batch) == [normalize_word(w) for w in batch]
    assert normalize_words(raws) == ["الرئيس", "للاقتصاد", "kelvin", "كتاب", "اسلام", "", "م", "ي"]
