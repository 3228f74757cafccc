"""Strong tabular baselines registered as models: ``logistic`` and ``gbdt``.

Both read the same :class:`MultimodalData` as the fusion models and use the covariates.

- ``logistic``: every modality standardised on its observed training rows and mean-imputed (0 after
  standardisation), one missing indicator per modality, the standardised covariates; an L2 logistic
  regression whose inverse strength ``C`` is chosen by stratified inner cross-validation on the training
  data (validation log loss), :class:`sklearn.linear_model.LogisticRegressionCV`.
- ``gbdt``: gradient-boosted trees with native missing values (absent modalities are NaN; each split learns
  where they go), :class:`sklearn.ensemble.HistGradientBoostingClassifier` with internal early stopping.

Model files stay safe to load: the coefficients, and the trees exported node by node (feature, threshold,
missing direction, children, leaf value), are plain arrays in ``model.safetensors``; prediction walks the
exported trees in numpy and never unpickles a scikit-learn object.
"""

from __future__ import annotations

import time
from abc import abstractmethod
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..data import MultimodalData
from ..errors import MissmodalError
from .files import write_model_files
from .predictor import Predictor
from .preprocess import Preprocessing
from .registry import MODELS, TABULAR

TABULAR_TASKS = ("binary", "multiclass")


def design_matrix(preprocessing: Preprocessing, data: MultimodalData, absent: str) -> np.ndarray:
    """``(n, F)`` float64 features: standardised modalities, then (``absent="indicator"``) one missing indicator
    per modality, then the standardised covariates.

    ``absent="indicator"``: absent modalities are 0 (the training mean) and flagged by the indicators;
    ``absent="nan"``: absent modalities are NaN (native missing values of the trees), no indicators. Fields
    that ``data.field_observed`` marks unobserved inside a present block are treated the same way.
    """
    inputs, observed = preprocessing.inputs(data)
    blocks = [x.numpy().astype(np.float64) for x in inputs]
    observed = observed.numpy()
    field_observed = getattr(data, "field_observed", None) or {}
    for m, name in enumerate(preprocessing.modality_names):
        fields = np.asarray(field_observed[name], dtype=bool) if name in field_observed else True
        hidden = ~(observed[:, m:m + 1] & fields)
        blocks[m][np.broadcast_to(hidden, blocks[m].shape)] = np.nan if absent == "nan" else 0.0
    if absent == "indicator":
        blocks.append((~observed).astype(np.float64))
    covariates = preprocessing.covariates(data)
    if covariates is not None:
        blocks.append(covariates.numpy().astype(np.float64))
    return np.hstack(blocks)


