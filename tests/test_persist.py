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
