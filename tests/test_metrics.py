"""Metrics checked against values worked out by hand on tiny examples."""

from __future__ import annotations

import math

import pytest
from sklearn.metrics import f1_score

from tagger.errors import DataError
from tagger.metrics import classification_metrics, format_table, keyword_metrics

# Six articles, three sections:
#   true: a a a b b c
#   pred: a a b b c c
# a: TP 2 (rows 0, 1), FP 0, FN 1 (row 2)         -> P 1,   R 2/3, F1 0.8
# b: TP 1 (row 3), FP 1 (row 2), FN 1 (row 4)     -> P 1/2, R 1/2, F1 1/2
# c: TP 1 (row 5), FP 1 (row 4), FN 0             -> P 1/2, R 1,   F1 2/3
Y_TRUE = ["a", "a", "a", "b", "b", "c"]
Y_PRED = ["a", "a", "b", "b", "c", "c"]


def test_classification_metrics_by_hand():
    m = classification_metrics(Y_TRUE, Y_PRED)
    assert m["n"] == 6
    assert m["accuracy"] == pytest.approx(4 / 6)
    expected = {"a": (1.0, 2 / 3, 0.8, 3), "b": (0.5, 0.5, 0.5, 2), "c": (0.5, 1.0, 2 / 3, 1)}
    assert list(m["per_section"]) == ["a", "b", "c"]
    for label, (p, r, f, s) in expected.items():
        row = m["per_section"][label]
        assert row["precision"] == pytest.approx(p)
        assert row["recall"] == pytest.approx(r)
        assert row["f1"] == pytest.approx(f)
        assert row["support"] == s
    assert m["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)


def test_values_are_plain_unrounded_python_numbers():
    m = classification_metrics(Y_TRUE, Y_PRED)
    assert type(m["accuracy"]) is float and type(m["macro_f1"]) is float
    assert type(m["per_section"]["c"]["support"]) is int
    assert m["per_section"]["c"]["f1"] != round(m["per_section"]["c"]["f1"], 4)


def test_macro_f1_ignores_sections_only_predicted():
    # x is never a true section. a: P 1, R 1/2, F1 2/3; b: P 1, R 1, F1 1.
    # Macro over the true sections {a, b} = (2/3 + 1) / 2; averaging x's F1 of 0 in
    # as well would give 5/9 and count the one mistake twice.
    y_true = ["a", "a", "b", "b"]
    y_pred = ["a", "x", "b", "b"]
    m = classification_metrics(y_true, y_pred)
    assert m["macro_f1"] == pytest.approx(5 / 6)
    assert m["macro_f1"] == pytest.approx(
        f1_score(y_true, y_pred, average="macro", labels=sorted(set(y_true))))
    assert m["per_section"]["x"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert m["per_section"]["a"]["recall"] == pytest.approx(0.5)


def test_macro_f1_counts_true_sections_never_predicted():
    # c is never predicted: F1 0 and averaged in. a: P 2/3, R 1, F1 0.8; b: 1.
    y_true = ["a", "a", "b", "c"]
    y_pred = ["a", "a", "b", "a"]
    m = classification_metrics(y_true, y_pred)
    assert m["macro_f1"] == pytest.approx((0.8 + 1.0 + 0.0) / 3)


@pytest.mark.parametrize("seed", range(5))
def test_macro_f1_matches_sklearn_on_random_labels(seed):
    import random

    rng = random.Random(seed)
    y_true = [rng.choice("abcd") for _ in range(60)]
    y_pred = [rng.choice("abcde") for _ in range(60)]
    expected = f1_score(y_true, y_pred, average="macro", labels=sorted(set(y_true)))
    assert classification_metrics(y_true, y_pred)["macro_f1"] == pytest.approx(expected)


def test_given_labels_keep_their_order_and_must_cover_observed():
    m = classification_metrics(Y_TRUE, Y_PRED, labels=["c", "b", "a", "z"])
    assert list(m["per_section"]) == ["c", "b", "a", "z"]
    assert m["per_section"]["z"]["support"] == 0
    assert m["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    with pytest.raises(DataError, match="'c'"):
        classification_metrics(Y_TRUE, Y_PRED, labels=["a", "b"])


@pytest.mark.parametrize("y_true, y_pred", [(["a"], ["a", "b"]), ([], [])])
def test_bad_lengths_are_data_errors(y_true, y_pred):
    with pytest.raises(DataError):
        classification_metrics(y_true, y_pred)


def test_format_table():
    metrics = classification_metrics(["سياسة", "سياسة", "رياضة"], ["سياسة", "x", "رياضة"])
    text = format_table(metrics)
    lines = text.splitlines()
    assert lines[0].startswith("accuracy  0.6667")
    # macro over the two true sections: سياسة P 1 R 1/2 F1 2/3, رياضة 1 -> 0.8333
    assert lines[1].startswith("macro-F1  0.8333")
    rows = {line.split()[0]: line.split()[1:] for line in lines[4:7]}
    assert rows["سياسة"] == ["1.0000", "0.5000", "0.6667", "2"]
    assert rows["x*"] == ["0.0000", "0.0000", "0.0000", "0"]
    assert "not in macro-F1" in lines[-1]
    # columns line up: every row has the same width up to the last column
    assert len({len(line) for line in lines[3:7]}) == 1


# --- keywords ------------------------------------------------------------------------


def test_keyword_metrics_by_hand_at_k2():
    # Article 1: gold {x, z}, predicted x y z.
    #   @2: top x y, 1 hit -> P 1/2, R 1/2, F1 1/2
    #   own: 2 hits of 3 -> P 2/3, R 1, F1 0.8
    # Article 2: gold {q}, predicted w e q.
    #   @2: top w e, 0 hits -> 0, 0, 0
    #   own: 1 hit of 3 -> P 1/3, R 1, F1 1/2
    predicted = [["x", "y", "z"], ["w", "e", "q"]]
    gold = [["x", "z"], ["q"]]
    m = keyword_metrics(predicted, gold, k=2)
    assert m["n"] == 2
    assert m["p_at_2"] == pytest.approx(0.25)
    assert m["r_at_2"] == pytest.approx(0.25)
    assert m["f1_at_2"] == pytest.approx(0.25)
    assert m["p_at_own"] == pytest.approx(0.5)
    assert m["r_at_own"] == pytest.approx(1.0)
    # mean of per-article F1 (0.8 + 0.5) / 2, not the F1 of mean P and R (2/3)
    assert m["f1_at_own"] == pytest.approx(0.65)
    assert "p_at_5" not in m


def test_p_at_k_divides_by_k_even_for_short_lists():
    # one correct keyword predicted, five slots: P@5 = 1/5, P@own = 1
    m = keyword_metrics([["روسيا"]], [["روسيا", "اوكرانيا"]])
    assert m["p_at_5"] == pytest.approx(0.2)
    assert m["r_at_5"] == pytest.approx(0.5)
    assert m["f1_at_5"] == pytest.approx(2 * 0.2 * 0.5 / 0.7)
    assert m["p_at_own"] == pytest.approx(1.0)


def test_keywords_match_after_normalisation_and_case_folding():
    # Persian yeh vs Arabic yeh, hamza on alef, harakat, Latin case, extra spaces
    predicted = [["روسیا", "أوكرانيا", "مُنَظَّمة", "NATO", "الأمم  المتحدة"]]
    gold = [["روسيا", "اوكرانيا", "منظمة", "nato", "الامم المتحدة"]]
    m = keyword_metrics(predicted, gold)
    assert m["p_at_5"] == 1.0 and m["r_at_5"] == 1.0 and m["f1_at_own"] == 1.0


def test_articles_with_empty_gold_are_skipped():
    predicted = [["a"], ["b"], ["c"]]
    gold = [["a"], [], None]
    m = keyword_metrics(predicted, gold)
    assert m["n"] == 1
    assert m["p_at_own"] == 1.0
    # a gold list that normalises to nothing is empty too
    assert keyword_metrics([["a"]], [["  ", "\u064e"]])["n"] == 0


def test_no_gold_at_all_gives_nan():
    m = keyword_metrics([["a"]], [[]])
    assert m["n"] == 0
    assert math.isnan(m["p_at_5"]) and math.isnan(m["f1_at_own"])


def test_duplicate_predictions_count_once():
    # "روسيا" three times (two spellings): distinct predictions are روسيا, مصر.
    # own: 1 hit of 2 -> P 1/2, R 1. @1: top is روسيا -> P 1, R 1.
    predicted = [["روسيا", "روسیا", "روسيا", "مصر"]]
    m = keyword_metrics(predicted, [["روسيا"]], k=1)
    assert m["p_at_own"] == pytest.approx(0.5)
    assert m["r_at_own"] == pytest.approx(1.0)
    assert m["p_at_1"] == pytest.approx(1.0)
    # duplicates in gold do not inflate its size: recall stays 1
    m = keyword_metrics([["a"]], [["a", "A", "a"]])
    assert m["r_at_own"] == pytest.approx(1.0)


def test_keyword_argument_checks():
    with pytest.raises(DataError):
        keyword_metrics([["a"]], [["a"], ["b"]])
    with pytest.raises(TypeError, match="list of keywords"):
        keyword_metrics(["a, b"], [["a"]])
    for k in (0, -1, 2.5, True):
        with pytest.raises(ValueError):
            keyword_metrics([["a"]], [["a"]], k=k)
