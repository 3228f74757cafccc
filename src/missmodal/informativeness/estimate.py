"""ICYM2I: how informative is each modality: naive (complete cases), corrected (IPW) and dr (available cases).

The naive estimate trains and evaluates on the complete cases Ω_obs (samples with every modality under study
observed); it measures the complete-case population, which differs from the full one unless missingness is
MCAR. The corrected estimate (the paper's) weights each complete case by ``w = P(complete) / P̂(complete | C)``
in training *and* in evaluation (double IPW), which recovers the full-population value under MAR (given the
always-observed variables C) and positivity. The ``dr`` estimate scores each subset on every sample where
that subset is observed, weighted by ``1 / P̂(subset observed | C)`` and augmented by an outcome model
(:mod:`~missmodal.informativeness.doubly_robust`). All three are computed on the same folds, and the
intervals come from the same bootstrap resamples of the cohort.
"""

from __future__ import annotations

import copy
import time
from itertools import combinations
from typing import Any, Callable, Sequence

import numpy as np

from ..data.multimodal import MultimodalData
from ..errors import InsufficientDataError, MissmodalError
from ._threads import single_threaded
from .assumptions import assumption_warnings, stratum_positivity
from .doubly_robust import doubly_robust_metrics
from .metrics import METRICS, bias_corrected, cross_fitted_metrics, percentile_interval
from .pid import PID, BatchPID, alphabet_size, discrete_pid
from .predictors import MIN_FOLDS, PREDICTORS, cross_fitted_proba
from .conditioning import conditioning
from .predictability import mechanism_table, predictability
from .propensity import PropensityModel, ipw_weights, weight_diagnostics
from .sensitivity import DEFAULT_DELTAS, outcome_score, sensitivity_analysis

VARIANTS = ("naive", "corrected", "dr")
REPORTED_METRICS = ("auroc", "auprc", "accuracy", "cross_entropy", "information_bits")
PID_METHODS = ("auto", "exact", "batch")
INTERVAL_METHODS = {
    "refit": "bias-corrected (BC) percentile bootstrap over the samples of the cohort, propensity models and predictors "
             "refitted in every resample; estimates median-bias-corrected the same way (the plug-in values under plug_in)",
    "fixed": "percentile bootstrap over evaluation samples with the propensity models and predictors held fixed "
             "(faster; under-covers, as it ignores their fitting variability)",
}
SEPARATOR = "+"
#: ``pid_method="auto"`` solves the exact program only up to this many cells ``k1 * k2 * ky`` (it is
#: re-solved for every bootstrap resample, and its cost grows with the table).
MAX_AUTO_EXACT_CELLS = 64
#: Fewer samples than this having (or missing) a subset: its dr propensity is the constant observed share.
MIN_PROPENSITY_CLASS = 10
#: Fewest complete cases for the naive and corrected estimates (ten per fold at the fewest folds).
MIN_COMPLETE_CASES = 10 * MIN_FOLDS


def _complete_case_problem(y_complete: np.ndarray, n_classes: int, modalities: Sequence[str]) -> str | None:
    """Why the complete cases (labels ``y_complete``) cannot carry the naive and corrected estimates; None if
    they can (at least ``MIN_COMPLETE_CASES`` of them, two classes, ``MIN_FOLDS`` samples per class)."""
    counts = np.bincount(y_complete, minlength=n_classes)
    present = counts[counts > 0]
    smallest = int(present.min()) if present.size else 0
    if y_complete.size < MIN_COMPLETE_CASES or present.size < 2 or smallest < MIN_FOLDS:
        return (f"only {y_complete.size} samples have all of {'+'.join(modalities)} observed ({present.size} classes, "
                f"the smallest with {smallest}); complete-case estimates need at least {MIN_COMPLETE_CASES}, two classes "
                f"and {MIN_FOLDS} per class; the dr estimate uses each subset's own samples")
    return None


def _refused_metrics(n_rows: int) -> dict[str, np.ndarray]:
    """NaN metrics (``(n_rows,)`` each) of a subset that could not be estimated."""
    return {metric: np.full(n_rows, np.nan) for metric in METRICS}


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


def gains_from(information: dict, modalities: Sequence[str]) -> dict:
    """``gain[m] = I(Y; X_all) - I(Y; X_all∖m)`` from per-subset information (numbers or arrays)."""
    if len(modalities) < 2:
        return {}
    full = information[subset_name(modalities, modalities)]
    return {m: full - information[subset_name([n for n in modalities if n != m], modalities)] for m in modalities}


