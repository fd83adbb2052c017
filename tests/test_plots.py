"""Figures build headless, save as PNG atomically and show Arabic without missing glyphs."""

from __future__ import annotations

import os
import unicodedata
import warnings

import pytest
from matplotlib import font_manager, ft2font
from matplotlib.figure import Figure

from tagger import plots
from tagger.errors import DataError
from tagger.metrics import classification_metrics
from tagger.plots import (confusion_matrix_figure, display_text, per_section_f1_figure,
                          save_figure, shape_for_display, top_features_figure)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SECTIONS = ["سياسة", "اقتصاد", "رياضة"]
Y_TRUE = ["سياسة"] * 4 + ["اقتصاد"] * 3 + ["رياضة"] * 2
Y_PRED = ["سياسة", "سياسة", "سياسة", "اقتصاد", "اقتصاد", "اقتصاد", "سياسة", "رياضة", "رياضة"]


def _is_presentation_form(ch: str) -> bool:
    return 0xFB50 <= ord(ch) <= 0xFDFF or 0xFE70 <= ord(ch) <= 0xFEFF


def _assert_png(path, min_bytes=5_000):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > min_bytes


def _no_glyph_warnings(record):
    messages = [str(w.message) for w in record]
    assert not [m for m in messages if "missing from font" in m], messages


# --- text shaping -------------------------------------------------------------------


def test_shape_for_display_gives_presentation_forms_in_visual_order():
    word = "سياسة"
    shaped = shape_for_display(word)
    assert shaped != word
    assert all(_is_presentation_form(ch) for ch in shaped)
    # visual order is the logical order reversed; NFKC maps the forms back to letters
    assert unicodedata.normalize("NFKC", shaped) == word[::-1]
    # initial seen (U+FEB3) ends up rightmost, final ta marbuta (U+FE94) leftmost
    assert shaped[-1] == "\ufeb3" and shaped[0] == "\ufe94"


def test_shape_for_display_lam_alef_and_allah_use_glyphs_the_font_has():
    font = ft2font.FT2Font(font_manager.findfont(plots.FONT_FAMILY))
    for text in ["حزب الله", "لا", "ٱلانتخابات"]:
        shaped = shape_for_display(text)
        assert all(font.get_char_index(ord(ch)) for ch in shaped if ch != " "), text
    assert "\ufefb" in shape_for_display("لا")  # lam-alef ligature, isolated


def test_latin_text_is_unchanged():
    for text in ["politics", "F1 per section", "n=3 (0.75)", ""]:
        assert display_text(text) == text
        assert shape_for_display(text) == text
    assert display_text(7) == "7"


def test_display_text_shapes_when_matplotlib_cannot(monkeypatch):
    monkeypatch.setattr(plots, "MATPLOTLIB_SHAPES_TEXT", False)
    for word in SECTIONS:
        shown = display_text(word)
        assert shown != word and shown == shape_for_display(word)
        assert all(_is_presentation_form(ch) for ch in shown)


def test_display_text_keeps_logical_text_when_matplotlib_shapes(monkeypatch):
    # Pre-shaping for a libraqm-enabled matplotlib would be reversed a second time.
    monkeypatch.setattr(plots, "MATPLOTLIB_SHAPES_TEXT", True)
    assert display_text("سياسة") == "سياسة"
    assert display_text("ٱلانتخابات") == "الانتخابات"  # alef wasla: no glyph in DejaVu Sans


def test_matplotlib_draws_display_text_in_shaped_visual_order():
    """Cross-check matplotlib's own layout against arabic_reshaper + python-bidi."""
    if not plots.MATPLOTLIB_SHAPES_TEXT:
        pytest.skip("matplotlib without libraqm: display_text already shapes")
    text_helpers = pytest.importorskip("matplotlib._text_helpers")
    font = ft2font.FT2Font(font_manager.findfont(plots.FONT_FAMILY))
    word = "اقتصاد"
    items = list(text_helpers.layout(display_text(word), font))
    expected = shape_for_display(word)
    assert [item.char for item in items] == list(word[::-1])
    # the joined letters (all but the two isolated ends) get their contextual glyphs
    assert [item.glyph_index for item in items][1:-1] == [
        font.get_char_index(ord(ch)) for ch in expected][1:-1]


# --- figures --------------------------------------------------------------------------


