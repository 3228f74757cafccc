"""Model files: safetensors weights + JSON config, identical predictions after loading, nothing executed."""

import json
import pickle

import numpy as np
import pytest
import torch

from missmodal import MissmodalError, load_model
from missmodal.train import fit_model


@pytest.fixture
def saved(tmp_path, data):
    fitted = fit_model(data, model="remind", loss="group-dro", epochs=2)
    return fitted, fitted.save(tmp_path / "model")


def test_a_model_folder_holds_json_and_safetensors_only(saved):
    _, folder = saved
    assert sorted(p.name for p in folder.iterdir()) == ["model.json", "model.safetensors"]
    config = json.loads((folder / "model.json").read_text())
    assert config["architecture"]["name"] == "remind"
    assert config["preprocessing"]["modalities"][0]["name"] == "m0"


def test_loading_gives_identical_predictions(saved, data):
    fitted, folder = saved
    loaded = load_model(folder)
    assert np.array_equal(loaded.scores(data), fitted.scores(data))
    assert loaded.train_group_counts == fitted.train_group_counts
    assert np.array_equal(load_model(folder / "model.json").predict(data), fitted.predict(data))


def test_loading_a_model_never_unpickles_or_executes_anything(saved, data, monkeypatch, tmp_path):
    _, folder = saved
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (marker.write_text, ("executed",))

    (folder / "checkpoint.pt").write_bytes(pickle.dumps(Payload()))  # a booby-trapped file beside the model
    forbidden = lambda *args, **kwargs: pytest.fail("model loading must not unpickle")  # noqa: E731
    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(torch, "load", forbidden)
    load_model(folder).predict(data)
    assert not marker.exists()


def test_a_pickle_in_place_of_the_weights_is_rejected(saved, tmp_path):
    _, folder = saved
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (marker.write_text, ("executed",))

    (folder / "model.safetensors").write_bytes(pickle.dumps(Payload()))
    with pytest.raises(MissmodalError, match="SHA-256 differs"):
        load_model(folder)
    assert not marker.exists()


def test_the_architecture_is_only_ever_a_registered_model_name(saved):
    _, folder = saved
    config = json.loads((folder / "model.json").read_text())
    config["architecture"]["name"] = "os.system"
    (folder / "model.json").write_text(json.dumps(config))
    with pytest.raises(MissmodalError, match="unknown model 'os.system'"):
        load_model(folder)


def test_a_folder_without_model_files_is_an_input_error(tmp_path):
    with pytest.raises(MissmodalError, match="not a missmodal model"):
        load_model(tmp_path)


def test_data_whose_modalities_do_not_match_the_model_is_an_input_error(saved, data):
    fitted, _ = saved
    with pytest.raises(MissmodalError, match="do not match the model's"):
        fitted.predict(data.select_modalities(["m1", "m0", "m2"]))
