"""``tagger.train``, the plain function: bad arguments get the package's own one-line
errors, as the command line gives them, and good in-memory data trains."""

from __future__ import annotations

import pandas as pd
import pytest

from tagger import train
from tagger.data import LabelledData
from tagger.errors import DataError, InputError


@pytest.fixture(scope="module")
def texts_labels(tiny_texts):
    texts, labels = tiny_texts
    return list(texts), list(labels)


def test_in_memory_data_trains(texts_labels):
    texts, labels = texts_labels
    result = train(LabelledData(texts, labels), test_size=0)
    assert result.n_train == len(texts)
    assert result.tagger.predict(texts[0]).section == labels[0]


@pytest.mark.parametrize("change, message", [
    (lambda t, l: (t, l[:-3]), "texts but"),
    (lambda t, l: (t[:2] + [None] + t[3:], l), r"texts\[2\] is NoneType, not text"),
    (lambda t, l: (t, [7] * len(l)), r"labels\[0\] is int, not text"),
    (lambda t, l: ([], []), "no rows"),
])
def test_malformed_in_memory_data_is_a_data_error(texts_labels, change, message):
    texts, labels = change(*texts_labels)
    with pytest.raises(DataError, match=message):
        train(LabelledData(texts, labels))


def test_titles_must_match_the_texts(texts_labels):
    texts, labels = texts_labels
    with pytest.raises(DataError, match="titles"):
        train(LabelledData(texts, labels, titles=["x"]))
    with pytest.raises(DataError, match=r"titles\[0\] is list"):
        train(LabelledData(texts, labels, titles=[["x"]] * len(texts)))


@pytest.mark.parametrize("data, message", [
    (pd.DataFrame({"text": ["a"], "label": ["b"]}), "table in memory"),
    (None, "got NoneType"),
    (5, "got int"),
    ([], "got list"),
])
def test_data_that_is_not_a_source_is_said_so(data, message):
    with pytest.raises(InputError, match=message):
        train(data)


@pytest.mark.parametrize("option, value", [
    ("test_size", "0.2"), ("test_size", None), ("test_size", 1.0), ("seed", None), ("seed", "a"),
    ("seed", -1), ("alpha", 0), ("alpha", float("inf")), ("epochs", 0), ("max_keywords", 0),
])
def test_bad_options_fail_before_any_work(texts_labels, option, value):
    with pytest.raises(InputError, match=option):
        train(LabelledData(*texts_labels), **{option: value})
