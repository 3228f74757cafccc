"""The trainer: mini-batch training of a fusion model with a group objective, validation-based selection,
early stopping, per-epoch gradient diagnostics, atomic checkpoints with resume, and DDP under ``torchrun``.

Determinism: the model is initialised from ``torch.manual_seed(seed)``; epoch ``e`` shuffles with
``numpy.random.default_rng([seed, e])`` and re-seeds torch (dropout, noisy gating, modality dropout) from
``(seed, e, rank)``. Nothing random carries over from one epoch to the next except through the checkpointed
state, so a run resumed from the checkpoint of epoch ``e`` continues exactly as the uninterrupted run.

Distributed: every process builds the same model and walks the same global batches; process ``r`` takes
rows ``r, r + W, ...`` of each global batch, and group losses are summed across processes inside the
objective (:mod:`missmodal.train.losses`), so the gradient equals the single-process gradient of the same
global batch. Validation runs on every process (identical results); rank 0 writes checkpoints.
"""

from __future__ import annotations

import copy
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .._atomic import atomic_path
from ..data import MultimodalData, group_name
from ..data.fingerprint import data_fingerprint
from ..errors import MissmodalError
from ..evaluate.gradients import gradient_alignment, shared_parameters
from ..models import NETWORKS, FittedModel, FusionModel, Preprocessing
from ..models.base import batched_logits
from .._distributed import DistributedContext, barrier, broadcast_flag, setup_distributed
from .cox import cox_losses
from ..models.ensemble import per_sample_score
from .losses import LOSSES, ERM, GroupObjective, build_loss
from .rare import pool_rare_groups, pooled_names, superset_augmented
from .reference import reference_losses

CHECKPOINT_FILE = "checkpoint.pt"
SELECTIONS = ("mean", "worst")


