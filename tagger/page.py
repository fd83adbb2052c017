"""Split a scraped Arabic news page into its parts and clean the site's own keyword list.

A scraper saves a page as plain lines: a title, perhaps a date line, body paragraphs,
then blocks that are not the article: ``المصدر:`` (source), ``كلمات دلالية:`` (the site's
keyword list) and ``إقرأ أيضاً:`` (another article the site links to). :func:`parse_page`
recognises those blocks by their marker phrases, in any spelling of hamza, tanween or
Persian letters, and keeps every other line as article text. :func:`repair_site_tags`
turns the noisy keyword list (navigation menus, breadcrumbs, multi-word names split
into loose words) into the few tags the article supports.

Lines are those of :meth:`str.splitlines`, so Windows and old Mac line endings work.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from .errors import InputError
from .normalize import fold_letters, normalize, tokens

__all__ = [
    "DATE_MARKERS", "SOURCE_MARKERS", "TAG_MARKERS", "RELATED_MARKERS", "ALL_MARKERS",
    "NAV_WORDS", "NAV_PREFIXES", "MarkerMatch", "Page", "match_marker", "parse_page",
    "is_navigation",
    "repair_site_tags",
]

# Marker phrases in their usual spelling. Matching folds hamza/alef forms, tanween and
# other marks, Persian letters, ة/ه and Latin case, and accepts a colon or dash after.
DATE_MARKERS = ("تاريخ النشر", "نشر بتاريخ", "نشر في", "تاريخ الإضافة", "تاريخ التحديث",
                "آخر تحديث", "Published", "Date")
SOURCE_MARKERS = ("المصدر", "مصدر الخبر", "Source")
TAG_MARKERS = ("كلمات دلالية", "الكلمات الدلالية", "الكلمات المفتاحية", "كلمات مفتاحية",
               "وسوم", "الوسوم", "Tags", "Keywords")
RELATED_MARKERS = ("اقرأ أيضاً", "اقرأ كذلك", "شاهد أيضاً", "طالع أيضاً", "قد يهمك أيضاً",
                   "اقرأ المزيد", "المزيد", "مواضيع ذات صلة", "أخبار ذات صلة",
                   "مقالات ذات صلة", "Read more", "Related")
ALL_MARKERS = DATE_MARKERS + SOURCE_MARKERS + TAG_MARKERS + RELATED_MARKERS
# Markers distinctive enough to be followed by content without a colon; the others
# (``المصدر``, ``المزيد`` ...) also start ordinary sentences, so they need one.
_LOOSE = frozenset(normalize(m) for m in (
    "تاريخ النشر", "نشر بتاريخ", "تاريخ الإضافة", "تاريخ التحديث", "كلمات دلالية",
    "الكلمات الدلالية", "الكلمات المفتاحية", "كلمات مفتاحية", "اقرأ أيضاً", "اقرأ كذلك",
    "شاهد أيضاً", "طالع أيضاً", "قد يهمك أيضاً", "مواضيع ذات صلة", "أخبار ذات صلة",
    "مقالات ذات صلة"))
# Single common words that count as markers only with a colon, even alone on a line
# (a menu line reading ``المزيد`` must not swallow the rest of the article).
_NEEDS_COLON = frozenset({normalize("المزيد"), "related", "date"})
_KIND = {normalize(m).lower(): kind for kind, group in (
    ("date", DATE_MARKERS), ("source", SOURCE_MARKERS), ("tags", TAG_MARKERS),
    ("related", RELATED_MARKERS)) for m in group}

# Navigation menus, section names and breadcrumbs that sites paste into keyword lists,
# in normalised form (see tagger.normalize.normalize).
NAV_WORDS = frozenset(normalize(w) for w in (
    "سياسة", "اقتصاد", "رياضة", "مقالات", "صحافة", "أفكار", "عالم الفن", "تكنولوجيا", "صحة",
    "تفاعلي", "مقابلات", "سياسة دولية", "سياسة عربية", "من هنا وهناك", "منوعات", "ثقافة",
    "فن", "فنون", "رأي", "آراء", "فيديو", "فيديوهات", "صور", "الرئيسية", "الصفحة الرئيسية",
    "أخبار", "الأخبار", "آخر الأخبار", "عاجل", "أخبار عاجلة", "عربي", "دولي", "عربي ودولي",
    "محليات", "أخبار محلية", "أخبار عربية", "أخبار دولية", "شؤون دولية", "اقتصاد وأعمال",
    "مال وأعمال", "علوم", "علوم وتكنولوجيا", "تقنية", "ثقافة وفنون", "صحة وجمال", "مجتمع",
    "حوادث", "تحقيقات", "تقارير", "ملفات", "حوارات", "كاريكاتير", "إنفوجراف", "مدونات",
    "رياضة محلية", "رياضة عالمية", "رأي ومقالات", "بودكاست", "بث مباشر", "المزيد",
    "اتصل بنا", "من نحن", "الأرشيف", "تابعنا", "لايف ستايل", "ميديا", "دوليات",
))
# Breadcrumbs such as ``المزيد في سياسة``: the prefix and the section after it are dropped.
NAV_PREFIXES = tuple(normalize(p) for p in ("المزيد في", "المزيد من", "المزيد عن",
                                             "كل أخبار", "جميع أخبار"))
_FUNCTION_WORDS = frozenset(normalize(w) for w in (
    "في", "من", "على", "إلى", "عن", "مع", "و", "ثم", "أو", "أن", "إن", "لا", "ما", "لم", "لن",
    "هذا", "هذه", "ذلك", "تلك", "التي", "الذي", "الذين", "قد", "لقد", "كان", "كانت", "بين",
    "حتى", "عند", "منذ", "خلال", "بعد", "قبل", "كل", "أي", "أيضا", "هو", "هي", "هم", "غير"))

_SEPARATORS = ":：﹕-–—"
_WORD_CHAR = re.compile(r"\w")
_TITLE_MAX_WORDS = 40       # a longer first line is a paragraph, not a headline
_VALUE_MAX_WORDS = 8        # a date/source value on the line after its marker
_TAG_LINE_MAX_WORDS = 5     # one-tag-per-line continuation lines

# Markers are matched on a length-preserving fold of each line, so the match end is an
# index into the raw line: letter variants become their base letter (ة counts as ه),
# marks and joiners become \x01, which patterns allow after any letter.
_MATCH_FOLD = {c: fold_letters(chr(c)) or "\x01"
               for c in [*range(0xA0, 0x100), *range(0x0600, 0x0700), *range(0x2000, 0x2070),
                         0xFEFF]
               if fold_letters(chr(c)) != chr(c)}
_MATCH_FOLD[ord("ة")] = "ه"


def _marker_pattern(phrase: str) -> re.Pattern[str]:
    folded = normalize(phrase).translate(_MATCH_FOLD)
    body = "".join(r"\s+" if ch == " " else re.escape(ch) + "\x01*" for ch in folded)
    flags = re.IGNORECASE if phrase.isascii() else 0    # case only matters for Latin
    # Anything but a letter or digit may come before the marker: spaces, bullets, arrows,
    # brackets, emoji ("» اقرأ أيضا", "📌 كلمات دلالية", "[اقرأ أيضا]").
    return re.compile(rf"^[^\w]*({body})(?!\w)", flags)


# Longest first, so ``الكلمات المفتاحية`` wins over shorter look-alikes.
_PATTERNS = [(normalize(m).lower(), _marker_pattern(m))
             for m in sorted(set(ALL_MARKERS), key=lambda m: -len(normalize(m)))]


class MarkerMatch(NamedTuple):
    """A line that starts a recognised block."""

    kind: str       # "date", "source", "tags" or "related"
    marker: str     # the marker phrase, normalised
    content: str    # what follows the marker on the same line ("" if nothing)


def match_marker(line: str) -> MarkerMatch | None:
    """Return the block ``line`` starts, or ``None`` for an ordinary line.

    A marker counts when a colon or dash follows it, when it is alone on its line
    (trailing punctuation allowed; not for ``المزيد``, ``Related``, ``Date``), or, for
    distinctive markers such as ``اقرأ أيضا``, when text follows it.
    """
    folded = line.translate(_MATCH_FOLD)
    for key, pattern in _PATTERNS:
        m = pattern.match(folded)
        if m is None:
            continue
        rest = line[m.end():].strip()
        has_sep = rest[:1] in _SEPARATORS and rest != ""
        content = rest[1:].strip() if has_sep else rest
        if not _WORD_CHAR.search(content):
            content = ""
        if not has_sep and (key in _NEEDS_COLON or (content and key not in _LOOSE)):
            continue
        return MarkerMatch(_KIND[key], key, content)
    return None


@dataclass
class Page:
    """One scraped page split into the article and the blocks around it."""

    title: str = ""
    body: str = ""
    date: str | None = None
    source: str | None = None
    site_tags_text: str | None = None
    related: list[str] = field(default_factory=list)

    def article_text(self) -> str:
        """Title and body, one per line: the text that belongs to this article."""
        return "\n".join(part for part in (self.title, self.body) if part)


def _clean_line(line: str) -> str:
    return line.strip().strip("\ufeff").strip()


def _next_content(lines: list[str], i: int) -> int | None:
    """Index of the first non-empty line at or after ``i``."""
    while i < len(lines):
        if lines[i]:
            return i
        i += 1
    return None


def parse_page(text: str) -> Page:
    """Split scraped page ``text`` into a :class:`Page`. Never raises on a ``str``.

    The title is the first ordinary line (a date line before it is skipped); ordinary
    lines after it are the body, in order. Recognised blocks: a date or source line
    (value on the marker line, or a short line right after a lone marker), the site's
    keyword block (the rest of its line, or after a lone marker the next line, and any short
    lines that follow without a blank line), and related articles (from a related marker
    to the next one or to the end; source or keyword lines inside belong to them).
    Any other line, anywhere before the first related block, is article text.
    """
    if not isinstance(text, str):
        raise InputError(f"page text must be a str, got {type(text).__name__}")
    lines = [_clean_line(line) for line in text.splitlines()]
    page = Page()
    kept: list[str] = []
    tags: list[str] = []
    block: list[str] | None = None      # the related block being read, if any
    i = 0
    while i < len(lines):
        line, i = lines[i], i + 1
        if not line:
            continue
        m = match_marker(line)
        if block is not None:
            if m is not None and m.kind == "related":
                page.related.append("\n".join(block))
                block = [m.content] if m.content else []
            else:
                block.append(line)
        elif m is None:
            kept.append(line)
        elif m.kind == "related":
            block = [m.content] if m.content else []
        elif m.kind == "tags":
            if m.content:
                tags.append(m.content)
            else:
                j = _next_content(lines, i)
                if j is None or match_marker(lines[j]) is not None:
                    continue
                tags.append(lines[j])
                i = j + 1
            # one tag per line: short lines that follow without a blank line
            while (i < len(lines) and lines[i] and match_marker(lines[i]) is None
                   and len(lines[i].split()) <= _TAG_LINE_MAX_WORDS):
                tags.append(lines[i])
                i += 1
        elif getattr(page, m.kind) is None:     # date or source: the first one wins
            value = m.content
            j = _next_content(lines, i)
            if (not value and j is not None and match_marker(lines[j]) is None
                    and len(lines[j].split()) <= _VALUE_MAX_WORDS):
                value, i = lines[j], j + 1
            setattr(page, m.kind, value or None)
    if block:
        page.related.append("\n".join(block))
    page.related = [r for r in page.related if r]
    if kept and len(kept[0].split()) <= _TITLE_MAX_WORDS:
        page.title = kept.pop(0)
    page.body = "\n".join(kept)
    page.site_tags_text = "\n".join(tags) if tags else None
    return page


# ---------------------------------------------------------------- site tag repair

_ITEM_SPLIT = re.compile(r"[,;،؛|/\\•·\n\r]+|\s[-–—]+\s")
_EDGE_PUNCT = "".join(chr(c) for c in range(0x3000)
                      if unicodedata.category(chr(c)).startswith(("P", "S")))
_PERSIAN = {c: fold_letters(chr(c)) for c in range(0x0660, 0x0700)
            if len(fold_letters(chr(c))) == 1 and "\u0621" <= fold_letters(chr(c)) <= "\u064a"}
_INVISIBLE = dict.fromkeys([0x0640, *range(0x200B, 0x2010), 0x00AD, 0x061C, 0xFEFF])
_CONJ = ("", "و", "ف")
_CLITICS = frozenset(c + p for c in _CONJ for p in ("", "ب", "ل", "ك", "ال", "بال", "كال", "لل"))
_COHESION = 0.5     # a joined phrase must hold at least half of its rarer part's uses


def _display(word: str) -> str:
    """``word`` as shown: Persian letters folded, tatweel and joiners gone, hamza kept."""
    word = unicodedata.normalize("NFKC", word).translate(_PERSIAN).translate(_INVISIBLE)
    return " ".join(word.replace("_", " ").strip(_EDGE_PUNCT).split())


class _Article:
    """Token positions of an article, indexed by each token's clitic-free bases."""

    def __init__(self, text: str):
        self.toks = tokens(text)
        self.index: dict[str, list[int]] = defaultdict(list)
        for pos, tok in enumerate(self.toks):
            bases = {tok[len(p):] for p in _CLITICS if tok.startswith(p) and len(tok) - len(p) > 1}
            bases |= {"ال" + tok[len(c) + 2:] for c in _CONJ
                      if tok.startswith(c + "لل") and len(tok) > len(c) + 3}
            for base in bases:
                self.index[base].append(pos)
        self._counts: dict[tuple[str, ...], int] = {}

    def count(self, phrase: tuple[str, ...]) -> int:
        """Occurrences of ``phrase``, its first word possibly carrying a clitic."""
        if phrase not in self._counts:
            n = len(phrase)
            self._counts[phrase] = sum(
                tuple(self.toks[p + 1:p + n]) == phrase[1:] for p in self.index.get(phrase[0], ()))
        return self._counts[phrase]

    def cohesive(self, phrase: tuple[str, ...]) -> bool:
        """True if ``phrase`` occurs and, at every split, is mostly how its parts occur.

        A single word only has to occur.
        """
        total = self.count(phrase)
        return total > 0 and all(
            total >= _COHESION * min(self.count(phrase[:k]), self.count(phrase[k:]))
            for k in range(1, len(phrase)))


