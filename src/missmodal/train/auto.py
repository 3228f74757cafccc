"""``--model auto``: fit candidate models on the training data and ensemble them on validation only.

Each candidate (tabular baselines first, then fusion networks, in the given order) is fitted on the training
split, selected/early-stopped and calibrated on the validation split; then greedy ensemble selection
(:func:`missmodal.models.greedy_selection`) weights them by the validation loss of the averaged scores. The
test data are never seen. A candidate ``model+loss`` (e.g. ``film+group-dro-excess``) is that fusion network
trained with that loss instead of the run's; with ``selection="worst"`` the default candidates gain
:data:`TAIL_CANDIDATES`. The candidates are fitted in parallel single-threaded processes (``jobs``). A time
budget stops new candidates from starting once it is spent (the first one always runs; candidates are then
fitted one after another). The members, their validation scores and weights are recorded in ``info["auto"]``.
"""

from __future__ import annotations

import time
from functools import partial
from dataclasses import replace
from typing import Any, Callable, Sequence

import numpy as np

from .._parallel import ordered_map, resolve_jobs, single_threaded
from ..data import MultimodalData
from ..errors import MissmodalError
from ..evaluate.metrics import auroc
from ..models import NETWORKS, TABULAR, EnsembleModel, Preprocessing, Predictor, fit_tabular, greedy_selection
from ..models.ensemble import validation_loss, worst_group_score
from .losses import LOSSES
from .rare import pool_rare_groups
from .trainer import TrainConfig, Trainer

#: Share of the training data a survival network selects its epoch on inside ``auto``.
INNER_FRACTION = 0.15
DEFAULT_CANDIDATES = ("logistic", "gbdt", "late", "attention", "concat", "remind", "film")
#: Added to the default candidates under ``selection="worst"`` (classification and regression): the
#: mask-conditioned network trained on the excess-loss group DRO, the tail model of the concept-shift benchmark.
TAIL_CANDIDATES = ("film+group-dro-excess",)
#: The tasks whose reference losses the excess-loss group DRO can compute (:mod:`missmodal.train.reference`).
EXCESS_TASKS = ("binary", "multiclass", "regression")
#: The default candidates of a survival target (the classification baselines fit no time-to-event target).
SURVIVAL_CANDIDATES = ("cox", "cox-gbdt", "late", "attention", "concat", "remind")


def candidate_spec(name: str) -> tuple[str, str | None]:
    """``"model"`` or ``"model+loss"`` -> (model, loss or None); the loss only for a fusion network."""
    model, _, loss = name.partition("+")
    known = [*TABULAR.names(), *NETWORKS.names()]
    if model not in known or (loss and (model not in NETWORKS or loss not in LOSSES.names())):
        raise MissmodalError(f"auto candidates must be among {known}, or a fusion network+loss with a loss in "
                             f"{LOSSES.names()} (e.g. film+group-dro-excess), got {name!r}")
    return model, loss or None


def candidates_for(task: str, candidates: Sequence[str] | None, selection: str = "mean") -> tuple[list[str], list[str]]:
    """The candidates that can fit ``task`` (default: :data:`DEFAULT_CANDIDATES`, with :data:`TAIL_CANDIDATES`
    under ``selection="worst"`` for classification and regression, or :data:`SURVIVAL_CANDIDATES` for survival)
    and those left out because they cannot (tabular baselines without the task, excess-loss DRO on a
    multi-label or survival target)."""
    if candidates is None:
        tail = TAIL_CANDIDATES if selection == "worst" and task in EXCESS_TASKS else ()
        candidates = SURVIVAL_CANDIDATES if task == "survival" else (*DEFAULT_CANDIDATES, *tail)
    specs = [candidate_spec(c) for c in candidates]
    usable = [c for c, (model, loss) in zip(candidates, specs)
              if (model not in TABULAR or task in TABULAR.get(model).tasks)
              and not (loss == "group-dro-excess" and task not in EXCESS_TASKS)]
    return usable, [c for c in candidates if c not in usable]




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
    if model.task == "survival":
        summary["c_index"] = 1.0 - summary["loss"]
    if model.task in ("binary", "multiclass"):
        summary["auroc"] = auroc(target, scores, model.task, np.asarray(model.classes))
        summary["accuracy"] = float(np.mean(np.asarray(model.classes)[scores.argmax(axis=1)] == target))
    if groups is not None:
        summary["worst"] = worst_group_score(scores, target, model.task, model.classes, groups)
    return summary


