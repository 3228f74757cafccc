"""Missingness simulators: make whole modalities missing in complete data, always seeded.

Each simulator hides modalities (it never reveals one) and records the mechanism, its parameters and the
achieved per-modality missing rates in ``data.metadata["missingness"]``, which the Parquet writer keeps.

Mechanisms
----------
- ``mcar``: every (sample, modality) slot is missing with probability ``rate`` (a number, or one per modality).
- ``mar``: ``logit P(m missing | C) = a_m + strength * s_m(C)``, where ``s_m`` is a standardised random
  projection of the always-observed variables C (covariates and/or ``always_observed`` modalities) and the
  intercept ``a_m`` is solved so that the mean missing rate equals the target.
- ``mnar``: the same with the score driven by the modality's own values (``driver="self"``) or the label
  (``driver="label"``).
- ``zipf``: each sample draws its combination group from ``p(rank) ∝ rank^-exponent`` over the non-empty
  combinations (rank 1 = all modalities, the others in a seeded random order): a long tail of rare groups.
- ``exact``: given group shares (``{"fou+fac": 0.6, "fou": 0.4}``), exact counts by largest remainder.

With ``at_least_one=True`` (default) no sample loses every modality: rows are drawn conditionally on keeping
one (originally observed) modality, and one logit shift per modality, solved under that condition, keeps each
modality's missing rate at its own target; achieved rates more than 0.02 away from the requested ones raise
a warning (and are recorded as ``params["rate_warning"]``).
"""

from __future__ import annotations

import warnings
from typing import Any, Mapping, Sequence

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit, logit

from ..errors import MissmodalError
from ..registry import Registry
from .groups import all_nonempty_codes, codes_to_masks, parse_group
from .multimodal import MultimodalData

SIMULATORS = Registry("missingness mechanism")


def _rates(rate: float | Sequence[float] | Mapping[str, float], names: list[str], maskable: np.ndarray) -> np.ndarray:
    if isinstance(rate, Mapping):
        unknown = set(rate) - set(names)
        if unknown:
            raise MissmodalError(f"rate given for unknown modality {sorted(unknown)[0]!r}; modalities: {names}")
        rates = np.array([float(rate.get(n, 0.0)) for n in names])
    elif np.ndim(rate) == 0:
        rates = np.where(maskable, float(rate), 0.0)
    else:
        rates = np.asarray(rate, dtype=float)
        if rates.shape != (len(names),):
            raise MissmodalError(f"rate must be a number or {len(names)} numbers, got {len(rates)}")
    if ((rates < 0) | (rates >= 1)).any():
        raise MissmodalError(f"missing rates must be in [0, 1), got {rates.tolist()}")
    return np.where(maskable, rates, 0.0)


def _standardise(score: np.ndarray) -> np.ndarray:
    std = score.std()
    return (score - score.mean()) / std if std > 0 else np.zeros_like(score)


def _solve_intercept(scores: np.ndarray, rate: float, strength: float) -> float:
    """Intercept a with mean(sigmoid(a + strength * scores)) == rate."""
    if rate <= 0:
        return -np.inf
    return brentq(lambda a: expit(a + strength * scores).mean() - rate, -50, 50, xtol=1e-10)


def _conditional_missing(q: np.ndarray) -> np.ndarray:
    """P(slot missing | row not all-missing) for independent slots with missing probabilities q (n, M)."""
    all_missing = np.prod(q, axis=1, keepdims=True)
    return (q - all_missing) / np.maximum(1 - all_missing, 1e-300)


#: Achieved per-modality missing rates further than this from the requested ones raise a warning.
RATE_TOLERANCE = 0.02


def _missing_probabilities(logits: np.ndarray, shifts: np.ndarray, original: np.ndarray) -> np.ndarray:
    """Per-slot missing probabilities (n, M): ``expit(logit + shift_m)``, 1 where the slot is already missing."""
    q = np.where(np.isfinite(logits), expit(logits + shifts), 0.0)
    return np.where(original, q, 1.0)