class TabularModel(Predictor):
    """Base class of the tabular baselines: a design matrix, a fitted decision function stored as arrays.

    Subclasses set ``absent`` (see :func:`design_matrix`) and implement :meth:`fit_arrays` and :meth:`decision`.

    Parameters
    ----------
    arrays : the fitted parameters, name -> numpy array (written to ``model.safetensors``).
    """

    absent = "indicator"
    #: The tasks a baseline fits (survival baselines: ``("survival",)``, their ``y`` the ``(n, 2)`` (time, event)).
    tasks = TABULAR_TASKS

    def __init__(self, name: str, preprocessing: Preprocessing, train_group_counts: dict[int, int],
                 arrays: dict[str, np.ndarray], info: dict[str, Any] | None = None):
        super().__init__(name, preprocessing, train_group_counts, info)
        self.arrays = arrays

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name}, task={self.task}, modalities={self.preprocessing.modality_names})"

    @classmethod
    def fit(cls, name: str, train_data: MultimodalData, seed: int = 0, **params: Any) -> "TabularModel":
        """Fit on ``train_data`` (classification with a target); ``params`` go to :meth:`fit_arrays`."""
        preprocessing = Preprocessing.fit(train_data)
        if preprocessing.task not in cls.tasks:
            raise MissmodalError(f"model {name!r} supports {' and '.join(cls.tasks)} targets, not {preprocessing.task}")
        if preprocessing.task == "survival":
            y, n_classes = train_data.target, 0
        else:
            labels = preprocessing.align_target(train_data, "training target")
            y, n_classes = np.searchsorted(np.asarray(preprocessing.classes), labels), len(preprocessing.classes)
        started = time.perf_counter()
        try:
            arrays, details = cls.fit_arrays(design_matrix(preprocessing, train_data, cls.absent), y, n_classes, seed, **params)
        except TypeError as error:
            raise MissmodalError(f"model {name!r}: bad parameters {params} ({error})") from None
        info = {"model": name, "model_params": params, "seed": seed, "seconds": time.perf_counter() - started, **details}
        model = cls(name, preprocessing, train_data.group_counts(), arrays, info)
        return model.fit_baseline_hazard(train_data, "training") if preprocessing.task == "survival" else model

    @staticmethod
    @abstractmethod
    def fit_arrays(X: np.ndarray, y: np.ndarray, n_classes: int, seed: int, **params: Any) -> tuple[dict[str, np.ndarray], dict]:
        """Fit on ``X`` (n, F) and class indices ``y`` (n,) (survival: (time, event) ``(n, 2)``, ``n_classes = 0``);
        return the parameter arrays and JSON-able details."""

    @abstractmethod
    def decision(self, X: np.ndarray) -> np.ndarray:
        """``(n, out_dim)`` logits: log-odds (binary, ``out_dim = 1``), class scores (multi-class) or log-risks (survival)."""

    def raw_scores(self, data: MultimodalData) -> np.ndarray:
        X = design_matrix(self.preprocessing, data, self.absent)
        return self.preprocessing.scores(torch.from_numpy(self.decision(X)))

    def save(self, path: str | Path) -> Path:
        tensors = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in self.arrays.items()}
        return write_model_files(path, tensors, {"name": self.name, "params": {}}, self)

    @classmethod
    def from_files(cls, folder: Path, architecture: dict, tensors: dict[str, torch.Tensor], preprocessing: Preprocessing,
                   counts: dict[int, int], info: dict, trust_unhashed: bool = False) -> "TabularModel":
        """Rebuild a saved baseline from its arrays (the inverse of :meth:`save`; called by ``load_model``;
        ``trust_unhashed`` concerns member folders of ensembles only)."""
        name = architecture["name"]
        if preprocessing.task not in cls.tasks:
            raise MissmodalError(f"{folder / 'model.json'}: model {name!r} fits {' or '.join(cls.tasks)} targets, "
                                 f"but preprocessing.task is {preprocessing.task!r}")
        arrays = {k: v.numpy() for k, v in tensors.items()}
        n_outputs = 1 if preprocessing.task in ("binary", "survival") else len(preprocessing.classes)
        problem = next((f"array {k!r} holds NaN or infinite values" for k, v in arrays.items()
                        if v.dtype.kind == "f" and not np.isfinite(v).all()), None)
        problem = problem or cls.array_problem(arrays, n_features(preprocessing, cls.absent), n_outputs)
        if problem:
            raise MissmodalError(f"{folder / 'model.safetensors'}: weights do not fit model {name!r} ({problem})")
        return cls(name, preprocessing, counts, arrays, info)

    @staticmethod
    @abstractmethod
    def array_problem(arrays: dict[str, np.ndarray], n_features: int, n_outputs: int) -> str | None:
        """What is wrong with stored ``arrays`` for ``n_features`` inputs and ``n_outputs`` outputs (None: nothing)."""


def n_features(preprocessing: Preprocessing, absent: str) -> int:
    """Columns of :func:`design_matrix`: the modality widths, one indicator per modality (``"indicator"``),
    the covariates."""
    indicators = len(preprocessing.dims) if absent == "indicator" else 0
    return sum(preprocessing.dims) + indicators + preprocessing.n_covariates


def shape_problem(arrays: dict[str, np.ndarray], expected: dict[str, tuple[int, ...]]) -> str | None:
    """The first array whose name or shape differs from ``expected`` (name -> shape), described; else None."""
    for key in sorted(set(arrays) ^ set(expected)):
        return f"array {key!r}: file {tuple(arrays[key].shape) if key in arrays else 'absent'}, " \
               f"model {expected[key] if key in expected else 'absent'}"
    for key, shape in expected.items():
        if tuple(arrays[key].shape) != shape:
            return f"array {key!r}: file {tuple(arrays[key].shape)}, model {shape}"
    return None


@MODELS.register("logistic", "mean imputation + missing indicators + covariates, L2 logistic regression, C by inner CV",
                 kind="tabular")
