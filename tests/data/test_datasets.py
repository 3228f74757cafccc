import numpy as np
import pytest

from missmodal import MissmodalError
from missmodal.data import list_datasets, load_dataset, resolve_data


def test_mfeat_has_the_six_uci_feature_sets():
    data = load_dataset("mfeat")
    assert data.dims == {"fou": 76, "fac": 216, "kar": 64, "pix": 240, "zer": 47, "mor": 6}
    assert data.n_samples == 2000 and np.bincount(data.target).tolist() == [200] * 10
    assert data.observed.all()


def test_logic_gates_follow_their_truth_tables():
    for gate, fn in {"and": np.logical_and, "or": np.logical_or, "xor": np.logical_xor}.items():
        data = load_dataset("logic", gate=gate, n_samples=200, seed=1)
        x1, x2 = data.modalities["x1"][:, 0] > 0.5, data.modalities["x2"][:, 0] > 0.5
        assert np.array_equal(data.target, fn(x1, x2).astype(int))


def test_blobs_modalities_share_the_common_block():
    data = load_dataset("blobs", n_samples=300, seed=2)
    assert data.dims == {"x1": 20, "x2": 20}
    assert np.array_equal(data.modalities["x1"][:, 10:], data.modalities["x2"][:, 10:])


def test_blobs_label_noise_bounds_accuracy_of_the_true_rule():
    data = load_dataset("blobs", n_samples=20000, unique1=1, unique2=0, shared=0, label_noise=0.2, seed=0)
    from sklearn.linear_model import LogisticRegression

    x1 = data.modalities["x1"][:, :10]
    accuracy = LogisticRegression().fit(x1, data.target).score(x1, data.target)
    assert 0.76 < accuracy < 0.84


def test_latent_is_seeded_and_sized():
    a = load_dataset("latent", n_samples=50, n_modalities=3, dim=[4, 5, 6], seed=7)
    b = load_dataset("latent", n_samples=50, n_modalities=3, dim=[4, 5, 6], seed=7)
    assert a.dims == {"m0": 4, "m1": 5, "m2": 6}
    assert all(np.array_equal(a.modalities[k], b.modalities[k]) for k in a.modality_names)


def test_dataset_spec_with_options():
    data = resolve_data("logic:gate=xor,n_samples=64")
    assert data.n_samples == 64 and data.metadata["params"]["gate"] == "xor"


def test_unknown_dataset_lists_the_known_ones():
    with pytest.raises(MissmodalError, match="mfeat"):
        resolve_data("no-such-thing")
    assert {name for name, _ in list_datasets()} >= {"mfeat", "logic", "blobs", "latent"}


@pytest.mark.parametrize("spec, message", [
    ("logic:n_samples=-5", "dataset 'logic': n_samples must be a positive integer, got -5"),
    ("logic:n_samples=0", "dataset 'logic': n_samples must be a positive integer, got 0"),
    ("blobs:n_samples=-1", "dataset 'blobs': n_samples must be a positive integer, got -1"),
    ("logic:seed=-1", "dataset 'logic': bad parameters"),
    ("latent:n_modalities=0", "1 <= n_modalities <= 26, got 10000 and 0"),
])
def test_out_of_range_dataset_options_are_input_errors(spec, message):
    with pytest.raises(MissmodalError, match=message):
        resolve_data(spec)