class Informativeness:
    """Naive, IPW-corrected and doubly robust informativeness of modalities, their gains, a PID, with intervals.

    For each modality subset S (every single modality, every leave-one-out set, the full set, the sets of
    ``pair`` and any in ``subsets``) a predictor of Y from X_S is cross-fitted and its out-of-fold
    probabilities are scored: AUROC, AUPRC, accuracy, cross-entropy and ``I(Y; X_S) ≈ H(Y) - CE`` in bits.
    ``naive``: complete cases, unweighted. ``corrected``: complete cases, weighted by the inverse propensity
    of being complete (training and evaluation). ``dr``: the samples where S is observed, weighted by the
    inverse propensity of S being observed, with the augmented (doubly robust) mean for the cross-entropy and
    the accuracy (see :mod:`~missmodal.informativeness.doubly_robust`). The gain of modality m is
    ``I(Y; X_all) - I(Y; X_all∖m)``. With ``pair=(A, B)`` the PID of I(Y; X_A, X_B) is added for naive and
    corrected (exact BROJA for small alphabets, else the batch estimator, with the IPW weights as masses).

    Intervals are percentile bootstrap intervals over resamples of the whole cohort. With
    ``interval="refit"`` (default) every resample refits the propensity models and the predictors (the
    resample enters as frequency weights; cross-fitting folds split distinct samples, so a duplicated sample
    never sits in a training and a test fold at once); ``"fixed"`` keeps the fitted models and resamples
    the evaluation only (faster; under-covers).

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
    propensity_params : dict, optional
        Further :class:`~missmodal.informativeness.propensity.PropensityModel` parameters (e.g. ``Cs``).
    clip : (float, float)
        Propensity clipping bounds.
    predictor : str
        A name in :data:`~missmodal.informativeness.predictors.PREDICTORS` (``logistic``, ``mlp``, ``frequency``).
    n_folds : int
        Cross-fitting folds (lowered, to at least 2, where a subset's smallest class has fewer samples).
    n_repeats : int
        Cross-fitting repeated on this many differently seeded splits, out-of-fold probabilities averaged
        (:func:`~missmodal.informativeness.predictors.cross_fitted_proba`), so that an estimate does not rest on one split.
    n_bootstrap : int
        Bootstrap resamples (0: no intervals).
    interval : {"refit", "fixed"}
    n_jobs : int
        Processes for the refitted resamples (-1: all cores); each fit runs on one thread.
    pid_method : {"auto", "exact", "batch"}
        ``auto``: exact when both sides take at most ``max_alphabet`` distinct values and the table has at
        most ``MAX_AUTO_EXACT_CELLS`` cells, else batch; ``exact`` requires discrete sides.
    max_alphabet : int
        Subsets with at most this many distinct rows are one-hot encoded by their joint value (so every
        predictor is saturated on them) and count as discrete for the PID.
    batch_pid : dict, optional
        Parameters of :class:`~missmodal.informativeness.pid.BatchPID`.
    sensitivity : bool
        Add the MNAR sensitivity analysis (:mod:`~missmodal.informativeness.sensitivity`).
    sensitivity_deltas : sequence of float
        Its grid of log-odds departures δ.
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
        ``estimates_[variant][subset][metric]`` is an array ``(1 + n_bootstrap,)``: estimate, then replicates
        (NaN for a resample that could not be estimated, e.g. a class left with too few complete cases).
    pid_ : dict
        ``pid_[variant]`` is an array ``(1 + n_bootstrap, 5)`` of ``[U_A, U_B, R, S, total]`` (when ``pair``).
    warnings_ : list of str
    sensitivity_ : dict or None

    Examples
    --------
    >>> from missmodal.data import load_dataset, simulate_missingness
    >>> data = load_dataset("logic", gate="xor", n_samples=2000)
    >>> p = np.c_[np.ones(2000), 0.2 + 0.6 * data.modalities["x1"][:, 0]]
    >>> data = simulate_missingness(data, "custom", p_observed=p, seed=0)
    >>> report = Informativeness(pair=("x1", "x2"), n_bootstrap=20, interval="fixed").fit(data).to_dict()
    >>> round(report["corrected"]["pid"]["synergy"], 1)
    1.0
    """

    def __init__(self, modalities: Sequence[str] | None = None, subsets: Sequence[Any] = (), pair: Sequence[Any] | None = None,
                 propensity: str = "logistic", propensity_features: Sequence[str] | None = None,
                 propensity_params: dict | None = None, clip: tuple[float, float] = (0.05, 0.95),
                 predictor: str = "logistic", n_folds: int = 3, n_repeats: int = 3, n_bootstrap: int = 200,
                 interval: str = "refit",
                 n_jobs: int = 1, pid_method: str = "auto", max_alphabet: int = 16, batch_pid: dict | None = None,
                 sensitivity: bool = False, sensitivity_deltas: Sequence[float] = DEFAULT_DELTAS, seed: int = 0,
                 progress: Callable[[str], None] | None = None):
        self.modalities = modalities
        self.subsets = subsets
        self.pair = pair
        self.propensity = propensity
        self.propensity_features = propensity_features
        self.propensity_params = propensity_params
        self.clip = clip
        self.predictor = predictor
        self.n_folds = n_folds
        self.n_repeats = n_repeats
        self.n_bootstrap = n_bootstrap
        self.interval = interval
        self.n_jobs = n_jobs
        self.pid_method = pid_method
        self.max_alphabet = max_alphabet
        self.batch_pid = batch_pid
        self.sensitivity = sensitivity
        self.sensitivity_deltas = sensitivity_deltas
        self.seed = seed
        self.progress = progress

    # --- set-up ---------------------------------------------------------------------------------------
    def _say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)

    def _check(self, data: MultimodalData) -> None:
        if data.task == "survival":
            raise MissmodalError("informativeness does not support survival (time-to-event) targets yet: it estimates "
                                 "I(Y; X) for class labels; use a binary outcome at a fixed horizon, or evaluate models "
                                 "per combination group with missmodal evaluate")
        if data.target is None or data.task not in ("binary", "multiclass"):
            raise MissmodalError(f"informativeness needs a binary or multi-class target, got task {data.task!r}")
        PREDICTORS.get(self.predictor)
        if self.pid_method not in PID_METHODS:
            raise MissmodalError(f"pid_method must be one of {PID_METHODS}, got {self.pid_method!r}")
        if self.interval not in INTERVAL_METHODS:
            raise MissmodalError(f"interval must be one of {sorted(INTERVAL_METHODS)}, got {self.interval!r}")
        if self.n_bootstrap < 0 or self.n_folds < 2 or self.n_repeats < 1:
            raise MissmodalError(f"n_bootstrap must be >= 0, n_folds >= 2 and n_repeats >= 1, got {self.n_bootstrap}, "
                                 f"{self.n_folds} and {self.n_repeats}")

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

    def _observed(self, data: MultimodalData, name: str) -> np.ndarray:
        """(n,) bool: every modality of subset ``name`` observed."""
        return data.observed[:, [data.modality_index(m) for m in name.split(SEPARATOR)]].all(axis=1)

    def _design(self, data: MultimodalData, name: str, rows: np.ndarray) -> np.ndarray:
        """Features of subset ``name`` on ``rows`` (bool): raw, or one-hot joint codes when discrete."""
        if not rows.any():
            raise InsufficientDataError(f"no sample has all of {name} observed")
        x = np.hstack([data.modalities[m][rows] for m in name.split(SEPARATOR)])
        _, codes = np.unique(x, axis=0, return_inverse=True)
        codes = codes.reshape(-1)
        if codes.max() + 1 <= self.max_alphabet:
            return np.eye(codes.max() + 1, dtype=np.float32)[codes]
        return x

    def _correction_status(self, data: MultimodalData) -> None:
        """``correction_`` and the always-observed features (``features_``) of the propensity models."""
        self.features_, self.feature_names_ = np.zeros((data.n_samples, 0)), []
        self.conditioning_ = None
        if self.complete_.all():
            self.correction_ = {"status": "not needed", "message": "every modality under study is observed in every "
                                "sample: there is no missingness to correct, corrected = dr = naive"}
            return
        outside = [m for m in data.modality_names if m not in self.modalities_]
        self.conditioning_ = conditioning(data, outside=outside, names=self.propensity_features)
        self.features_, self.feature_names_ = self.conditioning_.features, self.conditioning_.names
        if self.features_.shape[1] == 0:
            self.correction_ = {"status": "not applicable", "message": "no covariate or modality is observed in every "
                                "sample, so P(complete | C) cannot be modelled: the correction cannot apply; the naive "
                                "(complete cases) and dr (each subset on the samples where it is observed, unweighted) "
                                "estimates are reported, both unbiased only under MCAR"}
            return
        self.correction_ = {"status": "applied", "message": "inverse probability weighting of complete cases (corrected) "
                            "and of the samples where each subset is observed (dr), MAR given "
                            f"{'; '.join(self.conditioning_.variables)} (only values observed; no filled-in value); "
                            "positivity checked below"}

    # --- one estimate (the point estimate, or one resample) ---------------------------------------------
    def _propensity_model(self) -> PropensityModel:
        return PropensityModel(self.propensity, clip=self.clip, seed=self.seed, **(self.propensity_params or {}))

    def _run(self, data: MultimodalData, y: np.ndarray, features: np.ndarray, frequency: np.ndarray,
             evaluation: np.ndarray) -> dict:
        """Every estimate for samples with multiplicities ``frequency`` (n,) (all > 0), scored with the rows of
        ``evaluation`` (R, n); returns ``estimates``, ``pid``, ``proba``, ``folds``, ``propensity``, ``dr_info``
        and ``refused`` (``{variant: {subset: reason}}``: what could not be estimated here, and why; the
        estimates of a refused subset are NaN)."""
        complete = data.observed[:, self.modality_columns_].all(axis=1)
        n_classes = len(self.classes_)
        unit = bool((frequency == 1).all())
        run = {"estimates": {}, "pid": {}, "proba": {}, "folds": {}, "propensity": None, "dr_info": {},
               "refused": {v: {} for v in VARIANTS}}
        status = self.correction_["status"]
        weights, propensities = None, {}
        y_cc = y[complete]
        complete_case_problem = _complete_case_problem(y_cc, n_classes, self.modalities_)
        variants = ["naive"]
        if status == "applied":
            variants.append("corrected")
            if complete_case_problem is None:
                try:
                    model = self._propensity_model().fit(features, complete, frequency)
                except InsufficientDataError as error:
                    run["refused"]["corrected"] = {name: f"no propensity of being complete: {error}" for name in self.subsets_}
                else:
                    raw = model.predict_proba(features, clipped=False)
                    weights = ipw_weights(np.clip(raw, *self.clip), complete, frequency)
                    run["propensity"] = {"model": model, "raw": raw, "weights": weights}
                    propensities[complete.tobytes()] = np.clip(raw, *self.clip)
        designs = {name: self._design(data, name, complete) for name in self.subsets_} if complete.any() else {}
        for variant in variants:
            run["estimates"][variant], run["proba"][variant], run["folds"][variant] = {}, {}, {}
            if complete_case_problem is not None:
                run["refused"][variant] = {name: complete_case_problem for name in self.subsets_}
            for name in self.subsets_:
                if name in run["refused"][variant]:
                    run["estimates"][variant][name] = _refused_metrics(len(evaluation))
                    continue
                w = np.ones(int(complete.sum())) if variant == "naive" else weights
                train = None if variant == "naive" and unit else frequency[complete] * w
                matrix = evaluation[:, complete] * w
                self._say(f"{variant}: {self.predictor} on {name}")
                proba, folds = cross_fitted_proba(designs[name], y_cc, train, self.predictor, self.n_folds, self.seed,
                                                  n_classes, self.n_repeats)
                run["proba"][variant][name], run["folds"][variant][name] = proba, folds
                run["estimates"][variant][name] = cross_fitted_metrics(y_cc, proba, matrix, folds)
            if self.pair_ is not None and not run["refused"][variant]:
                self._say(f"{variant}: PID of {self.pair_[0]} and {self.pair_[1]}")
                w = np.ones(int(complete.sum())) if variant == "naive" else weights
                train = None if variant == "naive" and unit else frequency[complete] * w
                run["pid"][variant] = self._pid(designs, data, complete, y_cc, train, evaluation[:, complete] * w,
                                                run["proba"][variant])
        if status in ("applied", "not applicable"):  # without conditioning variables: available cases, MCAR
            run["estimates"]["dr"] = {}
            for name in self.subsets_:
                self._say(f"dr: {self.predictor} on {name}")
                observed = self._observed(data, name)
                try:
                    run["estimates"]["dr"][name], run["dr_info"][name] = doubly_robust_metrics(
                        self._design(data, name, observed), y, observed,
                        self._subset_propensity(observed, features, frequency, propensities),
                        features, frequency, evaluation, self.predictor, self.n_folds, self.seed, n_classes, self.n_repeats)
                except InsufficientDataError as error:
                    run["refused"]["dr"][name] = f"{int(observed.sum())} samples have {name} observed: {error}"
                    run["estimates"]["dr"][name] = _refused_metrics(len(evaluation))
        elif status == "not needed":
            for variant in ("corrected", "dr"):
                run["estimates"][variant], run["proba"][variant] = run["estimates"]["naive"], run["proba"]["naive"]
                run["folds"][variant], run["refused"][variant] = run["folds"]["naive"], run["refused"]["naive"]
            if "naive" in run["pid"]:
                run["pid"]["corrected"] = run["pid"]["naive"]
        return run

    def _subset_propensity(self, observed: np.ndarray, features: np.ndarray, frequency: np.ndarray,
                           cache: dict) -> np.ndarray | None:
        """Clipped P̂(subset observed | C) (n,), fitted once per distinct mask; None when always observed, the
        observed share when fewer than ``MIN_PROPENSITY_CLASS`` samples have (or miss) the subset or when there
        is no conditioning variable (then dr is the available-case estimate, unbiased under MCAR)."""
        if observed.all():
            return None
        key = observed.tobytes()
        if key not in cache:
            if min(observed.sum(), (~observed).sum()) < MIN_PROPENSITY_CLASS or features.shape[1] == 0:
                cache[key] = np.full(len(observed), np.average(observed, weights=frequency))
            else:
                cache[key] = self._propensity_model().fit(features, observed, frequency).predict_proba(features)
        return cache[key]

    def _pid(self, designs, data, complete, y, train_weight, matrix, probas) -> np.ndarray:
        """``(R, 5)`` PID terms of one variant, one row per evaluation row."""
        a, b = self.pair_
        raw = [np.hstack([data.modalities[m][complete] for m in side.split(SEPARATOR)]) for side in (a, b)]
        if not hasattr(self, "pid_estimator_"):
            sizes = (alphabet_size(raw[0]), alphabet_size(raw[1]))
            discrete = max(sizes) <= self.max_alphabet
            if self.pid_method == "exact" and not discrete:
                raise MissmodalError(f"pid_method='exact' needs discrete sides with at most max_alphabet={self.max_alphabet} "
                                     f"distinct values; {a!r} has {sizes[0]}, {b!r} has {sizes[1]}")
            small = sizes[0] * sizes[1] * len(self.classes_) <= MAX_AUTO_EXACT_CELLS
            exact = self.pid_method == "exact" or (self.pid_method == "auto" and discrete and small)
            self.pid_estimator_ = "exact" if exact else "batch"
        if self.pid_estimator_ == "exact":
            return np.array([discrete_pid(raw[0], raw[1], y, row).as_array() for row in matrix])
        joint = subset_name(a.split(SEPARATOR) + b.split(SEPARATOR), self.modalities_)
        estimator = BatchPID(**{"seed": self.seed, **(self.batch_pid or {})})
        estimator.fit(raw[0], raw[1], probas[a], probas[b], probas[joint], train_weight)
        replicates = estimator.bootstrap(len(matrix) - 1, self.seed) if len(matrix) > 1 else np.zeros((0, 5))
        return np.vstack([estimator.pid_.as_array()[None, :], replicates])

    # --- estimation -----------------------------------------------------------------------------------
    def fit(self, data: MultimodalData) -> "Informativeness":
        """Estimate everything on ``data`` (a :class:`~missmodal.data.MultimodalData` with a class target)."""
        with single_threaded():
            return self._fit(data)

    def _fit(self, data: MultimodalData) -> "Informativeness":
        self._check(data)
        self.modalities_ = [data.modality_names[data.modality_index(n)] for n in (self.modalities or data.modality_names)]
        self.modality_columns_ = [data.modality_index(n) for n in self.modalities_]
        self.pair_ = None
        if hasattr(self, "pid_estimator_"):
            del self.pid_estimator_
        self.subsets_ = self._plan_subsets()
        self.complete_ = data.observed[:, self.modality_columns_].all(axis=1)
        self.classes_, y = np.unique(data.target, return_inverse=True)
        y = y.reshape(-1)
        if len(self.classes_) < 2:
            raise InsufficientDataError(f"every sample has target {self.classes_[0]!r}: informativeness needs at least two classes")
        self.timings_: dict[str, float] = {}
        self._correction_status(data)
        start = time.perf_counter()
        rng = np.random.default_rng(self.seed)
        counts = rng.multinomial(data.n_samples, np.full(data.n_samples, 1 / data.n_samples), size=self.n_bootstrap).astype(float)
        ones = np.ones(data.n_samples)
        evaluation = np.vstack([ones, counts]) if self.interval == "fixed" else ones[None, :]
        point = self._run(data, y, self.features_, ones, evaluation)
        self.timings_["estimate"] = time.perf_counter() - start
        replicates = []
        if self.interval == "refit" and self.n_bootstrap:
            start = time.perf_counter()
            self._say(f"bootstrap: refitting everything in {self.n_bootstrap} resamples")
            replicates = self._replicates(data, y, counts)
            self.timings_["bootstrap"] = time.perf_counter() - start
        self._collect(point, replicates)
        if not self.available_variants():
            reasons = sorted({reason for refused in self.refused_.values() for reason in refused.values()})
            raise InsufficientDataError("nothing could be estimated: " + "; ".join(reasons))
        self._diagnostics(data, point)
        self.warnings_ = assumption_warnings(data, self.modalities_, self.complete_, self.correction_,
                                             getattr(self, "conditioning_", None))
        self.sensitivity_ = self._sensitivity(point, y) if self.sensitivity else None
        return self

    def _replicates(self, data: MultimodalData, y: np.ndarray, counts: np.ndarray) -> list[dict | None]:
        """Compact results of each refitted resample (None where it could not be estimated), in order."""
        worker = copy.copy(self)
        worker.progress = None
        chunks = [c for c in np.array_split(np.arange(len(counts)), max(1, self._n_workers())) if c.size]
        if len(chunks) == 1:
            return _replicate_chunk(worker, data, y, counts)
        from functools import partial

        from .._parallel import ordered_map

        parts = ordered_map(partial(_replicate_chunk, worker, data, y), [counts[c] for c in chunks], len(chunks))
        return [r for part in parts for r in part]

    def _n_workers(self) -> int:
        """Processes for the refitted resamples (:func:`missmodal._parallel.resolve_jobs`: -1 is every core, 1
        inside a worker process)."""
        from .._parallel import resolve_jobs

        return resolve_jobs(int(self.n_jobs), "n_jobs")

    def _collect(self, point: dict, replicates: list[dict | None]) -> None:
        """``estimates_`` and ``pid_``: the point rows, then one row per refitted resample."""
        self.n_failed_ = sum(r is None for r in replicates)
        self.refused_ = point["refused"]
        self.estimates_, self.pid_ = {}, {}
        for variant, subsets in point["estimates"].items():
            self.estimates_[variant] = {}
            for name, metrics in subsets.items():
                self.estimates_[variant][name] = {
                    metric: np.r_[values, [np.nan if r is None else r["estimates"][variant][name][metric] for r in replicates]]
                    for metric, values in metrics.items()}
        for variant, terms in point["pid"].items():
            rows = [np.full(5, np.nan) if r is None else r["pid"][variant] for r in replicates]
            self.pid_[variant] = np.vstack([terms] + rows) if rows else terms
        self.proba_, self.folds_ = point["proba"], point["folds"]

    def _diagnostics(self, data: MultimodalData, point: dict) -> None:
        self.weights_ = None if self.correction_["status"] == "not applicable" else np.ones(int(self.complete_.sum()))
        self.diagnostics_ = {"propensity": None}
        if self.correction_["status"] != "applied":
            return
        self.diagnostics_.update(
            positivity=stratum_positivity(data, self.modalities_, self.complete_, self.conditioning_)[1],
            mechanism=mechanism_table(data, method=self.propensity, seed=self.seed, modalities=self.modalities_),
            dr=point["dr_info"])
        if point["propensity"] is None:
            return
        fitted = point["propensity"]
        self.propensity_model_ = fitted["model"]
        self.weights_ = fitted["weights"]
        evidence = predictability(self.complete_, self.features_, self.propensity, seed=self.seed)
        auroc = None if evidence["auroc"] is None else {
            "auroc": evidence["auroc"], "interval": evidence["interval"],
            "method": "5-fold cross-validated, hyper-parameters chosen inside each training fold (nested); 95% interval "
                      "from DeLong's variance per fold and the fold spread"}
        diagnostics = weight_diagnostics(self.weights_, fitted["raw"], self.complete_, self.clip, auroc)
        self.diagnostics_["propensity"] = {"method": self.propensity, "features": self.conditioning_.variables,
                                           "columns": self.feature_names_, "C": fitted["model"].C_,
                                           "complete_verdict": evidence["verdict"], "complete_power": evidence["power"],
                                           **diagnostics}
        if diagnostics["positivity_warning"]:
            self.correction_["warning"] = diagnostics["positivity_warning"]

    def _sensitivity(self, point: dict, y: np.ndarray) -> dict:
        if self.correction_["status"] != "applied":
            return {"tipping_point": None, "note": f"no sensitivity analysis: the correction is {self.correction_['status']}"}
        if point["propensity"] is None or self.refused_["corrected"]:
            return {"tipping_point": None, "note": "no sensitivity analysis: the corrected estimate could not be made "
                                                   "(see refused)"}
        y_cc = y[self.complete_]
        full = subset_name(self.modalities_, self.modalities_)
        probas, folds = self.proba_["corrected"], self.folds_["corrected"]

        def evaluate(weights: np.ndarray) -> dict:
            information = {name: float(cross_fitted_metrics(y_cc, probas[name], weights[None, :], folds[name])["information_bits"][0])
                           for name in self.subsets_}
            return {"information_bits": information, "gain_bits": gains_from(information, self.modalities_)}

        propensity = np.clip(point["propensity"]["raw"][self.complete_], *self.clip)
        return sensitivity_analysis(evaluate, propensity, outcome_score(probas[full], y_cc), self.sensitivity_deltas)

    # --- results --------------------------------------------------------------------------------------
    def gains(self, variant: str) -> dict[str, np.ndarray]:
        """``gain[m] = I(Y; X_all) - I(Y; X_all∖m)`` per modality, arrays ``(1 + n_bootstrap,)`` (bits)."""
        info = {name: values["information_bits"] for name, values in self.estimates_[variant].items()}
        return gains_from(info, self.modalities_)

    def _point_and_interval(self, values: np.ndarray, quantity: str) -> tuple[float | None, list[float] | None]:
        """The reported estimate and interval of one quantity from its ``(1 + B,)`` plug-in and replicates:
        bias-corrected with a basic interval after a refitted bootstrap (:func:`bias_corrected`), else the
        plug-in with a percentile interval (``interval="fixed"``, whose replicates keep the models fixed and so
        carry no fitting bias to correct)."""
        if self.interval == "refit":
            return bias_corrected(values, quantity)
        estimate = values[0]
        return (float(estimate) if np.isfinite(estimate) else None), percentile_interval(values[1:])

    def _variant_dict(self, variant: str) -> tuple[dict, dict]:
        estimates = self.estimates_[variant]
        point, intervals = {}, {}
        for metric in REPORTED_METRICS:
            pairs = {name: self._point_and_interval(values[metric], metric) for name, values in estimates.items()}
            point[metric] = {name: pair[0] for name, pair in pairs.items()}
            intervals[metric] = {name: pair[1] for name, pair in pairs.items()}
        pairs = {m: self._point_and_interval(g, "gain_bits") for m, g in self.gains(variant).items()}
        point["gain_bits"] = {m: pair[0] for m, pair in pairs.items()}
        intervals["gain_bits"] = {m: pair[1] for m, pair in pairs.items()}
        point["gain_distinguishable_from_zero"] = {m: _excludes_zero(pair[1]) for m, pair in pairs.items()}
        point["plug_in"] = {metric: {name: _finite(values[metric][0]) for name, values in estimates.items()}
                            for metric in ("information_bits", "cross_entropy")}
        point["plug_in"]["gain_bits"] = {m: _finite(g[0]) for m, g in self.gains(variant).items()}
        point["label_entropy_bits"] = next((float(v["entropy"][0]) for v in estimates.values() if np.isfinite(v["entropy"][0])), None)
        point["refused"] = dict(self.refused_.get(variant, {}))
        if self.pair_ is not None:
            if variant not in self.pid_:
                point["pid"], intervals["pid"] = None, None
                return point, intervals
            terms = self.pid_[variant]
            names = ("unique_a", "unique_b", "redundancy", "synergy", "total")
            pairs = {k: self._point_and_interval(terms[:, j], "pid") for j, k in enumerate(names)}
            point["pid"] = PID(*(pairs[k][0] for k in names[:4])).to_dict(*self.pair_)
            bounds = {k: pair[1] for k, pair in pairs.items()}
            intervals["pid"] = {"unique": {self.pair_[0]: bounds["unique_a"], self.pair_[1]: bounds["unique_b"]},
                                **{k: bounds[k] for k in names[2:]}}
        return point, intervals

    def available_variants(self) -> list[str]:
        """The variants with at least one subset estimated."""
        return [v for v in VARIANTS if v in self.estimates_ and len(self.refused_.get(v, {})) < len(self.subsets_)]

    def ranking(self) -> list[dict]:
        """Modalities by decreasing gain (corrected when available, else naive, else dr), with intervals, whether
        the interval excludes zero, and the other variants. A gain that could not be estimated ranks last."""
        available = self.available_variants()
        variant = next((v for v in ("corrected", "naive", "dr") if v in available), None)
        if variant is None or len(self.modalities_) < 2:
            return []
        gains = {v: self.gains(v) for v in available}
        rows = []
        for m, g in gains[variant].items():
            estimate, interval = self._point_and_interval(g, "gain_bits")
            row = {"modality": m, "variant": variant, "gain_bits": estimate, "interval": interval,
                   "distinguishable_from_zero": _excludes_zero(interval)}
            for other in ("naive", "dr"):
                if other in gains and other != variant:
                    row[f"{other}_gain_bits"], row[f"{other}_interval"] = self._point_and_interval(gains[other][m], "gain_bits")
            rows.append(row)
        rows.sort(key=lambda row: (row["gain_bits"] is None, -(row["gain_bits"] or 0.0)))
        for rank, row in enumerate(rows, 1):
            row["rank"] = rank
        return rows

    def to_dict(self) -> dict:
        """The report: ``naive``, ``corrected`` and ``dr`` (None when the correction cannot apply), ``intervals``,
        ``ranking``, ``correction``, ``warnings``, ``sensitivity``, ``diagnostics`` and ``settings``; bits."""
        available = self.available_variants()
        variants = {v: self._variant_dict(v) if v in available else (None, None) for v in VARIANTS}
        diagnostics = {**self.diagnostics_, "n_samples": int(self.complete_.size), "n_complete": int(self.complete_.sum()),
                       "classes": self.classes_.tolist(), "timings_s": {k: round(v, 3) for k, v in self.timings_.items()}}
        if self.pair_ is not None:
            diagnostics["pid_estimator"] = self.pid_estimator_
        return {
            "modalities": list(self.modalities_),
            "subsets": list(self.subsets_),
            "pair": list(self.pair_) if self.pair_ else None,
            "correction": dict(self.correction_),
            "refused": {v: dict(reasons) for v, reasons in self.refused_.items() if reasons},
            "warnings": list(self.warnings_),
            **{v: variants[v][0] for v in VARIANTS},
            "intervals": {"level": 0.95, "n_bootstrap": self.n_bootstrap, "method": self.interval,
                          "type": INTERVAL_METHODS[self.interval], "n_failed_resamples": self.n_failed_,
                          **{v: variants[v][1] for v in VARIANTS}},
            "ranking": self.ranking(),
            "sensitivity": self.sensitivity_,
            "diagnostics": diagnostics,
            "settings": {"predictor": self.predictor, "propensity": self.propensity, "clip": list(self.clip),
                         "n_folds": self.n_folds, "n_repeats": self.n_repeats, "pid_method": self.pid_method, "interval": self.interval, "seed": self.seed,
                         "units": {"information_bits": "bits", "gain_bits": "bits", "cross_entropy": "bits", "pid": "bits"}},
        }


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _excludes_zero(interval: list[float] | None) -> bool | None:
    """True when an interval lies wholly above or below 0, False when it holds 0, None without an interval."""
    return None if interval is None else bool(interval[0] > 0 or interval[1] < 0)


