"""tagger.explain, Tagger.explain, ``tagger explain`` and ``tagger info``."""

import csv
import json

import numpy as np
import pytest
from sklearn.feature_extraction.text import HashingVectorizer
from typer.testing import CliRunner

from tagger import train
from tagger.api import Tagger
from tagger.cli import app
from tagger.explain import char_wb_ngrams, explain, top_features
from tagger.normalize import tokens
from tagger.plots import top_features_figure
from tagger.sections import SectionModel

runner = CliRunner()
SPORTS = "سجل اللاعب هدفا في مباراة الدوري وفاز الفريق على منافسه"
TEXTS = [SPORTS, "ارتفعت أسعار الأسهم في البورصة مع تراجع التضخم",
         "صوت البرلمان على قانون الانتخابات بعد اجتماع الحكومة",
         "قال الوزيرُ إنّ الحكومة ستدعم النادي الرياضي والبنك معا",
         "رفع الفريق الكأس بعد المباراة وحمل اللاعبون الكاس في الملعب"]  # two spellings of one word


def fresh(model: SectionModel) -> SectionModel:
    """A copy that shares no state (such as the word cache) with ``model``."""
    return SectionModel.from_state(*model.to_state())


@pytest.fixture(scope="module")
def tagger(tiny_model):
    return Tagger(fresh(tiny_model))


@pytest.fixture(scope="module")
def words_of(tiny_texts):
    """Section -> the normalised words of its tiny training articles."""
    out = {}
    for text, label in zip(*tiny_texts):
        out.setdefault(label, set()).update(tokens(text))
    return out


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tiny_texts):
    """A model trained and saved by tagger.train, so that meta.json has data and metrics."""
    root = tmp_path_factory.mktemp("trained")
    data = root / "train.csv"
    texts, labels = tiny_texts
    with open(data, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        for i, (text, label) in enumerate(zip(texts * 2, labels * 2)):
            writer.writerow([text + (" جديد" if i >= len(texts) else ""), label])
    from tagger.features import FeatureConfig

    train(str(data), out=root / "model", test_size=0.25, features=FeatureConfig(char_bits=14, word_bits=12))
    return root


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("word", ["كرة", "و", "في", "المباراة", "الاقتصاد العالمي", "ab"])
def test_char_ngrams_are_the_ones_scikit_learn_makes(word):
    analyzer = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=False).build_analyzer()
    assert char_wb_ngrams(word, 2, 5) == analyzer(word)


@pytest.mark.parametrize("text", TEXTS)
def test_top_words_occur_in_the_text_and_push_towards_the_prediction(tagger, text):
    explanation = tagger.explain(text, top=5)
    assert explanation.section == fresh(tagger.section_model).predict([text])[0]
    assert explanation.words
    for word in explanation.words:
        assert word["word"] in text
        assert word["contribution"] > 0
    assert all(word["contribution"] < 0 for word in explanation.against)
    contributions = [w["contribution"] for w in explanation.words]
    assert contributions == sorted(contributions, reverse=True)


@pytest.mark.parametrize("text", TEXTS)
def test_contributions_add_up_to_the_margin(tagger, text):
    explanation = explain(tagger, text, top=1000, ngrams=1000)
    model = fresh(tagger.section_model)
    scores = model.decision_function([text])[0]
    k = model.classes_.index(explanation.section)
    margin = scores[k] - np.delete(scores, k).mean()
    assert explanation.margin == pytest.approx(margin, rel=2e-5, abs=1e-4)  # float32 sums
    words = explanation.words + explanation.against
    assert sum(w["contribution"] for w in words) + explanation.bias == pytest.approx(margin, rel=2e-5, abs=1e-4)
    for word in words:  # a word's n-grams (hashed back to their columns) account for all of it
        assert sum(g["contribution"] for g in word["ngrams"]) == pytest.approx(word["contribution"], abs=1e-6)


def test_removing_the_top_word_lowers_the_margin(tagger):
    explanation = tagger.explain(SPORTS)
    best = explanation.words[0]["word"]
    without = tagger.explain(SPORTS.replace(best, " "))
    if without.section == explanation.section:
        assert without.margin < explanation.margin
    else:
        assert without.section != "sports"


