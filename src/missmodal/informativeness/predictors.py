"""Weighted predictors of the label from a modality subset, and cross-fitted out-of-fold probabilities.

Every predictor honours sample weights in training and picks its hyper-parameter on a stratified validation
split by the *weighted* validation cross-entropy, so that model selection targets the same population as
the evaluation. Predictors are registered by name (``PREDICTORS``): ``logistic``, ``mlp`` and ``frequency``
(discrete inputs only).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Sequence

import numpy as np
from sklearn.model_selection import StratifiedKFold

from ..errors import InsufficientDataError, MissmodalError
from ..registry import Registry
from ._threads import single_threaded
from .logistic import fit_ridge_logistic
from .metrics import PROBABILITY_FLOOR

PREDICTORS = Registry("informativeness predictor")


def _weighted_cross_entropy(y: np.ndarray, proba: np.ndarray, weight: np.ndarray) -> float:
    nll = -np.log(np.clip(proba[np.arange(len(y)), y], PROBABILITY_FLOOR, 1.0))
    return float(np.average(nll, weights=weight))


def _stratified_split(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted train/validation indices, ``ceil(fraction * n)`` samples to validation. Stratified when every
    class present has at least two samples and both parts can hold one of each class (on a few dozen samples
    of ten classes a validation part of 8 cannot): each class gives ``floor(fraction * count)`` samples, the
    rest go to the classes with the largest remainders, and every class keeps at least one sample on each
    side; otherwise a plain random split."""
    rng = np.random.default_rng(seed)
    n = len(y)
    n_validation = int(np.ceil(fraction * n))
    present, counts = np.unique(y, return_counts=True)
    if not (len(present) > 1 and counts.min() >= 2 and min(n_validation, n - n_validation) >= len(present)):
        order = rng.permutation(n)
        return np.sort(order[n_validation:]), np.sort(order[:n_validation])
    exact = fraction * counts
    taken = np.clip(np.floor(exact).astype(int), 1, counts - 1)
    remainders = exact - np.floor(exact)
    for index in np.argsort(-remainders, kind="stable"):
        if taken.sum() >= n_validation:
            break
        if taken[index] < counts[index] - 1:
            taken[index] += 1
    validation = np.concatenate([rng.permutation(np.flatnonzero(y == c))[:k] for c, k in zip(present, taken)])
    mask = np.zeros(n, dtype=bool)
    mask[validation] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