def _solve_shifts(logits: np.ndarray, rates: np.ndarray, original: np.ndarray, max_sweeps: int = 100) -> np.ndarray:
    """One logit shift per modality so that, conditioned on keeping one originally observed modality per row,
    each modality's missing rate over its originally observed rows equals ``rates[m]`` (coordinate-wise roots,
    swept until every rate is within 1e-7)."""
    shifts = np.zeros(logits.shape[1])
    targets = [m for m in range(logits.shape[1]) if rates[m] > 0 and np.isfinite(logits[:, m]).any() and original[:, m].any()]

    def gap(m: int, shift: float) -> float:
        trial = shifts.copy()
        trial[m] = shift
        return _conditional_missing(_missing_probabilities(logits, trial, original))[original[:, m], m].mean() - rates[m]

    removable = (original.sum(axis=1) - 1).sum()  # at most this many slots can go missing in all
    # On complete data an unreachable rate is an error; on data with gaps the rates are approached as far as the
    # samples that keep a single modality allow, and the shortfall is warned about.
    if original.all() and sum(rates[m] * original[:, m].sum() for m in targets) > removable + 1e-9:
        raise MissmodalError(f"missing rates {np.round(rates, 4).tolist()} cannot be reached while keeping one "
                             "modality per sample")
    for _ in range(max_sweeps):
        for m in targets:  # a rate only reachable in the limit stays at the largest shift (and is warned about)
            shifts[m] = 30.0 if gap(m, 30.0) < 0 else brentq(lambda t: gap(m, t), -30, 30, xtol=1e-12)
        if max(abs(gap(m, shifts[m])) if shifts[m] < 30.0 else 0.0 for m in targets) < 1e-7:
            break
    return shifts


def _sample_mask(logits: np.ndarray, rng: np.random.Generator, at_least_one: bool, rates: np.ndarray,
                 original: np.ndarray) -> tuple[np.ndarray, list[float], str | None]:
    """Draw an observed mask from per-slot missing logits (n, M) on data whose ``original`` (n, M) mask may
    already have gaps; with ``at_least_one`` rows are drawn conditioned on keeping one originally observed
    modality, and one shift per modality keeps each rate at ``rates[m]`` under that condition.

    Returns the new mask (a subset of ``original``), the achieved per-modality rates over originally
    observed rows, and a warning when one is more than ``RATE_TOLERANCE`` from its target (else None).
    """
    maskable = np.isfinite(logits).any(axis=0)
    shifts = _solve_shifts(logits, rates, original) if at_least_one and (rates > 0).any() else np.zeros(logits.shape[1])
    q = _missing_probabilities(logits, shifts, original)
    missing = _draw_nonempty(q, rng) if at_least_one else rng.random(q.shape) < q
    mask = ~missing & original
    achieved = [float(1 - mask[original[:, m], m].mean()) if original[:, m].any() else 0.0 for m in range(mask.shape[1])]
    off = [m for m in range(mask.shape[1]) if maskable[m] and abs(achieved[m] - rates[m]) > RATE_TOLERANCE]
    warning = None
    if off:
        warning = (f"achieved missing rates {[round(achieved[m], 3) for m in off]} differ from the requested "
                   f"{[round(float(rates[m]), 3) for m in off]} by more than {RATE_TOLERANCE} (modalities {off}; "
                   "sampling noise on few rows, or a rate the constraints cannot reach)")
        warnings.warn(warning, stacklevel=3)
    return mask, achieved, warning


