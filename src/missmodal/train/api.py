"""One-call entry points: :func:`fit_model` and :func:`evaluate_model` (used by the CLI and the benchmarks)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..data import MultimodalData
from ..data.fingerprint import data_fingerprint
from ..errors import MissmodalError
from ..evaluate.combinations import MAX_COMBINATIONS, combination_codes, score_combinations
from ..evaluate.groups import group_report
from ..evaluate.survival_report import SurvivalSpec, survival_sections
from ..models import MODELS, Predictor, fit_tabular
from ..models.labels import match_labels
from .auto import fit_auto
from .trainer import TrainConfig, Trainer

SETTINGS = tuple(f.name for f in fields(TrainConfig))


def fit_model(train_data: MultimodalData, val_data: MultimodalData | None = None, model: str = "attention",
              loss: str = "erm", *, model_params: dict[str, Any] | None = None, val_fraction: float = 0.15,
              checkpoint_dir: str | Path | None = None, resume: bool = False,
              callback: Callable[[dict], None] | None = None, candidates: Sequence[str] | None = None,
              time_budget: float | None = None, jobs: int | None = None, **settings: Any) -> Predictor:
    """Train a registered model with a registered loss and return the model selected on validation.

    Parameters
    ----------
    train_data : training data with a target.
    val_data : validation data; when None, a seeded group- and class-stratified ``val_fraction`` of
        ``train_data`` is held out.
    model : a fusion network (``concat``, ``missing-token``, ``attention``, ``late``, ``flexmoe``, ``remind``),
        a tabular baseline (``logistic``, ``gbdt``; ``model_params`` go to the baseline, ``seed`` seeds it)
        or ``auto`` (the validation ensemble of ``candidates``, :func:`missmodal.train.auto.fit_auto`).
    loss : ``erm``, ``reweight`` or ``group-dro`` (with ``loss_params={"step_size": ..., "adjustment": ...}``).
    model_params : model keywords (``width``, ``hidden``, ``dropout``, ``modality_dropout``, ...).
    checkpoint_dir, resume, callback : see :class:`~missmodal.train.Trainer` (fusion networks only; ``auto``
        passes ``callback`` to its fusion candidates).
    candidates, time_budget : the models ``auto`` chooses among (default: by task,
        :func:`missmodal.train.auto.candidates_for`) and its time budget in seconds.
    jobs : ``auto`` candidates fitted at a time in single-threaded processes (None: the available cores).
    **settings : any :class:`~missmodal.train.TrainConfig` field (``epochs``, ``seed``, ``selection``, ...).

    Returns
    -------
    A :class:`~missmodal.models.Predictor` calibrated on validation: a FittedModel with ``history`` (one
    record per epoch), a tabular baseline or an ensemble.

    Examples
    --------
    >>> from missmodal.data import load_dataset, simulate_missingness
    >>> data = simulate_missingness(load_dataset("mfeat"), "mcar", rate=0.5, seed=0)
    >>> train, test = data.split((0.8, 0.2), seed=0)
    >>> fitted = fit_model(train, model="remind", loss="group-dro", epochs=3, seed=0)
    >>> evaluate_model(fitted, test)["overall"]["accuracy"] > 0.5
    True
    """
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise MissmodalError(f"unknown training settings {unknown}; known: {list(SETTINGS)}")
    config = TrainConfig(loss=loss, **settings)
    given = data_fingerprint(train_data)
    if val_data is None:
        if not 0 < val_fraction < 1:
            raise MissmodalError(f"val_fraction must be in (0, 1), got {val_fraction}")
        if train_data.target is None:
            raise MissmodalError("training data has no target: give DATA with a target column (--target for Parquet files)")
        train_data, val_data = train_data.split((1 - val_fraction, val_fraction), seed=config.seed)
    fitted = _fit(train_data, val_data, model, loss, config, model_params, checkpoint_dir, resume, callback,
                  candidates, time_budget, jobs)
    fitted.info["train_fingerprint"] = {"data": given, "train": data_fingerprint(train_data),
                                        "val": data_fingerprint(val_data), "n_samples": train_data.n_samples + val_data.n_samples}
    return fitted


def _fit(train_data, val_data, model, loss, config, model_params, checkpoint_dir, resume, callback, candidates,
         time_budget, jobs) -> Predictor:
    """The fit of :func:`fit_model` on a given train/validation split."""
    kind = MODELS.kind_of(model)
    if kind == "tabular" and loss != "erm":
        raise MissmodalError(f"loss {loss!r} applies to the fusion networks; model {model!r} is fitted by its own method")
    if kind != "network":
        if resume:
            raise MissmodalError(f"model {model!r} has no checkpoints to resume from; train it again")
        if kind == "ensemble":
            return fit_auto(train_data, val_data, candidates, time_budget, config, model_params, callback=callback, jobs=jobs)
        return fit_tabular(model, train_data, val_data, seed=config.seed, **(model_params or {}))
    trainer = Trainer(model, config, model_params, checkpoint_dir=checkpoint_dir, callback=callback)
    return trainer.fit(train_data, val_data, resume=resume)


def evaluate_model(model: Predictor, data: MultimodalData, all_combinations: bool = False, *,
                   train_group_counts: dict[int, int] | None = None, min_group_size: int = 10,
                   head_coverage: float = 0.8, max_combinations: int | None = MAX_COMBINATIONS,
                   combination_seed: int = 0, unseen_labels: str = "error", source: str | None = None,
                   horizons: Sequence[float] | None = None, n_boot: int = 200, bootstrap_seed: int = 0) -> dict:
    """Group-stratified evaluation of a fitted model (:func:`missmodal.evaluate.group_report`).

    Parameters
    ----------
    model : a :class:`~missmodal.models.Predictor` (fusion network, tabular baseline or ensemble).
    data : test data with a target.
    all_combinations : evaluate the complete samples of ``data`` under every non-empty combination of
        modalities (:func:`missmodal.evaluate.combinations.all_combinations`).
    train_group_counts : defines head/tail and "seen in training" (default: the model's training counts).
    min_group_size : combination groups with fewer test samples get counts only (no metric) and are not
        eligible as worst group.
    max_combinations, combination_seed : with ``all_combinations``, evaluate at most this many combinations
        (a seeded uniform sample beyond it; None: all), streamed in chunks; see
        :mod:`missmodal.evaluate.combinations`. The report's ``combinations`` says what was evaluated.
    unseen_labels : labels are matched to the model's classes by value
        (:func:`missmodal.models.labels.match_labels`); a label the model never saw is an error naming it
        and ``source`` (``"error"``), or scored as a wrong prediction and counted (``"wrong"``: accuracy and
        F1 count it wrong; the probability metrics, which have no column for it, use the other samples).
    source : the data file's name, for messages.
    horizons : survival models: the times of the time-dependent AUROC, Brier score and calibration (default:
        quartiles of the event times).
    n_boot, bootstrap_seed : resamples (0: none) and seed of the percentile bootstrap intervals over test
        samples: accuracy, AUROC and Brier of classification subsets (:mod:`missmodal.evaluate.bootstrap`),
        every survival metric (:mod:`missmodal.evaluate.survival_report`). The report adds ``survival`` (the horizons and
        conventions), ``calibration`` (at each horizon, overall) and ``kaplan_meier`` (overall and per group).

    Returns
    -------
    The group report (``overall``, ``head``, ``tail``, ``worst_group``, ``groups``, ``weak_groups``, ...; for
    binary tasks ``auroc``, ``auprc``, ``brier``, ``ece``, ``accuracy_at_threshold`` and the majority-class
    reference in each) plus ``model``, ``all_combinations``, ``n_samples`` and ``unseen_groups`` (names of
    groups absent from training, whose predictions come from the shared fallback path) and
    ``unseen_labels`` (``count`` and ``values`` of the labels the model never saw) and ``training_data``:
    ``"train"`` when ``data`` is (by content fingerprint) the data the model was fitted on, ``"validation"``
    when it is its validation split, else None.
    """
    if data.target is None:
        raise MissmodalError("evaluation data has no target")
    model.preprocessing.check(data)
    seen_in_fit = seen_in_training(model, data)
    what = f"{source}: target" if source else "evaluation target"
    target, unmatched = match_labels(model.preprocessing, data, what, unseen_labels,
                                     hint="; --unseen-labels wrong (unseen_labels='wrong') scores them as wrong")
    data = data.replace(target=target)
    combinations = spec = None
    score = model.scores
    if model.task == "survival":
        spec = SurvivalSpec.build(data.time, data.event, horizons, n_boot, bootstrap_seed)
        score = lambda d: np.column_stack([model.scores(d), model.survival_at(d, spec.times)])  # noqa: E731
    if all_combinations:
        codes, combinations = combination_codes(data.n_modalities, max_combinations, combination_seed)
        target, scores, observed = score_combinations(score, data, codes)
    else:
        target, scores, observed = data.target, score(data), data.observed
    counts = model.train_group_counts if train_group_counts is None else train_group_counts
    class_counts = model.preprocessing.class_counts
    prior = None if class_counts is None else np.asarray(class_counts, dtype=float) / sum(class_counts)
    report = group_report(target, scores, observed, data.modality_names, model.task,
                          classes=model.classes, train_group_counts=counts, min_group_size=min_group_size,
                          head_coverage=head_coverage, threshold=model.threshold, prior=prior, survival=spec,
                          n_boot=n_boot, seed=bootstrap_seed)
    report.update(model=model.name, all_combinations=all_combinations, n_samples=len(target), n_boot=n_boot,
                  bootstrap_seed=bootstrap_seed, training_data=seen_in_fit,
                  unseen_groups=[g["name"] for g in report["groups"] if not g["seen_in_training"]],
                  unseen_labels=unmatched)
    if combinations is not None:
        report["combinations"] = combinations
    if spec is not None:
        report.update(survival_sections(target, scores, observed, data.modality_names, spec))
        report["survival"]["baseline_hazard_beyond_follow_up"] = model.baseline_hazard.beyond_follow_up(spec.horizons)
    return report


def seen_in_training(model: Predictor, data: MultimodalData) -> str | None:
    """``"train"`` when ``data`` has the content fingerprint (:func:`~missmodal.data.fingerprint.data_fingerprint`)
    of the data ``model`` was fitted on or of its training split, ``"validation"`` for its validation split,
    None otherwise (or for a model saved without ``info["train_fingerprint"]``). Equal content only: a
    subset or a reordering of the training rows is not recognised."""
    recorded = model.info.get("train_fingerprint") or {}
    if not recorded:
        return None
    fingerprint = data_fingerprint(data)
    if fingerprint in (recorded.get("data"), recorded.get("train")):
        return "train"
    return "validation" if fingerprint == recorded.get("val") else None