class ValidatedPredictor(ABC):
    """Base of the predictors: fit each candidate on a training split, keep the best on validation.

    Subclasses define ``_candidates()`` (hyper-parameter values) and ``_fit_candidate(value, x, y, w, val,
    previous)`` returning a fitted object whose ``predict_proba`` gives one column per class of the training data;
    ``previous`` is the model of the candidate before (same training data), from which a fit may warm-start.

    Attributes
    ----------
    n_classes_ : int
    best_ : the chosen hyper-parameter value
    model_ : the fitted model of that candidate
    """

    #: Stop at the first candidate that scores worse than the best so far (candidates ordered along a
    #: regularisation path, whose validation loss is typically unimodal).
    stop_on_worse = False

    def __init__(self, validation_fraction: float = 0.2, seed: int = 0):
        self.validation_fraction = validation_fraction
        self.seed = seed

    @abstractmethod
    def _candidates(self) -> Sequence[Any]:
        """The hyper-parameter values to try."""

    @abstractmethod
    def _fit_candidate(self, value: Any, x: np.ndarray, y: np.ndarray, w: np.ndarray, validation: tuple,
                       previous: Any = None) -> Any:
        """A model fitted with hyper-parameter ``value`` (``validation = (x, y, w)`` may drive early stopping)."""

    def fit(self, x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None, n_classes: int | None = None):
        """Fit on ``x`` (n, d) and class codes ``y`` (n,) with optional ``sample_weight`` (n,)."""
        x = np.asarray(x, dtype=np.float32)
        y = np.asarray(y, dtype=np.int64)
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        self.n_classes_ = int(n_classes or y.max() + 1)
        train, val = _stratified_split(y, self.validation_fraction, self.seed)
        best, model = None, None
        for value in self._candidates():
            model = self._fit_candidate(value, x[train], y[train], w[train], (x[val], y[val], w[val]), model)
            score = _weighted_cross_entropy(y[val], self._proba(model, x[val]), w[val])
            if best is None or score < best[0]:
                best = (score, value, model)
            elif self.stop_on_worse:
                break
        _, self.best_, self.model_ = best
        return self

    def _proba(self, model: Any, x: np.ndarray) -> np.ndarray:
        """Probabilities over all ``n_classes_`` classes (classes absent in training get ~0)."""
        known = np.asarray(model.classes_, dtype=np.int64)
        proba = np.full((len(x), self.n_classes_), PROBABILITY_FLOOR)
        proba[:, known] = model.predict_proba(x)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities of shape (n, n_classes_)."""
        return self._proba(self.model_, np.asarray(x, dtype=np.float32))


@PREDICTORS.register("logistic", "L2 logistic regression on standardised inputs, C chosen on weighted validation")
class WeightedLogistic(ValidatedPredictor):
    """Multinomial L2 logistic regression on standardised inputs, weighted; ``C`` chosen among ``Cs``.

    The candidates are fitted along the path of increasing ``C``, each starting from the coefficients of the one
    before (same optimum, fewer L-BFGS iterations: the fits are most of informativeness' time), by
    :func:`missmodal.informativeness.logistic.fit_ridge_logistic` (scikit-learn's objective on numpy arrays).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.r_[np.zeros((50, 1)), np.ones((50, 1))]
    >>> model = WeightedLogistic().fit(x, x[:, 0].astype(int))
    >>> model.predict_proba(x).shape
    (100, 2)
    """

    def __init__(self, Cs: Sequence[float] = (0.01, 0.1, 1.0, 10.0), max_iter: int = 300,
                 validation_fraction: float = 0.2, seed: int = 0):
        super().__init__(validation_fraction, seed)
        self.Cs = Cs
        self.max_iter = max_iter

    stop_on_worse = True

    def _candidates(self) -> Sequence[float]:
        return sorted(self.Cs)

    def _fit_candidate(self, value, x, y, w, validation, previous=None):
        return fit_ridge_logistic(x, y, w, value, previous=previous, max_iter=self.max_iter)


class _TorchClassifier:
    """A fitted torch MLP with scikit-learn's ``classes_`` / ``predict_proba`` interface."""

    def __init__(self, net, mean: np.ndarray, scale: np.ndarray, classes: np.ndarray):
        self.net, self.mean, self.scale, self.classes_ = net, mean, scale, classes

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        import torch

        with torch.no_grad():
            logits = self.net(torch.as_tensor((x - self.mean) / self.scale, dtype=torch.float32))
        return torch.softmax(logits, dim=1).double().numpy()


@PREDICTORS.register("mlp", "one-hidden-layer MLP (torch), weighted loss, early stopping and weight decay on weighted validation")
class WeightedMLP(ValidatedPredictor):
    """One-hidden-layer ReLU MLP trained with the weighted cross-entropy ``Σ w_i CE_i / Σ w_i`` (Adam).

    Each candidate weight decay is trained with early stopping on the weighted validation loss (the
    epoch with the lowest loss is kept); the candidate with the lowest loss wins.
    """

    def __init__(self, hidden: int = 64, weight_decays: Sequence[float] = (1e-4, 1e-2), learning_rate: float = 3e-3,
                 batch_size: int = 256, max_epochs: int = 100, patience: int = 8,
                 validation_fraction: float = 0.2, seed: int = 0):
        super().__init__(validation_fraction, seed)
        self.hidden = hidden
        self.weight_decays = weight_decays
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience

    def _candidates(self) -> Sequence[float]:
        return self.weight_decays

    def _fit_candidate(self, value, x, y, w, validation, previous=None):
        with single_threaded():
            return self._train(value, x, y, w, validation)

    def _train(self, value, x, y, w, validation):
        import copy

        import torch

        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        classes = np.unique(y)
        codes = torch.as_tensor(np.searchsorted(classes, y))
        mean, scale = x.mean(axis=0), np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
        inputs = torch.as_tensor((x - mean) / scale, dtype=torch.float32)
        weights = torch.as_tensor(w, dtype=torch.float32)
        net = torch.nn.Sequential(torch.nn.Linear(x.shape[1], self.hidden), torch.nn.ReLU(), torch.nn.Linear(self.hidden, len(classes)))
        optimiser = torch.optim.AdamW(net.parameters(), lr=self.learning_rate, weight_decay=value)
        x_val, y_val, w_val = validation
        known = np.isin(y_val, classes)
        model = _TorchClassifier(net, mean, scale, classes)
        best, best_state, stale = np.inf, copy.deepcopy(net.state_dict()), 0
        for _ in range(self.max_epochs):
            for batch in np.array_split(rng.permutation(len(y)), max(1, len(y) // self.batch_size)):
                logits = net(inputs[batch])
                losses = torch.nn.functional.cross_entropy(logits, codes[batch], reduction="none")
                loss = (losses * weights[batch]).sum() / weights[batch].sum()
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
            proba = model.predict_proba(x_val[known])
            score = _weighted_cross_entropy(np.searchsorted(classes, y_val[known]), proba, w_val[known]) if known.any() else 0.0
            if score < best - 1e-5:
                best, best_state, stale = score, copy.deepcopy(net.state_dict()), 0
            else:
                stale += 1
                if stale >= self.patience:
                    break
        net.load_state_dict(best_state)
        return model


class _FrequencyTable:
    """Smoothed weighted class frequencies per distinct input row, with ``classes_`` / ``predict_proba``."""

    def __init__(self, rows: np.ndarray, counts: np.ndarray, prior: np.ndarray, smoothing: float, classes: np.ndarray):
        self.rows, self.counts, self.prior, self.smoothing, self.classes_ = rows, counts, prior, smoothing, classes

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        keys = np.ascontiguousarray(x).view(np.dtype((np.void, x.dtype.itemsize * x.shape[1]))).ravel()
        position = np.searchsorted(self.rows, keys)
        position = np.minimum(position, len(self.rows) - 1)
        seen = self.rows[position] == keys
        counts = np.where(seen[:, None], self.counts[position], 0.0)
        proba = counts + self.smoothing * self.prior
        return proba / proba.sum(axis=1, keepdims=True)


@PREDICTORS.register("frequency", "weighted class frequencies per distinct input value (discrete inputs), smoothing chosen on weighted validation")
class WeightedFrequency(ValidatedPredictor):
    """``p̂(y | x) = (Σ_{i: x_i = x} w_i 1[y_i = y] + α π_y) / (Σ_{i: x_i = x} w_i + α)`` for discrete inputs.

    ``π`` is the weighted label distribution and ``α`` (a pseudo-count) is chosen among ``smoothings``; an
    input value unseen in training gets ``π``. Exact and fast for few distinct input rows (it is what a
    saturated logistic model on one-hot codes converges to); refuses inputs with more than
    ``max_distinct`` distinct rows.
    """

    def __init__(self, smoothings: Sequence[float] = (0.5, 2.0, 8.0), max_distinct: int = 256,
                 validation_fraction: float = 0.2, seed: int = 0):
        super().__init__(validation_fraction, seed)
        self.smoothings = smoothings
        self.max_distinct = max_distinct

    def _candidates(self) -> Sequence[float]:
        return self.smoothings

    def _fit_candidate(self, value, x, y, w, validation, previous=None):
        x = np.ascontiguousarray(x)
        keys = x.view(np.dtype((np.void, x.dtype.itemsize * x.shape[1]))).ravel()
        rows, codes = np.unique(keys, return_inverse=True)
        if len(rows) > self.max_distinct:
            raise MissmodalError(f"predictor 'frequency' needs discrete inputs: got {len(rows)} distinct rows "
                                 f"(max_distinct={self.max_distinct}); use predictor 'logistic' or 'mlp'")
        classes = np.unique(y)
        label = np.searchsorted(classes, y)
        counts = np.zeros((len(rows), len(classes)))
        np.add.at(counts, (codes.reshape(-1), label), w)
        prior = counts.sum(axis=0) / counts.sum()
        return _FrequencyTable(rows, counts, prior, value, classes)


def build_predictor(name: str, seed: int = 0) -> ValidatedPredictor:
    """A registered predictor by name (``logistic``, ``mlp``, ``frequency``)."""
    return PREDICTORS.build(name, seed=seed)


#: Out-of-fold probabilities are kept within ``[PROBABILITY_BOUND, 1 - PROBABILITY_BOUND]`` (then renormalised):
#: one confidently wrong prediction then costs at most ``log2(1 / PROBABILITY_BOUND)`` ≈ 10 bits instead of
#: ~40, so a single fold whose model saturates cannot dominate the cross-entropy, while a right prediction at
#: the bound loses only ``-log2(1 - 1e-3)`` ≈ 0.0014 bits.
PROBABILITY_BOUND = 1e-3
#: Fewest cross-fitting folds; a sample whose smallest class has fewer members cannot be cross-fitted.
MIN_FOLDS = 2


def bound_probabilities(proba: np.ndarray, bound: float = PROBABILITY_BOUND) -> np.ndarray:
    """``(n, K)`` probabilities clipped to ``[bound, 1 - bound]`` and renormalised to sum to one per row."""
    clipped = np.clip(proba, bound, 1.0 - bound)
    return clipped / clipped.sum(axis=1, keepdims=True)


def fold_count(y: np.ndarray, n_folds: int, n_classes: int | None = None) -> int:
    """Folds for cross-fitting labels ``y``: ``n_folds``, lowered to the size of the smallest class present
    (stratified folds need one member of each class per fold), at least :data:`MIN_FOLDS`.

    Raises :class:`~missmodal.errors.InsufficientDataError` when a class has fewer than ``MIN_FOLDS`` members."""
    counts = np.bincount(np.asarray(y, dtype=np.int64), minlength=int(n_classes or 0))
    present = counts[counts > 0]
    if present.size < 2:
        raise InsufficientDataError(f"only one class among the {len(y)} samples: nothing to predict")
    smallest = int(present.min())
    if smallest < MIN_FOLDS:
        raise InsufficientDataError(f"a class has only {smallest} sample(s) of {len(y)}; cross-fitting needs at least "
                                    f"{MIN_FOLDS} per class")
    return min(int(n_folds), smallest)


def cross_fitted_proba(x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None, predictor: str = "logistic",
                       n_folds: int = 3, seed: int = 0, n_classes: int | None = None,
                       n_repeats: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold class probabilities (n, K), and the fold (n,) of each sample in the first split.

    Each fold is predicted by a model fitted on the others; with ``n_repeats`` the whole cross-fitting is
    repeated on differently seeded splits and each sample's out-of-fold probabilities are averaged
    (repeated cross-fitting: the estimate no longer rests on one split). Folds are stratified by class,
    ``fold_count(y, n_folds)`` of them; each model selects its hyper-parameter on a weighted validation split
    of its training folds. The result is bounded by :func:`bound_probabilities`.
    """
    y = np.asarray(y, dtype=np.int64)
    n_classes = int(n_classes or y.max() + 1)
    folds_used = fold_count(y, n_folds, n_classes)
    total = np.zeros((len(y), n_classes))
    first_split = np.zeros(len(y), dtype=np.int64)
    for repeat in range(max(1, int(n_repeats))):
        split_seed = seed + 7919 * repeat
        folds = StratifiedKFold(folds_used, shuffle=True, random_state=split_seed).split(np.zeros(len(y)), y)
        for k, (train, test) in enumerate(folds):
            weight = None if sample_weight is None else sample_weight[train]
            model = build_predictor(predictor, seed=split_seed + k).fit(x[train], y[train], weight, n_classes=n_classes)
            total[test] += model.predict_proba(x[test])
            if repeat == 0:
                first_split[test] = k
    return bound_probabilities(total / max(1, int(n_repeats))), first_split