class LogisticBaseline(TabularModel):
    """L2-regularised logistic regression on the mean-imputed design matrix with missing indicators.

    ``p(y = k | x) = softmax_k(x W^T + b)`` (binary: ``sigmoid(x w + b)``), ``C`` chosen among ``Cs`` by
    ``folds``-fold stratified cross-validation of the log loss on the training data.

    Parameters (``model_params``)
    ----------
    Cs : candidate inverse regularisation strengths (default ``10^-3 .. 10^1``, 5 values).
    folds : inner cross-validation folds (default 5).
    """

    absent = "indicator"

    @staticmethod
    def fit_arrays(X, y, n_classes, seed, Cs=(1e-3, 1e-2, 1e-1, 1.0, 10.0), folds: int = 5):
        from sklearn.linear_model import LogisticRegressionCV
        from sklearn.model_selection import StratifiedKFold

        smallest = int(np.bincount(y, minlength=n_classes).min())
        folds = max(2, min(int(folds), smallest))
        cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
        clf = LogisticRegressionCV(Cs=list(Cs), cv=cv, scoring="neg_log_loss", max_iter=2000, l1_ratios=(0.0,),
                                   use_legacy_attributes=False).fit(X, y)
        arrays = {"coef": clf.coef_.astype(np.float64), "intercept": clf.intercept_.astype(np.float64)}
        return arrays, {"C": float(np.ravel(clf.C_)[0]), "Cs": [float(c) for c in Cs], "folds": folds}

    @staticmethod
    def array_problem(arrays, n_features, n_outputs):
        """``coef`` (K, F) and ``intercept`` (K,)."""
        return shape_problem(arrays, {"coef": (n_outputs, n_features), "intercept": (n_outputs,)})

    def decision(self, X):
        return X @ self.arrays["coef"].T + self.arrays["intercept"]


@MODELS.register("gbdt", "gradient-boosted trees with native missing values + covariates (exported trees, no pickle)",
                 kind="tabular")
class GradientBoostingBaseline(TabularModel):
    """Histogram gradient boosting; absent modalities are NaN and each split learns their direction.

    Raw score of class ``k``: ``F_k(x) = b_k + sum_t f_{t,k}(x)`` over the boosted trees of ``k``, then the
    sigmoid (binary) or softmax (multi-class). The trees are exported to flat node arrays at fit time and
    evaluated by :meth:`decision`: at a node with feature ``j`` and threshold ``s``, NaN goes to the learned
    side, ``x_j <= s`` goes left, anything else right.

    Parameters (``model_params``)
    ----------
    max_iter, learning_rate, max_leaf_nodes, min_samples_leaf, l2_regularization, max_bins : boosting settings.
    max_features : share of the features drawn at each split (default ``min(1, 50 / F)``: every feature of
        a narrow clinical table, about 50 of a wide embedding table, which keeps mfeat's 649 features cheap).
    n_iter_no_change : early stopping on a seeded 15% of the training data after this many rounds without
        improvement.

    The defaults (``learning_rate = 0.1``, ``max_iter = 200``, ``n_iter_no_change = 20``) stay those of the
    earlier release: 0.2 / 100 / 10 halved the trees and a bench cell's CPU time (25 s -> 12 s) at the same
    mean accuracy, but lost the worst of the 63 all-combinations groups on mfeat/mar30 (0.330 ± 0.023 ->
    0.221 ± 0.040 over 3 seeds; 0.324, 0.311, 0.355 -> 0.267, 0.197, 0.200 per seed: the combination of the
    fewest modalities needs the finer steps), ``benchmarks/results/speed.md``.
    """

    absent = "nan"

    @staticmethod
    def fit_arrays(X, y, n_classes, seed, max_iter: int = 200, learning_rate: float = 0.1, max_leaf_nodes: int = 15,
                   min_samples_leaf: int = 10, l2_regularization: float = 1.0, max_bins: int = 63,
                   max_features: float | None = None, n_iter_no_change: int = 20):
        from sklearn.ensemble import HistGradientBoostingClassifier

        max_features = min(1.0, 50 / X.shape[1]) if max_features is None else max_features
        clf = HistGradientBoostingClassifier(max_iter=max_iter, learning_rate=learning_rate, max_leaf_nodes=max_leaf_nodes,
                                             min_samples_leaf=min_samples_leaf, l2_regularization=l2_regularization,
                                             max_bins=max_bins, max_features=max_features, early_stopping=True,
                                             validation_fraction=0.15, n_iter_no_change=n_iter_no_change, random_state=seed).fit(X, y)
        return export_trees(clf), {"n_iter": int(clf.n_iter_), "max_features": float(max_features)}

    def decision(self, X):
        return predict_trees(self.arrays, X)

    @staticmethod
    def array_problem(arrays, n_features, n_outputs):
        """Node arrays of one length N, ``roots`` and ``tree_output`` of one length, ``baseline`` (K,); split
        features in ``[0, F)``, children after their parent (so that every walk ends at a leaf), tree outputs
        in ``[0, K)``."""
        nodes = len(arrays["feature"]) if "feature" in arrays else 0
        trees = len(arrays["roots"]) if "roots" in arrays else 0
        expected = {name: (nodes,) for name in NODE_FIELDS}
        expected.update(roots=(trees,), tree_output=(trees,), baseline=(n_outputs,))
        problem = shape_problem(arrays, expected)
        if problem:
            return problem
        internal = arrays["is_leaf"] == 0
        index = np.arange(nodes)
        checks = [("is_leaf", np.isin(arrays["is_leaf"], (0, 1)).all()),
                  ("missing_left", np.isin(arrays["missing_left"], (0, 1)).all()),
                  ("feature", ((arrays["feature"] >= 0) & (arrays["feature"] < n_features))[internal].all()),
                  ("left", ((arrays["left"] > index) & (arrays["left"] < nodes))[internal].all()),
                  ("right", ((arrays["right"] > index) & (arrays["right"] < nodes))[internal].all()),
                  ("roots", ((arrays["roots"] >= 0) & (arrays["roots"] < nodes)).all()),
                  ("tree_output", ((arrays["tree_output"] >= 0) & (arrays["tree_output"] < n_outputs)).all())]
        bad = next((name for name, ok in checks if not ok), None)
        return None if bad is None else f"array {bad!r} holds values outside the trees of {n_features} features"