def _nav_phrase_length(keys: list[tuple[str, ...]], i: int) -> int:
    """Length of the longest :data:`NAV_WORDS` phrase starting at word ``i`` (0 if none)."""
    for size in range(min(4, len(keys) - i), 0, -1):
        if " ".join(" ".join(k) for k in keys[i:i + size]) in NAV_WORDS:
            return size
    return 0


def _nav_word(key: tuple[str, ...]) -> bool:
    """True if the word ``key`` is a :data:`NAV_WORDS` entry, bare or behind a clitic or
    the article ("الاقتصاد", "وصحة"). Only a word standing alone counts: "المجتمع الدولي"
    is a tag, "المجتمع" in a keyword list is a section."""
    word = " ".join(key)
    return any(word.startswith(c) and len(word) - len(c) > 1 and word[len(c):] in NAV_WORDS
               for c in _CLITICS)


def is_navigation(phrase: str) -> bool:
    """True if ``phrase`` is, whole, a navigation or section word or breadcrumb
    (:data:`NAV_WORDS`, :data:`NAV_PREFIXES`; a single word also with a clitic)."""
    keys = [tuple(tokens(w)) for w in phrase.split() if tokens(w)]
    return bool(keys) and (_nav_length(keys, 0) == len(keys)
                           or (len(keys) == 1 and _nav_word(keys[0])))


