"""A long-tailed cohort with concept shift: each combination group has its own fusion function, and the
Bayes accuracy of every group is known exactly.

Generative model (all draws seeded)
-----------------------------------
- ``M`` modalities, each ``x_m ~ N(0, I_d)`` in ``R^d``; its signal is the projection ``s_m = u_m . x_m`` on a
  seeded unit vector ``u_m`` (so ``s_m ~ N(0, 1)``; the other ``d - 1`` directions are noise features).
- The combination groups ``S`` (non-empty subsets of modalities) are ranked as in the ``zipf`` missingness
  mechanism (rank 1 = all modalities, the rest in a seeded order). Training and validation samples draw their
  group with ``p(rank) ∝ rank^-exponent``: a long tail. The test set holds ``n_test_per_group`` samples of
  *every* group, so that each tail group's accuracy is measured as precisely as the head's.
- ``K`` fusion functions with coefficient vectors ``a_k ∈ {-1, +1}^M`` (``a_0`` all ``+1``, the others seeded
  random sign patterns, all distinct); the group of rank ``r`` uses function ``k(S) = (r - 1) mod K``, so that
  neighbouring ranks, head included, disagree (concept shift).
- The label of a sample of group ``S``: ``y = 1[f_S + sigma * eps > 0]`` with ``f_S = sum_{m in S} a_{k(S), m} s_m``
  and ``eps ~ N(0, 1)``. Absent modalities do not enter the label.

Bayes accuracy
--------------
Given ``S`` and ``x_S``, ``P(y = 1 | x_S) = Phi(f_S / sigma)``, so the Bayes classifier predicts
``1[f_S > 0]``. ``f_S ~ N(0, |S|)`` (the ``s_m`` are independent, ``a^2 = 1``), and with
``rho = corr(f_S, f_S + sigma eps) = sqrt(|S| / (|S| + sigma^2))`` the orthant probability of a centred
bivariate normal gives

.. math::

    \\text{Bayes}(S) = P\\big(\\operatorname{sign}(f_S) = \\operatorname{sign}(f_S + \\sigma\\varepsilon)\\big)
                    = \\tfrac12 + \\tfrac1\\pi \\arctan\\big(\\sqrt{|S|} / \\sigma\\big),

the same for every function. With ``sigma = 0.6`` this is 0.828 for one modality and 0.917 for five.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import MissmodalError
from .groups import codes_to_masks, group_name
from .multimodal import MultimodalData
from .simulate import zipf_ranking


def bayes_accuracy(n_observed: int | np.ndarray, noise: float) -> np.ndarray:
    """Exact Bayes accuracy ``1/2 + arctan(sqrt(|S|) / sigma) / pi`` of a group with ``|S|`` observed modalities."""
    return 0.5 + np.arctan(np.sqrt(np.asarray(n_observed, dtype=float)) / noise) / np.pi


@dataclass
class ConceptShiftCohort:
    """Training, validation and test data of one seed, with the truth behind them.

    ``functions``: (K, M) coefficient vectors ``a_k``; ``directions``: (M, d) unit vectors ``u_m``;
    ``assignment``: group code -> function index; ``ranked``: group codes in Zipf rank order; ``bayes``: group
    code -> exact Bayes accuracy.
    """

    train: MultimodalData
    val: MultimodalData
    test: MultimodalData
    functions: np.ndarray
    directions: np.ndarray
    assignment: dict[int, int]
    ranked: list[int]
    noise: float
    params: dict = field(default_factory=dict)

    @property
    def bayes(self) -> dict[int, float]:
        return {code: float(bayes_accuracy(bin(code).count("1"), self.noise)) for code in self.ranked}

    def bayes_of(self, data: MultimodalData) -> float:
        """Expected Bayes accuracy over ``data``'s samples (the mean of their groups' Bayes accuracies)."""
        return float(bayes_accuracy(data.observed.sum(axis=1), self.noise).mean())

    def bayes_predict(self, data: MultimodalData) -> np.ndarray:
        """The Bayes classifier ``1[f_S(x_S) > 0]`` on ``data`` (drawn from this cohort's model): (n,) int64."""
        codes = data.group_codes()
        coefficients = self.functions[[self.assignment[int(c)] for c in codes]]
        x = np.stack([np.nan_to_num(data.modalities[name]) for name in data.modality_names], axis=1)  # (n, M, d)
        signal = np.einsum("nmd,md->nm", x, self.directions)
        return ((coefficients * signal * data.observed).sum(axis=1) > 0).astype(np.int64)

    def bayes_by_name(self) -> dict[str, float]:
        names = self.train.modality_names
        return {group_name(code, names): value for code, value in self.bayes.items()}


def _functions(n_functions: int, n_modalities: int, rng: np.random.Generator) -> np.ndarray:
    """``a_0 = +1``, then distinct random sign patterns (K <= 2^M)."""
    patterns = [np.ones(n_modalities)]
    while len(patterns) < n_functions:
        candidate = rng.choice([-1.0, 1.0], size=n_modalities)
        if not any(np.array_equal(candidate, p) for p in patterns):
            patterns.append(candidate)
    return np.stack(patterns)


def _draw(codes: np.ndarray, n_modalities: int, dim: int, directions: np.ndarray, functions: np.ndarray,
          assignment: dict[int, int], noise: float, rng: np.random.Generator, prefix: str) -> MultimodalData:
    """Samples of the given group ``codes`` (n,): features, mask and labels of the generative model."""
    n = len(codes)
    x = rng.standard_normal((n, n_modalities, dim))
    signal = np.einsum("nmd,md->nm", x, directions)
    observed = codes_to_masks(codes, n_modalities)
    coefficients = functions[[assignment[int(c)] for c in codes]]  # (n, M)
    score = (coefficients * signal * observed).sum(axis=1)
    y = (score + noise * rng.standard_normal(n) > 0).astype(np.int64)
    modalities = {f"m{m}": np.where(observed[:, m : m + 1], x[:, m], np.nan) for m in range(n_modalities)}
    ids = np.array([f"{prefix}-{i:05d}" for i in range(n)])
    return MultimodalData(modalities, target=y, observed=observed, ids=ids, task="binary",
                          metadata={"dataset": "concept-shift"})


def concept_shift_cohort(n_train: int = 3000, n_val: int = 1000, n_test_per_group: int = 300, n_modalities: int = 5,
                         dim: int = 8, n_functions: int = 3, exponent: float = 1.2, noise: float = 0.6,
                         seed: int = 0) -> ConceptShiftCohort:
    """Draw one cohort of the concept-shift model (see the module docstring).

    Parameters
    ----------
    n_train, n_val : training and validation samples, groups drawn from the Zipf law.
    n_test_per_group : test samples of each of the ``2^M - 1`` groups.
    n_modalities, dim : ``M`` modalities of ``d`` features each.
    n_functions : ``K`` fusion functions.
    exponent : Zipf exponent of the group law.
    noise : label noise ``sigma``.
    seed : seeds every draw.
    """
    if n_modalities < 1 or n_modalities > 12 or dim < 1:
        raise MissmodalError(f"concept-shift: need 1 <= n_modalities <= 12 and dim >= 1, got {n_modalities}, {dim}")
    if not 1 <= n_functions <= 2 ** n_modalities:
        raise MissmodalError(f"concept-shift: n_functions must be in [1, 2^M = {2 ** n_modalities}], got {n_functions}")
    if min(n_train, n_val, n_test_per_group) < 1 or noise <= 0 or exponent < 0:
        raise MissmodalError("concept-shift: sample counts must be >= 1, noise > 0 and exponent >= 0, got "
                             f"{n_train}, {n_val}, {n_test_per_group}, {noise}, {exponent}")
    rng = np.random.default_rng([seed, 22])
    ranked, weights = zipf_ranking(n_modalities, exponent, rng)
    functions = _functions(n_functions, n_modalities, rng)
    assignment = {int(code): rank % n_functions for rank, code in enumerate(ranked)}
    directions = rng.standard_normal((n_modalities, dim))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    probabilities = weights / weights.sum()
    draw = lambda codes, prefix: _draw(codes, n_modalities, dim, directions, functions, assignment, noise, rng, prefix)  # noqa: E731
    train = draw(rng.choice(ranked, size=n_train, p=probabilities), "train")
    val = draw(rng.choice(ranked, size=n_val, p=probabilities), "val")
    test = draw(np.repeat(ranked, n_test_per_group), "test")
    params = dict(n_train=n_train, n_val=n_val, n_test_per_group=n_test_per_group, n_modalities=n_modalities, dim=dim,
                  n_functions=n_functions, exponent=exponent, noise=noise, seed=seed)
    return ConceptShiftCohort(train, val, test, functions, directions, assignment, [int(c) for c in ranked], noise, params)