NODE_FIELDS = ("feature", "threshold", "missing_left", "left", "right", "value", "is_leaf")


def export_trees(clf) -> dict[str, np.ndarray]:
    """Flat node arrays of a fitted ``HistGradientBoosting*`` model: children as global node indices,
    ``roots`` (T,), ``tree_output`` (T,) the output column of each tree, ``baseline`` (K,)."""
    nodes, roots, outputs, offset = [], [], [], 0
    for iteration in clf._predictors:
        for k, predictor in enumerate(iteration):
            tree = predictor.nodes
            if tree["is_categorical"].any():
                raise MissmodalError("categorical tree splits cannot be exported")
            nodes.append(np.column_stack([tree["feature_idx"], tree["num_threshold"], tree["missing_go_to_left"],
                                          tree["left"].astype(np.int64) + offset, tree["right"].astype(np.int64) + offset,
                                          tree["value"], tree["is_leaf"]]).astype(np.float64))
            roots.append(offset)
            outputs.append(k)
            offset += len(tree)
    table = np.vstack(nodes) if nodes else np.zeros((0, len(NODE_FIELDS)))
    arrays = {name: table[:, j].astype(np.int64 if name in ("feature", "left", "right", "missing_left", "is_leaf") else np.float64)
              for j, name in enumerate(NODE_FIELDS)}
    arrays.update(roots=np.array(roots, dtype=np.int64), tree_output=np.array(outputs, dtype=np.int64),
                  baseline=np.ravel(clf._baseline_prediction).astype(np.float64))
    return arrays


def predict_trees(arrays: dict[str, np.ndarray], X: np.ndarray, batch_size: int = 4096) -> np.ndarray:
    """``(n, K)`` raw scores ``baseline + sum of leaf values`` of the exported trees: every (row, tree) pair of a
    batch walks down together, and only the pairs not yet at a leaf take the next step."""
    n_outputs = len(arrays["baseline"])
    result = np.tile(arrays["baseline"], (X.shape[0], 1))
    roots = arrays["roots"]
    if roots.size == 0:
        return result
    feature, threshold, left, right = arrays["feature"], arrays["threshold"], arrays["left"], arrays["right"]
    missing_left, leaf = arrays["missing_left"].astype(bool), arrays["is_leaf"].astype(bool)
    trees_of = [np.flatnonzero(arrays["tree_output"] == k) for k in range(n_outputs)]
    for start in range(0, X.shape[0], batch_size):
        rows = X[start:start + batch_size]
        node = np.tile(roots, rows.shape[0])  # (b * T,): the current node of each (row, tree), row-major
        row_of = np.repeat(np.arange(rows.shape[0]), roots.size)
        pending = np.flatnonzero(~leaf[node])
        while pending.size:
            current = node[pending]
            x = rows[row_of[pending], feature[current]]
            moved = np.where(np.where(np.isnan(x), missing_left[current], x <= threshold[current]), left[current], right[current])
            node[pending] = moved
            pending = pending[~leaf[moved]]
        values = arrays["value"][node].reshape(rows.shape[0], roots.size)
        for k, trees in enumerate(trees_of):
            result[start:start + batch_size, k] += values[:, trees].sum(axis=1)
    return result


def fit_tabular(name: str, train_data: MultimodalData, val_data: MultimodalData | None = None, seed: int = 0,
                **params: Any) -> TabularModel:
    """Fit the tabular baseline ``name`` on ``train_data``; calibrate it on ``val_data`` when given."""
    model = TABULAR.get(name).fit(name, train_data, seed=seed, **params)
    return model.calibrate(val_data) if val_data is not None else model