def test_a_sports_text_is_explained_by_sports_words(tagger, words_of):
    explanation = tagger.explain(SPORTS, top=3)
    assert explanation.section == "sports"
    assert sum(w["normalized"] in words_of["sports"] for w in explanation.words) >= 2
    grams = explanation.words[0]["ngrams"]
    assert grams and {"ngram", "kind", "contribution"} <= set(grams[0])
    assert {g["kind"] for w in explanation.words for g in w["ngrams"]} <= {"char", "word", "bigram"}


def test_no_arabic_and_keywords(tagger, tiny_model):
    empty = tagger.explain("Hello world 123")
    assert empty.section is None and empty.reason and empty.words == []
    assert tagger.explain(SPORTS).keywords is None  # no keyword model: said so

    class Stub:
        def explain(self, text, title=None):
            return [{"keyword": "الفريق", "score": np.float32(0.8),
                     "contributions": {"in_title": np.float64(1.5), "df": np.float64(-0.2)}}]

    explanation = Tagger(tiny_model, Stub()).explain(SPORTS)
    assert explanation.keywords[0]["keyword"] == "الفريق"
    json.dumps(explanation.to_dict())  # numpy numbers were made plain


def test_top_features_are_words_of_the_texts_for_each_section(tagger, tiny_texts, words_of):
    texts, _ = tiny_texts
    features = top_features(tagger, texts, k=5, min_count=1)
    assert set(features) == set(tagger.sections)
    vocabulary = {w for text in texts for w in tokens(text)}
    for section, items in features.items():
        assert 0 < len(items) <= 5
        assert all(word in vocabulary and weight > 0 for word, weight in items)
        assert items[0][0] in words_of[section]
    figure = top_features_figure(features)
    assert len(figure.axes) >= len(features)


def test_explain_command_table_json_and_file(trained, tmp_path):
    model = trained / "model"
    table = run("explain", "--model", model, SPORTS)
    assert table.exit_code == 0, table.output
    assert table.stdout.splitlines()[0].split()[:2] == ["section", "sports"]
    assert "keywords: the model has no keyword model" in table.stdout
    as_json = json.loads(run("explain", "-m", model, "--format", "json", "--top", "3", SPORTS).stdout)
    assert as_json["section"] == "sports" and len(as_json["words"]) <= 3
    assert all(w["word"] in SPORTS for w in as_json["words"])
    article = tmp_path / "a.txt"
    article.write_text(TEXTS[1], encoding="utf-8")
    from_file = json.loads(run("explain", "-m", model, "--file", article, "--format", "json").stdout)
    assert from_file["section"] == "economy"
    both = run("explain", "-m", model, "--file", article, "نص")
    assert both.exit_code == 2 and len(both.stderr.strip().splitlines()) == 1


def test_explain_warns_like_predict_when_there_is_nothing_to_explain(trained, caplog):
    def warnings(text):
        caplog.clear()
        result = run("explain", "--model", trained / "model", text)
        assert result.exit_code == 0, result.output
        return result.stdout, [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]

    stdout, said = warnings("Hello world 2024")
    assert stdout.startswith("section   -  (no Arabic words to classify)")
    assert said == ["no Arabic words to classify: no section predicted"]
    assert warnings(SPORTS)[1] == []


def test_info_prints_the_model_card(trained):
    model = trained / "model"
    result = run("info", "--model", model)
    assert result.exit_code == 0, result.output
    for expected in ("economy, politics, sports", "held-out metrics", "macro-F1", "sections.npz",
                     "tagger info --texts"):
        assert expected in result.stdout
    card = json.loads(run("info", "-m", model, "--format", "json").stdout)
    assert card["sections"] == ["economy", "politics", "sports"]
    assert card["metrics"]["held_out"]["n"] == card["data"]["test_rows"]
    assert card["files"]["sections.npz"] > 0


def test_info_ranks_words_from_texts(trained):
    result = run("info", "-m", trained / "model", "--texts", trained / "train.csv", "--top", "3")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("  sports:")]
    assert len(lines) == 1 and len(lines[0].split("،")) <= 3
    missing = run("info", "-m", trained / "nope")
    assert missing.exit_code == 2 and "model directory not found" in missing.stderr
