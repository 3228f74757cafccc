import numpy as np
import pytest

from missmodal import MissmodalError, MultimodalData


def test_observed_mask_defaults_to_rows_with_finite_values():
    a = np.array([[1.0], [np.nan]])
    data = MultimodalData({"a": a, "b": np.ones((2, 2))})
    assert data.observed.tolist() == [[True, True], [False, True]]


def test_nan_inside_observed_embedding_is_rejected_with_row_and_modality():
    a = np.array([[1.0, np.nan], [1.0, 2.0]])
    with pytest.raises(MissmodalError, match=r"'a', row 0"):
        MultimodalData({"a": a}, observed=np.ones((2, 1), bool))


def test_row_count_mismatch_names_the_modality():
    with pytest.raises(MissmodalError, match="'b' has 3 rows"):
        MultimodalData({"a": np.ones((2, 1)), "b": np.ones((3, 1))})


def test_task_is_inferred_from_target():
    x = {"a": np.ones((4, 1))}
    assert MultimodalData(x, target=np.array([0, 1, 0, 1])).task == "binary"
    assert MultimodalData(x, target=np.array([0, 1, 2, 1])).task == "multiclass"
    assert MultimodalData(x, target=np.array([0.5, 1, 2, 1])).task == "regression"
    assert MultimodalData(x, target=np.array([[0, 1], [1, 1], [0, 0], [1, 0]])).task == "multilabel"


def test_group_names_and_counts(tiny_data):
    assert tiny_data.group_names()[:3] == ["a+b", "a", "b"]
    assert tiny_data.group_counts() == {3: 2, 1: 2, 2: 2}


def test_subset_keeps_ids_and_covariates(tiny_data):
    part = tiny_data.subset([4, 1])
    assert part.ids.tolist() == ["s4", "s1"]
    assert np.array_equal(part.covariates, tiny_data.covariates[[4, 1]])


def test_subset_with_an_empty_list_gives_no_samples(tiny_data):
    part = tiny_data.subset([])
    assert len(part) == 0 and part.modality_names == tiny_data.modality_names


def test_with_observed_hides_values_and_refuses_to_reveal(tiny_data):
    mask = tiny_data.observed.copy()
    mask[0, 1] = False
    hidden = tiny_data.with_observed(mask)
    assert np.isnan(hidden.masked("b")[0]).all()
    assert tiny_data.observed[0, 1]  # original untouched
    with pytest.raises(MissmodalError, match="row 1, modality 'b'"):
        tiny_data.with_observed(np.ones_like(mask))


def test_split_is_seeded_disjoint_and_complete():
    rng = np.random.default_rng(0)
    observed = rng.random((500, 3)) < 0.7
    observed[~observed.any(1), 0] = True
    data = MultimodalData({k: rng.normal(size=(500, 2)) for k in "abc"}, observed=observed,
                          target=rng.integers(0, 3, 500))
    parts = data.split(seed=3)
    again = data.split(seed=3)
    ids = np.concatenate([p.ids for p in parts])
    assert sorted(ids.tolist()) == list(range(500))
    assert all(np.array_equal(p.ids, q.ids) for p, q in zip(parts, again))
    assert abs(len(parts[0]) - 350) <= 5 and abs(len(parts[2]) - 75) <= 5


def test_split_stratifies_by_class():
    data = MultimodalData({"a": np.zeros((1000, 1))}, target=np.repeat([0, 1], [900, 100]))
    train, val, test = data.split(seed=0)
    assert abs(test.target.mean() - 0.1) < 0.02


def test_to_array_concatenates_blocks_with_nan_for_absent(tiny_data):
    values, widths = tiny_data.to_array()
    assert widths == [2, 3] and values.shape == (6, 5)
    assert np.isnan(values[1, 2:]).all() and np.isfinite(values[1, :2]).all()


def test_pandas_round_trip(tiny_data):
    back = MultimodalData.from_pandas(tiny_data.to_pandas())
    assert np.array_equal(back.observed, tiny_data.observed)
    assert np.array_equal(back.masked("b"), tiny_data.masked("b"), equal_nan=True)
    assert back.covariate_names == ["age"] and back.ids.tolist() == tiny_data.ids.tolist()
    blocks = MultimodalData.from_pandas(tiny_data.to_pandas(layout="blocks"))
    assert np.array_equal(blocks.observed, tiny_data.observed)
