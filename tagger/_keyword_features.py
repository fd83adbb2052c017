"""Reading articles, candidate phrases and their features, for :mod:`tagger.keywords`.

A batch of articles is read at once (:func:`read_batch`): numpy splits the text into
words and breaks (punctuation, digits) and hashes every word, and a :class:`Lexicon`
maps the hashes to rows that hold each distinct word's analysis (normalised form, stop
word or not, which proclitic it may carry, training statistics). Python code only runs
for words never seen before. :func:`extract` then lists every article's candidate
phrases and :func:`features` describes them, both vectorised over the whole batch.

Words and phrases are identified by 64-bit hashes, so the statistics a model keeps are
plain integer arrays (no strings, no pickle) and look-ups are binary searches.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ._scan import base_power, prefix_sums, scan, spell
from .normalize import fold_letters, normalize

__all__ = ["STOP_WORDS", "FEATURE_NAMES", "Lexicon", "Batch", "Candidates", "read_batch",
           "extract", "features", "words_of", "context_keys", "context_stats", "tag_key", "split_tokens",
           "surface", "word_hash", "word_hashes", "phrase_hash", "doc_salted", "lookup", "RERANK_NAMES",
           "rerank_features"]

# ---------------------------------------------------------------- stop words and clitics
# Function words that never start or end a keyword, in natural spelling (normalised on
# import). Nouns of time and number are here too: editors never tag "يوم" or "ثلاثة".
_STOP_TEXT = """
في من إلى الى على عن مع عند لدى حتى منذ خلال بين بعد قبل حول ضد عبر نحو دون بدون تحت فوق
أمام خلف وراء إثر رغم برغم بسبب وفق وفقا حسب بحسب ضمن داخل خارج قرب لصالح بشأن جراء عقب
طوال طيلة أثناء إزاء تجاه لدي سوى عدا خلا لأجل أجل مثل مثلما كما بما مما عما ممن فيما بينما
هو هي هم هن هما أنا نحن أنت أنتم أنتما أنتن إياه إياها إياهم نفسه نفسها أنفسهم
هذا هذه هذان هاتان هذين هاتين ذلك تلك ذاك هؤلاء أولئك هنا هناك هنالك ثمة
الذي التي الذين اللذين اللذان اللتين اللتان اللواتي اللاتي اللائي
ما ماذا متى أين كيف لماذا كم أي أية أيا
أن إن أنه أنها أنهم أنهن إنه إنها إنهم لأن لأنه لأنها كأن كأنه لكن لكنه لكنها ليت لعل
لا لم لن قد لقد سوف هل بل أو أم ثم إذا إذ إذن لو لولا كي لكي حيث حين حينما عندما عندها
إلا غير أيضا فقط كل كلا كلتا بعض جميع كافة معظم أغلب أكثر أقل نفس ذات عدة عدم أما إما
يا نعم ليس ليست ليسوا مازال مازالت ما زال لازال لا يزال تزال يزال زال أصبح أصبحت أصبحوا
صار صارت ظل ظلت بات باتت كان كانت كانوا كن يكون تكون يكونوا تكونوا نكون أكون سيكون ستكون
يمكن يمكنه يمكنها يجب ينبغي تم يتم تمت جرى يجري تجري
له لها لهم لهن لهما به بها بهم بهن بهما فيه فيها فيهم منه منها منهم عنه عنها عنهم
عليه عليها عليهم إليه إليها إليهم معه معها معهم لديه لديها لديهم عنده عندها عندهم
بينه بينها بينهم بينهما ضده ضدها حوله حولها كونه كونها كونهم ذلك وذلك
قال قالت قالوا يقول تقول يقولون أكد أكدت أكدوا يؤكد تؤكد مؤكدا مؤكدة أضاف أضافت يضيف تضيف مضيفا
تابع تابعت أوضح أوضحت يوضح موضحا أشار أشارت يشير تشير مشيرا ذكر ذكرت يذكر أفاد أفادت يفيد
لفت لفتت اعتبر اعتبرت يعتبر رأى يرى ترى شدد شددت أعلن أعلنت يعلن تعلن أعرب أعربت
كشف كشفت يكشف تكشف نقل نقلت أفادت بحسب وفقاً لفت أبلغ أبلغت صرح صرحت أشاد دعا دعت
اليوم أمس غدا الآن حاليا آنذاك مؤخرا قريبا سابقا لاحقا أخيرا دائما أبدا أحيانا
يوم أيام يومين اليومين الأيام صباح صباحا مساء مساء ليلة ليلا نهار فجر ظهر عصر الليلة
ساعة ساعات الساعة دقيقة دقائق أسبوع أسابيع الأسبوع شهر أشهر شهور الشهر عام أعوام العام سنة
سنوات السنة السنوات الماضي الماضية المقبل المقبلة القادم القادمة الحالي الحالية الجاري
الأحد الاثنين الإثنين الثلاثاء الأربعاء الخميس الجمعة السبت
يناير فبراير مارس أبريل إبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر
كانون شباط آذار نيسان أيار حزيران تموز آب أيلول تشرين
واحد واحدة اثنان اثنين اثنتين ثلاث ثلاثة أربع أربعة خمس خمسة ست ستة سبع سبعة ثمان ثماني ثمانية
تسع تسعة عشر عشرة عشرات عشرين ثلاثين أربعين خمسين ستين سبعين ثمانين تسعين مئة مائة مئات
ألف آلاف ألفين مليون ملايين مليار مليارات نصف ربع ثلث أول أولى الأول الأولى ثاني الثاني
الثانية ثالث الثالث الثالثة رابع الرابع الرابعة خامس الخامس الأخير الأخيرة آخر أخرى الآخر
الأخرى جديد جديدة الجديد الجديدة كبير كبيرة الكبير كثير كثيرة أكبر إضافة بالإضافة
"""
STOP_WORDS = frozenset(normalize(w).lower() for w in _STOP_TEXT.split())

# Proclitics, longest first: (normalised prefix, whether the article ال was elided).
# Conjunctions and prepositions are cut; ال is kept where the writer had it
# ("والسعودية", "للسعودية" -> "السعودية"), since editors tag "السعودية" with it.
_PREFIXES = (
    ("ولل", True), ("فلل", True), ("لل", True),
    ("وب", False), ("ول", False), ("وك", False), ("فب", False), ("فل", False),
    ("و", False), ("ف", False), ("ب", False), ("ل", False), ("ك", False),
)


# ---------------------------------------------------------------- spelling and splitting
_LETTERS = "A-Za-z\u00c0-\u024f\u0621-\u063f\u0641-\u064a\u0671-\u06d3\u06d5"
# A token is a run of letters (a word) or a run of other visible characters (a break).
_TOKEN_RE = re.compile(f"[{_LETTERS}]+|[^\\s{_LETTERS}]+")
_WORD_RE = re.compile(f"[{_LETTERS}]+")
# Marks that normalize() deletes (harakat, tatweel, invisible joiners) are deleted from
# the displayed spelling too, but hamzas and alef forms are kept there.
_DELETABLE = [c for c in [*range(0x0600, 0x0700), *range(0x2000, 0x2070), 0x00AD, 0xFEFF]
              if fold_letters(chr(c)) == ""]
_DELETE_RE = re.compile("[" + "".join(map(chr, _DELETABLE)) + "]+")
# Persian and Urdu letters that scraped pages use for their Arabic twins are shown as the
# Arabic letter; hamzas, alef forms and ى stay as written.
_DISPLAY_FOLD = str.maketrans("کڪیېۍےۓۀہۂھەۃ", "ككيييييهههههة")


def surface(text: str) -> str:
    """Text as written, minus diacritics and invisible marks (the spelling we display)."""
    return _DELETE_RE.sub("", unicodedata.normalize("NFKC", text)).translate(_DISPLAY_FOLD)


def split_tokens(text: str) -> list[str]:
    """Split ``text`` into words and breaks, in order, keeping the written spelling
    (:func:`read_batch` splits the same way, faster, for whole articles)."""
    return _TOKEN_RE.findall(surface(text)) if text else []


def is_word(token: str) -> bool:
    return _WORD_RE.fullmatch(token) is not None


# ---------------------------------------------------------------- hashes and tables
# Phrase keys: the words' 64-bit hashes combined with odd multipliers in wrapping uint64
# arithmetic, then mixed. Order matters: (a, b) and (b, a) get different keys.
_MULT = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], dtype=np.uint64)
_MIX = np.uint64(0xFF51AFD7ED558CCD)
_MIX2 = np.uint64(0xC4CEB9FE1A85EC53)
_DOC_SALT = np.uint64(0xD6E8FEB86659FD93)
_LOW48 = np.uint64((1 << 48) - 1)


def word_hashes(words: Sequence[str]) -> np.ndarray:
    """Stable 64-bit hashes of normalised words (the same in every process and version
    of a model format), all at once: the polynomial hash :mod:`tagger._scan` gives runs
    of letters (over the code points, wrapping uint64) mixed with the word's length by
    murmur3's 64-bit finaliser, so that every bit of a key depends on every letter."""
    w = _Words(words)
    return w.hashes(w.start, w.end)


