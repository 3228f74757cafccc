"""ICYM2I: how informative is each modality, naive (complete cases) vs corrected (inverse probability weighted).

The naive estimate trains and evaluates on the complete cases Ω_obs (samples with every modality under study
observed); it measures the complete-case population, which differs from the full one unless missingness is
MCAR. The corrected estimate weights each complete case by ``w = P(complete) / P̂(complete | C)`` in training
*and* in evaluation (double IPW), which recovers the full-population value under MAR (given the
always-observed variables C) and positivity. Both are always computed side by side on the same complete
cases, the same folds and the same bootstrap resamples.
"""

from __future__ import annotations

import time
from itertools import combinations
from typing import Any, Callable, Sequence

import numpy as np

from ..data.multimodal import MultimodalData
from ..errors import InsufficientDataError, MissmodalError
from .metrics import bootstrap_counts, cross_fitted_metrics, percentile_interval
from ._threads import single_threaded
from .pid import PID, BatchPID, alphabet_size, discrete_pid
from .predictors import PREDICTORS, cross_fitted_proba
from .propensity import PropensityModel, always_observed_features, ipw_weights, weight_diagnostics

VARIANTS = ("naive", "corrected")
REPORTED_METRICS = ("auroc", "auprc", "accuracy", "cross_entropy", "information_bits")
PID_METHODS = ("auto", "exact", "batch")
SEPARATOR = "+"
#: ``pid_method="auto"`` solves the exact program only up to this many cells ``k1 * k2 * ky`` (it is
#: re-solved for every bootstrap resample, and its cost grows steeply with the table).
MAX_AUTO_EXACT_CELLS = 64


def subset_name(names: Sequence[str], order: Sequence[str]) -> str:
    """``"a+b"``: the names in modality order joined by ``+``."""
    return SEPARATOR.join(n for n in order if n in set(names))


def parse_subset(name: str | Sequence[str], order: Sequence[str]) -> list[str]:
    """Modality names of a subset given as ``"a+b"`` or a list, checked against ``order``."""
    names = name.split(SEPARATOR) if isinstance(name, str) else list(name)
    for n in names:
        if n not in order:
            raise MissmodalError(f"unknown modality {n!r} in subset {name!r}; modalities under study: {list(order)}")
    if not names or len(set(names)) != len(names):
        raise MissmodalError(f"subset {name!r} must name distinct modalities")
    return [n for n in order if n in names]


def default_subsets(names: Sequence[str]) -> list[list[str]]:
    """Each single modality, each leave-one-out set, and the full set (without duplicates)."""
    subsets = [[n] for n in names] + [list(c) for c in combinations(names, len(names) - 1) if len(names) > 2]
    return subsets + [list(names)] if len(names) > 1 else subsets


