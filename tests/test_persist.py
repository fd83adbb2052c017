import json
import pickle

import numpy as np
import pytest

from tagger.api import Tagger
from tagger.errors import ModelFormatError, ModelNotFoundError, OutputExistsError
from tagger.persist import FORMAT_VERSION, save_model_dir, sha256_file


@pytest.fixture
def saved(tmp_path, tiny_model):
    path = tmp_path / "model"
    Tagger(tiny_model, meta={"note": "test"}).save(path)
    return path


def _rewrite_checksum(path, name):
    meta = json.loads((path / "meta.json").read_text())
    meta["files"][name]["sha256"] = sha256_file(path / name)
    (path / "meta.json").write_text(json.dumps(meta))


def test_round_trip_keeps_predictions_and_meta(saved, tiny_model):
    loaded = Tagger.load(saved)
    texts = ["سجل اللاعب هدفا", "ارتفع سعر النفط", "الانتخابات"]
    assert [p.section for p in loaded.predict_many(texts)] == tiny_model.predict(texts)
    assert loaded.meta["note"] == "test"
    assert loaded.meta["format_version"] == FORMAT_VERSION
    assert sorted(p.name for p in saved.iterdir()) == ["meta.json", "sections.npz"]


def test_force_replaces_only_a_model_directory(tmp_path, tiny_model):
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "todo.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputExistsError, match="not an earlier tagger output"):
        Tagger(tiny_model).save(mine, force=True)
    assert [p.name for p in mine.iterdir()] == ["todo.txt"]


def test_refuses_to_overwrite_without_force(saved, tiny_model):
    with pytest.raises(OutputExistsError, match="--force"):
        Tagger(tiny_model).save(saved)
    Tagger(tiny_model, meta={"note": "second"}).save(saved, force=True)
    assert Tagger.load(saved).meta["note"] == "second"
    assert [p.name for p in saved.parent.iterdir() if p.name.startswith(".")] == []


def test_missing_directory(tmp_path):
    with pytest.raises(ModelNotFoundError, match="not found"):
        Tagger.load(tmp_path / "nope")
    with pytest.raises(ModelNotFoundError, match="no meta.json"):
        Tagger.load(tmp_path)


def test_truncated_file_is_named(saved):
    npz = saved / "sections.npz"
    npz.write_bytes(npz.read_bytes()[:100])
    with pytest.raises(ModelFormatError, match="checksum mismatch for .*sections.npz"):
        Tagger.load(saved)


def test_truncated_file_with_matching_checksum_is_refused(saved):
    npz = saved / "sections.npz"
    npz.write_bytes(npz.read_bytes()[:100])
    _rewrite_checksum(saved, "sections.npz")
    with pytest.raises(ModelFormatError, match="sections.npz"):
        Tagger.load(saved)


