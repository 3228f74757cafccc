"""Masked-block validation hides observed blocks only, keeps a block per row, and scores against known answers."""

import numpy as np
import pytest

from missmodal import MissmodalError, MultimodalData
from missmodal.impute import IterativeImputer, MeanImputer, hide_blocks, masked_block_validation
from missmodal.impute.validation import block_errors


def test_hidden_blocks_are_observed_ones_and_every_row_keeps_one():
    rng = np.random.default_rng(0)
    observed = rng.random((500, 4)) < 0.6
    observed[~observed.any(axis=1), 0] = True
    hidden = hide_blocks(observed, 0.5, random_state=0)
    assert not (hidden & ~observed).any()
    assert (observed & ~hidden).any(axis=1).all()
    assert 0.3 < hidden.sum() / observed.sum() < 0.5  # some draws are kept back to leave each row a block


def test_hiding_is_seeded():
    observed = np.ones((50, 3), bool)
    assert np.array_equal(hide_blocks(observed, 0.3, 1), hide_blocks(observed, 0.3, 1))
    assert not np.array_equal(hide_blocks(observed, 0.3, 1), hide_blocks(observed, 0.3, 2))


def test_a_modality_is_never_hidden_in_all_its_observed_rows():
    observed = np.ones((3, 2), bool)
    observed[1:, 1] = False  # modality 1 observed in row 0 only
    for seed in range(20):
        hidden = hide_blocks(observed, 0.9, seed)
        assert (observed & ~hidden)[:, 1].any()


def test_block_errors_match_a_hand_computation():
    truth = np.array([[0.0, 0.0, 1.0], [2.0, 2.0, 3.0]])
    filled = np.array([[1.0, 2.0, 1.0], [2.0, 2.0, 0.0]])
    hidden = np.array([[True, False], [False, True]])
    errors = block_errors(truth, filled, hidden, [2, 1], scale=np.array([1.0, 2.0, 3.0]))
    assert errors == pytest.approx([np.sqrt((1.0 + 1.0) / 2), 1.0])


def test_mean_imputation_scores_about_one_and_a_linear_relation_about_zero():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 1))
    X = np.hstack([x, 3.0 * x + 1.0])
    mean = masked_block_validation(MeanImputer(), X, share=0.3, random_state=0)
    exact = masked_block_validation(IterativeImputer(alphas=(1e-6,), random_state=0), X, share=0.3, random_state=0)
    assert mean.mean == pytest.approx(1.0, abs=0.05)
    assert exact.mean < 1e-3
    assert set(exact.per_modality) == {"m0", "m1"}


def test_repeats_report_a_spread_and_the_result_its_assumption():
    X = np.random.default_rng(1).normal(size=(300, 3))
    result = masked_block_validation(MeanImputer(), X, n_repeats=3, random_state=0)
    assert result.n_repeats == 3 and result.sd is not None and result.sd > 0
    assert "hidden completely at random" in result.summary()
    assert result.to_dict()["mean"] == result.mean


def test_unequal_missing_rates_raise_a_warning():
    rng = np.random.default_rng(0)
    observed = np.ones((400, 2), bool)
    observed[rng.random(400) < 0.6, 1] = False
    data = MultimodalData({"a": rng.normal(size=(400, 2)), "b": rng.normal(size=(400, 2))}, observed=observed)
    result = masked_block_validation(MeanImputer(), data, random_state=0)
    assert any("missing rates differ" in w for w in result.warnings)
    assert set(result.per_modality) == {"a", "b"}


def test_bad_share_and_unscorable_data_are_rejected():
    X = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(MissmodalError, match=r"share must be in \(0, 1\)"):
        masked_block_validation(MeanImputer(), X, share=1.0)
    single = X.copy()
    single[:10, 1] = np.nan
    single[10:, 0] = np.nan  # every row has one block: nothing can be hidden
    with pytest.raises(MissmodalError, match="no observed block can be hidden"):
        masked_block_validation(MeanImputer(), single, random_state=0)


def test_filled_fields_of_a_partly_observed_block_are_not_scored():
    rng = np.random.default_rng(0)
    n = 400
    a = rng.normal(size=(n, 2))
    b = rng.normal(size=(n, 2))
    fields = np.ones((n, 2), bool)
    fields[: n // 2, 1] = False
    b[: n // 2, 1] = b[n // 2:, 1].mean()  # the schema's fill: scoring it would count exact "hits" (error ~0.7)
    data = MultimodalData({"a": a, "b": b}, observed=np.ones((n, 2), bool), field_observed={"b": fields})
    result = masked_block_validation(MeanImputer(), data, share=0.3, random_state=0)
    assert result.per_modality["b"] == pytest.approx(1.0, abs=0.08)
