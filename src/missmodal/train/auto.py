"""``--model auto``: fit candidate models on the training data and ensemble them on validation only.

Each candidate (tabular baselines first, then fusion networks, in the given order) is fitted on the training
split, selected/early-stopped and calibrated on the validation split; then greedy ensemble selection
(:func:`missmodal.models.greedy_selection`) weights them by the validation loss of the averaged scores. The
test data are never seen. A time budget stops new candidates from starting once it is spent (the first one
always runs). The members, their validation scores and weights are recorded in ``info["auto"]``.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Sequence

import numpy as np

from ..data import MultimodalData
from ..errors import MissmodalError
from ..evaluate.metrics import auroc
from ..models import NETWORKS, TABULAR, EnsembleModel, Preprocessing, Predictor, fit_tabular, greedy_selection
from ..models.ensemble import validation_loss
from .trainer import TrainConfig, Trainer

DEFAULT_CANDIDATES = ("logistic", "gbdt", "late", "attention", "concat", "remind")
#: The default candidates of a survival target (the classification baselines fit no time-to-event target).
SURVIVAL_CANDIDATES = ("cox", "late", "attention", "concat", "remind")


def candidates_for(task: str, candidates: Sequence[str] | None) -> tuple[list[str], list[str]]:
    """The candidates that can fit ``task`` (default: :data:`DEFAULT_CANDIDATES`, or :data:`SURVIVAL_CANDIDATES`
    for survival) and the tabular ones left out because they cannot."""
    if candidates is None:
        candidates = SURVIVAL_CANDIDATES if task == "survival" else DEFAULT_CANDIDATES
    usable = [c for c in candidates if c not in TABULAR or task in TABULAR.get(c).tasks]
    return usable, [c for c in candidates if c not in usable]


def validation_summary(model: Predictor, val_data: MultimodalData) -> dict[str, float | None]:
    """Validation ``loss`` (log loss / MSE), ``auroc`` and ``accuracy`` (None where undefined) of one model."""
    target = model.preprocessing.align_target(val_data, "validation target")
    scores = model.scores(val_data)
    summary: dict[str, float | None] = {"loss": validation_loss(scores, target, model.task, model.classes)}
    if model.task == "survival":
        summary["c_index"] = 1.0 - summary["loss"]
    if model.task in ("binary", "multiclass"):
        summary["auroc"] = auroc(target, scores, model.task, np.asarray(model.classes))
        summary["accuracy"] = float(np.mean(np.asarray(model.classes)[scores.argmax(axis=1)] == target))
    return summary


def fit_candidate(name: str, train_data: MultimodalData, val_data: MultimodalData, config: TrainConfig,
                  model_params: dict[str, Any], callback: Callable[[dict], None] | None) -> Predictor:
    """One candidate: a tabular baseline (seeded by ``config.seed``) or a fusion network trained with ``config``."""
    if name in TABULAR:
        return fit_tabular(name, train_data, val_data, seed=config.seed)
    return Trainer(name, config, model_params, callback=callback).fit(train_data, val_data)


def fit_auto(train_data: MultimodalData, val_data: MultimodalData, candidates: Sequence[str] | None = None,
             time_budget: float | None = None, config: TrainConfig | None = None,
             model_params: dict[str, Any] | None = None, rounds: int = 25,
             callback: Callable[[dict], None] | None = None) -> EnsembleModel:
    """Fit ``candidates`` and return their greedy validation ensemble (see the module docstring).

    Parameters
    ----------
    train_data, val_data : training and validation data (the test data are not an argument).
    candidates : names of tabular baselines or fusion networks in :data:`missmodal.models.MODELS` (default: by
        task, see :func:`candidates_for`; baselines that cannot fit the task are left out and recorded).
    time_budget : seconds after which no further candidate starts (None: fit them all).
    config : training settings of the fusion candidates (their seed also seeds the baselines).
    model_params : keyword arguments of the fusion candidates.
    rounds : greedy selection rounds.
    """
    config = config or TrainConfig()
    unknown = [c for c in candidates or () if c not in TABULAR and c not in NETWORKS]
    if unknown or (candidates is not None and not candidates):
        raise MissmodalError(f"auto candidates must be among {[*TABULAR.names(), *NETWORKS.names()]}, got {list(candidates)}")
    candidates, not_applicable = candidates_for(train_data.task, candidates)
    if not candidates:
        raise MissmodalError(f"none of the auto candidates {not_applicable} fits a {train_data.task} target")
    if time_budget is not None and time_budget <= 0:
        raise MissmodalError(f"time budget must be > 0 seconds, got {time_budget}")
    started = time.perf_counter()
    members, rows, skipped = [], [], []
    for name in candidates:
        if time_budget is not None and members and time.perf_counter() - started > time_budget:
            skipped.append(name)
            continue
        begun = time.perf_counter()
        member = fit_candidate(name, train_data, val_data, config, dict(model_params or {}), callback)
        members.append(member)
        rows.append(candidate_row(name, member, val_data, time.perf_counter() - begun))
    extra = {"skipped_by_time_budget": skipped, "not_applicable_to_task": not_applicable, "time_budget": time_budget,
             "seconds": time.perf_counter() - started,
             "train_settings": dict(vars(config)), "model_params": dict(model_params or {})}
    return ensemble_from(members, rows, train_data, val_data, rounds, extra)


def candidate_row(name: str, member: Predictor, val_data: MultimodalData, seconds: float) -> dict:
    """What ``info["auto"]["candidates"]`` records of one fitted candidate: name, fit time, validation scores."""
    return {"name": name, "seconds": seconds, **{f"val_{k}": v for k, v in validation_summary(member, val_data).items()}}


def ensemble_from(members: Sequence[Predictor], rows: list[dict], train_data: MultimodalData, val_data: MultimodalData,
                  rounds: int = 25, extra: dict | None = None) -> EnsembleModel:
    """Greedy validation ensemble of fitted ``members`` (with their :func:`candidate_row` records), calibrated on
    ``val_data``; members that get no weight are dropped, their rows kept with weight 0."""
    target = members[0].preprocessing.align_target(val_data, "validation target")
    weights, losses = greedy_selection([m.scores(val_data) for m in members], target, members[0].task,
                                       members[0].classes, rounds)
    rows = [{**row, "weight": float(weight)} for row, weight in zip(rows, weights)]
    keep = np.flatnonzero(weights > 0)
    info = {"model": "auto", "auto": {
        "selection": f"greedy ensemble selection with replacement ({rounds} rounds, best prefix) on the validation loss",
        "candidates": rows, "ensemble_val_loss": float(min(losses)), "skipped_by_time_budget": [], "time_budget": None,
        **(extra or {})}}
    ensemble = EnsembleModel([members[i] for i in keep], weights[keep], Preprocessing.fit(train_data),
                             train_data.group_counts(), info)
    return ensemble.calibrate(val_data)