@dataclass
class TrainConfig:
    """Training settings.

    Parameters
    ----------
    epochs : maximum number of passes over the training data.
    batch_size : global batch size (split across processes under DDP).
    lr, weight_decay : AdamW settings.
    loss : training objective, a name in :data:`missmodal.train.LOSSES` (``erm``, ``reweight``, ``group-dro``).
    loss_params : parameters of the objective (group DRO: ``step_size``, ``adjustment``; ``group-dro-excess``
        also ``reference``, one loss per objective group, computed by the trainer when absent).
    warmup_epochs : epochs of ERM before ``loss`` takes over (REMIND's schedule). None: a quarter of the
        epochs for ``group-dro`` and ``group-dro-excess``, 0 otherwise.
    selection : keep the epoch with the best validation ``"mean"`` metric or ``"worst"``-group metric
        (accuracy; negative MSE for regression; Harrell's C-index for survival; a tie in the worst group goes to the higher mean, :func:`selection_key`). Only epochs after the warm-up compete (the warm-up
        prepares the model that ``loss`` then trains), unless the warm-up is the whole run.
    patience : stop after this many post-warm-up epochs without an improvement of the selection metric by
        more than ``min_delta`` (None: never). The default 8 is the fewest epochs whose selected validation
        accuracy stays within half a seed's standard deviation of never stopping, on mfeat and the clinical cohort
        (``benchmarks/results/speed.md``, early-stopping replay: 60 -> 24 epochs on mfeat, 0.971 -> 0.965).
    min_delta : how much the selection metric must rise over the score that last restarted the patience count
        to restart it again; the selected epoch is still the one of the highest metric (a smaller rise is
        kept, it only does not postpone the stop).
    min_group_size : validation groups smaller than this do not compete for the worst group; training groups
        smaller than this are pooled for the objective (``pool_rare_groups``) and topped up by
        ``superset_augmentation``.
    seed : seeds initialisation, shuffling, dropout and modality dropout.
    diagnostics : record the gradient inconsistency on the shared parameters (opt-in: it costs one backward
        pass per group).
    diagnostics_every : with ``diagnostics``, record it every this many epochs (and after the last one).
    diagnostics_samples : training samples (a seeded subset) used for the diagnostics.
    pool_rare_groups : the group objective sees rare groups pooled into their nearest frequent superset
        group (or one ``rare`` pool), see :func:`missmodal.train.rare.pool_rare_groups`.
    superset_augmentation : add masked copies of superset samples to rare training groups
        (:func:`missmodal.train.rare.superset_augmented`).
    calibrate : fit the temperature and the binary threshold on the validation data after training.

    The defaults (``lr = 1e-3``, ``weight_decay = 1e-2``, with the models' ``dropout = 0.3`` and
    ``modality_dropout = 0.3``) are the setting that won on the validation splits of the models benchmark.
    """

    epochs: int = 60
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 1e-2
    loss: str = "erm"
    loss_params: dict[str, Any] = field(default_factory=dict)
    warmup_epochs: int | None = None
    selection: str = "mean"
    patience: int | None = 8
    min_delta: float = 0.0
    min_group_size: int = 10
    seed: int = 0
    diagnostics: bool = False
    diagnostics_every: int = 5
    diagnostics_samples: int = 2048
    pool_rare_groups: bool = True
    superset_augmentation: bool = False
    calibrate: bool = True

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise MissmodalError(f"epochs and batch_size must be >= 1, got {self.epochs}, {self.batch_size}")
        if self.diagnostics_every < 1 or self.min_group_size < 1:
            raise MissmodalError(f"diagnostics_every and min_group_size must be >= 1, got {self.diagnostics_every}, {self.min_group_size}")
        if self.lr <= 0:
            raise MissmodalError(f"lr must be > 0, got {self.lr}")
        if self.patience is not None and self.patience < 1:
            raise MissmodalError(f"patience must be >= 1 epoch, or None to never stop early, got {self.patience}")
        if not self.min_delta >= 0:
            raise MissmodalError(f"min_delta must be >= 0, got {self.min_delta}")
        if self.selection not in SELECTIONS:
            raise MissmodalError(f"selection must be one of {SELECTIONS}, got {self.selection!r}")
        LOSSES.get(self.loss)
        if self.warmup_epochs is not None and not 0 <= self.warmup_epochs <= self.epochs:
            raise MissmodalError(f"warmup_epochs must be in [0, epochs], got {self.warmup_epochs}")

    @property
    def erm_epochs(self) -> int:
        if self.warmup_epochs is not None:
            return self.warmup_epochs
        return self.epochs // 4 if self.loss in ("group-dro", "group-dro-excess") else 0

    def selectable(self, epoch: int) -> bool:
        """Whether the model after (0-based) ``epoch`` may be selected: it is past the ERM warm-up."""
        return epoch >= self.erm_epochs or self.erm_epochs >= self.epochs


def per_sample_loss(task: str) -> Callable[[Tensor, Tensor], Tensor]:
    """``(logits, encoded target) -> (n,)`` losses: cross-entropy, binary cross-entropy (mean over labels
    for multi-label), squared error, or the Cox partial likelihood with Breslow ties (survival,
    :func:`missmodal.train.cox.cox_losses`)."""
    if task == "survival":
        return cox_losses
    if task == "multiclass":
        return lambda logits, y: F.cross_entropy(logits, y, reduction="none")
    if task in ("binary", "multilabel"):
        return lambda logits, y: F.binary_cross_entropy_with_logits(logits, y, reduction="none").mean(dim=1)
    return lambda logits, y: F.mse_loss(logits, y, reduction="none").mean(dim=1)


