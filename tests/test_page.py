"""Tests for tagger.page: splitting scraped pages and repairing site keyword lists."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tagger.errors import InputError
from tagger.normalize import normalize
from tagger.page import (
    ALL_MARKERS,
    NAV_PREFIXES,
    NAV_WORDS,
    RELATED_MARKERS,
    TAG_MARKERS,
    Page,
    is_navigation,
    match_marker,
    parse_page,
    repair_site_tags,
)

PAGES = Path(__file__).parent / "fixtures" / "pages"


def read_page(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


# ------------------------------------------------------------------ fixture pages

def test_sports_page_fields():
    page = parse_page(read_page("sports_page.txt"))
    assert page.title.startswith("ركلة جزاء في الوقت بدل الضائع")
    assert page.date == "3rd, March 2024 GMT"
    assert page.source == "وكالات"
    assert page.site_tags_text.startswith("سياسة اقتصاد رياضة")
    assert page.site_tags_text.endswith("کأس السوبر")
    assert page.body.startswith("توّج نادي الساحل")
    assert page.body.endswith("فريق الميناء.")
    assert len(page.body.splitlines()) == 6
    assert len(page.related) == 1
    assert page.related[0].startswith("مهرجان للسينما المستقلة")
    assert page.article_text() == page.title + "\n" + page.body


def test_related_block_does_not_leak_into_body():
    for name, foreign in [("sports_page.txt", "مهرجان"), ("economy_page.txt", "عاصفة"),
                          ("health_page.txt", "الروبوتات")]:
        page = parse_page(read_page(name))
        text = page.article_text()
        assert foreign not in text
        assert "المصدر" not in text and "كلمات دلالية" not in text
        assert all(foreign not in (field or "") for field in (page.date, page.source))


def test_economy_page_fields():
    page = parse_page(read_page("economy_page.txt"))
    assert page.title == "لكبح التضخم.. البنك المركزي يرفع سعر الفائدة نصف نقطة مئوية"
    assert page.date == "14th, May 2024 GMT"
    assert page.source == "خدمة الأخبار الاقتصادية"
    assert len(page.body.splitlines()) == 6
    assert page.related[0].splitlines()[0].startswith("عاصفة ثلجية")


def test_health_page_layout_variants():
    """Date before title, blank lines, lone tag marker, inline and lone related markers."""
    page = parse_page(read_page("health_page.txt"))
    assert page.date == "2nd, October 2024 GMT"
    assert page.title == "وزارة الصحة تطلق حملة تطعيم ضد الحصبة في المدارس"
    assert page.source == "صحيفة المساء"
    assert page.site_tags_text.startswith("صحة، وزارة الصحة")
    assert len(page.body.splitlines()) == 4
    assert page.related == [
        "ارتفاع أسعار الخضار في الأسواق مع بداية الخريف",
        "فريق طلابي يفوز بمسابقة دولية للروبوتات\n"
        "فاز فريق من طلاب الجامعة بالمركز الأول في مسابقة دولية لتصميم الروبوتات.",
    ]


def test_windows_line_endings_and_bom_parse_the_same():
    text = read_page("sports_page.txt")
    assert parse_page("\ufeff" + text.replace("\n", "\r\n")) == parse_page(text)
    assert parse_page(text.replace("\n", "\r")) == parse_page(text)


@pytest.mark.parametrize("name, expected", [
    ("sports_page.txt", ["يوسف العمري", "نادي الساحل", "كأس السوبر", "النجم الأحمر", "ركلة جزاء"]),
    ("economy_page.txt", ["البنك المركزي", "سعر الفائدة", "التضخم", "صندوق النقد الدولي",
                          "الدولار", "البورصة", "سليم الراشد"]),
    ("health_page.txt", ["وزارة الصحة", "الحصبة", "التطعيم", "منظمة الصحة العالمية", "ليلى حداد"]),
])
def test_repair_site_tags_on_fixtures(name, expected):
    page = parse_page(read_page(name))
    assert repair_site_tags(page.site_tags_text, page.article_text()) == expected


# ------------------------------------------------------------------ the real page

def test_shared_example_page(shared_examples):
    page = parse_page((shared_examples / "arabi21_scraped_page.txt").read_text(encoding="utf-8"))
    assert page.title.startswith("بعد اتهامها")
    assert page.date is not None and "2024" in page.date
    assert page.source == "عربي21"
    assert "ترامب" not in page.body and "ترامب" not in page.title
    assert any("ترامب" in block for block in page.related)
    tags = repair_site_tags(page.site_tags_text, page.article_text())
    assert "كوريا الشمالية" in tags and "كوريا" not in tags and "الشمالية" not in tags
    assert {"بوتين", "روسيا"} <= set(tags)
    assert not any(normalize(tag) in NAV_WORDS for tag in tags)
    assert tags == ["بوتين", "كوريا الشمالية", "روسيا", "موسكو", "الغرب"]


# ------------------------------------------------------------------ parse_page details

def test_page_without_markers_keeps_everything():
    page = parse_page("عنوان قصير\nالفقرة الأولى من الخبر.\n\nالفقرة الثانية.")
    assert page == Page(title="عنوان قصير", body="الفقرة الأولى من الخبر.\nالفقرة الثانية.")
    assert page.article_text() == "عنوان قصير\nالفقرة الأولى من الخبر.\nالفقرة الثانية."


def test_empty_and_blank_pages():
    assert parse_page("") == Page()
    assert parse_page("\ufeff \r\n\t\n") == Page()


def test_long_single_paragraph_is_body_not_title():
    paragraph = " ".join(["كلمة"] * 60)
    page = parse_page(paragraph)
    assert page.title == "" and page.body == paragraph


def test_non_str_input_raises_input_error():
    with pytest.raises(InputError):
        parse_page(b"bytes")  # type: ignore[arg-type]


def test_marker_words_inside_sentences_stay_in_body():
    text = ("عنوان\nالمصدر الذي تحدث للوكالة رفض الكشف عن اسمه.\n"
            "المزيد من التفاصيل ستعلن لاحقا.\nوسوم الماشية في القرية قديمة.")
    page = parse_page(text)
    assert page.source is None and page.related == [] and page.site_tags_text is None
    assert page.body == "\n".join(text.splitlines()[1:])


def test_lone_markers_take_the_value_on_the_next_line():
    page = parse_page("عنوان\nنص الخبر.\nالمصدر:\nوكالات\nالوسوم:\nروسيا\nموسكو\n\nفقرة بعدها.")
    assert page.source == "وكالات"
    assert page.site_tags_text == "روسيا\nموسكو"
    assert page.body == "نص الخبر.\nفقرة بعدها."


def test_inline_related_marker_and_several_blocks():
    page = parse_page("عنوان\nنص.\nإقرأ أيضا: خبر أول\nتفاصيل\nشاهد أيضاً\nخبر ثان\nالمصدر: س")
    assert page.body == "نص."
    assert page.related == ["خبر أول\nتفاصيل", "خبر ثان\nالمصدر: س"]
    assert page.source is None


@pytest.mark.parametrize("line, kind, content", [
    ("إقرأ أيضاً:", "related", ""),
    ("اقرأ أيضا: عنوان آخر", "related", "عنوان آخر"),
    ("اقرأ أيضًا", "related", ""),
    ("إقرأ ايضا", "related", ""),
    ("- شاهد أيضا >>", "related", ""),
    ("المزيد:", "related", ""),
    ("كلمات دلالية: روسيا موسكو", "tags", "روسيا موسكو"),
    ("كلمات دلاليه روسيا", "tags", "روسيا"),
    ("الكلمات المفتاحية:", "tags", ""),
    ("الوسوم: أ، ب", "tags", "أ، ب"),
    ("Tags: a, b", "tags", "a, b"),
    ("TAGS", "tags", ""),
    ("المصدر: عربي21", "source", "عربي21"),
    ("المصدر:عربي21", "source", "عربي21"),
    ("تاريخ النشر: 21st, January 2024 GMT", "date", "21st, January 2024 GMT"),
    ("\ufeffتاريخ النشر - 2024", "date", "2024"),
    ("» اقرأ أيضا:", "related", ""),
    ("» كلمات دلالية: بوتين", "tags", "بوتين"),
    ("📌 اقرأ أيضاً: ميسي يقود إنتر ميامي", "related", "ميسي يقود إنتر ميامي"),
    ("◀️ الكلمات المفتاحية: روسيا", "tags", "روسيا"),
    ("[اقرأ أيضا]", "related", ""),
    ("«إقرأ أيضاً»", "related", ""),
])
def test_match_marker_spellings(line, kind, content):
    match = match_marker(line)
    assert match is not None and (match.kind, match.content) == (kind, content)


@pytest.mark.parametrize("line", [
    "المصدر الذي تحدث", "المصدرية: نص", "وسومات: نص", "المزيد من الأخبار", "نص عادي",
    "Tagsfoo: x", "قال إقرأ أيضا", "المزيد", "Related", "Date 2024",
])
def test_match_marker_rejects_ordinary_lines(line):
    assert match_marker(line) is None


def test_marker_constants_are_exported():
    normalised = {normalize(m) for m in ALL_MARKERS}
    assert normalize("إقرأ أيضاً") in normalised and normalize("شاهد أيضا") in normalised
    assert {"كلمات دلالية", "الكلمات المفتاحية", "وسوم", "Tags"} <= set(TAG_MARKERS)
    assert set(RELATED_MARKERS) <= set(ALL_MARKERS)
    for word in ("سياسة", "سياسة دولية", "عالم الفن", "من هنا وهناك", "أفكار"):
        assert normalize(word) in NAV_WORDS
    assert normalize("المزيد في") in NAV_PREFIXES


# ------------------------------------------------------------------ repair_site_tags details

ARTICLE = ("قال الرئيس فلاديمير بوتين إنه سيزور كوريا الشمالية قريبا. وزار بوتين كوريا الشمالية "
           "عام 2000. وتأمل موسكو أن تتم زيارة بوتين لكوريا الشمالية هذا العام، وتتهم واشنطن "
           "كوريا الشمالية بدعم روسيا. وقال بوتين إن روسيا لا تخشى الغرب.")


def test_split_names_rejoined_but_chance_neighbours_kept_apart():
    # "بوتين كوريا الشمالية" occurs once in the article, by chance; "كوريا الشمالية" is a unit.
    tags = repair_site_tags("بوتين كوريا الشمالية روسيا", ARTICLE)
    assert tags == ["بوتين", "كوريا الشمالية", "روسيا"]


def test_persian_letters_folded_and_duplicates_merged():
    tags = repair_site_tags("کوریا الشمالیة روسیا كوريا الشمالية روسيا بوتين", ARTICLE)
    assert tags == ["كوريا الشمالية", "روسيا", "بوتين"]


def test_clitic_prefix_supports_a_tag():
    assert repair_site_tags("كوريا الشمالية", "زيارة بوتين لكوريا الشمالية") == ["كوريا الشمالية"]
    assert repair_site_tags("الغرب", "وجه رسالة للغرب") == ["الغرب"]


def test_unsupported_tags_and_navigation_dropped():
    text = "سياسة دولية المزيد في سياسة اقتصاد ترامب أوكرانيا الغرب من هنا وهناك عالم الفن"
    assert repair_site_tags(text, ARTICLE) == ["الغرب"]


def test_navigation_word_never_glued_to_a_tag():
    assert repair_site_tags("سياسة بوتين", "تتغير سياسة بوتين كل عام") == ["بوتين"]


def test_separated_items_kept_whole_when_supported():
    article = "وصل الرئيس فلاديمير بوتين إلى بيونغ يانغ. وقال بوتين إن الزيارة ناجحة."
    tags = repair_site_tags("فلاديمير بوتين، بيونغ يانغ، سياسة", article)
    assert tags == ["فلاديمير بوتين", "بيونغ يانغ"]


def test_arabic_comma_and_semicolon_separate_tags_like_the_latin_ones():
    article = "عقد مجلس التعاون لدول الخليج العربية قمته في الرياض ثم في جدة"
    expected = ["مجلس التعاون لدول الخليج العربية", "الرياض", "جدة"]
    for text in ("مجلس التعاون لدول الخليج العربية، الرياض؛ جدة",
                 "مجلس التعاون لدول الخليج العربية, الرياض; جدة"):
        assert repair_site_tags(text, article) == expected


def test_section_names_with_the_article_or_a_clitic_are_navigation_too():
    article = ("أعلن وزير الاقتصاد سليم الراشد خطة لدعم الرياضة والصحة في المدارس، وقال إن "
               "الاقتصاد يحتاج إلى جيل سليم وإن الرياضة وصحة الطلاب أولوية يراقبها المجتمع الدولي.")
    tags = repair_site_tags("الاقتصاد، الرياضة، الصحة، رياضة وصحة، سليم الراشد، المجتمع الدولي",
                            article)
    assert tags == ["سليم الراشد", "المجتمع الدولي"]
    assert [is_navigation(w) for w in ("الصحة", "وفيديو", "المزيد في سياسة", "سياسة")] == [True] * 4
    assert not any(is_navigation(w) for w in ("الصحة النفسية", "بوتين", "المجتمع الدولي", ""))


def test_an_item_set_apart_keeps_a_last_word_that_is_also_a_menu_entry():
    article = "تراجع تأثير الصحف أمام سوشيال ميديا في العالم العربي، وفق سامح شكري"
    assert repair_site_tags("سوشيال ميديا، سامح شكري، ميديا", article) == ["سوشيال ميديا",
                                                                           "سامح شكري"]


def test_tags_one_per_line_after_an_inline_first_tag():
    page = parse_page("عنوان الخبر هنا\nنص المقال الأول.\nكلمات دلالية: بوتين\nروسيا\nموسكو\n"
                      "كوريا الشمالية\n")
    assert page.body == "نص المقال الأول."
    assert page.site_tags_text.splitlines() == ["بوتين", "روسيا", "موسكو", "كوريا الشمالية"]


def test_max_ngram_limits_rejoining():
    assert repair_site_tags("كوريا الشمالية", ARTICLE, max_ngram=1) == ["كوريا", "الشمالية"]
    with pytest.raises(InputError):
        repair_site_tags("كوريا", ARTICLE, max_ngram=0)


def test_empty_inputs():
    assert repair_site_tags("", ARTICLE) == []
    assert repair_site_tags("بوتين", "") == []
    assert repair_site_tags("في من على 2024", "في من على 2024") == []


# ------------------------------------------------------------------ properties

ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأإؤئىةکیًٌٍَُِّْـ"
LINE_CHARS = st.text(alphabet=ARABIC + " .،:-0123456789abcTS", max_size=40)
MARKER_SNIPPETS = st.sampled_from(
    [*ALL_MARKERS, "إقرأ أيضاً:", "اقرأ أيضًا", "كلمات دلالية:", "المصدر:", "تاريخ النشر:",
     ":", "\ufeff"])
NEWLINES = st.sampled_from(["\n", "\r\n", "\r", "\n\n", " "])
PAGE_TEXT = st.lists(st.one_of(LINE_CHARS, MARKER_SNIPPETS, NEWLINES, st.text(max_size=10)),
                     max_size=30).map("".join)


def _squash(text: str) -> str:
    return "".join(text.replace("\ufeff", "").split())


@settings(max_examples=300, deadline=None)
@given(PAGE_TEXT)
def test_parse_page_never_raises_and_never_drops_an_ordinary_line(text):
    page = parse_page(text)
    assert isinstance(page.title, str) and isinstance(page.body, str)
    assert all(isinstance(block, str) and block for block in page.related)
    fields = [page.title, page.body, page.date or "", page.source or "",
              page.site_tags_text or "", *page.related]
    squashed = [_squash(field) for field in fields]
    for line in text.splitlines():
        if match_marker(line) is None:
            assert any(_squash(line) in field for field in squashed), line


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_page_never_raises_on_any_text(text):
    parse_page(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(LINE_CHARS, NEWLINES, st.text(max_size=10)), max_size=30).map("".join))
def test_text_without_markers_is_all_title_and_body(text):
    assume(all(match_marker(line) is None for line in text.splitlines()))
    page = parse_page(text)
    assert _squash(page.title + page.body) == _squash(text)
    assert page.date is page.source is page.site_tags_text is None and page.related == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=ARABIC + " .،", min_size=1, max_size=30), min_size=1, max_size=8),
       st.lists(st.text(alphabet="0123456789 ", min_size=1, max_size=20), max_size=4))
def test_body_lines_survive_and_related_lines_stay_out(body_lines, related_lines):
    assume(all(match_marker(line) is None for line in body_lines))
    text = "\n".join([*body_lines, "المصدر: وكالات", "كلمات دلالية: روسيا موسكو",
                      "إقرأ أيضاً:", *related_lines])
    page = parse_page(text)
    article = _squash(page.article_text())
    assert article == _squash("".join(body_lines))
    assert not any(ch.isdigit() for ch in page.article_text())
    assert page.source == "وكالات" and page.site_tags_text == "روسيا موسكو"
