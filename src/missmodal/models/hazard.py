"""The Breslow baseline hazard shared by every survival model: risk scores to survival probabilities.

A survival model outputs a log-risk ``eta_i`` per sample (higher = earlier event). Under proportional
hazards, ``S(t | x_i) = exp(-H0(t) exp(eta_i))``, with the Breslow estimate of the cumulative baseline
hazard on a reference set (time ``t_j``, event ``d_j``, log-risk ``eta_j``):

    H0(t) = sum over event times u <= t of  d(u) / sum_{j: t_j >= u} exp(eta_j - c)

(``d(u)`` events at ``u``, tied events all in the risk set: Breslow's approximation; ``c`` the mean
reference log-risk, subtracted for numerical range and added back, so that only ``eta - c`` is
exponentiated). ``H0`` is a right-continuous step function, constant after the last event time: survival
beyond the reference follow-up is extrapolated flat, and :meth:`BaselineHazard.beyond_follow_up` says so.

The estimate is plain JSON (:meth:`to_dict`), stored in ``model.json`` under ``info["survival"]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import MissmodalError


def breslow_cumulative_hazard(time: np.ndarray, event: np.ndarray, log_risk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique event times ``(K,)`` and ``H0`` there ``(K,)`` for log-risks already centred (see module docstring)."""
    time = np.asarray(time, dtype=np.float64)
    event = np.asarray(event, dtype=bool)
    weight = np.exp(np.asarray(log_risk, dtype=np.float64))
    times, inverse = np.unique(time, return_inverse=True)
    deaths = np.bincount(inverse, weights=event.astype(np.float64), minlength=len(times))
    at_risk = np.cumsum(np.bincount(inverse, weights=weight, minlength=len(times))[::-1])[::-1]  # sum over t_j >= u
    keep = deaths > 0
    return times[keep], np.cumsum(deaths[keep] / at_risk[keep])


@dataclass
class BaselineHazard:
    """Breslow ``H0`` at the event times of the reference set, the centring ``offset`` and its provenance.

    Attributes
    ----------
    times, cumulative_hazard : ``(K,)`` increasing event times and ``H0`` there.
    offset : the mean reference log-risk ``c``.
    last_follow_up : the largest reference time (survival after it is extrapolated flat).
    fitted_on : ``"validation"`` or ``"training"``, with ``samples`` and ``events`` of the reference set.
    """

    times: np.ndarray
    cumulative_hazard: np.ndarray
    offset: float
    last_follow_up: float
    fitted_on: str
    samples: int
    events: int

    @classmethod
    def fit(cls, time: np.ndarray, event: np.ndarray, log_risk: np.ndarray, fitted_on: str) -> "BaselineHazard":
        """Breslow estimate on a reference set; it needs at least one event."""
        event = np.asarray(event, dtype=bool)
        if not event.any():
            raise MissmodalError(f"the {fitted_on} data hold no event: the baseline hazard cannot be estimated")
        log_risk = np.asarray(log_risk, dtype=np.float64)
        offset = float(log_risk.mean())
        times, hazard = breslow_cumulative_hazard(time, event, log_risk - offset)
        return cls(times, hazard, offset, float(np.max(time)), fitted_on, int(len(event)), int(event.sum()))

    def at(self, horizons: Sequence[float]) -> np.ndarray:
        """``H0`` at each horizon ``(H,)`` (0 before the first event time)."""
        index = np.searchsorted(self.times, np.asarray(horizons, dtype=np.float64), side="right") - 1
        return np.where(index >= 0, self.cumulative_hazard[np.clip(index, 0, None)], 0.0)

    def survival(self, log_risk: np.ndarray, horizons: Sequence[float]) -> np.ndarray:
        """``(n, H)`` probabilities ``S(h | x_i) = exp(-H0(h) exp(eta_i - c))``."""
        relative = np.exp(np.clip(np.asarray(log_risk, dtype=np.float64) - self.offset, -50, 50))
        return np.exp(-relative[:, None] * self.at(horizons)[None, :])

    def beyond_follow_up(self, horizons: Sequence[float]) -> list[float]:
        """The horizons after the reference follow-up (their survival is extrapolated, not estimated)."""
        return [float(h) for h in horizons if h > self.last_follow_up]

    def to_dict(self) -> dict:
        return {"times": self.times.tolist(), "cumulative_hazard": self.cumulative_hazard.tolist(), "offset": self.offset,
                "last_follow_up": self.last_follow_up, "fitted_on": self.fitted_on, "samples": self.samples,
                "events": self.events, "estimator": "Breslow"}

    @classmethod
    def from_dict(cls, payload: dict) -> "BaselineHazard":
        try:
            times = np.asarray(payload["times"], dtype=np.float64)
            hazard = np.asarray(payload["cumulative_hazard"], dtype=np.float64)
            result = cls(times, hazard, float(payload["offset"]), float(payload["last_follow_up"]),
                         str(payload["fitted_on"]), int(payload["samples"]), int(payload["events"]))
        except (KeyError, TypeError, ValueError) as error:
            raise MissmodalError(f"model.json: malformed survival baseline hazard ({error!r})") from None
        if (times.ndim != 1 or times.shape != hazard.shape or not np.isfinite(times).all() or not np.isfinite(hazard).all()
                or (np.diff(times) <= 0).any() or (np.diff(hazard) < 0).any() or (hazard < 0).any()):
            raise MissmodalError("model.json: the survival baseline hazard must be increasing, finite and non-negative")
        return result