def _changed_settings(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Names of the settings that differ (the training options one level down: ``epochs``, not ``train``)."""
    flat = [{**{k: v for k, v in d.items() if k != "train"}, **d.get("train", {})} for d in (old, new)]
    return sorted(k for k in set(flat[0]) | set(flat[1]) if flat[0].get(k) != flat[1].get(k))


@dataclass
class TrainingData:
    """Tensors of one split: inputs, observed mask, encoded target, group index (-1: not a training group),
    group codes, the target in the model's class codes (``labels``, for the selection metrics) and the
    standardised covariates (None for a model without them)."""

    inputs: list[Tensor]
    observed: Tensor
    target: Tensor
    groups: Tensor
    codes: np.ndarray
    labels: np.ndarray
    covariates: Tensor | None = None

    @classmethod
    def build(cls, data: MultimodalData, preprocessing: Preprocessing, group_codes: np.ndarray, what: str) -> "TrainingData":
        if data.target is None:
            raise MissmodalError(f"{what} data has no target")
        inputs, observed = preprocessing.inputs(data)
        codes = data.group_codes()
        position = np.searchsorted(group_codes, codes).clip(max=len(group_codes) - 1)
        groups = np.where(group_codes[position] == codes, position, -1)
        labels = preprocessing.align_target(data, f"{what} target")
        return cls(inputs, observed, preprocessing.encode_target(labels, f"{what} target"),
                   torch.from_numpy(groups.astype(np.int64)), codes, labels, preprocessing.covariates(data))

    def __len__(self) -> int:
        return int(self.observed.shape[0])

    def logits(self, module: FusionModel, device: torch.device) -> Tensor:
        """``(n, out_dim)`` logits of ``module`` (in eval mode) on every row, on the CPU."""
        return batched_logits(module, self.inputs, self.observed, self.covariates, device=device)

    def rows(self, index: np.ndarray | Tensor, device: torch.device) -> tuple[list[Tensor], Tensor, Tensor, Tensor, Tensor | None]:
        """Inputs, observed mask, target, group index and covariates of rows ``index``, on ``device``."""
        index = torch.as_tensor(index)
        covariates = None if self.covariates is None else self.covariates[index].to(device)
        return ([x[index].to(device) for x in self.inputs], self.observed[index].to(device),
                self.target[index].to(device), self.groups[index].to(device), covariates)


def selection_metrics(scores: np.ndarray, target: np.ndarray, codes: np.ndarray, task: str,
                      classes: list | None, min_group_size: int) -> dict[str, float]:
    """Validation metric overall (``mean``) and in the worst group of at least ``min_group_size`` samples
    (``worst``; the overall value when no group is that large). Accuracy (exact match for multi-label),
    negative MSE for regression, or Harrell's C-index for survival, so that higher is always better."""
    if task == "survival":
        return survival_selection(scores, target, codes, min_group_size)
    per_sample = per_sample_score(scores, target, task, classes)
    mean = float(per_sample.mean())
    group_values = [per_sample[codes == c].mean() for c, k in zip(*np.unique(codes, return_counts=True)) if k >= min_group_size]
    return {"mean": mean, "worst": float(min(group_values)) if group_values else mean}


def selection_key(record: dict[str, Any], selection: str) -> tuple[float, float]:
    """What an epoch's validation ``record`` is selected by, compared as a tuple (higher is better):
    ``(val_mean, 0)``, or ``(val_worst, val_mean)`` for worst-group selection, whose ties (frequent: a
    validation group of ten samples moves in steps of 0.1) go to the higher mean metric rather than to the
    first epoch that reached the worst-group maximum."""
    return (record["val_worst"], record["val_mean"]) if selection == "worst" else (record["val_mean"], 0.0)


def survival_selection(risk: np.ndarray, target: np.ndarray, codes: np.ndarray, min_group_size: int) -> dict[str, float]:
    """Harrell's C overall (``mean``) and in the worst group of at least ``min_group_size`` samples with a
    comparable pair (``worst``); 0.5 (chance) where no pair is comparable."""
    from ..evaluate.survival import harrell_c

    def c_index(rows: np.ndarray) -> float | None:
        return harrell_c(target[rows, 0], target[rows, 1] > 0, risk[rows])

    mean = c_index(np.ones(len(risk), bool))
    mean = 0.5 if mean is None else mean
    values = [c_index(codes == c) for c, k in zip(*np.unique(codes, return_counts=True)) if k >= min_group_size]
    values = [v for v in values if v is not None]
    return {"mean": mean, "worst": float(min(values)) if values else mean}


def read_checkpoint(path: Path) -> dict[str, Any]:
    """A checkpoint written by :class:`Trainer` (``weights_only`` loading: nothing is unpickled beyond
    tensors and plain containers); a pickle, a truncated or a foreign file is a one-line error."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001  torch raises UnpicklingError, RuntimeError, EOFError, ... here
        first = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
        raise MissmodalError(f"{path}: not a readable missmodal checkpoint ({type(error).__name__}: {first})") from None
    keys = {"settings", "model", "optimizer", "objective", "state", "history"}
    if not isinstance(payload, dict) or not keys <= set(payload):
        raise MissmodalError(f"{path}: not a missmodal checkpoint (expected the keys {sorted(keys)})")
    return payload


class Trainer:
    """Trains one registered model with one objective; see the module docstring for the guarantees.

    Parameters
    ----------
    model : a fusion network in :data:`missmodal.models.MODELS` (kind ``"network"``).
    config : :class:`TrainConfig`.
    model_params : keyword arguments of the model (``width``, ``modality_dropout``, ``n_experts``, ...).
    checkpoint_dir : folder for ``checkpoint.pt``, written atomically after every epoch (None: no checkpoints).
    callback : called after every epoch with that epoch's history record (progress display).
    context : distributed context (default: from the ``torchrun`` environment, or a single process).

    Examples
    --------
    >>> from missmodal.data import load_dataset, simulate_missingness
    >>> data = simulate_missingness(load_dataset("mfeat"), "mcar", rate=0.5, seed=0)
    >>> train, val, test = data.split(seed=0)
    >>> fitted = Trainer("attention", TrainConfig(epochs=2)).fit(train, val)
    >>> fitted.predict_proba(test).shape
    (300, 10)
    """

    def __init__(self, model: str, config: TrainConfig | None = None, model_params: dict[str, Any] | None = None,
                 checkpoint_dir: str | Path | None = None, callback: Callable[[dict], None] | None = None,
                 context: DistributedContext | None = None):
        NETWORKS.get(model)
        self.model = model
        self.config = config or TrainConfig()
        self.model_params = dict(model_params or {})
        self.checkpoint_dir = None if checkpoint_dir is None else Path(checkpoint_dir)
        self.callback = callback
        self.context = context
        self.history_: list[dict[str, Any]] = []

    # --- setup -----------------------------------------------------------------------------------------
    def _build_module(self, preprocessing: Preprocessing, group_codes: np.ndarray) -> FusionModel:
        torch.manual_seed(self.config.seed)
        try:
            return NETWORKS.build(self.model, dims=preprocessing.dims, out_dim=preprocessing.out_dim,
                                task=preprocessing.task, groups=group_codes.tolist(),
                                n_covariates=preprocessing.n_covariates, **self.model_params)
        except TypeError as error:
            raise MissmodalError(f"model {self.model!r}: bad parameters {self.model_params} ({error})") from None

    def _settings(self) -> dict[str, Any]:
        return {"model": self.model, "model_params": self.model_params, "train": asdict(self.config)}

    def _seed_epoch(self, epoch: int, rank: int) -> np.random.Generator:
        torch.manual_seed(((self.config.seed * 1_000_003) + epoch * 7_919 + rank) % (2**63))
        return np.random.default_rng([self.config.seed, epoch])

    # --- main loop -------------------------------------------------------------------------------------
    def fit(self, train_data: MultimodalData, val_data: MultimodalData, resume: bool = False) -> FittedModel:
        """Train on ``train_data``, select and early-stop on ``val_data``; return the selected model.

        ``resume=True`` continues from ``checkpoint_dir/checkpoint.pt`` when it exists (written by a run
        with the same settings on the same data: the checkpoint records a fingerprint of the training and
        validation data and a different one is refused), and gives the same final weights as an
        uninterrupted run. Without a checkpoint it warns and starts from scratch.
        """
        context = self.context or setup_distributed()
        config = self.config
        preprocessing = Preprocessing.fit(train_data)
        preprocessing.check(val_data)
        counts = train_data.group_counts()
        group_codes = np.array(sorted(counts), dtype=np.int64)
        augmented = {}
        if config.superset_augmentation:
            train_data, augmented = superset_augmented(train_data, config.min_group_size, config.seed)
        train = TrainingData.build(train_data, preprocessing, group_codes, "training")
        val = TrainingData.build(val_data, preprocessing, group_codes, "validation")
        module = self._build_module(preprocessing, group_codes).to(context.device)
        network = module
        if context.active:
            network = torch.nn.parallel.DistributedDataParallel(
                module, find_unused_parameters=not module.uses_every_parameter)
        optimizer = torch.optim.AdamW(module.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        train_counts = np.bincount(train.groups.numpy(), minlength=len(group_codes))
        pool, objective_counts, representatives = (pool_rare_groups(group_codes, train_counts, config.min_group_size)
                                                   if config.pool_rare_groups else
                                                   (np.arange(len(group_codes)), train_counts.tolist(), group_codes.tolist()))
        pool = torch.from_numpy(pool)
        loss_params = dict(config.loss_params)
        reference = None
        if getattr(LOSSES.get(config.loss), "needs_reference", False) and "reference" not in loss_params:
            features = torch.cat([*train.inputs, train.observed.float()], dim=1).numpy()
            reference = reference_losses(features, train.target.numpy(), pool[train.groups].numpy(), len(objective_counts),
                                         preprocessing.task, config.seed)
            loss_params["reference"] = reference.tolist()
        objective = build_loss(config.loss, objective_counts, **loss_params)
        warmup = ERM(objective_counts)
        loss_fn = per_sample_loss(preprocessing.task)

        self._data = {"train": data_fingerprint(train_data), "val": data_fingerprint(val_data),
                      "n_train": train_data.n_samples, "n_val": val_data.n_samples}
        state = {"epoch": 0, "best_score": -np.inf, "best_tiebreak": -np.inf, "best_epoch": -1, "bad_epochs": 0,
                 "stopped": False, "reference_score": -np.inf, "reference_tiebreak": -np.inf,
                 "best_state": copy.deepcopy(module.state_dict())}
        self.history_ = []
        if resume:
            self._restore(module, optimizer, objective, state)

        diagnostics_rows = np.sort(np.random.default_rng([config.seed, 2**31]).permutation(len(train))[: config.diagnostics_samples])
        for epoch in range(state["epoch"], state["epoch"] if state["stopped"] else config.epochs):
            started = time.perf_counter()
            order = self._seed_epoch(epoch, context.rank).permutation(len(train))
            active = warmup if epoch < config.erm_epochs else objective
            network.train()
            total, batches = 0.0, 0
            for start in range(0, len(order), config.batch_size):
                batch = order[start : start + config.batch_size]
                if len(batch) < context.world_size:
                    continue
                inputs, observed, target, groups, covariates = train.rows(batch[context.rank :: context.world_size], context.device)
                output = network(inputs, observed, covariates)
                loss, value = active(loss_fn(output.logits, target), pool.to(groups.device)[groups], context)
                optimizer.zero_grad(set_to_none=True)
                (loss + output.aux_loss).backward()
                optimizer.step()
                total += value
                batches += 1
            record: dict[str, Any] = {"epoch": epoch + 1, "objective": "erm" if active is warmup else config.loss,
                                      "train_loss": total / max(batches, 1)}
            record.update(self._validate(module, val, preprocessing, val_data, loss_fn, context))
            score, tiebreak = selection_key(record, config.selection)
            best = (state["best_score"], state["best_tiebreak"])
            restart = (state["reference_score"] + config.min_delta, state["reference_tiebreak"])
            improved = broadcast_flag((score, tiebreak) > best, context)
            progressed = broadcast_flag((score, tiebreak) > restart, context)
            if config.selectable(epoch):  # warm-up epochs neither compete nor count towards early stopping
                if improved:
                    state.update(best_score=score, best_tiebreak=tiebreak, best_epoch=epoch + 1,
                                 best_state=copy.deepcopy(module.state_dict()))
                if progressed:
                    state.update(reference_score=score, reference_tiebreak=tiebreak, bad_epochs=0)
                else:
                    state["bad_epochs"] += 1
            if "q" in objective.state_dict():
                record["group_weights"] = dict(zip(pooled_names(representatives, preprocessing.modality_names),
                                                   objective.state_dict()["q"].tolist()))
            if config.diagnostics and context.is_main and ((epoch + 1) % config.diagnostics_every == 0 or epoch + 1 == config.epochs):
                record["gradient_cosine"] = self._diagnose(module, train, diagnostics_rows, loss_fn, preprocessing, context)
            record["seconds"] = time.perf_counter() - started
            self.history_.append(record)
            state["epoch"] = epoch + 1
            state["stopped"] = config.patience is not None and state["bad_epochs"] >= config.patience
            if self.checkpoint_dir is not None and context.is_main:
                self._save_checkpoint(module, optimizer, objective, state)
            barrier(context)
            if self.callback is not None:
                self.callback(record)
            if state["stopped"]:
                break
        module.load_state_dict(state["best_state"])
        module.eval()
        info = {**self._settings(), "best_epoch": state["best_epoch"], "best_val_score": float(state["best_score"]),
                "epochs_run": state["epoch"], "world_size": context.world_size,
                "objective_groups": dict(zip(pooled_names(representatives, preprocessing.modality_names), objective_counts)),
                "superset_augmentation": augmented}
        if reference is not None:
            info["reference_losses"] = dict(zip(pooled_names(representatives, preprocessing.modality_names), reference.tolist()))
        fitted = FittedModel(self.model, module.cpu(), preprocessing, counts, info)
        fitted.history = list(self.history_)
        if preprocessing.task == "survival":
            fitted.fit_baseline_hazard(train_data, "training")
        return fitted.calibrate(val_data) if config.calibrate else fitted

    @torch.no_grad()
    def _validate(self, module: FusionModel, val: TrainingData, preprocessing: Preprocessing, val_data: MultimodalData,
                  loss_fn, context: DistributedContext) -> dict[str, float]:
        module.eval()
        logits = val.logits(module, context.device)
        loss = float(loss_fn(logits, val.target).mean())
        metrics = selection_metrics(preprocessing.scores(logits), val.labels, val.codes, preprocessing.task,
                                    preprocessing.classes, self.config.min_group_size)
        return {"val_loss": loss, "val_mean": metrics["mean"], "val_worst": metrics["worst"]}

    def _diagnose(self, module: FusionModel, train: TrainingData, rows: np.ndarray, loss_fn,
                  preprocessing: Preprocessing, context: DistributedContext) -> dict[str, dict[str, float]]:
        inputs, observed, target, _, covariates = train.rows(rows, context.device)
        codes = torch.from_numpy(train.codes[rows]).to(context.device)
        parameters = [p for _, p in shared_parameters(module, module.group_specific_parameters())]
        alignment = gradient_alignment(module, inputs, observed, target, codes, loss_fn, parameters, covariates=covariates)
        return {group_name(code, preprocessing.modality_names): values for code, values in alignment.items()}

    # --- checkpoints -----------------------------------------------------------------------------------
    def _save_checkpoint(self, module: FusionModel, optimizer, objective: GroupObjective, state: dict) -> None:
        payload = {"settings": self._settings(), "data": self._data, "model": module.state_dict(), "optimizer": optimizer.state_dict(),
                   "objective": objective.state_dict(), "state": state, "history": self.history_}
        with atomic_path(self.checkpoint_dir / CHECKPOINT_FILE) as tmp:
            torch.save(payload, tmp)

    def _restore(self, module: FusionModel, optimizer, objective: GroupObjective, state: dict) -> None:
        path = None if self.checkpoint_dir is None else self.checkpoint_dir / CHECKPOINT_FILE
        if path is None or not path.is_file():
            warnings.warn(f"resume: no checkpoint {path or '(no checkpoint_dir)'}; training starts from scratch", stacklevel=3)
            return
        payload = read_checkpoint(path)
        if payload.get("data") != self._data:
            old = payload.get("data") or {}
            raise MissmodalError(f"{path}: checkpoint was made on other data ({old.get('n_train', '?')} training samples, "
                                 f"fingerprint {old.get('train', 'none')}) than this run's ({self._data['n_train']} samples, "
                                 f"fingerprint {self._data['train']}); resume with the same data and split, or use a new "
                                 "output folder")
        settings = self._settings()
        if payload["settings"] != settings:
            changed = _changed_settings(payload["settings"], settings)
            raise MissmodalError(f"{path}: checkpoint was written with different settings ({', '.join(changed)}); resume "
                                 "with the same model, loss and options (so that the run equals an uninterrupted one), "
                                 "or use a new output folder")
        module.load_state_dict(payload["model"])
        optimizer.load_state_dict(payload["optimizer"])
        objective.load_state_dict(payload["objective"])
        state.update(payload["state"])
        self.history_ = list(payload["history"])
