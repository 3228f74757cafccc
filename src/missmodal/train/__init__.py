"""Training: group objectives (ERM, reweighting, group DRO), the trainer, distributed training, one-call API.

Examples
--------
>>> from missmodal.data import load_dataset, simulate_missingness
>>> from missmodal.train import evaluate_model, fit_model
>>> data = simulate_missingness(load_dataset("mfeat"), "zipf", exponent=1.0, seed=0)
>>> train, val, test = data.split(seed=0)
>>> fitted = fit_model(train, val, model="remind", loss="group-dro", epochs=3)
>>> report = evaluate_model(fitted, test, all_combinations=True)
>>> report["n_groups"]
63
"""

from .api import evaluate_model, fit_model
from .._distributed import DistributedContext, setup_distributed
from .losses import ERM, LOSSES, GroupDRO, GroupObjective, Reweight, build_loss
from .trainer import TrainConfig, Trainer, per_sample_loss, selection_metrics

__all__ = [
    "DistributedContext", "ERM", "GroupDRO", "GroupObjective", "LOSSES", "Reweight", "TrainConfig", "Trainer",
    "build_loss", "evaluate_model", "fit_model", "per_sample_loss", "selection_metrics", "setup_distributed",
]