def _compact(run: dict) -> dict:
    """Row 0 of each estimate of a run: ``{"estimates": {variant: {subset: {metric: float}}}, "pid": {variant: (5,)}}``."""
    return {"estimates": {v: {name: {k: float(values[0]) for k, values in metrics.items()} for name, metrics in subsets.items()}
                          for v, subsets in run["estimates"].items()},
            "pid": {v: terms[0] for v, terms in run["pid"].items()}}


def _replicate_chunk(estimator: Informativeness, data: MultimodalData, y: np.ndarray, counts: np.ndarray) -> list[dict | None]:
    """Refit everything on each resample (rows of ``counts``, multiplicities of the n samples); single-threaded."""
    results = []
    with single_threaded():
        for row in counts:
            keep = np.flatnonzero(row > 0)
            frequency = row[keep]
            try:
                run = estimator._run(data.subset(keep), y[keep], estimator.features_[keep], frequency, frequency[None, :])
            except InsufficientDataError:
                results.append(None)
                continue
            results.append(_compact(run))
    return results


def informativeness_report(data: MultimodalData, pair: Sequence[Any] | None = None, predictor: str = "logistic",
                           bootstrap: int = 200, seed: int = 0, **params: Any) -> dict:
    """Naive, corrected and dr informativeness of ``data``'s modalities as a JSON-ready dict (what the CLI writes).

    ``params`` are further :class:`Informativeness` parameters (``modalities``, ``propensity_features``,
    ``propensity``, ``clip``, ``n_folds``, ``pid_method``, ``interval``, ``n_jobs``, ``sensitivity``,
    ``progress``, ...).
    """
    return Informativeness(pair=pair, predictor=predictor, n_bootstrap=bootstrap, seed=seed, **params).fit(data).to_dict()
