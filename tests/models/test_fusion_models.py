"""Fusion models: registry, shapes, invariance to absent values, modality dropout, group routing."""

import pytest
import torch

from missmodal.errors import MissmodalError
from missmodal.models import MODELS, GroupIndex, drop_modalities, group_codes_of

DIMS = [4, 3, 5]
ALL_MODELS = ["concat", "missing-token", "attention", "late", "flexmoe", "remind", "film"]
OBSERVED = torch.tensor([[1, 0, 1], [1, 1, 1], [0, 1, 0], [0, 0, 1], [1, 1, 0]], dtype=torch.bool)


def inputs_with(fill: float | None, seed: int = 0) -> list[torch.Tensor]:
    """Random inputs whose absent rows hold ``fill`` (None: other random values)."""
    generator = torch.Generator().manual_seed(seed)
    values = [torch.randn(len(OBSERVED), d, generator=generator) for d in DIMS]
    other = [torch.randn(len(OBSERVED), d, generator=generator) * 100 for d in DIMS]
    return [torch.where(OBSERVED[:, m : m + 1], x, other[m] if fill is None else torch.full_like(x, fill))
            for m, x in enumerate(values)]


def test_registry_holds_the_six_models():
    assert set(ALL_MODELS) <= set(MODELS.names())


@pytest.mark.parametrize("name", ALL_MODELS)
@pytest.mark.parametrize("task,out_dim", [("multiclass", 3), ("binary", 1), ("multilabel", 2), ("regression", 1)])
def test_output_shape(name, task, out_dim):
    model = MODELS.build(name, dims=DIMS, out_dim=out_dim, task=task, groups=[5, 7]).eval()
    assert model(inputs_with(0.0), OBSERVED).logits.shape == (len(OBSERVED), out_dim)


@pytest.mark.parametrize("name", ALL_MODELS)
def test_output_is_invariant_to_values_in_absent_modalities(name):
    torch.manual_seed(0)
    model = MODELS.build(name, dims=DIMS, out_dim=3, task="multiclass", groups=[5, 7, 2]).eval()
    reference = model(inputs_with(0.0), OBSERVED).logits
    for fill in (float("nan"), 1e6, None):
        assert torch.equal(model(inputs_with(fill), OBSERVED).logits, reference)


@pytest.mark.parametrize("name", ALL_MODELS)
def test_gradients_stay_finite_with_nan_in_absent_modalities(name):
    model = MODELS.build(name, dims=DIMS, out_dim=3, task="multiclass", groups=[5, 7])
    output = model(inputs_with(float("nan")), OBSERVED)
    (output.logits.sum() + output.aux_loss).backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


@pytest.mark.parametrize("name", ALL_MODELS)
def test_modality_dropout_is_a_training_option_of_every_model(name):
    model = MODELS.build(name, dims=DIMS, out_dim=3, task="multiclass", modality_dropout=0.5)
    assert model.config["modality_dropout"] == 0.5
    x = inputs_with(0.0)
    torch.manual_seed(1)
    train_a = model.train()(x, OBSERVED).logits
    torch.manual_seed(2)
    train_b = model(x, OBSERVED).logits
    model.eval()
    assert not torch.equal(train_a, train_b)
    assert torch.equal(model(x, OBSERVED).logits, model(x, OBSERVED).logits)


def test_modality_dropout_only_hides_observed_modalities_and_keeps_one():
    observed = torch.rand(2000, 4, generator=torch.Generator().manual_seed(0)) > 0.3
    observed[:, 0] |= ~observed.any(dim=1)
    dropped = drop_modalities(observed, 0.9, torch.Generator().manual_seed(0))
    assert not (dropped & ~observed).any()
    assert dropped.any(dim=1).all()
    assert dropped.sum() < 0.5 * observed.sum()


def test_group_codes_match_the_bitmask_convention():
    assert group_codes_of(OBSERVED).tolist() == [5, 7, 2, 4, 3]


def test_group_index_maps_unseen_groups_to_the_fallback_row():
    index = GroupIndex([7, 5, 2])
    assert index(OBSERVED).tolist() == [1, 2, 0, 3, 3]