def _nav_length(keys: list[tuple[str, ...]], i: int) -> int:
    """How many words from ``i`` form a navigation phrase or breadcrumb (0 if none)."""
    for prefix in NAV_PREFIXES:
        size = len(prefix.split())
        if " ".join(" ".join(k) for k in keys[i:i + size]) == prefix:
            return size + (_nav_phrase_length(keys, i + size) or 1)
    return _nav_phrase_length(keys, i)


def _is_edge_noise(key: tuple[str, ...]) -> bool:
    return " ".join(key) in NAV_WORDS or " ".join(key) in _FUNCTION_WORDS


def repair_site_tags(site_tags_text: str, article_text: str, *, max_ngram: int = 3) -> list[str]:
    """Turn a site's noisy keyword block into clean tags the article supports.

    Navigation and section words (:data:`NAV_WORDS`, :data:`NAV_PREFIXES`) are dropped.
    Loose words are rejoined greedily, longest first up to ``max_ngram`` words, into a
    phrase the article contains (its first word may carry a clitic: و ب ل ف ك ال لل) and
    that is cohesive there, so ``كوريا`` ``الشمالية`` becomes one tag while two adjacent
    tags that meet once by chance in the article stay apart. Items the site separated
    with commas and the like are kept whole when the article contains them. A tag the
    article does not contain is dropped; duplicates (same normalised form) are merged.
    Tags are returned in order of first appearance, spelled as in the list.
    """
    if not isinstance(site_tags_text, str) or not isinstance(article_text, str):
        raise InputError("site tags text and article text must be str")
    if isinstance(max_ngram, bool) or not isinstance(max_ngram, int) or max_ngram < 1:
        raise InputError(f"max_ngram must be a positive integer, got {max_ngram!r}")
    article = _Article(article_text)
    items = [item for item in _ITEM_SPLIT.split(site_tags_text) if item.strip()]
    found: list[tuple[str, ...]] = []
    shown: dict[tuple[str, ...], str] = {}

    def keep(key: tuple[str, ...], words: list[str]) -> None:
        if key not in shown:
            found.append(key)
            shown[key] = " ".join(_display(w) for w in words)

    for item in items:
        words = [w for w in item.split() if tokens(w)]
        keys = [tuple(tokens(w)) for w in words]
        whole = tuple(t for k in keys for t in k)
        # An item the site set apart is kept whole ("سوشيال ميديا", whose last word is also
        # a menu entry) unless it starts with navigation or starts or ends in a function word.
        if (len(items) > 1 and keys and not _nav_length(keys, 0) and article.count(whole)
                and " ".join(keys[0]) not in _FUNCTION_WORDS
                and " ".join(keys[-1]) not in _FUNCTION_WORDS
                and not (len(keys) == 1 and _nav_word(keys[0]))):
            keep(whole, words)
            continue
        i = 0
        while i < len(keys):
            skip = _nav_length(keys, i)
            if skip:
                i += skip
                continue
            for n in range(min(max_ngram, len(keys) - i), 0, -1):
                phrase = tuple(t for k in keys[i:i + n] for t in k)
                if _is_edge_noise(keys[i]) or _is_edge_noise(keys[i + n - 1]):
                    continue
                if n == 1 and _nav_word(keys[i]):
                    continue
                if len(phrase[0]) < 2 or len(phrase[-1]) < 2:
                    continue
                if article.cohesive(phrase):
                    keep(phrase, words[i:i + n])
                    break
            else:
                n = 1
            i += n
    return [shown[key] for key in found]