def fit_candidate(name: str, train_data: MultimodalData, val_data: MultimodalData, config: TrainConfig,
                  model_params: dict[str, Any], callback: Callable[[dict], None] | None) -> Predictor:
    """One candidate: a tabular baseline (seeded by ``config.seed``) or a fusion network trained with ``config``
    (with the loss of a ``model+loss`` name, :func:`candidate_spec`).

    For a survival target a network selects its epoch on an inner split of the training data (15%, seeded), not
    on ``val_data``, so that its validation C-index, which the ensemble and :func:`baseline_guard` compare with
    the baseline's, is not optimistic by the epoch selection; ``val_data`` then only calibrates it."""
    name, loss = candidate_spec(name)
    if name in TABULAR:
        return fit_tabular(name, train_data, val_data, seed=config.seed)
    if loss is not None and loss != config.loss:
        config = replace(config, loss=loss, loss_params={})
    if train_data.task == "survival":
        inner_train, inner_val = train_data.split((1 - INNER_FRACTION, INNER_FRACTION), seed=config.seed)
        model = Trainer(name, replace(config, calibrate=False), model_params, callback=callback).fit(inner_train, inner_val)
        return model.calibrate(val_data) if config.calibrate else model
    return Trainer(name, config, model_params, callback=callback).fit(train_data, val_data)


def timed_candidate(name: str, train_data: MultimodalData, val_data: MultimodalData, config: TrainConfig,
                    model_params: dict[str, Any], callback: Callable[[dict], None] | None = None,
                    groups: np.ndarray | None = None) -> tuple[Predictor, dict]:
    """:func:`fit_candidate` and its :func:`candidate_row` (the seconds it took included)."""
    begun = time.perf_counter()
    member = fit_candidate(name, train_data, val_data, config, model_params, callback)
    return member, candidate_row(name, member, val_data, time.perf_counter() - begun, groups)


def fit_auto(train_data: MultimodalData, val_data: MultimodalData, candidates: Sequence[str] | None = None,
             time_budget: float | None = None, config: TrainConfig | None = None,
             model_params: dict[str, Any] | None = None, rounds: int = 25,
             callback: Callable[[dict], None] | None = None, jobs: int | None = None) -> EnsembleModel:
    """Fit ``candidates`` and return their greedy validation ensemble (see the module docstring).

    Parameters
    ----------
    train_data, val_data : training and validation data (the test data are not an argument).
    candidates : names of tabular baselines or fusion networks in :data:`missmodal.models.MODELS`, or
        ``network+loss`` (default: by task and selection, see :func:`candidates_for`; candidates that cannot
        fit the task are left out and recorded).
    time_budget : seconds after which no further candidate starts (None: fit them all).
    config : training settings of the fusion candidates (their seed also seeds the baselines).
    model_params : keyword arguments of the fusion candidates.
    rounds : greedy selection rounds.
    callback : called after every epoch of a fusion candidate fitted in this process.
    jobs : candidates fitted at a time, each in its own single-threaded process (None: one per available
        core; :mod:`missmodal._parallel`). With a ``time_budget``, or ``jobs=1``, they are fitted one after
        another in this process, on one thread. The ensemble is the same either way; ``callback`` is not
        called from other processes.
    """
    config = config or TrainConfig()
    if candidates is not None and not candidates:
        raise MissmodalError(f"auto candidates must be among {[*TABULAR.names(), *NETWORKS.names()]}, got []")
    candidates, not_applicable = candidates_for(train_data.task, candidates, config.selection)
    if not candidates:
        raise MissmodalError(f"none of the auto candidates {not_applicable} fits a {train_data.task} target")
    if time_budget is not None and time_budget <= 0:
        raise MissmodalError(f"time budget must be > 0 seconds, got {time_budget}")
    started = time.perf_counter()
    # survival ensembles stay on the C-index (a per-sample score has no meaning there) and the cox guard
    worst = config.selection == "worst" and train_data.task != "survival"
    groups = pooled_validation_groups(val_data, config.min_group_size) if worst else None
    members, rows, skipped = [], [], []
    if time_budget is None and resolve_jobs(jobs) > 1:
        fit = partial(timed_candidate, train_data=train_data, val_data=val_data, config=config,
                      model_params=dict(model_params or {}), groups=groups)
        members, rows = map(list, zip(*ordered_map(fit, list(candidates), jobs)))
    else:
        with single_threaded():
            for name in candidates:
                if time_budget is not None and members and time.perf_counter() - started > time_budget:
                    skipped.append(name)
                    continue
                member, row = timed_candidate(name, train_data, val_data, config, dict(model_params or {}), callback,
                                              groups)
                members.append(member)
                rows.append(row)
    extra = {"skipped_by_time_budget": skipped, "not_applicable_to_task": not_applicable, "time_budget": time_budget,
             "seconds": time.perf_counter() - started,
             "train_settings": dict(vars(config)), "model_params": dict(model_params or {})}
    return ensemble_from(members, rows, train_data, val_data, rounds, extra, groups, config.min_group_size)