def test_remind_parameters_grow_with_the_groups_that_occur_not_with_2_to_the_m():
    def size(groups, dims):
        model = MODELS.build("remind", dims=dims, out_dim=3, task="multiclass", groups=groups)
        return sum(p.numel() for p in model.parameters())

    per_group = size([1, 2], DIMS) - size([1], DIMS)
    assert per_group == 64 * 4 * 2  # width x experts x slots: one routing delta per group
    ten_modalities = [3] * 10
    assert size([1, 3], ten_modalities) - size([1], ten_modalities) == per_group


def test_remind_unseen_group_routes_with_the_shared_router():
    model = MODELS.build("remind", dims=DIMS, out_dim=3, task="multiclass", groups=[5, 7]).eval()
    with torch.no_grad():
        model.moe.group_router.normal_()
    x = inputs_with(0.0)
    before = model(x, OBSERVED).logits
    with torch.no_grad():
        model.moe.group_router.mul_(2)
    after = model(x, OBSERVED).logits
    seen = torch.tensor([True, True, False, False, False])  # groups 5 and 7 were seen in training
    assert not torch.allclose(before[seen], after[seen])
    assert torch.equal(before[~seen], after[~seen])


def test_flexmoe_reports_balance_and_router_supervision_losses():
    model = MODELS.build("flexmoe", dims=DIMS, out_dim=3, task="multiclass", groups=[5, 7])
    aux = model(inputs_with(0.0), OBSERVED).aux_loss
    assert aux.ndim == 0 and aux > 0 and aux.requires_grad


def test_late_fusion_is_a_product_of_the_present_experts():
    model = MODELS.build("late", dims=DIMS, out_dim=3, task="multiclass").eval()
    x = inputs_with(0.0)
    tokens = model.encoders(x, OBSERVED)
    expected = sum(torch.log_softmax(model.heads[m](tokens[:, m]), dim=-1) * OBSERVED[:, m : m + 1] for m in range(3))
    assert torch.allclose(model(x, OBSERVED).logits, expected)


@pytest.mark.parametrize("name,params,message", [
    ("attention", {"width": 30}, "width 30 must be divisible by heads 4"),
    ("concat", {"width": 0}, "width must be an int >= 1"),
    ("late", {"hidden": -2}, "hidden must be an int >= 1"),
    ("remind", {"dropout": 2.0}, r"dropout must be in \[0, 1\)"),
    ("remind", {"slots_per_expert": 0}, "slots_per_expert must be an int >= 1"),
    ("flexmoe", {"n_experts": 2, "top_k": 3}, "top_k must be at most n_experts=2"),
    ("attention", {"depth": -1}, "depth must be an int >= 0"),
])
def test_bad_architecture_parameters_are_input_errors_naming_the_parameter(name, params, message):
    with pytest.raises(MissmodalError, match=message):
        MODELS.build(name, dims=DIMS, out_dim=3, task="multiclass", **params)


@pytest.mark.parametrize("name,params", [("remind", {}), ("flexmoe", {}), ("missing-token", {"per_group": True}), ("film", {})])
def test_group_specific_gradients_are_bitwise_reproducible_with_several_threads(name, params):
    """Group-indexed parameters gather with index_select: the backward of ``table[index]`` accumulates
    with threads in a varying order on CPU, which made seeded runs (and resumed ones) differ."""
    before = torch.get_num_threads()
    torch.set_num_threads(4)
    try:
        generator = torch.Generator().manual_seed(0)
        n = 512
        observed = torch.rand(n, len(DIMS), generator=generator) < 0.6
        observed[~observed.any(dim=1), 0] = True
        x = [torch.randn(n, d, generator=generator) for d in DIMS]
        model = MODELS.build(name, dims=DIMS, out_dim=3, task="multiclass", groups=range(1, 8), dropout=0.0, **params).eval()
        with torch.no_grad():  # make the group-specific parameters matter
            for parameter_name in model.group_specific_parameters():
                model.get_parameter(parameter_name).normal_(generator=generator)
        gradients = []
        for _ in range(5):
            model.zero_grad()
            model(x, observed).logits.square().sum().backward()
            gradients.append({k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None})
        assert all(torch.equal(g[k], gradients[0][k]) for g in gradients[1:] for k in gradients[0])
    finally:
        torch.set_num_threads(before)