def _draw_nonempty(q: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Exact draw of independent missing indicators with probabilities q (n, M), conditioned on a non-empty row.

    Modalities are drawn in order; while every earlier one is missing, modality m is missing with
    probability ``q_m (1 - A_{m+1}) / (1 - A_m)``, where ``A_k = prod_{j >= k} q_j`` is the chance that all of
    m..M-1 are missing; once one is observed the rest are drawn freely.
    """
    n, n_modalities = q.shape
    tail_all_missing = np.ones((n, n_modalities + 1))
    for m in range(n_modalities - 1, -1, -1):
        tail_all_missing[:, m] = tail_all_missing[:, m + 1] * q[:, m]
    if (tail_all_missing[:, 0] >= 1).any():
        raise MissmodalError("a sample has every modality missing with probability 1; lower the rate")
    missing = np.zeros((n, n_modalities), dtype=bool)
    none_observed_yet = np.ones(n, dtype=bool)
    for m in range(n_modalities):
        conditional = q[:, m] * (1 - tail_all_missing[:, m + 1]) / (1 - tail_all_missing[:, m])
        p_missing = np.where(none_observed_yet, conditional, q[:, m])
        missing[:, m] = rng.random(n) < p_missing
        none_observed_yet &= missing[:, m]
    return missing


def _scores_from(features: np.ndarray, n_modalities: int, rng: np.random.Generator) -> np.ndarray:
    """One standardised random projection of ``features`` (n, p) per modality: (n, M)."""
    features = np.asarray(features, dtype=np.float64)
    std = features.std(axis=0)
    features = (features - features.mean(axis=0)) / np.where(std > 0, std, 1.0)
    directions = rng.normal(size=(features.shape[1], n_modalities))
    return np.column_stack([_standardise(features @ directions[:, m]) for m in range(n_modalities)])


def _driver_names(data: MultimodalData, always_observed: Sequence[str] | None) -> list[str]:
    if always_observed is not None:
        for name in always_observed:
            data.modality_index(name)
        return list(always_observed)
    return [] if data.covariates is not None else [data.modality_names[0]]


@SIMULATORS.register("mcar", "missing completely at random: each slot missing with probability rate")
def mcar(data: MultimodalData, rate: float | Sequence[float] | Mapping[str, float] = 0.5, seed: int = 0,
         always_observed: Sequence[str] = (), at_least_one: bool = True) -> tuple[np.ndarray, dict]:
    """MCAR mask: slot (i, m) missing with probability rate (or rate_m), independent of everything."""
    names = data.modality_names
    maskable = np.array([n not in always_observed for n in names])
    rates = _rates(rate, names, maskable)
    logits = np.tile(np.where(maskable, logit(np.clip(rates, 1e-12, 1 - 1e-12)), -np.inf), (data.n_samples, 1))
    logits[:, rates == 0] = -np.inf
    mask, achieved, warning = _sample_mask(logits, np.random.default_rng(seed), at_least_one, rates, data.observed)
    return mask, {"rate": rates.tolist(), "always_observed": list(always_observed), "achieved_rate": achieved,
                  "rate_warning": warning}


def _driven(data: MultimodalData, scores: np.ndarray, rate, strength: float, drivers: list[str],
            at_least_one: bool, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, dict]:
    names = data.modality_names
    maskable = np.array([n not in drivers for n in names])
    rates = _rates(rate, names, maskable)
    logits = np.full((data.n_samples, len(names)), -np.inf)
    for m in np.flatnonzero(maskable & (rates > 0)):
        logits[:, m] = _solve_intercept(scores[:, m], rates[m], strength) + strength * scores[:, m]
    mask, achieved, warning = _sample_mask(logits, rng, at_least_one and not drivers, rates, data.observed)
    return mask, rates, {"achieved_rate": achieved, "rate_warning": warning}


@SIMULATORS.register("mar", "missing at random: logistic in always-observed covariates/modalities")
def mar(data: MultimodalData, rate=0.5, seed: int = 0, always_observed: Sequence[str] | None = None,
        strength: float = 2.0, at_least_one: bool = True) -> tuple[np.ndarray, dict]:
    """MAR mask driven by covariates and the ``always_observed`` modalities (default: covariates if any,
    else the first modality), which stay observed."""
    drivers = _driver_names(data, always_observed)
    parts = [data.modalities[n] for n in drivers]
    if data.covariates is not None:
        parts.append(data.covariates)
    if not parts:
        raise MissmodalError("mar needs covariates or at least one always_observed modality to drive missingness")
    rng = np.random.default_rng(seed)
    scores = _scores_from(np.hstack(parts), data.n_modalities, rng)
    mask, rates, achieved = _driven(data, scores, rate, strength, drivers, at_least_one, rng)
    return mask, {"rate": rates.tolist(), "always_observed": drivers, "strength": strength,
                  "uses_covariates": data.covariates is not None, **achieved}


@SIMULATORS.register("mnar", "missing not at random: driven by the modality's own values or the label")
def mnar(data: MultimodalData, rate=0.5, seed: int = 0, driver: str = "self", strength: float = 2.0,
         always_observed: Sequence[str] = (), at_least_one: bool = True) -> tuple[np.ndarray, dict]:
    """MNAR mask: the missing logit of modality m grows with a projection of m's own values (``self``)
    or with a per-class effect / the standardised target (``label``)."""
    rng = np.random.default_rng(seed)
    if driver == "self":
        scores = np.column_stack([_scores_from(v, 1, rng)[:, 0] for v in data.modalities.values()])
    elif driver == "label":
        if data.target is None:
            raise MissmodalError("mnar with driver='label' needs a target")
        if data.task in ("binary", "multiclass"):
            _, classes = np.unique(data.target, return_inverse=True)
            effects = rng.normal(size=(classes.max() + 1, data.n_modalities))
            scores = np.column_stack([_standardise(effects[classes, m]) for m in range(data.n_modalities)])
        else:
            y = data.target.reshape(data.n_samples, -1).sum(axis=1).astype(float)
            scores = np.tile(_standardise(y)[:, None], (1, data.n_modalities))
    else:
        raise MissmodalError(f"mnar driver must be 'self' or 'label', got {driver!r}")
    mask, rates, achieved = _driven(data, scores, rate, strength, list(always_observed), at_least_one, rng)
    return mask, {"rate": rates.tolist(), "driver": driver, "strength": strength, "always_observed": list(always_observed),
                  **achieved}


def zipf_ranking(n_modalities: int, exponent: float, rng: np.random.Generator,
                 complete_first: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The 2^M - 1 non-empty group codes in Zipf rank order (rank 1 = all modalities when ``complete_first``,
    the others in a seeded random order) and their unnormalised weights ``rank^-exponent``."""
    codes = all_nonempty_codes(n_modalities)
    others = rng.permutation(codes[:-1])
    ranked = np.concatenate([[codes[-1]], others]) if complete_first else rng.permutation(codes)
    return ranked, np.arange(1, len(ranked) + 1, dtype=float) ** -exponent


@SIMULATORS.register("zipf", "long-tailed combinations: p(group) ∝ rank^-exponent")
def zipf(data: MultimodalData, exponent: float = 1.0, seed: int = 0, complete_first: bool = True,
         rate: float | None = None) -> tuple[np.ndarray, dict]:
    """Each sample's group drawn from a Zipf law over the 2^M - 1 non-empty combinations.

    On data with gaps, each sample draws among the groups that keep one of its observed modalities (the
    law renormalised over them). ``rate`` is not used by this mechanism (accepted so that every mechanism
    shares one call form).
    """
    if exponent < 0:
        raise MissmodalError(f"zipf exponent must be >= 0, got {exponent}")
    rng = np.random.default_rng(seed)
    ranked, probabilities = zipf_ranking(data.n_modalities, exponent, rng, complete_first)
    original = data.group_codes()
    drawn = np.zeros(data.n_samples, dtype=np.int64)
    for code in np.unique(original):
        rows = original == code
        allowed = probabilities * ((ranked & code) != 0)
        drawn[rows] = rng.choice(ranked, size=int(rows.sum()), p=allowed / allowed.sum())
    return codes_to_masks(drawn, data.n_modalities), {"exponent": exponent, "complete_first": complete_first,
                                                      "ranked_groups": ranked.tolist()}


@SIMULATORS.register("exact", "exact group shares, e.g. {'fou+fac': 0.6, 'fou': 0.4}")
def exact(data: MultimodalData, shares: Mapping[str, float], seed: int = 0, rate: float | None = None) -> tuple[np.ndarray, dict]:
    """Assign groups with exactly the given shares (largest-remainder counts), in a seeded random order."""
    if not shares:
        raise MissmodalError("exact needs group shares, e.g. {'a+b': 0.6, 'a': 0.4}")
    codes = np.array([parse_group(name, data.modality_names) for name in shares], dtype=np.int64)
    weights = np.array(list(shares.values()), dtype=float)
    if (weights < 0).any() or not np.isclose(weights.sum(), 1.0, atol=1e-6):
        raise MissmodalError(f"group shares must be >= 0 and sum to 1, got sum {weights.sum():.6f}")
    exact_counts = weights * data.n_samples
    counts = np.floor(exact_counts).astype(int)
    counts[np.argsort(counts - exact_counts)[: data.n_samples - counts.sum()]] += 1
    rng = np.random.default_rng(seed)
    drawn = rng.permutation(np.repeat(codes, counts))
    emptied = int(((drawn & data.group_codes()) == 0).sum())
    if emptied:
        raise MissmodalError(f"exact group shares on this data would leave {emptied} samples with no modality (their "
                             "drawn group misses every modality they have); simulate on complete data, or use zipf/mcar")
    return codes_to_masks(drawn, data.n_modalities), {"shares": dict(shares)}


def observe_with_probability(data: MultimodalData, p_observed: np.ndarray, seed: int = 0,
                             at_least_one: bool = False) -> tuple[np.ndarray, dict]:
    """A mask from explicit per-slot observation probabilities ``p_observed`` of shape (n, M).

    For hand-built mechanisms, e.g. the ICYM2I toy ``P(x2 observed) = 0.2 + 0.6 x1``.
    """
    p = np.asarray(p_observed, dtype=float)
    if p.shape != data.observed.shape or ((p < 0) | (p > 1)).any():
        raise MissmodalError(f"p_observed must have shape {data.observed.shape} with values in [0, 1]")
    rng = np.random.default_rng(seed)
    with np.errstate(divide="ignore"):
        logits = logit(1 - p)
    if not at_least_one:  # independent draws, exactly the given probabilities
        return ~(rng.random(p.shape) < 1 - p) & data.observed, {"custom": True}
    mask, achieved, warning = _sample_mask(logits, rng, True, (1 - p).mean(axis=0), data.observed)
    return mask, {"custom": True, "achieved_rate": achieved, "rate_warning": warning}


def simulate_missingness(data: MultimodalData, mechanism: str, seed: int = 0, **params: Any) -> MultimodalData:
    """Apply a registered mechanism and return the data with the new mask (existing gaps stay gaps).

    On data that already has gaps, the new mask is drawn conditioned on keeping at least one originally
    observed modality per sample (unless told ``at_least_one=False``; ``custom`` is told so by default), and
    each rate applies to the originally observed slots of its modality.

    Examples
    --------
    >>> from missmodal.data import load_dataset, simulate_missingness
    >>> data = simulate_missingness(load_dataset("mfeat"), "mcar", rate=0.5, seed=0)
    >>> round(1 - data.observed.mean(), 1)
    0.5
    """
    if mechanism == "custom":
        mask, recorded = observe_with_probability(data, seed=seed, **params)
    else:
        mask, recorded = SIMULATORS.get(mechanism)(data, seed=seed, **params)
    result = data.with_observed(mask & data.observed)
    result.metadata["missingness"] = {
        "mechanism": mechanism, "seed": seed, "params": recorded,
        "missing_rate": (1 - result.observed.mean(axis=0)).round(6).tolist(),
    }
    return result
