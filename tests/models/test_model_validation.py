"""Crafted or damaged model folders: a one-line error before anything large is built, never NaN output."""

import json
import time

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from missmodal import MissmodalError, load_model
from missmodal.models.validation import weights_digest
from missmodal.train import fit_model


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    from model_data import make_data

    folder = tmp_path_factory.mktemp("model")
    fitted = fit_model(make_data(n=80), model="attention", epochs=1, model_params={"width": 8})
    return fitted.save(folder / "model")


@pytest.fixture
def folder(saved, tmp_path):
    copy = tmp_path / "model"
    copy.mkdir()
    for name in ("model.json", "model.safetensors"):
        (copy / name).write_bytes((saved / name).read_bytes())
    return copy


def reseal(folder, config):
    """Write ``config`` with the weights' metadata digest and the weights hash recomputed: a crafted folder
    whose files agree with each other, so that the checks behind the digest are reached."""
    from missmodal.models.validation import CONFIG_DIGEST_KEY, config_digest

    state = load_file(str(folder / "model.safetensors"))
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "missmodal-model",
                                                                   CONFIG_DIGEST_KEY: config_digest(config)})
    config["weights_sha256"] = weights_digest(folder / "model.safetensors")
    (folder / "model.json").write_text(json.dumps(config))


def edit(folder, change, sealed=True):
    config = json.loads((folder / "model.json").read_text())
    change(config)
    if sealed:
        reseal(folder, config)
    else:
        (folder / "model.json").write_text(json.dumps(config))


def set_in(path, value):
    def change(config):
        node = config
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


def delete(key):
    return lambda config: config.pop(key)


CRAFTED = {
    "width of 200,000": (set_in(["architecture", "params", "width"], 200_000), "weights do not fit"),
    "width beyond the bound": (set_in(["architecture", "params", "width"], 10**9), r"architecture.params.width must be an integer in \[1, 1048576\], got 1000000000"),
    "depth of 100,000": (set_in(["architecture", "params", "depth"], 100_000), r"architecture.params.depth must be an integer in \[0, 4096\], got 100000"),
    "missing architecture": (delete("architecture"), "model.json: architecture is missing"),
    "missing preprocessing": (delete("preprocessing"), "model.json: preprocessing is missing"),
    "a dim 'eight'": (set_in(["architecture", "params", "dims"], ["eight", 3, 5]), "dims\\[0\\] must be an integer in .*, got 'eight'"),
    "NaN scale": (lambda c: c["preprocessing"]["modalities"][0]["scale"].__setitem__(0, float("nan")), "must be a finite number"),
    "zero scale": (lambda c: c["preprocessing"]["modalities"][0]["scale"].__setitem__(0, 0.0), "scale\\[0\\] must be a finite number > 0, got 0.0"),
    "short mean vector": (lambda c: c["preprocessing"]["modalities"][1]["mean"].pop(), "must be a list of 3 numbers, got 2"),
    "class list shorter than the outputs": (lambda c: c["preprocessing"]["classes"].pop(), "classes must list 3 distinct classes for 3 output"),
    "non-integer group key": (lambda c: c["train_group_counts"].__setitem__("abc", 3), "'abc' is not an integer group code"),
    "group code beyond the modalities": (lambda c: c["train_group_counts"].__setitem__("99", 3), r"train_group_counts\['99'\] must be an integer in \[1, 7\]"),
    "classes of mixed types": (set_in(["preprocessing", "classes"], [0, "a", 2]), r"preprocessing.classes\[1\] must be an integer, got 'a'$"),
    "nested class lists": (set_in(["preprocessing", "classes"], [[0], [1], [2]]), r"classes\[0\] must be an integer, got a list of 1$"),
    "task changed": (set_in(["preprocessing", "task"], "regression"), "must be the architecture's task"),
}


@pytest.mark.parametrize("case", list(CRAFTED))
def test_a_crafted_config_is_refused_in_one_line_before_building(folder, case):
    change, message = CRAFTED[case]
    edit(folder, change)
    started = time.perf_counter()
    with pytest.raises(MissmodalError, match=message) as error:
        load_model(folder)
    assert time.perf_counter() - started < 5 and "\n" not in str(error.value)


def test_invalid_utf8_is_refused(folder):
    (folder / "model.json").write_bytes(b'{"format": "\xff\xfe"}')
    with pytest.raises(MissmodalError, match="not UTF-8"):
        load_model(folder)


def test_a_json_list_is_refused(folder):
    (folder / "model.json").write_text("[1, 2]")
    with pytest.raises(MissmodalError, match="expected a JSON object, got list"):
        load_model(folder)


def test_nan_weights_are_refused(folder):
    state = load_file(str(folder / "model.safetensors"))
    name = next(k for k, v in state.items() if v.is_floating_point())
    state[name] = torch.full_like(state[name], float("nan"))
    save_file(state, str(folder / "model.safetensors"))
    edit(folder, set_in(["weights_sha256"], weights_digest(folder / "model.safetensors")))
    with pytest.raises(MissmodalError, match=f"tensor '{name}' holds NaN"):
        load_model(folder)


def test_weights_of_another_run_are_refused(folder, tmp_path):
    from model_data import make_data

    other = fit_model(make_data(n=80, seed=3), model="attention", epochs=1, model_params={"width": 8}).save(tmp_path / "b")
    (folder / "model.safetensors").write_bytes((other / "model.safetensors").read_bytes())  # crash between the files
    with pytest.raises(MissmodalError, match="SHA-256 differs"):
        load_model(folder)


def test_a_model_json_linked_from_outside_the_folder_is_not_followed(folder, tmp_path):
    outside = tmp_path / "elsewhere.json"
    outside.write_bytes((folder / "model.json").read_bytes())
    (folder / "model.json").unlink()
    (folder / "model.json").symlink_to(outside)
    with pytest.raises(MissmodalError, match="outside the model folder; refusing to follow it"):
        load_model(folder)


def test_the_unmodified_copy_loads_and_predicts_finite_probabilities(folder):
    from model_data import make_data

    scores = load_model(folder).scores(make_data(n=20, seed=5))
    assert np.isfinite(scores).all() and np.allclose(scores.sum(axis=1), 1)


@pytest.mark.parametrize("path, value", [(["architecture", "params", "heads"], 2),
                                         (["info", "calibration", "temperature"], 3.0),
                                         (["preprocessing", "modalities", 0, "mean", 0], 0.5)])
def test_a_valid_looking_edit_is_refused_by_the_digest_in_the_weights(folder, path, value):
    edit(folder, set_in(path, value), sealed=False)  # every field still valid, the numbers would change
    with pytest.raises(MissmodalError, match=r"model.json: edited after it was written \(its content differs from the "
                                             r"digest recorded in model.safetensors\)"):
        load_model(folder)


def test_deleting_the_calibration_is_refused_not_dropped(folder):
    edit(folder, lambda c: c["info"].pop("calibration"))
    with pytest.raises(MissmodalError, match=r"info.calibration is missing \(null for a model that was not calibrated\)"):
        load_model(folder)


def test_an_uncalibrated_model_writes_calibration_null(tmp_path):
    from model_data import make_data

    folder = fit_model(make_data(n=80), model="late", epochs=1, calibrate=False, model_params={"width": 4}).save(tmp_path / "m")
    assert json.loads((folder / "model.json").read_text())["info"]["calibration"] is None
    assert load_model(folder).temperature == 1.0
