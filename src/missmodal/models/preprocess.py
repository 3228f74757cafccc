"""Preprocessing fitted on the training data: per-modality and covariate standardisation, target encoding.

Stored as plain JSON next to the weights, so a saved model carries everything it needs to read new data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import torch
from torch import Tensor

from ..data import MultimodalData
from ..data.survival import check_survival_target
from ..errors import MissmodalError
from .labels import match_labels


@dataclass
class Preprocessing:
    """Per-modality ``(x - mean) / scale`` on observed rows (absent rows become 0) and target encoding.

    Attributes
    ----------
    modality_names, dims : the modalities the model was trained on, in order.
    means, scales : per-modality feature means and standard deviations over observed training rows.
    task : "binary", "multiclass", "multilabel", "regression" or "survival".
    classes : class labels (binary, multi-class) in output order; None otherwise.
    n_labels : number of labels (multi-label); None otherwise.
    target_mean, target_scale : standardisation of a regression target.
    class_names : the label of each class when the training target was read from string (or bool) labels,
        which data files store as codes into ``data.metadata["classes"]``; None otherwise.
    covariate_names, covariate_means, covariate_scales : the always-observed covariates the model uses and
        their training mean and standard deviation (empty when the training data had none).
    class_counts : training count of each class (binary, multi-class), for the majority-class reference.
    """

    modality_names: list[str]
    dims: list[int]
    means: list[np.ndarray]
    scales: list[np.ndarray]
    task: str
    classes: list | None = None
    n_labels: int | None = None
    target_mean: float = 0.0
    target_scale: float = 1.0
    class_names: list | None = None
    covariate_names: list[str] = field(default_factory=list)
    covariate_means: np.ndarray = field(default_factory=lambda: np.zeros(0))
    covariate_scales: np.ndarray = field(default_factory=lambda: np.ones(0))
    class_counts: list[int] | None = None

    @classmethod
    def fit(cls, data: MultimodalData) -> "Preprocessing":
        """Statistics of the training data (which must have a target)."""
        if data.target is None:
            raise MissmodalError("training data has no target: give DATA with a target column (--target for Parquet files)")
        means, scales = [], []
        for m, (name, values) in enumerate(data.modalities.items()):
            rows = values[data.observed[:, m]].astype(np.float64)
            if rows.shape[0] == 0:
                raise MissmodalError(f"modality {name!r} is never observed in the training data")
            scale = rows.std(axis=0)
            means.append(rows.mean(axis=0).astype(np.float32))
            scales.append(np.where(scale > 1e-8, scale, 1.0).astype(np.float32))
        kwargs: dict[str, Any] = {}
        if data.covariates is not None:
            scale = data.covariates.std(axis=0)
            kwargs.update(covariate_names=list(data.covariate_names), covariate_means=data.covariates.mean(axis=0),
                          covariate_scales=np.where(scale > 1e-8, scale, 1.0))
        if data.task in ("binary", "multiclass"):
            classes, counts = np.unique(data.target, return_counts=True)
            kwargs.update(classes=classes.tolist(), class_counts=counts.tolist())
            if len(kwargs["classes"]) < 2:
                raise MissmodalError(f"target has a single class {kwargs['classes']}; a classifier needs two or more")
            names = data.metadata.get("classes")
            if names is not None and all(0 <= int(c) < len(names) for c in kwargs["classes"]):
                kwargs["class_names"] = [names[int(c)] for c in kwargs["classes"]]
        elif data.task == "multilabel":
            kwargs["n_labels"] = int(data.target.shape[1])
        elif data.task == "survival":
            if not data.event.any():
                raise MissmodalError("the training data hold no event (every sample censored); a survival model needs events")
        else:
            target = data.target.astype(np.float64)
            kwargs.update(target_mean=float(target.mean()), target_scale=float(target.std() or 1.0))
        return cls(data.modality_names, [values.shape[1] for values in data.modalities.values()], means, scales,
                   data.task, **kwargs)

    @property
    def n_covariates(self) -> int:
        return len(self.covariate_names)

    @property
    def out_dim(self) -> int:
        if self.task == "multiclass":
            return len(self.classes)
        if self.task == "multilabel":
            return self.n_labels
        return 1

    def check(self, data: MultimodalData) -> None:
        """Fail with a clear message when ``data``'s modalities are not the model's."""
        got = [f"{name}:{values.shape[1]}" for name, values in data.modalities.items()]
        expected = [f"{name}:{dim}" for name, dim in zip(self.modality_names, self.dims)]
        if got != expected:
            raise MissmodalError(f"data modalities [{', '.join(got)}] do not match the model's [{', '.join(expected)}]")
        if self.covariate_names and list(data.covariate_names or []) != self.covariate_names:
            raise MissmodalError(f"the model uses covariates {self.covariate_names}; the data has "
                                 f"{list(data.covariate_names or []) or 'none'} (give them with --covariates)")

    def covariates(self, data: MultimodalData) -> Tensor | None:
        """Standardised ``(n, p)`` float32 covariates ``(c - mean) / scale``, or None for a model without them."""
        if not self.covariate_names:
            return None
        self.check(data)
        scaled = (data.covariates - self.covariate_means) / self.covariate_scales
        return torch.from_numpy(np.ascontiguousarray(scaled, dtype=np.float32))

    def inputs(self, data: MultimodalData) -> tuple[list[Tensor], Tensor]:
        """Standardised per-modality float32 tensors (0 where absent) and the ``(n, M)`` bool observed mask."""
        self.check(data)
        tensors = []
        for m, values in enumerate(data.modalities.values()):
            scaled = (values - self.means[m]) / self.scales[m]
            scaled[~data.observed[:, m]] = 0.0
            tensors.append(torch.from_numpy(np.ascontiguousarray(scaled, dtype=np.float32)))
        return tensors, torch.from_numpy(data.observed.copy())

    def align_target(self, data: MultimodalData, what: str = "target") -> np.ndarray:
        """``data.target`` in the model's class codes, labels matched by value; a label the model never saw,
        a non-integer label of a classifier or a target of the wrong shape is a one-line error (see
        :func:`missmodal.models.labels.match_labels`)."""
        return match_labels(self, data, what)[0]

    def encode_target(self, target: np.ndarray, what: str = "target") -> Tensor:
        """Training target: class index (multi-class, int64), 0/1 float (binary ``(n, 1)``, multi-label
        ``(n, C)``), standardised value (regression ``(n, 1)``) or (time, event) (survival ``(n, 2)``)."""
        target = np.asarray(target)
        if self.task in ("binary", "multiclass"):
            classes = np.asarray(self.classes)
            index = np.searchsorted(classes, target).clip(max=len(classes) - 1)
            unknown = classes[index] != target
            if unknown.any():
                shown = ", ".join(str(c) for c in self.classes[:10]) + (", ..." if len(self.classes) > 10 else "")
                raise MissmodalError(f"{what} holds class {target[unknown][:1].tolist()[0]!r} not seen in training "
                                     f"({len(self.classes)} classes: {shown})")
            index = torch.from_numpy(index.astype(np.int64))
            return index if self.task == "multiclass" else index.to(torch.float32)[:, None]
        if self.task == "multilabel":
            if target.ndim != 2 or target.shape[1] != self.n_labels:
                raise MissmodalError(f"{what} must be an (n, {self.n_labels}) 0/1 label matrix, got shape {target.shape}")
            return torch.from_numpy(target.astype(np.float32))
        if self.task == "survival":
            return torch.from_numpy(check_survival_target(target, what).astype(np.float32))
        return torch.from_numpy(((target.astype(np.float64) - self.target_mean) / self.target_scale).astype(np.float32))[:, None]

    def scores(self, logits: Tensor) -> np.ndarray:
        """Logits -> probabilities ``(n, 2)`` (binary), ``(n, C)`` (multi-class, multi-label), values ``(n,)``
        (regression) or log-risks ``(n,)`` (survival)."""
        if self.task == "multiclass":
            return torch.softmax(logits, dim=1).numpy()
        if self.task == "multilabel":
            return torch.sigmoid(logits).numpy()
        if self.task == "binary":
            positive = torch.sigmoid(logits[:, 0]).numpy()
            return np.column_stack([1.0 - positive, positive])
        if self.task == "survival":
            return logits[:, 0].double().numpy()
        return logits[:, 0].double().numpy() * self.target_scale + self.target_mean

    def to_dict(self) -> dict:
        return {
            "modalities": [{"name": n, "dim": d, "mean": mu.tolist(), "scale": s.tolist()}
                           for n, d, mu, s in zip(self.modality_names, self.dims, self.means, self.scales)],
            "task": self.task, "classes": self.classes, "n_labels": self.n_labels,
            "target_mean": self.target_mean, "target_scale": self.target_scale, "class_names": self.class_names,
            "covariates": [{"name": n, "mean": float(mu), "scale": float(s)}
                           for n, mu, s in zip(self.covariate_names, self.covariate_means, self.covariate_scales)],
            "class_counts": self.class_counts,
        }

    @classmethod
    def from_dict(cls, payload: dict) -> "Preprocessing":
        modalities: Sequence[dict] = payload["modalities"]
        covariates: Sequence[dict] = payload.get("covariates", [])
        return cls([m["name"] for m in modalities], [int(m["dim"]) for m in modalities],
                   [np.asarray(m["mean"], dtype=np.float32) for m in modalities],
                   [np.asarray(m["scale"], dtype=np.float32) for m in modalities],
                   payload["task"], payload.get("classes"), payload.get("n_labels"),
                   float(payload.get("target_mean", 0.0)), float(payload.get("target_scale", 1.0)),
                   payload.get("class_names"), [c["name"] for c in covariates],
                   np.array([c["mean"] for c in covariates], dtype=np.float64),
                   np.array([c["scale"] for c in covariates], dtype=np.float64), payload.get("class_counts"))
