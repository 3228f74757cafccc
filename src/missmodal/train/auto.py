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
from ..models.ensemble import validation_loss, worst_group_score
from .rare import pool_rare_groups
from .trainer import TrainConfig, Trainer

DEFAULT_CANDIDATES = ("logistic", "gbdt", "late", "attention", "concat", "remind", "film")


def pooled_validation_groups(val_data: MultimodalData, min_group_size: int) -> np.ndarray:
    """``(n,)`` validation group labels with groups of fewer than ``min_group_size`` validation samples pooled
    into their nearest frequent superset group (or one ``rare`` pool), as the group loss pools training
    groups (:func:`missmodal.train.rare.pool_rare_groups`), so that every validation sample counts and no
    worst group rests on a handful of samples."""
    codes = val_data.group_codes()
    unique, inverse, counts = np.unique(codes, return_inverse=True, return_counts=True)
    mapping, _, _ = pool_rare_groups(unique, counts, min_group_size)
    return mapping[inverse]


def validation_summary(model: Predictor, val_data: MultimodalData,
                       groups: np.ndarray | None = None) -> dict[str, float | None]:
    """Validation ``loss`` (log loss / MSE), ``auroc`` and ``accuracy`` (None where undefined) of one model, and
    with ``groups`` (pooled validation groups) its ``worst``-group accuracy (regression: minus the worst MSE)."""
    target = model.preprocessing.align_target(val_data, "validation target")
    scores = model.scores(val_data)
    summary: dict[str, float | None] = {"loss": validation_loss(scores, target, model.task, model.classes)}
    if model.task in ("binary", "multiclass"):
        summary["auroc"] = auroc(target, scores, model.task, np.asarray(model.classes))
        summary["accuracy"] = float(np.mean(np.asarray(model.classes)[scores.argmax(axis=1)] == target))
    if groups is not None:
        summary["worst"] = worst_group_score(scores, target, model.task, model.classes, groups)
    return summary


def fit_candidate(name: str, train_data: MultimodalData, val_data: MultimodalData, config: TrainConfig,
                  model_params: dict[str, Any], callback: Callable[[dict], None] | None) -> Predictor:
    """One candidate: a tabular baseline (seeded by ``config.seed``) or a fusion network trained with ``config``."""
    if name in TABULAR:
        return fit_tabular(name, train_data, val_data, seed=config.seed)
    return Trainer(name, config, model_params, callback=callback).fit(train_data, val_data)


def fit_auto(train_data: MultimodalData, val_data: MultimodalData, candidates: Sequence[str] = DEFAULT_CANDIDATES,
             time_budget: float | None = None, config: TrainConfig | None = None,
             model_params: dict[str, Any] | None = None, rounds: int = 25,
             callback: Callable[[dict], None] | None = None) -> EnsembleModel:
    """Fit ``candidates`` and return their greedy validation ensemble (see the module docstring).

    Parameters
    ----------
    train_data, val_data : training and validation data (the test data are not an argument).
    candidates : names of tabular baselines or fusion networks in :data:`missmodal.models.MODELS`.
    time_budget : seconds after which no further candidate starts (None: fit them all).
    config : training settings of the fusion candidates (their seed also seeds the baselines).
    model_params : keyword arguments of the fusion candidates.
    rounds : greedy selection rounds.
    """
    config = config or TrainConfig()
    unknown = [c for c in candidates if c not in TABULAR and c not in NETWORKS]
    if unknown or not candidates:
        raise MissmodalError(f"auto candidates must be among {[*TABULAR.names(), *NETWORKS.names()]}, got {list(candidates)}")
    if time_budget is not None and time_budget <= 0:
        raise MissmodalError(f"time budget must be > 0 seconds, got {time_budget}")
    started = time.perf_counter()
    groups = pooled_validation_groups(val_data, config.min_group_size) if config.selection == "worst" else None
    members, rows, skipped = [], [], []
    for name in candidates:
        if time_budget is not None and members and time.perf_counter() - started > time_budget:
            skipped.append(name)
            continue
        begun = time.perf_counter()
        member = fit_candidate(name, train_data, val_data, config, dict(model_params or {}), callback)
        members.append(member)
        rows.append(candidate_row(name, member, val_data, time.perf_counter() - begun, groups))
    extra = {"skipped_by_time_budget": skipped, "time_budget": time_budget, "seconds": time.perf_counter() - started,
             "train_settings": dict(vars(config)), "model_params": dict(model_params or {})}
    return ensemble_from(members, rows, train_data, val_data, rounds, extra, groups, config.min_group_size)


def candidate_row(name: str, member: Predictor, val_data: MultimodalData, seconds: float,
                  groups: np.ndarray | None = None) -> dict:
    """What ``info["auto"]["candidates"]`` records of one fitted candidate: name, fit time, validation scores."""
    summary = validation_summary(member, val_data, groups)
    return {"name": name, "seconds": seconds, **{f"val_{k}": v for k, v in summary.items()}}


def ensemble_from(members: Sequence[Predictor], rows: list[dict], train_data: MultimodalData, val_data: MultimodalData,
                  rounds: int = 25, extra: dict | None = None, groups: np.ndarray | None = None,
                  min_group_size: int | None = None) -> EnsembleModel:
    """Greedy validation ensemble of fitted ``members`` (with their :func:`candidate_row` records), calibrated on
    ``val_data``; members that get no weight are dropped, their rows kept with weight 0. With ``groups``
    (:func:`pooled_validation_groups`, pooled at ``min_group_size``) the selection maximises the worst-group
    validation accuracy."""
    target = members[0].preprocessing.align_target(val_data, "validation target")
    member_scores = [m.scores(val_data) for m in members]
    weights, _ = greedy_selection(member_scores, target, members[0].task, members[0].classes, rounds, groups)
    blend = sum(w * s for w, s in zip(weights, member_scores))
    rows = [{**row, "weight": float(weight)} for row, weight in zip(rows, weights)]
    keep = np.flatnonzero(weights > 0)
    what = "the validation loss"
    tail: dict[str, Any] = {}
    if groups is not None:
        what = (f"the worst-group validation accuracy (validation groups under {min_group_size} samples pooled into "
                f"their nearest frequent superset, {len(np.unique(groups))} groups; ties by the validation loss)")
        tail["ensemble_val_worst"] = worst_group_score(blend, target, members[0].task, members[0].classes, groups)
    info = {"model": "auto", "auto": {
        "selection": f"greedy ensemble selection with replacement ({rounds} rounds, best prefix) on {what}",
        "candidates": rows, "ensemble_val_loss": validation_loss(blend, target, members[0].task, members[0].classes),
        "skipped_by_time_budget": [], "time_budget": None, **tail, **(extra or {})}}
    ensemble = EnsembleModel([members[i] for i in keep], weights[keep], Preprocessing.fit(train_data),
                             train_data.group_counts(), info)
    return ensemble.calibrate(val_data)