def test_confusion_matrix_figure_cells_show_share_and_count(tmp_path):
    fig = confusion_matrix_figure(Y_TRUE, Y_PRED, labels=SECTIONS, title="مصفوفة الالتباس")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    cells = [t.get_text() for t in ax.texts]
    assert len(cells) == 9
    # row سياسة: 3 of 4 right, 1 to اقتصاد; row اقتصاد: 2 right, 1 to سياسة
    assert cells[0] == "0.75\n(3)" and cells[1] == "0.25\n(1)" and cells[2] == "0.00\n(0)"
    assert cells[3] == "0.33\n(1)" and cells[4] == "0.67\n(2)"
    assert cells[8] == "1.00\n(2)"
    assert [t.get_text() for t in ax.get_xticklabels()] == [display_text(s) for s in SECTIONS]
    assert ax.get_xticklabels()[0].get_rotation() == 45
    assert ax.get_xlabel() == "predicted section" and ax.get_ylabel() == "true section"
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        _assert_png(save_figure(fig, tmp_path / "cm.png"))
    _no_glyph_warnings(record)


def test_confusion_matrix_rows_without_true_articles():
    fig = confusion_matrix_figure(["a", "a"], ["a", "b"])
    cells = [t.get_text() for t in fig.axes[0].texts]
    assert cells == ["0.50\n(1)", "0.50\n(1)", "–\n(0)", "–\n(0)"]
    with pytest.raises(DataError):
        confusion_matrix_figure(["a"], ["b"], labels=["a"])


def test_per_section_f1_figure_sorted_best_on_top(tmp_path):
    metrics = classification_metrics(Y_TRUE, Y_PRED)
    fig = per_section_f1_figure(metrics, title="F1")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    # رياضة: F1 1. سياسة: TP 3, FP 1, FN 1 -> F1 3/4. اقتصاد: TP 2, FP 1, FN 1 -> 2/3.
    # The y axis is inverted, so the first tick is on top.
    assert labels == [display_text(s) for s in ["رياضة", "سياسة", "اقتصاد"]]
    assert ax.yaxis_inverted()
    assert [t.get_text() for t in ax.texts] == ["1.00  (n=2)", "0.75  (n=4)", "0.67  (n=3)"]
    _assert_png(save_figure(fig, tmp_path / "f1.png"))


def test_top_features_figure(tmp_path):
    features = {
        "سياسة": [("البرلمان", 1.5), ("الرئيس", 2.0), ("حزب الله", 0.7)],
        "sport": [("goal", 1.0)],
        "empty": [],
        "رياضة": [("مباراة", 3.0)],
    }
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        fig = top_features_figure(features, title="أقوى السمات")
        _assert_png(save_figure(fig, tmp_path / "features.png"))
    _no_glyph_warnings(record)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == [display_text(s) for s in features]
    ticks = [t.get_text() for t in visible[0].get_yticklabels()]
    assert ticks == [display_text(s) for s in ["الرئيس", "البرلمان", "حزب الله"]]
    with pytest.raises(ValueError):
        top_features_figure({})


def test_save_figure_is_atomic(tmp_path):
    fig = per_section_f1_figure(classification_metrics(["a", "b"], ["a", "a"]))
    target = tmp_path / "out.png"
    target.write_bytes(b"old")
    save_figure(fig, target)
    _assert_png(target)
    assert os.listdir(tmp_path) == ["out.png"]

    class Broken(Exception):
        pass

    def fail(*args, **kwargs):
        raise Broken

    fig.savefig = fail
    before = target.read_bytes()
    with pytest.raises(Broken):
        save_figure(fig, target)
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["out.png"]


def test_figure_shows_in_jupyter_without_pyplot():
    formatters = pytest.importorskip("IPython.core.formatters")
    fig = confusion_matrix_figure(["a", "b"], ["a", "b"])
    assert formatters.PNGFormatter()(fig)[:8] == PNG_SIGNATURE


def test_arabic_confusion_matrix_renders_without_missing_glyphs(tmp_path):
    # Rendered for a human to look at as well (see the module docstring of tagger.plots).
    labels = ["سياسة", "اقتصاد", "رياضة", "حزب الله"]
    y_true = labels * 3
    y_pred = labels[1:] + labels[:1] + labels * 2
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        path = save_figure(confusion_matrix_figure(y_true, y_pred), tmp_path / "arabic.png")
    _no_glyph_warnings(record)
    _assert_png(path, min_bytes=20_000)