class Informativeness:
    """Naive and IPW-corrected informativeness of modalities, their gains, a PID, with bootstrap intervals.

    For each modality subset S (every single modality, every leave-one-out set, the full set, the sets of
    ``pair`` and any in ``subsets``) a predictor of Y from X_S is cross-fitted on the complete cases
    (weighted for the corrected estimate) and its out-of-fold probabilities are scored with the same
    weights: AUROC, AUPRC, accuracy, cross-entropy and ``I(Y; X_S) ≈ H(Y) - CE`` in bits. The gain of
    modality m is ``I(Y; X_all) - I(Y; X_all∖m)``. With ``pair=(A, B)`` the PID of I(Y; X_A, X_B) is added
    (exact BROJA for small alphabets, else the batch estimator, with the IPW weights as sample masses).
    Intervals are percentile bootstrap intervals over resampled complete cases (the same resamples for
    every subset and both estimates); they reflect evaluation sampling, with predictors and propensities
    held fixed.

    Parameters
    ----------
    modalities : sequence of str, optional
        Modalities under study (default: all). A sample is complete when all of them are observed.
    subsets : sequence of str or sequence, optional
        Extra subsets to score (``"a+b"`` or ``["a", "b"]``).
    pair : (subset, subset), optional
        Two disjoint modality subsets to decompose.
    propensity : {"logistic", "boosting"}
    propensity_features : sequence of str, optional
        Always-observed modalities and covariates for the propensity (default: all of them).
    clip : (float, float)
        Propensity clipping bounds.
    predictor : str
        A name in :data:`~missmodal.informativeness.predictors.PREDICTORS` (``logistic``, ``mlp``).
    n_folds : int
        Cross-fitting folds.
    n_bootstrap : int
        Bootstrap resamples (0: no intervals).
    pid_method : {"auto", "exact", "batch"}
        ``auto``: exact when both sides take at most ``max_alphabet`` distinct values and the table has at
        most ``MAX_AUTO_EXACT_CELLS`` cells, else batch; ``exact`` requires discrete sides.
    max_alphabet : int
        Subsets with at most this many distinct rows are one-hot encoded by their joint value (so every
        predictor is saturated on them) and count as discrete for the PID.
    batch_pid : dict, optional
        Parameters of :class:`~missmodal.informativeness.pid.BatchPID`.
    seed : int
    progress : callable, optional
        Called with a short message before each step.

    Attributes
    ----------
    complete_ : ndarray of shape (n,), bool
    weights_ : ndarray of shape (n_complete,) or None
        IPW weights of the complete cases (mean 1); None when the correction cannot apply.
    correction_ : dict
        ``status`` ("applied", "not needed" or "not applicable") and a ``message``.
    estimates_ : dict
        ``estimates_[variant][subset][metric]`` is an array ``(1 + n_bootstrap,)``: estimate, then replicates.
    pid_ : dict
        ``pid_[variant]`` is an array ``(1 + n_bootstrap, 5)`` of ``[U_A, U_B, R, S, total]`` (when ``pair``).

    Examples
    --------
    >>> from missmodal.data import load_dataset, simulate_missingness
    >>> data = load_dataset("logic", gate="xor", n_samples=2000)
    >>> p = np.c_[np.ones(2000), 0.2 + 0.6 * data.modalities["x1"][:, 0]]
    >>> data = simulate_missingness(data, "custom", p_observed=p, seed=0)
    >>> report = Informativeness(pair=("x1", "x2"), n_bootstrap=20).fit(data).to_dict()
    >>> round(report["corrected"]["pid"]["synergy"], 1)
    1.0
    """

    def __init__(self, modalities: Sequence[str] | None = None, subsets: Sequence[Any] = (), pair: Sequence[Any] | None = None,
                 propensity: str = "logistic", propensity_features: Sequence[str] | None = None,
                 clip: tuple[float, float] = (0.05, 0.95), predictor: str = "logistic", n_folds: int = 3,
                 n_bootstrap: int = 200, pid_method: str = "auto", max_alphabet: int = 16,
                 batch_pid: dict | None = None, seed: int = 0, progress: Callable[[str], None] | None = None):
        self.modalities = modalities
        self.subsets = subsets
        self.pair = pair
        self.propensity = propensity
        self.propensity_features = propensity_features
        self.clip = clip
        self.predictor = predictor
        self.n_folds = n_folds
        self.n_bootstrap = n_bootstrap
        self.pid_method = pid_method
        self.max_alphabet = max_alphabet
        self.batch_pid = batch_pid
        self.seed = seed
        self.progress = progress

    # --- set-up ---------------------------------------------------------------------------------------
    def _say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)

    def _check(self, data: MultimodalData) -> None:
        if data.target is None or data.task not in ("binary", "multiclass"):
            raise MissmodalError(f"informativeness needs a binary or multi-class target, got task {data.task!r}")
        PREDICTORS.get(self.predictor)
        if self.pid_method not in PID_METHODS:
            raise MissmodalError(f"pid_method must be one of {PID_METHODS}, got {self.pid_method!r}")
        if self.n_bootstrap < 0 or self.n_folds < 2:
            raise MissmodalError(f"n_bootstrap must be >= 0 and n_folds >= 2, got {self.n_bootstrap} and {self.n_folds}")

    def _plan_subsets(self) -> list[str]:
        order = self.modalities_
        planned = default_subsets(order) + [parse_subset(s, order) for s in self.subsets]
        if self.pair is not None:
            if len(self.pair) != 2:
                raise MissmodalError(f"pair must name two modality subsets, got {self.pair!r}")
            a, b = (parse_subset(s, order) for s in self.pair)
            if set(a) & set(b):
                raise MissmodalError(f"the two sides of pair must be disjoint, got {self.pair!r}")
            self.pair_ = (subset_name(a, order), subset_name(b, order))
            planned += [a, b, a + b]
        names = []
        for subset in planned:
            name = subset_name(subset, order)
            if name not in names:
                names.append(name)
        return names

    def _design(self, data: MultimodalData, name: str) -> np.ndarray:
        """Features of subset ``name`` on the complete cases: raw, or one-hot joint codes when discrete."""
        x = np.hstack([data.modalities[m][self.complete_] for m in name.split(SEPARATOR)])
        _, codes = np.unique(x, axis=0, return_inverse=True)
        codes = codes.reshape(-1)
        if codes.max() + 1 <= self.max_alphabet:
            return np.eye(codes.max() + 1, dtype=np.float32)[codes]
        return x

    def _fit_weights(self, data: MultimodalData) -> None:
        if self.complete_.all():
            self.weights_ = np.ones(int(self.complete_.sum()))
            self.correction_ = {"status": "not needed", "message": "every modality under study is observed in every "
                                "sample: there is no missingness to correct, corrected = naive"}
            self.diagnostics_ = {"propensity": None}
            return
        features, feature_names = always_observed_features(data, self.propensity_features)
        if features.shape[1] == 0:
            self.weights_ = None
            self.correction_ = {"status": "not applicable", "message": "no covariate or modality is observed in every "
                                "sample, so P(complete | C) cannot be modelled: the correction cannot apply and only the "
                                "naive estimate is reported, which is unbiased only under MCAR"}
            self.diagnostics_ = {"propensity": None}
            return
        self._say(f"propensity ({self.propensity}) of complete cases from {', '.join(feature_names)}")
        start = time.perf_counter()
        model = PropensityModel(self.propensity, clip=self.clip, seed=self.seed).fit(features, self.complete_)
        raw = model.predict_proba(features, clipped=False)
        self.propensity_model_ = model
        self.weights_ = ipw_weights(np.clip(raw, *self.clip), self.complete_)
        diagnostics = weight_diagnostics(self.weights_, raw, self.complete_, self.clip, model.validation_auroc_)
        self.diagnostics_ = {"propensity": {"method": self.propensity, "features": feature_names, "C": model.C_, **diagnostics}}
        self.timings_["propensity"] = time.perf_counter() - start
        self.correction_ = {"status": "applied", "message": "inverse probability weighting of complete cases (MAR given "
                            f"{', '.join(feature_names)}; positivity assumed)"}
        if diagnostics["positivity_warning"]:
            self.correction_["warning"] = diagnostics["positivity_warning"]

    # --- estimation -----------------------------------------------------------------------------------
    def fit(self, data: MultimodalData) -> "Informativeness":
        """Estimate everything on ``data`` (a :class:`~missmodal.data.MultimodalData` with a class target)."""
        with single_threaded():
            return self._fit(data)

    def _fit(self, data: MultimodalData) -> "Informativeness":
        self._check(data)
        self.modalities_ = [data.modality_names[data.modality_index(n)] for n in (self.modalities or data.modality_names)]
        self.pair_ = None
        self.subsets_ = self._plan_subsets()
        self.complete_ = data.observed[:, [data.modality_index(n) for n in self.modalities_]].all(axis=1)
        n_complete = int(self.complete_.sum())
        self.classes_, y = np.unique(data.target[self.complete_], return_inverse=True)
        if n_complete and len(self.classes_) < 2:
            raise InsufficientDataError(f"the {n_complete} samples with all of {'+'.join(self.modalities_)} observed all have "
                                        f"target {self.classes_[0]!r}: informativeness needs at least two classes")
        smallest_class = int(np.bincount(y).min()) if n_complete else 0
        if n_complete < 10 * self.n_folds or smallest_class < self.n_folds:
            raise InsufficientDataError(
                f"only {n_complete} of {data.n_samples} samples have all of {'+'.join(self.modalities_)} observed "
                f"({len(self.classes_)} classes, the smallest with {smallest_class}): too few complete cases to estimate "
                f"informativeness (need at least {10 * self.n_folds}, and {self.n_folds} per class); study fewer "
                "modalities (--modalities, or modalities=[...] in Python)")
        self.timings_: dict[str, float] = {}
        self._fit_weights(data)
        counts = bootstrap_counts(n_complete, self.n_bootstrap, self.seed)
        sample_weights = {"naive": None, "corrected": self.weights_}
        variants = ["naive"] if self.correction_["status"] != "applied" else list(VARIANTS)
        designs = {name: self._design(data, name) for name in self.subsets_}
        self.estimates_, self.proba_, self.pid_ = {}, {}, {}
        for variant in variants:
            start = time.perf_counter()
            weight = sample_weights[variant]
            matrix = counts if weight is None else counts * weight
            self.estimates_[variant], self.proba_[variant] = {}, {}
            for name in self.subsets_:
                self._say(f"{variant}: {self.predictor} on {name}")
                proba, folds = cross_fitted_proba(designs[name], y, weight, self.predictor, self.n_folds, self.seed,
                                                  len(self.classes_))
                self.proba_[variant][name] = proba
                self.estimates_[variant][name] = cross_fitted_metrics(y, proba, matrix, folds)
            self.timings_[variant] = time.perf_counter() - start
            if self.pair_ is not None:
                start = time.perf_counter()
                self._say(f"{variant}: PID of {self.pair_[0]} and {self.pair_[1]}")
                self.pid_[variant] = self._pid(designs, data, y, weight, matrix, variant)
                self.timings_[f"pid_{variant}"] = time.perf_counter() - start
        if self.correction_["status"] == "not needed":
            self.estimates_["corrected"], self.proba_["corrected"] = self.estimates_["naive"], self.proba_["naive"]
            if self.pair_ is not None:
                self.pid_["corrected"] = self.pid_["naive"]
        return self

    def _pid(self, designs, data, y, weight, matrix, variant) -> np.ndarray:
        """``(1 + n_bootstrap, 5)`` PID terms for one variant."""
        a, b = self.pair_
        raw = [np.hstack([data.modalities[m][self.complete_] for m in side.split(SEPARATOR)]) for side in (a, b)]
        sizes = (alphabet_size(raw[0]), alphabet_size(raw[1]))
        discrete = max(sizes) <= self.max_alphabet
        if self.pid_method == "exact" and not discrete:
            raise MissmodalError(f"pid_method='exact' needs discrete sides with at most max_alphabet={self.max_alphabet} "
                                 f"distinct values; {a!r} has {alphabet_size(raw[0])}, {b!r} has {alphabet_size(raw[1])}")
        small = sizes[0] * sizes[1] * len(self.classes_) <= MAX_AUTO_EXACT_CELLS
        self.pid_estimator_ = "exact" if self.pid_method == "exact" or (self.pid_method == "auto" and discrete and small) else "batch"
        if self.pid_estimator_ == "exact":
            return np.array([discrete_pid(raw[0], raw[1], y, row).as_array() for row in matrix])
        probas = self.proba_[variant]
        joint = subset_name(a.split(SEPARATOR) + b.split(SEPARATOR), self.modalities_)
        estimator = BatchPID(**{"seed": self.seed, **(self.batch_pid or {})})
        estimator.fit(raw[0], raw[1], probas[a], probas[b], probas[joint], weight)
        replicates = estimator.bootstrap(self.n_bootstrap, self.seed) if self.n_bootstrap else np.zeros((0, 5))
        return np.vstack([estimator.pid_.as_array()[None, :], replicates])

    # --- results --------------------------------------------------------------------------------------
    def gains(self, variant: str) -> dict[str, np.ndarray]:
        """``gain[m] = I(Y; X_all) - I(Y; X_all∖m)`` per modality, arrays ``(1 + n_bootstrap,)`` (bits)."""
        if len(self.modalities_) < 2:
            return {}
        info = {name: values["information_bits"] for name, values in self.estimates_[variant].items()}
        full = info[subset_name(self.modalities_, self.modalities_)]
        return {m: full - info[subset_name([n for n in self.modalities_ if n != m], self.modalities_)] for m in self.modalities_}

    def _variant_dict(self, variant: str) -> tuple[dict, dict]:
        estimates = self.estimates_[variant]
        point = {metric: {name: float(values[metric][0]) for name, values in estimates.items()} for metric in REPORTED_METRICS}
        intervals = {metric: {name: percentile_interval(values[metric][1:]) for name, values in estimates.items()}
                     for metric in REPORTED_METRICS}
        gains = self.gains(variant)
        point["gain_bits"] = {m: float(g[0]) for m, g in gains.items()}
        intervals["gain_bits"] = {m: percentile_interval(g[1:]) for m, g in gains.items()}
        point["label_entropy_bits"] = float(next(iter(estimates.values()))["entropy"][0])
        if self.pair_ is not None:
            terms = self.pid_[variant]
            names = ("unique_a", "unique_b", "redundancy", "synergy", "total")
            point["pid"] = PID(*map(float, terms[0, :4])).to_dict(*self.pair_)
            bounds = {k: percentile_interval(terms[1:, j]) for j, k in enumerate(names)}
            intervals["pid"] = {"unique": {self.pair_[0]: bounds["unique_a"], self.pair_[1]: bounds["unique_b"]},
                                **{k: bounds[k] for k in names[2:]}}
        return point, intervals

    def ranking(self) -> list[dict]:
        """Modalities by decreasing gain (corrected when available, else naive), with intervals."""
        variant = "corrected" if "corrected" in self.estimates_ else "naive"
        gains = self.gains(variant)
        naive = self.gains("naive")
        rows = [{"modality": m, "gain_bits": float(g[0]), "interval": percentile_interval(g[1:]),
                 "naive_gain_bits": float(naive[m][0]), "naive_interval": percentile_interval(naive[m][1:])}
                for m, g in gains.items()]
        rows.sort(key=lambda row: -row["gain_bits"])
        for rank, row in enumerate(rows, 1):
            row["rank"] = rank
        return rows

    def to_dict(self) -> dict:
        """The report: ``naive``, ``corrected`` (None when the correction cannot apply), ``intervals``,
        ``ranking``, ``correction``, ``diagnostics`` and ``settings``; information in bits."""
        naive, naive_intervals = self._variant_dict("naive")
        corrected, corrected_intervals = self._variant_dict("corrected") if "corrected" in self.estimates_ else (None, None)
        diagnostics = {**self.diagnostics_, "n_samples": int(self.complete_.size), "n_complete": int(self.complete_.sum()),
                       "classes": self.classes_.tolist(), "timings_s": {k: round(v, 3) for k, v in self.timings_.items()}}
        if self.pair_ is not None:
            diagnostics["pid_estimator"] = self.pid_estimator_
        return {
            "modalities": list(self.modalities_),
            "subsets": list(self.subsets_),
            "pair": list(self.pair_) if self.pair_ else None,
            "correction": dict(self.correction_),
            "naive": naive,
            "corrected": corrected,
            "intervals": {"level": 0.95, "n_bootstrap": self.n_bootstrap, "naive": naive_intervals, "corrected": corrected_intervals},
            "ranking": self.ranking(),
            "diagnostics": diagnostics,
            "settings": {"predictor": self.predictor, "propensity": self.propensity, "clip": list(self.clip),
                         "n_folds": self.n_folds, "pid_method": self.pid_method, "seed": self.seed,
                         "units": {"information_bits": "bits", "gain_bits": "bits", "cross_entropy": "bits", "pid": "bits"}},
        }


def informativeness_report(data: MultimodalData, pair: Sequence[Any] | None = None, predictor: str = "logistic",
                           bootstrap: int = 200, seed: int = 0, **params: Any) -> dict:
    """Naive vs corrected informativeness of ``data``'s modalities as a JSON-ready dict (what the CLI writes).

    ``params`` are further :class:`Informativeness` parameters (``modalities``, ``propensity_features``,
    ``propensity``, ``clip``, ``n_folds``, ``pid_method``, ``progress``, ...).
    """
    return Informativeness(pair=pair, predictor=predictor, n_bootstrap=bootstrap, seed=seed, **params).fit(data).to_dict()