def _finish(poly: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Word hashes from the polynomial hashes of the words and their lengths."""
    with np.errstate(over="ignore"):
        key = poly + length.astype(np.uint64) * _MULT[0]
        key ^= key >> np.uint64(33)
        key *= _MIX
        key ^= key >> np.uint64(33)
        key *= _MIX2
        key ^= key >> np.uint64(33)
    return key


def word_hash(word: str) -> int:
    """:func:`word_hashes` of one word."""
    return int(word_hashes([word])[0])


def phrase_hash(h1: np.ndarray, h2: np.ndarray | None = None,
                h3: np.ndarray | None = None) -> np.ndarray:
    """Combine arrays of word hashes into phrase keys (vectorised, broadcasting)."""
    with np.errstate(over="ignore"):
        key = h1 * _MULT[0]
        if h2 is not None:
            key = key + h2 * _MULT[1]
        if h3 is not None:
            key = key + h3 * _MULT[2]
        key ^= key >> np.uint64(31)
        key *= _MIX
        key ^= key >> np.uint64(29)
    return key


def doc_salted(keys: np.ndarray, doc: np.ndarray) -> np.ndarray:
    """Keys made distinct per article, to test membership for many articles at once."""
    with np.errstate(over="ignore"):
        return keys ^ (doc.astype(np.uint64) * _DOC_SALT)


def _sorted_search(table: np.ndarray, keys: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
    """np.searchsorted with the queries sorted first (much faster on large tables);
    ``order`` is ``np.argsort(keys)`` if the caller has it already."""
    if order is None:
        order = np.argsort(keys)
    pos = np.empty(len(keys), dtype=np.intp)
    pos[order] = np.searchsorted(table, keys[order])
    return pos


def _member(keys: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Whether each of ``keys`` is in ``pool``."""
    if len(pool) == 0:
        return np.zeros(len(keys), dtype=bool)
    pool = np.sort(pool)
    return pool[np.minimum(np.searchsorted(pool, keys), len(pool) - 1)] == keys


def lookup(keys: np.ndarray, table_keys: np.ndarray, *columns: np.ndarray,
           order: np.ndarray | None = None) -> list[np.ndarray]:
    """Values of ``keys`` in each column of a table sorted by key; 0 where absent
    (``order``: ``np.argsort(keys)``, to share one sort among several tables)."""
    if len(table_keys) == 0:
        return [np.zeros(len(keys), dtype=col.dtype) for col in columns]
    pos = _sorted_search(table_keys, keys, order)
    np.minimum(pos, len(table_keys) - 1, out=pos)
    found = table_keys[pos] == keys
    return [np.where(found, col[pos], 0) for col in columns]


# ---------------------------------------------------------------- words
def _short_key(codes: np.ndarray) -> np.ndarray:
    """An exact int64 key of up to three code points (columns of ``codes``)."""
    key = np.zeros(len(codes), dtype=np.int64)
    for k in range(codes.shape[1]):
        key |= codes[:, k].astype(np.int64) << (21 * k)
    return key


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _prefix_tables() -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Proclitics by length, longest first (a word starts with at most one of each
    length): (length, sorted keys of the prefixes, whether each elided the article ال)."""
    tables = []
    for n in (3, 2, 1):
        group = sorted((int(_short_key(_codes(prefix)[None, :])[0]), elided)
                       for prefix, elided in _PREFIXES if len(prefix) == n)
        tables.append((n, np.array([k for k, _ in group], dtype=np.int64),
                       np.array([e for _, e in group], dtype=bool)))
    return tables


_PREFIX_TABLES = _prefix_tables()
_ALIF, _LAM = ord("ا"), ord("ل")
# Polynomial hashes of the article ال, and of the mark a word's ending is hashed after
# ("~" + its last two letters).
_AL = np.uint64(_ALIF) + base_power(1) * np.uint64(_LAM)
_SUFFIX = np.uint64(ord("~"))


def _is_latin(codes: np.ndarray) -> np.ndarray:
    """Which code points are Latin letters (A-Z, a-z, U+00C0 to U+024F)."""
    return ((codes >= 65) & (codes <= 90)) | ((codes >= 97) & (codes <= 122)) | (
        (codes >= 0xC0) & (codes <= 0x24F))


class _Words:
    """Words joined into one array of code points, to slice and hash them all at once."""

    def __init__(self, words: Sequence[str]):
        self.length = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        self.end = np.cumsum(self.length)
        self.start = self.end - self.length
        self.codes = _codes("".join(words))
        self._padded = np.append(self.codes, np.uint32(0))
        self._total, self._inverse = prefix_sums(self.codes)

    def code(self, at: np.ndarray) -> np.ndarray:
        """The code points at positions ``at`` (0 past the end)."""
        return self._padded[np.minimum(at, len(self.codes))]

    def poly(self, begin: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Polynomial hashes of the code points ``begin:end`` (see :func:`word_hashes`)."""
        with np.errstate(over="ignore"):
            return (self._total[end] - self._total[begin]) * self._inverse[begin]

    def hashes(self, begin: np.ndarray, end: np.ndarray) -> np.ndarray:
        """:func:`word_hashes` of the slices ``begin:end``."""
        return _finish(self.poly(begin, end), end - begin)

    def with_al(self, begin: np.ndarray, end: np.ndarray, middle: np.ndarray | None = None):
        """:func:`word_hashes` of "ال" + (the code point ``middle``) + the slices."""
        with np.errstate(over="ignore"):
            if middle is None:
                return _finish(_AL + base_power(2) * self.poly(begin, end), end - begin + 2)
            return _finish(_AL + base_power(2) * middle.astype(np.uint64)
                           + base_power(3) * self.poly(begin, end), end - begin + 3)


_STOP_HASHES = np.sort(word_hashes(sorted(STOP_WORDS)))


def _normalize_words(words: list[str]) -> list[str]:
    """``normalize(w).lower()`` of each word (letters only), in one pass over them all.

    A newline composes with nothing and folding never makes one, so the joined words can
    be normalised at once; the rare batch that needs NFKC is normalised word by word.
    """
    if not words:
        return []
    joined = "\n".join(words)
    if unicodedata.is_normalized("NFKC", joined):
        folded = fold_letters(joined)
        if unicodedata.is_normalized("NFKC", folded):
            return folded.lower().split("\n")
    return [normalize(w).lower() for w in words]


def _surfaces(spans: list[str]) -> list[str]:
    """:func:`surface` of each of ``spans`` (runs of letters and marks), in one pass."""
    out = surface("\n".join(spans)).split("\n")
    return out if len(out) == len(spans) else [surface(s) for s in spans]


class Lexicon:
    """Every distinct token seen so far, analysed once, as rows of numpy columns.

    ``df`` and ``tag_count`` are (sorted word hashes, counts) tables of the fitted model:
    normalised words' document frequencies and how often each word occurs in editors'
    tags. They decide which clitics may be cut; without them, only words' normalised forms
    and kinds are filled in, to count words. ``context(keys)`` gives the training counts
    of context keys (see :func:`context_keys`), cached here per word. Row 0 stands for
    every break (punctuation, digits). Raw tokens are indexed by a hash computed with
    numpy (see :func:`read_batch`), and new words are analysed together, a batch at a
    time, so reading articles needs no Python loop over words already seen.
    """

    _COLUMNS = {"kind": np.int8, "h_norm": np.uint64, "h_first": np.uint64, "h_cond": np.uint64,
                "h_suffix": np.uint64, "cut": np.int8, "has_al": bool, "latin": bool, "conj": bool,
                "word_df": np.float32, "al_ratio": np.float32, "tag_words": np.float32,
                "length": np.float32}
    _MAX_TYPES = 500_000
    _MAX_RAW = 1_000_000

    def __init__(self, df: tuple[np.ndarray, np.ndarray] | None = None,
                 tag_count: tuple[np.ndarray, np.ndarray] | None = None, context=None):
        self._df = df
        self._tag_count = tag_count
        self._context = context
        self._reset()

    def _reset(self):
        self._index: dict[str, int] = {}
        self._raw_keys = np.zeros(0, dtype=np.uint64)  # raw token hash -> row, sorted
        self._raw_rows = np.zeros(0, dtype=np.intp)
        self._n = 1
        self._cut_to: list[str] = [""]  # what replaces a cut proclitic: "", "ال" or "الل"
        self._spelling: list[str] = [""]  # each word as written (diacritics removed)
        for name, dtype in self._COLUMNS.items():
            setattr(self, name, np.zeros(4096, dtype=dtype))
        # Training counts of this word as each context (prev, next, first, last word,
        # ending for phrases of 1, 2, 3 words): 7 counts, then 7 tagged counts.
        self.context = np.zeros((4096, 14), dtype=np.float32)
        self._set_context(np.zeros(1, dtype=np.intp))

    def reset_if_full(self):
        """Forget everything if the caches grew too large (between batches only: row
        numbers handed out before are invalid afterwards)."""
        if self._n > self._MAX_TYPES or len(self._raw_keys) > self._MAX_RAW:
            self._reset()

    def _set_context(self, rows: np.ndarray):
        """Fill the context counts of lexicon ``rows`` (new words, in one vectorised go)."""
        if self._context is None or len(rows) == 0:
            return
        norm, suffix = self.h_norm[rows], self.h_suffix[rows]
        h = np.column_stack([norm, norm, self.h_first[rows], norm]
                            + [suffix + np.uint64(n) for n in (1, 2, 3)])
        keys = phrase_hash(h, _SALT[[0, 1, 2, 3, 4, 4, 4]][None, :])
        count, tagged = self._context(keys.ravel())
        self.context[rows] = np.hstack([count.reshape(h.shape), tagged.reshape(h.shape)])

    @staticmethod
    def _count(table: tuple[np.ndarray, np.ndarray], hashes: np.ndarray) -> np.ndarray:
        return lookup(hashes, *table)[0].astype(np.int64)

    def _grow(self, n: int) -> np.ndarray:
        """Rows for ``n`` new words, the columns grown to hold them."""
        if self._n + n > len(self.kind):
            size = max(2 * len(self.kind), self._n + n)
            for name in (*self._COLUMNS, "context"):
                old = getattr(self, name)
                grown = np.zeros((size,) + old.shape[1:], dtype=old.dtype)
                grown[:len(old)] = old
                setattr(self, name, grown)
        rows = np.arange(self._n, self._n + n)
        self._n += n
        return rows

    def _add_words(self, words: list[str]) -> None:
        """Analyse distinct new ``words`` (written spelling, letters only) all at once.

        A word is a stop word (kind 1) or a content word (kind 2). A content word may
        start with a proclitic: the remainder chosen is the most common in the corpus
        (among unknown ones, the shortest cut: "وكاظم" is و + كاظم). The cut is ``static``
        when the corpus alone proves it (the remainder is far more common than the word);
        otherwise the article must show the remainder on its own (``h_cond``). Words
        editors tag as they are ("لبنان", "بوتين") are never cut.
        """
        n = len(words)
        rows = self._grow(n)
        self._index.update(zip(words, rows.tolist()))
        self._spelling += words
        norms = _normalize_words(words)
        w = _Words(norms)
        h_norm = w.hashes(w.start, w.end)
        self.h_norm[rows] = h_norm
        stop = (w.length < 2) | _member(h_norm, _STOP_HASHES)  # normalised, as STOP_WORDS
        if self._df is None:
            self.kind[rows] = np.where(stop, 1, 2)
            self._cut_to += [""] * n
            return

        cut_words, letters, variant, h_rest, df_rest = self._clitics(norms, w, stop)
        tagged = self._count(self._tag_count, h_norm[cut_words])
        cut = ~((tagged > 0) & (tagged >= self._count(self._tag_count, h_rest)))
        cut_words, letters, variant, h_rest, df_rest = (
            a[cut] for a in (cut_words, letters, variant, h_rest, df_rest))
        static = (df_rest >= 5) & (df_rest >= 4 * self._count(self._df, h_norm[cut_words]))

        cut_to = [""] * n  # what replaces the proclitic: "", "ال" or "ال" + its last letter
        elided = variant > 0
        for i, length, v in zip(cut_words[elided].tolist(), letters[elided].tolist(),
                                variant[elided].tolist()):
            cut_to[i] = "ال" + norms[i][length - 1] if v == 2 else "ال"
        self._cut_to += cut_to
        cut_rows = rows[cut_words]
        self.cut[rows], self.conj[rows], self.h_cond[rows] = 0, False, 0
        self.cut[cut_rows] = letters
        self.conj[cut_rows] = np.isin(w.codes[w.start[cut_words]], [ord("و"), ord("ف")])
        self.h_cond[cut_rows[~static]] = h_rest[~static]
        self.kind[rows] = np.where(stop, 1, 2)

        # The first word a phrase starts with: the remainder where the cut is static, else
        # the word. It spells the word's letters from ``skip`` on, after ``added`` letters
        # (none, "ال", or "ال" and the proclitic's last letter).
        h_first = h_norm.copy()
        h_first[cut_words[static]] = h_rest[static]
        self.h_first[rows] = h_first
        skip = np.zeros(n, dtype=np.int64)
        skip[cut_words[static]] = letters[static]
        added = np.zeros(n, dtype=np.int64)  # letters before them: 0, 2 ("ال") or 3
        added[cut_words[static]] = np.array([0, 2, 3])[variant[static]]
        begin, end = w.start + skip, w.end
        first_len = end - begin + added
        own_al = (end - begin >= 2) & (w.code(begin) == _ALIF) & (w.code(begin + 1) == _LAM)
        has_al = ((added > 0) | own_al) & (first_len > 3)
        # How much more often the word is written with the article ال than without it.
        df_first = self._count(self._df, h_first)
        bare = np.flatnonzero(has_al)
        other = w.with_al(begin, end)
        other[bare] = w.hashes(begin[bare] + 2 - added[bare], end[bare])
        df_other = self._count(self._df, other)
        with_al, without = np.where(has_al, df_first, df_other), np.where(has_al, df_other, df_first)
        self.has_al[rows] = has_al
        latin = np.concatenate([[0], np.cumsum(_is_latin(w.codes))])
        self.latin[rows] = latin[end] > latin[begin]
        self.word_df[rows] = df_first
        self.al_ratio[rows] = np.log((with_al + 1.0) / (without + 1.0))
        self.tag_words[rows] = self._count(self._tag_count, h_first)
        self.length[rows] = first_len
        self.h_suffix[rows] = _finish(
            _SUFFIX + base_power(1) * w.poly(np.maximum(w.end - 2, w.start), w.end),
            np.minimum(w.length, 2) + 1)

    def _clitics(self, norms: list[str], w: _Words, stop: np.ndarray):
        """The proclitic cut of each word that may carry one: (words, letters cut, variant
        of the remainder, its hash, its document frequency). The variant is 0 for the
        letters after the proclitic, 1 and 2 where the proclitic elided ال (ل + الجنة is
        written للجنة): "ال" + them, or "ال" + the proclitic's last letter + them (one lam
        of the remainder may be lost). Of a word's possible cuts the one whose remainder
        is most common wins, then the shortest cut, then the greater remainder string.
        Sets ``stop`` for words that are a function word with a proclitic ("وهذا").
        """
        found = []  # per option: words, letters cut, variant, remainder hashes
        rest_is_stop = np.zeros(len(norms), dtype=bool)
        for length, keys, elided in _PREFIX_TABLES:
            words = np.flatnonzero(~stop & (w.length - length >= 2))
            prefix = _short_key(np.column_stack([w.codes[w.start[words] + k] for k in range(length)]))
            at = np.minimum(np.searchsorted(keys, prefix), len(keys) - 1)
            hit = keys[at] == prefix
            words, e = words[hit], elided[at[hit]]
            begin, end = w.start[words] + length, w.end[words]
            h = w.hashes(begin, end)
            is_stop = _member(h, _STOP_HASHES)
            rest_is_stop[words[is_stop]] = True
            words, e, begin, end, h = (a[~is_stop] for a in (words, e, begin, end, h))
            found += [(words[~e], length, 0, h[~e]),
                      (words[e], length, 1, w.with_al(begin[e], end[e])),
                      (words[e], length, 2, w.with_al(begin[e], end[e], w.codes[begin[e] - 1]))]
        stop |= rest_is_stop
        word = np.concatenate([f[0] for f in found])
        letters = np.concatenate([np.full(len(f[0]), f[1], dtype=np.int64) for f in found])
        variant = np.concatenate([np.full(len(f[0]), f[2], dtype=np.int8) for f in found])
        h = np.concatenate([f[3] for f in found])
        keep = ~stop[word]
        word, letters, variant, h = word[keep], letters[keep], variant[keep], h[keep]
        df = self._count(self._df, h)
        # Elided pairs of equal frequency: the greater of the two remainder strings wins.
        # Variants 1 and 2 list the same words in the same order.
        greater = np.zeros(len(word), dtype=np.int8)
        ones, twos = np.flatnonzero(variant == 1), np.flatnonzero(variant == 2)
        tied = df[ones] == df[twos]
        for j1, j2 in zip(ones[tied].tolist(), twos[tied].tolist()):
            i, n = int(word[j1]), int(letters[j1])
            rest = norms[i][n:]
            greater[j1 if "ال" + rest > "ال" + norms[i][n - 1] + rest else j2] = 1
        order = np.lexsort((greater, -letters, df, word))
        best = order[np.append(word[order][1:] != word[order][:-1], True)] if len(order) else order
        return word[best], letters[best], variant[best], h[best], df[best]

    def encode(self, tokens: list[str]) -> np.ndarray:
        """Row numbers of ``tokens`` (written spelling); new words are analysed and added,
        anything else (punctuation, digits) is row 0."""
        index = self._index
        index.update((t, 0) for t in dict.fromkeys(tokens) if t not in index and not is_word(t))
        return self._encode_words(tokens)

    def _encode_words(self, words: list[str]) -> np.ndarray:
        """:meth:`encode` of tokens that are all words or known (letter runs, as
        :func:`read_batch` finds them)."""
        index = self._index
        new = [w for w in dict.fromkeys(words) if w not in index]
        if new:
            first_new = self._n
            self._add_words(new)
            self._set_context(np.arange(first_new, self._n))
        return np.fromiter(map(index.__getitem__, words), dtype=np.intp, count=len(words))

    def spelling(self, row: int) -> str:
        """The word of lexicon ``row`` as written (diacritics removed)."""
        return self._spelling[row]

    def uncut(self, row: int, token: str) -> str:
        """The written ``token`` (of lexicon ``row``) without its proclitic."""
        return self._cut_to[row] + token[self.cut[row]:]

    def rows(self, hashes: np.ndarray, text: str, begin: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Rows of the words with raw ``hashes``, written at ``text[begin:end]``."""
        by_hash = np.argsort(hashes)
        pos = _sorted_search(self._raw_keys, hashes, by_hash)
        found = self._raw_keys[np.minimum(pos, len(self._raw_keys) - 1)] == hashes \
            if len(self._raw_keys) else np.zeros(len(hashes), dtype=bool)
        if not found.all():
            miss = np.flatnonzero(~found)
            new, first = np.unique(hashes[miss], return_index=True)
            spans = miss[first]
            rows = self._encode_words(_surfaces(spell(text, begin[spans], end[spans])))
            keys = np.concatenate([self._raw_keys, new])
            order = np.argsort(keys, kind="stable")
            self._raw_keys = keys[order]
            self._raw_rows = np.concatenate([self._raw_rows, rows])[order]
            pos = _sorted_search(self._raw_keys, hashes, by_hash)
        return self._raw_rows[pos]

    def content_hashes(self, ids: np.ndarray) -> np.ndarray:
        """Hashes of the content words among ``ids`` (evidence for cutting clitics)."""
        return self.h_norm[ids[self.kind[ids] == 2]]


# ---------------------------------------------------------------- reading articles
# Character classes of the vectorised reader: the same split as split_tokens.
_SPACE, _LETTER, _OTHER, _MARK = 0, 1, 2, 3


def _char_classes() -> np.ndarray:
    table = np.full(0x10000, _OTHER, dtype=np.uint8)
    for lo, hi in ((0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F), (0x621, 0x63F), (0x641, 0x64A),
                   (0x671, 0x6D3), (0x6D5, 0x6D5)):
        table[lo:hi + 1] = _LETTER
    table[[c for c in range(0x3001) if chr(c).isspace()]] = _SPACE
    table[_DELETABLE] = _MARK
    return table


_CLASSES = _char_classes()


@dataclass
class Batch:
    """Articles read into one token array: each article's title tokens, a break, its body
    tokens and a break (a token's written spelling is its lexicon row's)."""

    ids: np.ndarray        # per token: lexicon row (0 for breaks)
    start: np.ndarray      # per article: index of its first token
    size: np.ndarray       # per article: number of tokens
    title_len: np.ndarray  # per article: tokens of the title and the break after it


def read_batch(lex: Lexicon, texts, titles, max_words: int | None = None) -> Batch:
    """Split and look up many articles at once (non-strings read as empty); of each body,
    only the first ``max_words`` words (and the breaks among them) if given."""
    parts = [part if isinstance(part, str) else ""
             for text, title in zip(texts, titles) for part in (title, text)]
    runs = scan(parts, _CLASSES, _MARK, _SPACE)
    n_docs = len(parts) // 2
    begin, end, keys, cls, part = runs.begin, runs.end, runs.keys, runs.cls, runs.part
    if max_words is not None and len(part):
        first = np.searchsorted(part, np.arange(2 * n_docs + 1))  # each part's first run
        words_before = np.cumsum(cls == _LETTER) - (cls == _LETTER)
        within = words_before - words_before[first[part]]
        last = np.append(part[1:] != part[:-1], True)  # the separator that ends a part
        keep = (part % 2 == 0) | (within < max_words) | last
        begin, end, keys, cls, part = begin[keep], end[keep], keys[keep], cls[keep], part[keep]
    word = cls == _LETTER
    ids = np.zeros(len(begin), dtype=np.intp)
    ids[word] = lex.rows(keys[word], runs.text, begin[word], end[word])
    bounds = np.searchsorted(part, np.arange(0, 2 * n_docs + 1, 2))
    start = bounds[:-1]
    size = np.diff(bounds)
    title_len = np.searchsorted(part, np.arange(1, 2 * n_docs, 2)) - start
    return Batch(ids, start, size, title_len)



# ---------------------------------------------------------------- candidates
@dataclass
class Candidates:
    """Candidate phrases of a batch of articles: one row per (article, phrase), grouped by
    article. Positions index the batch's tokens (see :class:`Batch`)."""

    doc: np.ndarray         # article of each candidate
    keys: np.ndarray        # uint64 phrase key
    n: np.ndarray           # words in the phrase
    tf: np.ndarray          # occurrences (clitic variants merged)
    tf_title: np.ndarray    # occurrences in the title
    first: np.ndarray       # position of the first occurrence
    first_body: np.ndarray  # position of the first occurrence in the body (article end if none)
    last: np.ndarray        # position of the last occurrence
    sup: np.ndarray         # occurrences of the most frequent longer candidate containing it
    sub: np.ndarray         # occurrences of its most frequent shorter part
    occ_start: np.ndarray   # occurrences of candidate j: occ_pos[occ_start[j]:occ_start[j + 1]]
    occ_pos: np.ndarray
    whole: np.ndarray       # distinct (longer candidate, candidate it contains) pairs
    part: np.ndarray
    offsets: np.ndarray     # candidates of article d: rows offsets[d]:offsets[d + 1]
    ids: np.ndarray         # per token: lexicon row
    stripped: np.ndarray    # per token: a proclitic was cut from it
    start: np.ndarray       # per article: as in Batch
    size: np.ndarray
    title_len: np.ndarray
    words: tuple | None = None  # per candidate: see words_of

    def __len__(self) -> int:
        return len(self.keys)

    def tokens_of(self, d: int) -> slice:
        return slice(int(self.start[d]), int(self.start[d] + self.size[d]))


def extract(b: Batch, lex: Lexicon, max_ngram: int = 3) -> Candidates:
    """Candidate phrases of a batch of articles.

    A phrase is one to ``max_ngram`` consecutive words with no break between them; its
    first and last words are content words (the middle one may be a function word, as
    in "وزير الخارجية"). Its first word is keyed without its proclitic when the cut is
    attested, so "لروسيا", "وروسيا" and "روسيا" are one candidate.
    """
    ids, start, size, title_len = b.ids, b.start, b.size, b.title_len
    n_docs, total = len(start), len(ids)
    tok_doc = np.repeat(np.arange(n_docs), size)
    kind = lex.kind[ids]
    content = kind == 2
    hn = lex.h_norm[ids]
    hf = lex.h_first[ids]
    stripped = hf != hn
    hc = lex.h_cond[ids]
    cond = np.flatnonzero(hc)
    if len(cond):
        words = np.flatnonzero(content)
        in_article = doc_salted(hn[words], tok_doc[words])
        cond = cond[_member(doc_salted(hc[cond], tok_doc[cond]), in_article)]
        hf[cond] = hc[cond]
        stripped[cond] = True

    p1 = np.flatnonzero(content)
    pos, keys, ns = [p1], [phrase_hash(hf[p1])], [np.ones(len(p1), dtype=np.int64)]
    p2 = p3 = np.zeros(0, dtype=np.int64)
    if max_ngram >= 2 and total >= 2:
        p2 = np.flatnonzero(content[:-1] & content[1:])
        pos.append(p2)
        keys.append(phrase_hash(hf[p2], hn[p2 + 1]))
        ns.append(np.full(len(p2), 2))
    if max_ngram >= 3 and total >= 3:
        p3 = np.flatnonzero(content[:-2] & (kind[1:-1] != 0) & content[2:])
        pos.append(p3)
        keys.append(phrase_hash(hf[p3], hn[p3 + 1], hn[p3 + 2]))
        ns.append(np.full(len(p3), 3))
    all_pos, all_keys, all_n = np.concatenate(pos), np.concatenate(keys), np.concatenate(ns)
    all_doc = tok_doc[all_pos]

    # Group occurrences by (article, key), each group in text order (a phrase's
    # occurrences are in one block, in text order, and the sort is stable). Sorting on the
    # article number in the top 16 bits and the key's low 48 bits is one fast sort; two
    # phrases of an article whose keys share 48 bits are all but impossible.
    packed = (all_doc.astype(np.uint64) << np.uint64(48)) | (all_keys & _LOW48)
    order = np.argsort(packed, kind="stable")
    sorted_packed = packed[order]
    sk, sd, sp, sn = all_keys[order], all_doc[order], all_pos[order], all_n[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = sorted_packed[1:] != sorted_packed[:-1]
    group = np.flatnonzero(new)
    occ_start = np.append(group, len(order))
    k = len(group)
    cand = np.cumsum(new) - 1
    doc = sd[group]
    tf = np.diff(occ_start)
    end = start + size
    if k:
        in_title = sp - start[sd] < title_len[sd]
        tf_title = np.add.reduceat(in_title.astype(np.int64), group)
        first_body = np.minimum.reduceat(np.where(in_title, end[sd], sp), group)
    else:
        tf_title = first_body = np.zeros(0, dtype=np.int64)

    # Which candidate starts at each token, per length, to relate phrases to their parts.
    row = np.full((3, total + 2), -1, dtype=np.int64)
    row[sn - 1, sp] = cand
    # Each phrase against its shorter parts: how often the longest phrase containing a
    # candidate occurs, and how often its most frequent part does.
    sup = np.zeros(k, dtype=np.int64)
    sub = tf.copy()
    wholes = [(row[1, p2], (row[0, p2], row[0, p2 + 1]))] if len(p2) else []
    if len(p3):
        wholes.append((row[2, p3], (row[1, p3], row[1, p3 + 1], row[0, p3], row[0, p3 + 2])))
    pairs = [np.zeros(0, dtype=np.int64)]
    shift = max(k, 1).bit_length()  # a pair packed as whole << shift | part
    for whole, parts in wholes:
        for part in parts:
            ok = part >= 0
            pairs.append((whole[ok] << shift) | part[ok])
    pairs = np.sort(np.concatenate(pairs))
    pairs = pairs[np.append(True, pairs[1:] != pairs[:-1])] if len(pairs) else pairs
    pair_whole, pair_part = pairs >> shift, pairs & ((1 << shift) - 1)
    np.maximum.at(sup, pair_part, tf[pair_whole])
    np.maximum.at(sub, pair_whole, tf[pair_part])
    return Candidates(doc, sk[group], sn[group], tf, tf_title, sp[group], first_body,
                      sp[occ_start[1:] - 1], sup, sub, occ_start, sp, pair_whole, pair_part,
                      np.searchsorted(doc, np.arange(n_docs + 1)), ids, stripped, start, size,
                      title_len)


# ---------------------------------------------------------------- features
CONTEXT_NAMES = ("prev_word", "next_word", "first_word", "last_word", "ending")
FEATURE_NAMES = (
    "log_tf", "tf_rel", "in_title", "first_rel", "log_first", "spread", "two_words",
    "three_words", "log_chars", "idf", "seen_in_training", "tag_rate", "log_times_tagged",
    "starts_with_al", "al_ratio_first", "al_ratio_last", "latin", "inside_longer",
    "covers_parts", "clitic_cut", "inner_conjunction", "log_tag_word", "tag_word_rate",
    "max_word_idf", "min_word_idf", "middle_stop",
) + tuple(f"{name}_{stat}" for name in CONTEXT_NAMES for stat in ("tag_rate", "log_count"))
_SALT = np.arange(1, len(CONTEXT_NAMES) + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)


def context_stats(c: Candidates, lex: Lexicon) -> tuple[np.ndarray, np.ndarray]:
    """Training counts (candidates x CONTEXT_NAMES) of each candidate's context keys and
    how many were tags: the same numbers as looking :func:`context_keys` up in the
    model's table, read from the lexicon's per-word cache."""
    w0, _, w2 = words_of(c)
    flat = np.column_stack([c.ids[c.first - 1] * 14, c.ids[c.first + c.n] * 14 + 1,
                            w0 * 14 + 2, w2 * 14 + 3, w2 * 14 + 3 + c.n])
    table = lex.context.ravel()
    return table[flat], table[flat + 7]


def context_keys(c: Candidates, lex: Lexicon) -> np.ndarray:
    """Keys (candidates x CONTEXT_NAMES) of what surrounds and shapes each candidate: the
    words before and after its first occurrence, its first and last words, the ending of
    its last word with its length. The model learns a tag rate for each."""
    w0, _, w2 = words_of(c)
    # Every article ends with a break, so these never leave the article's tokens (before
    # the first article, index -1 is the batch's final break).
    before = c.ids[c.first - 1]
    after = c.ids[c.first + c.n]
    cols = [lex.h_norm[before], lex.h_norm[after], lex.h_first[w0], lex.h_norm[w2],
            lex.h_suffix[w2] + c.n.astype(np.uint64)]
    return phrase_hash(np.column_stack(cols), _SALT[None, :])


def words_of(c: Candidates) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lexicon rows of each candidate's first, middle and last word (first occurrence)."""
    if c.words is None:
        w0 = c.ids[c.first]
        w1 = np.where(c.n >= 2, c.ids[np.minimum(c.first + 1, len(c.ids) - 1)], w0)
        w2 = np.where(c.n >= 3, c.ids[np.minimum(c.first + 2, len(c.ids) - 1)], w1)
        c.words = (w0, w1, w2)
    return c.words


def features(c: Candidates, lex: Lexicon, df, tdf, ntag, ctx_count, ctx_tagged,
             n_docs: float, prior: float, alpha: float, ctx_alpha: float,
             tag_words=None) -> np.ndarray:
    """Feature matrix (candidates x FEATURE_NAMES).

    ``df`` is each candidate's document frequency in the training corpus, ``tdf`` the
    number of tagged training articles it occurs in and ``ntag`` how many of those tag it;
    ``ctx_count`` and ``ctx_tagged`` (candidates x CONTEXT_NAMES) count training candidates
    with the same context key and how many of them were tags. ``tag_words`` (candidates x
    3) replaces the lexicon's counts of the :func:`words_of` in editors' tags (training
    uses counts without the article's own tags).
    """
    if len(c) == 0:
        return np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32)
    f32 = np.float32
    d = c.doc
    size = c.size[d].astype(f32)
    title_len = c.title_len[d]
    body = np.maximum(size - title_len, 1)
    tf = c.tf.astype(f32)
    first_body = np.minimum((c.first_body - c.start[d] - title_len).astype(f32), body)
    nonempty = np.flatnonzero(np.diff(c.offsets))
    doc_max = np.ones(len(c.size), dtype=f32)
    doc_max[nonempty] = np.maximum.reduceat(tf, c.offsets[nonempty])
    words = w0, w1, w2 = words_of(c)
    word_df = [lex.word_df[w] for w in words]
    if tag_words is None:
        tag_word = [lex.tag_words[w] for w in words]
    else:
        tag_word = [np.asarray(tag_words[:, i], dtype=f32) for i in range(3)]
    length = lex.length[w0] + lex.length[w1] * (c.n >= 2) + lex.length[w2] * (c.n >= 3)
    log_docs = f32(np.log(n_docs + 1.0))
    df, tdf, ntag = (np.asarray(x, dtype=f32) for x in (df, tdf, ntag))
    cols = [
        np.log1p(tf),
        tf / doc_max[d],
        c.tf_title > 0,
        first_body / body,
        np.log1p(first_body),
        (c.last - c.first) / size,
        c.n == 2,
        c.n == 3,
        np.log(length + (c.n - 1)),
        log_docs - np.log1p(df),
        tdf > 0,
        np.log((ntag + f32(alpha * prior)) / (tdf + f32(alpha))),
        np.log1p(ntag),
        lex.has_al[w0],
        lex.al_ratio[w0],
        lex.al_ratio[w2],
        lex.latin[w0] | lex.latin[w2],
        np.minimum(c.sup / tf, 1),
        tf / np.maximum(c.sub, c.tf),
        c.stripped[c.first],
        (c.n >= 2) & (lex.conj[w1] | lex.conj[w2]),
        np.log1p(np.maximum.reduce(tag_word)),
        np.maximum.reduce([t / (x + 1) for t, x in zip(tag_word, word_df)]),
        log_docs - np.log1p(np.minimum.reduce(word_df)),
        log_docs - np.log1p(np.maximum.reduce(word_df)),
        (c.n == 3) & (lex.kind[w1] == 1),
    ]
    # Column-major, so that each feature is written contiguously.
    X = np.empty((len(c), len(FEATURE_NAMES)), dtype=f32, order="F")
    for i, col in enumerate(cols):
        X[:, i] = col
    k = len(cols)
    X[:, k::2] = np.log((ctx_tagged + f32(ctx_alpha * prior)) / (ctx_count + f32(ctx_alpha)))
    X[:, k + 1::2] = np.log1p(ctx_count)
    return X



# ---------------------------------------------------------------- editors' tags
def tag_key(tag: str, lex: Lexicon, article_words: np.ndarray, max_ngram: int) -> int | None:
    """Phrase key an editor's ``tag`` gets in an article whose content-word hashes are
    ``article_words`` (the clitic rule of :func:`extract`); None if it cannot be a
    candidate (too long, or holds digits or punctuation)."""
    tokens = split_tokens(tag)
    if not tokens or len(tokens) > max_ngram:
        return None
    ids = lex.encode(tokens)
    if (lex.kind[ids] == 0).any():
        return None
    first = lex.h_first[ids[:1]]
    cond = lex.h_cond[ids[:1]]
    if cond[0] and np.isin(cond, article_words)[0]:
        first = cond
    return int(phrase_hash(first, *[lex.h_norm[ids[j:j + 1]] for j in range(1, len(ids))])[0])


# ---------------------------------------------------------------- re-ranking
RERANK_NAMES = (
    "stage1_logit", "stage1_gap", "stage1_rank", "has_longer", "longer_gap", "longer_tf_rel",
    "has_part", "part_gap", "longer_count", "log_candidates",
)
_NO_RELATIVE = -20.0  # the gap features of a candidate without a longer (or shorter) one


def _best_related(key: np.ndarray, other: np.ndarray, s1: np.ndarray, wanted: np.ndarray):
    """For each candidate (``wanted`` ones only), the related candidate (``other`` of its
    pairs with ``key``) with the highest stage-1 logit (-1 if none) and how many it has."""
    size = len(wanted)
    best = np.full(size, -1, dtype=np.int64)
    mine = wanted[key]
    key, other = key[mine], other[mine]
    count = np.bincount(key, minlength=size)
    if len(key):
        order = np.lexsort((s1[other], key))
        ks = key[order]
        last = np.flatnonzero(np.append(ks[1:] != ks[:-1], True))
        best[ks[last]] = other[order][last]
    return best, count


def rerank_features(c: Candidates, X: np.ndarray, s1: np.ndarray, rank: np.ndarray,
                    rows: np.ndarray) -> np.ndarray:
    """Features (len(rows) x FEATURE_NAMES + RERANK_NAMES) of the candidates ``rows`` for the
    second stage: their own features and how the first stage (logit ``s1``, ``rank``
    within the article from 0) judged them against the article's other candidates,
    above all the longer phrases that contain them ("هاني رمزي" for "رمزي") and the
    shorter ones they contain."""
    f32 = np.float32
    k = len(c)
    doc_max = np.full(len(c.size), -np.inf)
    np.maximum.at(doc_max, c.doc, s1)
    wanted = np.zeros(k, dtype=bool)
    wanted[rows] = True
    longer, n_longer = _best_related(c.part, c.whole, s1, wanted)
    shorter, _ = _best_related(c.whole, c.part, s1, wanted)
    longer, shorter, s = longer[rows], shorter[rows], s1[rows]
    has_longer, has_part = longer >= 0, shorter >= 0
    extra = [
        s,
        s - doc_max[c.doc[rows]],
        np.log1p(rank[rows]),
        has_longer,
        np.where(has_longer, s1[longer] - s, _NO_RELATIVE),
        np.where(has_longer, c.tf[longer] / c.tf[rows], 0.0),
        has_part,
        np.where(has_part, s1[shorter] - s, _NO_RELATIVE),
        np.log1p(n_longer[rows]),
        np.log(np.diff(c.offsets)[c.doc[rows]]),
    ]
    out = np.empty((len(rows), X.shape[1] + len(extra)), dtype=f32)
    out[:, :X.shape[1]] = X[rows]
    for i, col in enumerate(extra):
        out[:, X.shape[1] + i] = col
    return out