class _Payload:
    """Unpickling this writes a file: proof that code ran."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (str(self.target), "w"))


def test_pickle_payload_is_never_executed(saved, tmp_path):
    target = tmp_path / "pwned"
    (saved / "sections.npz").write_bytes(pickle.dumps(_Payload(target)))
    _rewrite_checksum(saved, "sections.npz")
    with pytest.raises(ModelFormatError):
        Tagger.load(saved)
    assert not target.exists()


def test_object_array_inside_npz_is_refused(saved, tmp_path):
    target = tmp_path / "pwned"
    arrays = dict(np.load(saved / "sections.npz"))
    arrays["classes"] = np.array([_Payload(target)], dtype=object)
    np.savez(saved / "sections.npz", **arrays)
    _rewrite_checksum(saved, "sections.npz")
    with pytest.raises(ModelFormatError, match="pickled"):
        Tagger.load(saved)
    assert not target.exists()


def test_newer_format_is_refused(saved):
    meta = json.loads((saved / "meta.json").read_text())
    meta["format_version"] = FORMAT_VERSION + 1
    (saved / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFormatError, match="newer tagger"):
        Tagger.load(saved)


def test_corrupt_meta_is_reported(saved):
    (saved / "meta.json").write_text("{not json")
    with pytest.raises(ModelFormatError, match="not valid JSON"):
        Tagger.load(saved)


def test_unexpected_file_names_are_refused(saved):
    meta = json.loads((saved / "meta.json").read_text())
    meta["files"]["../evil.npz"] = {"sha256": "0"}
    (saved / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFormatError, match="unexpected file"):
        Tagger.load(saved)


def test_object_arrays_cannot_be_saved(tmp_path):
    with pytest.raises(TypeError, match="numpy array"):
        save_model_dir(tmp_path / "m", {}, {"x": {"a": np.array([object()], dtype=object)}})
    assert not (tmp_path / "m").exists()
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def full_model(tmp_path, sample_model_dir):
    """A copy of a model with both components, sections.npz and keywords.npz."""
    import shutil

    path = tmp_path / "full"
    shutil.copytree(sample_model_dir, path)
    assert {"sections.npz", "keywords.npz"} <= {p.name for p in path.iterdir()}
    return path


@pytest.mark.parametrize("replaced", [["sections.npz", "keywords.npz"], ["keywords.npz"]])
def test_model_files_replaced_by_pickles_are_refused_and_never_run(full_model, tmp_path, replaced):
    target = tmp_path / "pwned"
    for name in replaced:
        (full_model / name).write_bytes(pickle.dumps(_Payload(target)))
        _rewrite_checksum(full_model, name)
    with pytest.raises(ModelFormatError, match=f"{replaced[0]} contains pickled Python objects"):
        Tagger.load(full_model)
    assert not target.exists()


def test_the_scikit_learn_version_of_a_model_does_not_matter(full_model, caplog):
    # prediction is tagger's own code, n-gram hashing included
    expected = Tagger.load(full_model).predict("سجل المهاجم هدفين في المباراة").to_dict()
    meta = json.loads((full_model / "meta.json").read_text())
    meta["sklearn_version"] = "0.0.1"
    (full_model / "meta.json").write_text(json.dumps(meta))
    with caplog.at_level("WARNING", logger="tagger"):
        tagger = Tagger.load(full_model)
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
    assert tagger.predict("سجل المهاجم هدفين في المباراة").to_dict() == expected


def test_another_n_gram_hashing_is_refused_with_the_command_that_fixes_it(full_model, caplog):
    meta = json.loads((full_model / "meta.json").read_text())
    meta["section_model"]["probe"][0] = [i + 1 for i in meta["section_model"]["probe"][0]]
    (full_model / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFormatError, match=r"sections\.npz: .*hashes n-grams differently.*tagger train"):
        Tagger.load(full_model)
    assert not [r for r in caplog.records if r.levelname == "WARNING"]  # the error says it all


def test_deeply_nested_meta_is_a_format_error(saved):
    (saved / "meta.json").write_text("[" * 100_000)
    with pytest.raises(ModelFormatError, match="not valid JSON"):
        Tagger.load(saved)


def test_a_missing_component_file_is_named(full_model):
    (full_model / "keywords.npz").unlink()
    with pytest.raises(ModelFormatError, match="model file missing: .*keywords.npz"):
        Tagger.load(full_model)


def test_a_save_that_fails_half_way_leaves_the_previous_model(full_model, monkeypatch):
    model = Tagger.load(full_model)
    before = {p.name: p.read_bytes() for p in full_model.iterdir()}
    calls = []
    real = np.savez_compressed

    def fail_on_second(*args, **kwargs):  # the disk fills up after the first component
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(np, "savez_compressed", fail_on_second)
    with pytest.raises(OSError, match="No space"):
        model.save(full_model, force=True)
    assert len(calls) == 2
    assert {p.name: p.read_bytes() for p in full_model.iterdir()} == before
    assert [p.name for p in full_model.parent.iterdir()] == ["full"]  # no temporary left
