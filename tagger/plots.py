"""Matplotlib figures of evaluation results that show Arabic text correctly.

Arabic needs shaping (each letter takes its joined initial/medial/final form) and
right-to-left layout. Matplotlib 3.11 and later do both themselves: ``ft2font`` is built
with libraqm (HarfBuzz shaping plus Unicode bidi), so a plain logical-order string
renders correctly, and pre-shaping it would make matplotlib reverse it a second time
(checked by rendering: "اقتصاد" came out as "داصتقا"). Older matplotlib draws code
points one by one, left to right; there the text must be shaped with
``arabic_reshaper`` and put in visual order with ``python-bidi`` first.
:func:`display_text` picks the right treatment (:data:`MATPLOTLIB_SHAPES_TEXT`), and
every string that may hold Arabic goes through it. :func:`shape_for_display` is the
reshape-and-reorder step on its own, for renderers without complex text layout.

Font: DejaVu Sans ships with matplotlib, so it is always present. It has every glyph of
Arabic Presentation Forms-B (U+FE70-U+FEFF: the joined forms of ordinary letters and the
lam-alef ligatures) and the Arabic GSUB tables libraqm uses. It lacks a few code points:
alef wasla (U+0671) and the contextual forms of some Urdu letters, and the ALLAH ligature
(U+FDF2) that ``arabic_reshaper`` uses by default for "الله" (as in "حزب الله"). So
the font's character map is read once: a letter the font cannot draw is folded to its
Arabic twin with :func:`tagger.normalize.fold_letters` ("ٱ" -> "ا", "ے" -> "ي"), and
the reshaper uses a ligature only if the font has its glyph. Other letters the font
lacks (rare: U+0620, U+063B-U+063F) would still draw as boxes, with matplotlib's
missing-glyph warning.

Figures are built with :class:`matplotlib.figure.Figure`, never pyplot, so nothing
touches global state; they render headless (Agg) and display in Jupyter, where the
returned figure shows as a PNG even if pyplot was never imported.
"""

from __future__ import annotations

import functools
import io
import logging
import math
import os
import unicodedata
import uuid
from pathlib import Path

import arabic_reshaper
import numpy as np
from arabic_reshaper.letters import LETTERS_ARABIC
from arabic_reshaper.ligatures import LIGATURES
from matplotlib import font_manager, ft2font
from matplotlib.figure import Figure
from sklearn.metrics import confusion_matrix

from .metrics import resolve_labels
from .normalize import fold_letters

try:  # python-bidi >= 0.5 exports it at the top level
    from bidi import get_display
except ImportError:  # pragma: no cover - older python-bidi
    from bidi.algorithm import get_display

__all__ = ["FONT_FAMILY", "MATPLOTLIB_SHAPES_TEXT", "display_text", "shape_for_display",
           "confusion_matrix_figure", "per_section_f1_figure", "top_features_figure",
           "save_figure"]

logger = logging.getLogger(__name__)

FONT_FAMILY = "DejaVu Sans"
DPI = 150
#: True when matplotlib lays out text with libraqm (shaping and bidi built in).
MATPLOTLIB_SHAPES_TEXT = bool(getattr(ft2font, "__libraqm_version__", None))
_TEXT = {"fontfamily": FONT_FAMILY}
# Ligatures the reshaper uses by default; anything else stays off (purely stylistic).
_WANTED_LIGATURES = {"ARABIC LIGATURE ALLAH", "ARABIC LIGATURE LAM WITH ALEF",
                     "ARABIC LIGATURE LAM WITH ALEF WITH HAMZA ABOVE",
                     "ARABIC LIGATURE LAM WITH ALEF WITH HAMZA BELOW",
                     "ARABIC LIGATURE LAM WITH ALEF WITH MADDA ABOVE"}


