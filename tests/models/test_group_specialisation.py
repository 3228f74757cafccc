"""Group-specialised fusion under concept shift: two groups with opposite functions are both fit, the
per-group heads are shrunk toward the shared one, and unseen groups fall back to the shared head."""

import numpy as np
import pytest
import torch

from missmodal import MultimodalData
from missmodal.models import MODELS
from missmodal.train import evaluate_model, fit_model


def opposite_groups(n_per_group: int, seed: int) -> MultimodalData:
    """Group {m0, m1}: y = 1[x0 + x1 > 0]; group {m0, m1, m2}: y = 1[x0 + x1 < 0] (m2 is pure noise)."""
    rng = np.random.default_rng(seed)
    n = 2 * n_per_group
    x = rng.standard_normal((n, 3, 2)).astype(np.float32)
    observed = np.ones((n, 3), dtype=bool)
    observed[:n_per_group, 2] = False
    score = x[:, 0, 0] + x[:, 1, 0]
    y = np.where(observed[:, 2], score < 0, score > 0).astype(np.int64)
    modalities = {f"m{m}": np.where(observed[:, m : m + 1], x[:, m], np.nan) for m in range(3)}
    return MultimodalData(modalities, observed=observed, target=y, task="binary")


@pytest.mark.parametrize("model", ["film", "remind"])
def test_two_groups_with_opposite_functions_are_both_fit(model):
    torch.set_num_threads(1)
    train, val = opposite_groups(300, 0), opposite_groups(100, 1)
    fitted = fit_model(train, val, model=model, epochs=40, seed=0, batch_size=64, patience=None,
                       model_params={"modality_dropout": 0.0, "dropout": 0.0, "width": 16, "hidden": 32})
    report = evaluate_model(fitted, opposite_groups(200, 2))
    accuracies = {g["name"]: g["accuracy"] for g in report["groups"]}
    assert accuracies["m0+m1"] > 0.85 and accuracies["m0+m1+m2"] > 0.85, accuracies


def test_film_unseen_group_uses_the_shared_head_and_the_penalty_is_the_shrinkage():
    dims = [4, 3, 5]
    model = MODELS.build("film", dims=dims, out_dim=2, task="multiclass", groups=[5, 7], shrinkage=0.5,
                         modality_dropout=0.0).eval()
    observed = torch.tensor([[1, 0, 1], [1, 1, 1], [0, 1, 0], [1, 1, 0]], dtype=torch.bool)
    x = [torch.randn(4, d) for d in dims]
    before = model(x, observed)
    assert float(before.aux_loss) == 0.0
    with torch.no_grad():
        model.group_heads.normal_()
        model.group_bias.normal_()
    after = model(x, observed)
    expected = 0.5 * (model.group_heads.square().sum() + model.group_bias.square().sum())
    assert torch.allclose(after.aux_loss, expected)
    seen = torch.tensor([True, True, False, False])  # groups 5 (m0+m2) and 7 were seen in training
    assert not torch.allclose(before.logits[seen], after.logits[seen])
    assert torch.equal(before.logits[~seen], after.logits[~seen])
    with pytest.raises(Exception, match="shrinkage"):
        MODELS.build("film", dims=dims, out_dim=2, task="multiclass", shrinkage=-1.0)


def test_film_routes_by_the_samples_own_group_under_modality_dropout():
    dims = [4, 3, 5]
    model = MODELS.build("film", dims=dims, out_dim=1, task="binary", groups=[7], modality_dropout=0.9).train()
    with torch.no_grad():
        model.group_bias.fill_(100.0)  # only group 7 (all three modalities) has this offset
    observed = torch.ones(64, 3, dtype=torch.bool)
    torch.manual_seed(0)
    logits = model([torch.randn(64, d) for d in dims], observed).logits
    assert (logits > 50).all()  # a dropped modality does not send the sample to the unseen-group fallback


def test_film_trains_without_modality_dropout_unless_asked_and_the_others_with_it():
    built = lambda name, **extra: MODELS.build(name, dims=[3, 2], out_dim=1, task="binary", groups=[3], **extra)  # noqa: E731
    assert built("film").modality_dropout == 0.0 and built("film").config["modality_dropout"] == 0.0
    assert built("film", modality_dropout=0.3).modality_dropout == 0.3
    assert built("attention").modality_dropout == 0.3
