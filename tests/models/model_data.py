"""Helpers of the model tests: tiny synthetic multimodal data and the resumable training run."""

import numpy as np

from missmodal import MultimodalData


def make_data(n: int = 160, task: str = "multiclass", dims=(4, 3, 5), seed: int = 0, missing: float = 0.3,
              observed=None) -> MultimodalData:
    """``n`` samples whose every modality carries the label (plus noise); slots missing at random."""
    rng = np.random.default_rng(seed)
    classes = 3 if task in ("multiclass", "multilabel") else 2
    label = rng.integers(0, classes, n)
    centres = [rng.normal(scale=2.0, size=(classes, d)) for d in dims]
    modalities = {f"m{m}": (c[label] + rng.normal(size=(n, len(c[0])))).astype(np.float32) for m, c in enumerate(centres)}
    if observed is None:
        observed = rng.random((n, len(dims))) >= missing
        observed[~observed.any(axis=1), 0] = True
    for m, name in enumerate(modalities):
        modalities[name][~observed[:, m]] = np.nan
    if task == "multilabel":
        target = np.stack([label == 0, label == 1, (label == 2) | (label == 0)], axis=1).astype(np.int64)
    elif task == "regression":
        target = label + 0.1 * rng.normal(size=n)
    else:
        target = label.astype(np.int64)
    return MultimodalData(modalities, observed=observed, target=target, task=task)


def resumable_run(folder, callback=None):
    """The run of the resume test (remind, group DRO after a warm-up, modality dropout), checkpointing to
    ``folder`` and resuming from it when a checkpoint exists."""
    from missmodal.train import fit_model

    train, val = make_data().split((0.75, 0.25), seed=0)
    return fit_model(train, val, model="remind", loss="group-dro", seed=1, epochs=5, batch_size=32, patience=None,
                     warmup_epochs=1, model_params={"modality_dropout": 0.3}, checkpoint_dir=folder, resume=True,
                     callback=callback)
