"""Survival evaluation of one subset of samples (overall, a combination group, head, tail, ...).

A survival model's evaluation scores are packed into one ``(n, 1 + H + K)`` matrix so that the
group-stratified report (:func:`missmodal.evaluate.group_report`) can subset them like any other scores:
column 0 the log-risk, then ``S_i(h)`` at the ``H`` horizons, then ``S_i(g)`` on the ``K`` grid times of the
integrated Brier score (:class:`SurvivalSpec` says which is which).

Metrics of a subset (:func:`survival_metrics`): ``events``, ``c_harrell``, ``c_uno``, ``auc_<h>`` and
``brier_<h>`` at each horizon, ``ibs`` over ``[0, tau]`` (``tau`` the last horizon inside the follow-up), each
with a percentile bootstrap interval ``<metric>_ci`` (:mod:`missmodal.evaluate.bootstrap`).
Censoring weights use the Kaplan–Meier censoring distribution of the whole evaluated set (``reference``),
assuming censoring independent of the group and the covariates. A subset without two events, or a horizon
without a case or a control, gets None ("too few to tell").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import MissmodalError
from . import survival as sm
from .bootstrap import bootstrap_intervals

IBS_GRID_POINTS = 50
MIN_EVENTS = 2


def metric_name(prefix: str, horizon: float) -> str:
    """``auc_365`` for ``("auc", 365.0)``."""
    return f"{prefix}_{horizon:g}"


@dataclass
class SurvivalSpec:
    """Horizons, the integrated-Brier grid and the censoring reference of a survival evaluation.

    ``horizons`` (H,): where AUROC, Brier and calibration are reported; ``grid`` (K,): ``linspace(0, tau, 50)``;
    ``reference``: the (time, event) of the evaluated set; ``n_boot``/``seed``: bootstrap replicates.
    """

    horizons: np.ndarray
    grid: np.ndarray
    reference: tuple[np.ndarray, np.ndarray]
    n_boot: int = 200
    seed: int = 0
    beyond: list[float] = field(default_factory=list)

    @classmethod
    def build(cls, time: np.ndarray, event: np.ndarray, horizons=None, n_boot: int = 200, seed: int = 0) -> "SurvivalSpec":
        """Horizons as given (default: the 25/50/75% quantiles of the event times); those at or after the last
        follow-up time are kept in ``beyond`` and get no metrics."""
        time, event = np.asarray(time, dtype=np.float64), np.asarray(event, dtype=bool)
        if not event.any():
            raise MissmodalError("the evaluation data hold no event: survival metrics need events")
        if horizons is None:
            horizons = np.unique(np.quantile(time[event], [0.25, 0.5, 0.75]).round())
        horizons = np.unique(np.asarray(horizons, dtype=np.float64))
        if (horizons <= 0).any() or not np.isfinite(horizons).all():
            raise MissmodalError(f"horizons must be finite and > 0, got {horizons.tolist()}")
        inside = horizons < time.max()
        if not inside.any():
            raise MissmodalError(f"every horizon {horizons.tolist()} is at or after the last follow-up time {time.max():g}")
        grid = np.linspace(0.0, horizons[inside].max(), IBS_GRID_POINTS)
        return cls(horizons[inside], grid, (time, event), n_boot, seed, [float(h) for h in horizons[~inside]])

    @property
    def times(self) -> np.ndarray:
        """Every time at which survival probabilities are needed: the horizons, then the grid."""
        return np.concatenate([self.horizons, self.grid])

    def to_dict(self) -> dict:
        return {"horizons": self.horizons.tolist(), "ibs_interval": [0.0, float(self.grid[-1])], "n_boot": self.n_boot,
                "seed": self.seed, "horizons_beyond_follow_up": self.beyond,
                "censoring": "Kaplan-Meier of the censoring times of the evaluated set (IPCW; assumes random censoring)"}


def _point(time, event, packed, spec: SurvivalSpec) -> dict[str, float | None]:
    """Point estimates of every metric on one (re)sample."""
    H = len(spec.horizons)
    risk, at_horizons, on_grid = packed[:, 0], packed[:, 1:1 + H], packed[:, 1 + H:]
    result: dict[str, float | None] = {"c_harrell": sm.harrell_c(time, event, risk),
                                       "c_uno": sm.uno_c(time, event, risk, spec.reference)}
    briers = sm.brier_scores(time, event, at_horizons, spec.horizons, spec.reference)
    for j, h in enumerate(spec.horizons):
        result[metric_name("auc", h)] = sm.cumulative_dynamic_auc(time, event, risk, h, spec.reference)
        result[metric_name("brier", h)] = float(briers[j])
    result["ibs"] = sm.integrated_brier_score(time, event, on_grid, spec.grid, spec.reference)
    return result


def survival_metrics(y_true: np.ndarray, packed: np.ndarray, spec: SurvivalSpec) -> dict:
    """``count``, ``events`` and the metrics of the module docstring with ``<metric>_ci`` intervals."""
    y_true = np.asarray(y_true, dtype=np.float64)
    time, event = y_true[:, 0], y_true[:, 1] > 0
    result: dict = {"count": int(len(time)), "events": int(event.sum())}
    if result["events"] < MIN_EVENTS or len(time) < 2:
        return result
    point = _point(time, event, packed, spec)
    intervals = bootstrap_intervals(
        lambda rows: None if event[rows].sum() < MIN_EVENTS else _point(time[rows], event[rows], packed[rows], spec),
        len(time), spec.n_boot, spec.seed)
    for key, value in point.items():
        result[key] = value
        result[f"{key}_ci"] = intervals.get(key) if value is not None and spec.n_boot else None
    return result


def kaplan_meier_curve(time: np.ndarray, event: np.ndarray) -> dict:
    """``{"count", "events", "times", "survival"}``: the Kaplan–Meier step function from time 0."""
    times, values = sm.kaplan_meier(time, event)
    return {"count": int(len(time)), "events": int(np.sum(event)), "times": [0.0, *times.tolist()],
            "survival": [1.0, *values.tolist()]}


def survival_sections(y_true: np.ndarray, packed: np.ndarray, observed: np.ndarray, modality_names, spec: SurvivalSpec) -> dict:
    """The report parts beyond the per-group metrics: ``survival`` (conventions), ``calibration`` at each
    horizon (overall), ``kaplan_meier`` curves overall and per combination group."""
    from ..data.groups import group_codes, group_name

    time, event = y_true[:, 0], y_true[:, 1] > 0
    calibration = [sm.calibration_at(time, event, packed[:, 1 + j], h) for j, h in enumerate(spec.horizons)]
    codes = group_codes(observed)
    curves = {"overall": kaplan_meier_curve(time, event)}
    for code in np.unique(codes):
        rows = codes == code
        curves[group_name(int(code), modality_names)] = kaplan_meier_curve(time[rows], event[rows])
    return {"survival": spec.to_dict(), "calibration": calibration, "kaplan_meier": curves}
