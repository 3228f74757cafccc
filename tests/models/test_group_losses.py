"""Group objectives: ERM is the sample mean, reweighting equalises groups, group DRO follows Sagawa et al."""

import math

import numpy as np

import pytest
import torch

from missmodal.errors import MissmodalError, UnknownNameError
from missmodal.train import LOSSES, GroupDRO, build_loss, fit_model
from missmodal.train.reference import reference_losses

LOSSES_OF_BATCH = torch.tensor([1.0, 3.0, 1.0])
GROUPS_OF_BATCH = torch.tensor([0, 0, 1])  # group 0: mean 2, group 1: mean 1, group 2 absent


def test_registry_holds_erm_reweight_and_group_dro():
    assert {"erm", "reweight", "group-dro"} <= set(LOSSES.names())


def test_erm_is_the_mean_over_samples():
    objective, value = build_loss("erm", [100, 25, 4])(LOSSES_OF_BATCH, GROUPS_OF_BATCH)
    assert objective.item() == pytest.approx(5 / 3) and value == pytest.approx(5 / 3)


def test_reweight_weights_each_sample_by_the_inverse_training_count_of_its_group():
    objective, _ = build_loss("reweight", [100, 25, 4])(LOSSES_OF_BATCH, GROUPS_OF_BATCH)
    weights = torch.tensor([1 / 100, 1 / 100, 1 / 25])
    assert objective.item() == pytest.approx(float((weights * LOSSES_OF_BATCH).sum() / weights.sum()))


def test_group_dro_weights_follow_the_published_update_on_a_hand_computed_example():
    # n = (100, 25, 4), eta = 0.1, C = 1: adjusted losses L_g + C / sqrt(n_g) = (2 + 0.1, 1 + 0.2, 0 + 0.5)
    dro = GroupDRO([100, 25, 4], step_size=0.1, adjustment=1.0)
    objective, _ = dro(LOSSES_OF_BATCH, GROUPS_OF_BATCH)
    unnormalised = [math.exp(0.1 * 2.1) / 3, math.exp(0.1 * 1.2) / 3, math.exp(0.1 * 0.5) / 3]
    q1 = [u / sum(unnormalised) for u in unnormalised]
    assert dro.q.tolist() == pytest.approx(q1, rel=1e-12)
    assert objective.item() == pytest.approx(q1[0] * 2 + q1[1] * 1, rel=1e-6)
    dro(LOSSES_OF_BATCH, GROUPS_OF_BATCH)  # a second step multiplies again
    unnormalised = [q * math.exp(0.1 * a) for q, a in zip(q1, (2.1, 1.2, 0.5))]
    assert dro.q.tolist() == pytest.approx([u / sum(unnormalised) for u in unnormalised], rel=1e-12)


def test_group_dro_moves_weight_to_the_group_with_the_highest_loss():
    dro = GroupDRO([10, 10], step_size=1.0)
    for _ in range(20):
        dro(torch.tensor([0.1, 2.0]), torch.tensor([0, 1]))
    assert dro.q[1] > 0.99


def test_group_dro_state_round_trips():
    dro = GroupDRO([10, 10], step_size=1.0)
    dro(torch.tensor([0.1, 2.0]), torch.tensor([0, 1]))
    other = GroupDRO([10, 10], step_size=1.0)
    other.load_state_dict(dro.state_dict())
    assert torch.equal(other.q, dro.q)


def test_bad_loss_names_and_parameters_are_input_errors():
    with pytest.raises(UnknownNameError, match="unknown loss 'dro'"):
        build_loss("dro", [1])
    with pytest.raises(MissmodalError, match="step_size"):
        build_loss("group-dro", [1], step_size=-1)
    with pytest.raises(MissmodalError, match="bad parameters"):
        build_loss("erm", [1], step_size=0.1)


def test_group_dro_excess_steps_on_the_loss_minus_the_reference_for_groups_in_the_batch():
    # batch means (2, 1, absent), reference (1.9, 0.2, 5): excess (0.1, 0.8, 0) -- an absent group steps by 0
    dro = build_loss("group-dro-excess", [100, 25, 4], reference=[1.9, 0.2, 5.0], step_size=0.1)
    objective, _ = dro(LOSSES_OF_BATCH, GROUPS_OF_BATCH)
    unnormalised = [math.exp(0.1 * e) for e in (0.1, 0.8, 0.0)]
    q = [u / sum(unnormalised) for u in unnormalised]
    assert dro.q.tolist() == pytest.approx(q, rel=1e-12)
    assert objective.item() == pytest.approx(q[0] * 2 + q[1] * 1, rel=1e-6)
    # plain group DRO would move weight to group 0 (higher raw loss); on excess loss group 1 gains more
    assert dro.q[1] > dro.q[0]
    with pytest.raises(MissmodalError, match="one reference loss per group"):
        build_loss("group-dro-excess", [100, 25], reference=[1.0])


def test_reference_losses_are_low_on_a_learnable_group_and_near_log_2_on_pure_noise():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((400, 3))
    learnable = (x[:200, 0] > 0).astype(np.int64)
    noise = rng.integers(0, 2, 200)
    reference = reference_losses(x, np.concatenate([learnable, noise])[:, None].astype(float),
                                 np.repeat([0, 1], 200), 2, "binary", seed=0)
    assert reference[0] < 0.35
    assert abs(reference[1] - math.log(2)) < 0.08


def test_trainer_computes_and_records_the_reference_for_group_dro_excess():
    from model_data import make_data

    train, val = make_data(n=200, task="binary").split((0.75, 0.25), seed=0)
    fitted = fit_model(train, val, model="concat", loss="group-dro-excess", epochs=2, seed=0, min_group_size=5)
    reference = fitted.info["reference_losses"]
    assert set(reference) == set(fitted.info["objective_groups"]) and all(v >= 0 for v in reference.values())