#: The survival baseline that ``auto`` keeps unless the validation data show the ensemble better.
SURVIVAL_BASELINE = "cox"
GUARD_RESAMPLES = 200


def baseline_guard(member_scores: Sequence[np.ndarray], weights: np.ndarray, baseline: int, target: np.ndarray,
                   seed: int = 0) -> tuple[np.ndarray, dict]:
    """Keep the greedy ensemble only when its validation C-index beats the baseline's by more than one bootstrap
    standard error of the paired difference; otherwise the baseline alone (weights one-hot on ``baseline``).

    Why: a survival validation split holds few events (tens), so the C-index of each candidate is noisy
    (standard error about 0.03-0.05) and the greedy ensemble's validation C is optimistic; the baseline is the
    model that needs no evidence. The paired difference ``C(ensemble) - C(baseline)`` is resampled
    ``GUARD_RESAMPLES`` times over validation samples (seeded)."""
    from ..evaluate.survival import harrell_c

    time, event = target[:, 0], target[:, 1] > 0
    ensemble = sum(w * s for w, s in zip(weights, member_scores))
    rng = np.random.default_rng(seed)
    differences = []
    for _ in range(GUARD_RESAMPLES):
        rows = rng.integers(0, len(time), len(time))
        pair = [harrell_c(time[rows], event[rows], scores[rows]) for scores in (ensemble, member_scores[baseline])]
        if None not in pair:
            differences.append(pair[0] - pair[1])
    point = [harrell_c(time, event, scores) for scores in (ensemble, member_scores[baseline])]
    gain = None if None in point else point[0] - point[1]
    spread = float(np.std(differences, ddof=1)) if len(differences) > 1 else None
    kept = gain is not None and spread is not None and gain > spread
    record = {"rule": "keep the ensemble if its validation C-index exceeds the baseline's by more than one bootstrap "
                      "standard error of the paired difference", "baseline": SURVIVAL_BASELINE,
              "validation_gain": gain, "standard_error": spread, "ensemble_kept": bool(kept)}
    if kept or weights[baseline] == 1.0:
        return weights, record
    return np.eye(len(weights))[baseline], record


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
    guard = None
    if members[0].task == "survival" and SURVIVAL_BASELINE in [m.name for m in members]:
        weights, guard = baseline_guard(member_scores, weights, [m.name for m in members].index(SURVIVAL_BASELINE), target)
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
        "skipped_by_time_budget": [], "time_budget": None, **tail, **({"baseline_guard": guard} if guard else {}),
        **(extra or {})}}
    ensemble = EnsembleModel([members[i] for i in keep], weights[keep], Preprocessing.fit(train_data),
                             train_data.group_counts(), info)
    return ensemble.calibrate(val_data)
