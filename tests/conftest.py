"""Shared test fixtures.

Tests that need the real corpora use ``shared_data``: it points at ``../shared/data`` next
to the repository and skips the test, with the reason, when that folder is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = SHARED / "data"
    if not (path / "README.md").exists():
        pytest.skip(f"shared corpora not found at {path} (CI provides ../shared/data)")
    return path


@pytest.fixture(scope="session")
def shared_examples() -> Path:
    path = SHARED / "examples"
    if not path.is_dir():
        pytest.skip(f"shared examples not found at {path} (CI provides ../shared/examples)")
    return path


# A few short invented articles per section, for fast unit tests.
TINY = {
    "sports": [
        "فاز الفريق الوطني بالمباراة النهائية لكأس البطولة بعد ركلات الترجيح",
        "سجل المهاجم هدفين في الشوط الثاني وقاد ناديه إلى الفوز في الدوري",
        "أعلن المدرب تشكيلة المنتخب استعدادا لتصفيات كأس العالم",
        "تأهل العداء إلى نهائي سباق المئة متر في الألعاب الأولمبية",
        "خسر النادي مباراته أمام منافسه وتراجع إلى المركز الرابع في الترتيب",
        "وقع اللاعب عقدا جديدا مع ناديه لمدة ثلاثة مواسم",
    ],
    "economy": [
        "ارتفعت أسعار النفط في الأسواق العالمية مع تراجع المخزونات",
        "رفع البنك المركزي سعر الفائدة لمواجهة التضخم المتصاعد",
        "سجلت البورصة مكاسب قوية بدعم من أسهم البنوك والشركات",
        "تراجع سعر صرف العملة المحلية أمام الدولار في السوق",
        "أعلنت الحكومة موازنة جديدة تتضمن خفض العجز وزيادة الاستثمار",
        "نما الناتج المحلي الإجمالي بنسبة أعلى من توقعات المحللين",
    ],
    "politics": [
        "استقبل الرئيس وزير الخارجية لبحث العلاقات الثنائية بين البلدين",
        "صوت البرلمان على قانون الانتخابات الجديد بأغلبية الأعضاء",
        "عقدت الحكومة اجتماعا طارئا لبحث الأزمة السياسية في البلاد",
        "دعا مجلس الأمن إلى وقف إطلاق النار والعودة إلى المفاوضات",
        "أجرى رئيس الوزراء محادثات مع نظيره حول الملفات الإقليمية",
        "أعلنت المعارضة مقاطعة الانتخابات احتجاجا على القانون",
    ],
}


@pytest.fixture(scope="session")
def tiny_texts():
    texts, labels = [], []
    for label, items in TINY.items():
        texts += items
        labels += [label] * len(items)
    return texts, labels


@pytest.fixture(scope="session")
def tiny_model(tiny_texts):
    from tagger.features import FeatureConfig
    from tagger.sections import SectionModel

    texts, labels = tiny_texts
    return SectionModel(FeatureConfig(char_bits=14, word_bits=12), calibration=0.0).fit(texts, labels)


@pytest.fixture(scope="session")
def sample_model_dir(tmp_path_factory) -> Path:
    """A small saved model, sections and keywords, trained on ``data/sample.csv``.

    For end-to-end tests of the command line; a few seconds to train.
    """
    from tagger.features import FeatureConfig
    from tagger.train import train

    path = tmp_path_factory.mktemp("sample-model") / "model"
    train(ROOT / "data" / "sample.csv", out=path, title_col="title", tags_col="tags",
          test_size=0.25, features=FeatureConfig(char_bits=14, word_bits=12))
    return path


@pytest.fixture(scope="session")
def warm_tagger():
    """Runs ``tagger`` command lines in real processes without seconds of imports each
    (see tests/cli_processes.py)."""
    from cli_processes import WarmTagger

    with WarmTagger() as server:
        yield server