class _Figure(Figure):
    """A Figure that Jupyter shows as a PNG without the inline backend being loaded."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()


@functools.lru_cache(maxsize=1)
def _font_chars() -> frozenset[int]:
    path = font_manager.findfont(font_manager.FontProperties(family=FONT_FAMILY))
    logger.debug("Arabic text font: %s", path)
    return frozenset(ft2font.FT2Font(path).get_charmap())


def _has(forms) -> bool:
    chars = _font_chars()
    return all(ord(form) in chars for form in forms if form)


@functools.lru_cache(maxsize=2)
def _letter_folds(presentation_forms: bool) -> dict[int, str]:
    """Letters the font cannot draw, mapped to a twin it can.

    With ``presentation_forms`` a letter needs its contextual forms in the font (we
    shape it ourselves); otherwise only its own code point (libraqm shapes via GSUB).
    """
    def needed(ch: str):
        return LETTERS_ARABIC.get(ch, ch) if presentation_forms else ch

    folds = {}
    for code in range(0x0600, 0x0700):
        letter = chr(code)
        twin = fold_letters(letter)
        if twin == letter or unicodedata.category(letter) != "Lo":
            continue
        if not _has(needed(letter)) and _has(needed(twin)):
            folds[code] = twin
    return folds


@functools.lru_cache(maxsize=1)
def _reshaper() -> arabic_reshaper.ArabicReshaper:
    config = {name: _has(forms) for name, (_, forms) in LIGATURES if name in _WANTED_LIGATURES}
    return arabic_reshaper.ArabicReshaper(configuration=config)


def _is_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


@functools.lru_cache(maxsize=4096)
def shape_for_display(text) -> str:
    """Reshape Arabic to presentation forms and reorder into visual (left-to-right) order.

    For renderers without complex text layout. Strings without right-to-left letters
    are returned unchanged.
    """
    text = str(text)
    if not _is_rtl(text):
        return text
    return get_display(_reshaper().reshape(text.translate(_letter_folds(True))))


def display_text(text) -> str:
    """Return ``text`` ready to hand to matplotlib so that Arabic shows joined and RTL.

    With libraqm-enabled matplotlib (>= 3.11) that is the logical text itself (with
    letters the font lacks folded to a twin); otherwise :func:`shape_for_display`.
    """
    text = str(text)
    if not _is_rtl(text):
        return text
    if MATPLOTLIB_SHAPES_TEXT:
        return text.translate(_letter_folds(False))
    return shape_for_display(text)


def _new_figure(width: float, height: float) -> Figure:
    return _Figure(figsize=(width, height), layout="constrained")


def _title(fig: Figure, title: str | None) -> None:
    if title:
        fig.suptitle(display_text(title), fontsize=12, **_TEXT)


def confusion_matrix_figure(y_true, y_pred, labels=None, title=None) -> Figure:
    """Row-normalised confusion matrix; each cell shows the row share and the count."""
    y_true, y_pred = list(y_true), list(y_pred)
    labels = resolve_labels(y_true, y_pred, labels)
    counts = confusion_matrix(y_true, y_pred, labels=labels)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    n = len(labels)
    side = max(4.5, 0.6 * n + 2.5)
    fig = _new_figure(side + 1.0, side)
    ax = fig.add_subplot()
    image = ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    cell_size = max(5.0, 10.0 - 0.25 * n)
    for i in range(n):
        for j in range(n):
            share = f"{shares[i, j]:.2f}" if totals[i, 0] else "–"
            ax.text(j, i, f"{share}\n({counts[i, j]})", ha="center", va="center",
                    fontsize=cell_size, color="white" if shares[i, j] > 0.5 else "black", **_TEXT)
    names = [display_text(label) for label in labels]
    ax.set_xticks(range(n), names, rotation=45, ha="right", rotation_mode="anchor", **_TEXT)
    ax.set_yticks(range(n), names, **_TEXT)
    ax.set_xlabel("predicted section", **_TEXT)
    ax.set_ylabel("true section", **_TEXT)
    colorbar = fig.colorbar(image, ax=ax, shrink=0.8)
    colorbar.set_label("share of the true section's articles", **_TEXT)
    _title(fig, title)
    return fig


def per_section_f1_figure(metrics: dict, title=None) -> Figure:
    """Horizontal bars of per-section F1, best at the top, value and support on each bar."""
    rows = sorted(metrics["per_section"].items(), key=lambda item: (-item[1]["f1"], str(item[0])))
    if not rows:
        raise ValueError("metrics has no per-section rows to plot")
    fig = _new_figure(7.0, max(2.5, 0.45 * len(rows) + 1.2))
    ax = fig.add_subplot()
    positions = np.arange(len(rows))
    values = [row["f1"] for _, row in rows]
    ax.barh(positions, values, color="tab:blue")
    for y, (_, row) in zip(positions, rows):
        ax.text(row["f1"] + 0.01, y, f"{row['f1']:.2f}  (n={row['support']})", va="center",
                fontsize=8, **_TEXT)
    ax.set_yticks(positions, [display_text(label) for label, _ in rows], **_TEXT)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.25)
    ax.set_xticks(np.linspace(0, 1, 6))
    ax.set_xlabel("F1", **_TEXT)
    if "macro_f1" in metrics:
        ax.axvline(metrics["macro_f1"], color="tab:red", linestyle="--", linewidth=1,
                   label=f"macro-F1 {metrics['macro_f1']:.2f}")
        ax.legend(loc="lower right", prop={"family": FONT_FAMILY, "size": 8})
    _title(fig, title)
    return fig


def top_features_figure(features: dict, title=None) -> Figure:
    """One small bar panel per section of its strongest features (largest weight on top)."""
    if not features:
        raise ValueError("no sections to plot")
    ncols = min(3, len(features))
    nrows = math.ceil(len(features) / ncols)
    longest = max((len(items) for items in features.values()), default=1)
    fig = _new_figure(4.0 * ncols, nrows * max(2.0, 0.28 * longest + 0.9))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, (section, items) in zip(axes, features.items()):
        ax.set_title(display_text(section), fontsize=10, **_TEXT)
        items = sorted(items, key=lambda item: -item[1])
        if not items:
            ax.text(0.5, 0.5, "no features", ha="center", va="center", transform=ax.transAxes,
                    **_TEXT)
            ax.set_axis_off()
            continue
        positions = np.arange(len(items))
        ax.barh(positions, [weight for _, weight in items], color="tab:green")
        ax.set_yticks(positions, [display_text(name) for name, _ in items], fontsize=8, **_TEXT)
        ax.invert_yaxis()
        ax.tick_params(axis="x", labelsize=7)
    for ax in axes[len(features):]:
        ax.set_visible(False)
    _title(fig, title)
    return fig


def save_figure(fig: Figure, path) -> Path:
    """Write ``fig`` as a PNG at ``path`` atomically: readers never see a partial file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        # os.open with mode 0o666 gives the file the same permissions (umask applied)
        # as any other file the user creates, unlike tempfile's private 0o600.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as handle:
            fig.savefig(handle, format="png", dpi=DPI)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    logger.debug("saved figure to %s", path)
    return path
