"""What every trained model offers, neural or not: scores, labels, calibration, training-group counts.

:class:`Predictor` is the common base of :class:`~missmodal.models.FittedModel` (fusion networks),
the tabular baselines (:mod:`missmodal.models.tabular`) and the validation ensemble
(:mod:`missmodal.models.ensemble`), so that evaluation, prediction and the command line treat them alike.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import numpy as np

from ..data import MultimodalData
from ..errors import MissmodalError
from .calibration import apply_temperature, best_threshold, fit_temperature, indicators_of
from .hazard import BaselineHazard
from .preprocess import Preprocessing

#: A validation split with fewer events than this leaves the baseline hazard estimated on the training data.
MIN_HAZARD_EVENTS = 10


class Predictor(ABC):
    """A trained model with its preprocessing, training-group counts and calibration.

    Parameters
    ----------
    name : registry name (``"remind"``, ``"logistic"``, ``"auto"``, ...).
    preprocessing : the :class:`Preprocessing` fitted on the training data.
    train_group_counts : group code -> number of training samples (defines head/tail and "seen" groups).
    info : JSON-able training details; ``info["calibration"]`` holds the validation ``temperature`` and the
        binary ``threshold`` once :meth:`calibrate` ran.
    """

    def __init__(self, name: str, preprocessing: Preprocessing, train_group_counts: dict[int, int],
                 info: dict[str, Any] | None = None):
        self.name = name
        self.preprocessing = preprocessing
        self.train_group_counts = {int(k): int(v) for k, v in train_group_counts.items()}
        self.info = dict(info or {})
        self.history: list[dict[str, Any]] = []

    @property
    def task(self) -> str:
        return self.preprocessing.task

    @property
    def classes(self) -> list | None:
        return self.preprocessing.classes

    @property
    def class_labels(self) -> list | None:
        """The user's label of each class (the string labels of the training file, else ``classes``)."""
        return self.preprocessing.class_names or self.preprocessing.classes

    @property
    def temperature(self) -> float:
        return float((self.info.get("calibration") or {}).get("temperature", 1.0))

    @property
    def threshold(self) -> float | None:
        """Binary decision threshold on P(positive) chosen on validation (None before :meth:`calibrate`)."""
        return (self.info.get("calibration") or {}).get("threshold")

    @abstractmethod
    def raw_scores(self, data: MultimodalData) -> np.ndarray:
        """Uncalibrated probabilities (``(n, 2)`` binary, ``(n, C)`` otherwise) or regression values ``(n,)``."""

    @abstractmethod
    def save(self, path: str | Path) -> Path:
        """Write the model folder (``model.json`` + ``model.safetensors``, no pickle)."""

    def scores(self, data: MultimodalData) -> np.ndarray:
        """Calibrated probabilities (temperature from validation) or regression values; see :meth:`raw_scores`."""
        return apply_temperature(self.raw_scores(data), self.task, self.temperature)

    def predict_proba(self, data: MultimodalData) -> np.ndarray:
        """Class probabilities; see :meth:`scores`."""
        if self.task in ("regression", "survival"):
            raise MissmodalError(f"predict_proba is for classification; use predict for a {self.task} model"
                                 + (" (and survival_at for probabilities)" if self.task == "survival" else ""))
        return self.scores(data)

    # --- survival -------------------------------------------------------------------------------------
    @property
    def baseline_hazard(self) -> BaselineHazard | None:
        """The Breslow baseline hazard of a survival model (None for other tasks)."""
        payload = self.info.get("survival", {}).get("baseline_hazard")
        return BaselineHazard.from_dict(payload) if payload else None

    def fit_baseline_hazard(self, data: MultimodalData, fitted_on: str) -> "Predictor":
        """Estimate the Breslow baseline hazard from ``data``'s (time, event) and this model's log-risks."""
        hazard = BaselineHazard.fit(data.time, data.event, self.scores(data), fitted_on)
        self.info["survival"] = {"baseline_hazard": hazard.to_dict()}
        return self

    def survival_at(self, data: MultimodalData, horizons) -> np.ndarray:
        """``(n, H)`` survival probabilities ``S(h | x)`` at each horizon (survival models only)."""
        hazard = self.baseline_hazard
        if self.task != "survival" or hazard is None:
            raise MissmodalError(f"survival probabilities need a survival model; this {self.name} model's task is {self.task}")
        return hazard.survival(self.scores(data), horizons)

    def predict(self, data: MultimodalData) -> np.ndarray:
        """Class labels (binary, multi-class), 0/1 label matrix (multi-label) or values (regression)."""
        from ..evaluate.metrics import predicted_labels

        return predicted_labels(self.scores(data), self.task, None if self.classes is None else np.asarray(self.class_labels))

    def seen_in_training(self, data: MultimodalData) -> np.ndarray:
        """``(n,)`` bool: the sample's combination group occurred in training (else its prediction is a fallback)."""
        return np.isin(data.group_codes(), list(self.train_group_counts))

    def train_counts_of(self, data: MultimodalData) -> np.ndarray:
        """``(n,)`` int: the number of training samples of each sample's combination group (0: unseen)."""
        return np.array([self.train_group_counts.get(int(c), 0) for c in data.group_codes()], dtype=np.int64)

    def calibrate(self, val_data: MultimodalData) -> "Predictor":
        """Fit the temperature (and, for binary tasks, the accuracy-maximising threshold) on ``val_data``.

        Uses validation data only; records ``info["calibration"] = {"temperature", "threshold",
        "validation_samples"}``. Regression models are left unchanged. Survival models re-estimate their
        baseline hazard on ``val_data`` when it holds at least :data:`MIN_HAZARD_EVENTS` events (the risk
        scores of the training rows are optimistic), else keep the training estimate.
        """
        if self.task == "survival" and val_data.target is not None:
            if int(val_data.event.sum()) >= MIN_HAZARD_EVENTS or self.baseline_hazard is None:
                self.fit_baseline_hazard(val_data, "validation")
            return self
        if self.task == "regression" or val_data.target is None or val_data.n_samples == 0:
            return self
        target = self.preprocessing.align_target(val_data, "validation target")
        raw = self.raw_scores(val_data)
        temperature = fit_temperature(raw, target, self.task, self.classes)
        calibration: dict[str, Any] = {"temperature": temperature, "threshold": None, "validation_samples": val_data.n_samples}
        if self.task == "binary":
            positive = apply_temperature(raw, self.task, temperature)[:, 1]
            calibration["threshold"] = best_threshold(positive, indicators_of(target, self.task, self.classes).astype(bool))
        self.info["calibration"] = calibration
        return self
