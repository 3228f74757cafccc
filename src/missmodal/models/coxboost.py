"""``cox-gbdt``: gradient-boosted regression trees on the Cox partial likelihood (survival targets).

Likelihood-based boosting of the log-risk (Ridgeway 1999): ``eta_0 = 0`` and, at round ``m``, a depth-limited
regression tree ``f_m`` fitted to the gradient of the Breslow partial log-likelihood with respect to the
log-risks, ``g_j = d_j - exp(eta_j) A_j`` (``A_j`` the Breslow cumulative hazard at ``t_j``: the martingale
residuals), then ``eta <- eta + learning_rate * f_m(x)``. Absent modalities are NaN and each split learns where
they go (scikit-learn's trees with missing-value support), as in ``gbdt``; covariates enter as features.
The number of rounds is chosen by early stopping on a seeded 15% of the training data (stratified by event):
the held-out partial likelihood, ``patience`` rounds without improvement.

The trees are exported node by node into ``model.safetensors`` and walked in numpy
(:func:`missmodal.models.tabular.predict_trees`): nothing is pickled. Survival probabilities come from the
shared Breslow baseline hazard (:mod:`missmodal.models.hazard`).
"""

from __future__ import annotations

import numpy as np

from .cox import breslow_terms, partial_likelihood
from .registry import MODELS
from .tabular import NODE_FIELDS, GradientBoostingBaseline, TabularModel, predict_trees


def martingale_gradient(eta: np.ndarray, time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """``(n,)`` gradient ``d - exp(eta) A`` of the Breslow partial log-likelihood in the log-risks (any order)."""
    order = np.argsort(time, kind="stable")
    sorted_event = event[order].astype(np.float64)
    terms = breslow_terms(eta[order], time[order], sorted_event)
    result = np.empty(len(time))
    result[order] = sorted_event - terms["w"] * terms["hazard"]
    return result


def _export(tree, offset: int) -> np.ndarray:
    """Node rows (:data:`NODE_FIELDS`) of one fitted ``DecisionTreeRegressor``, children as global indices."""
    t = tree.tree_
    leaf = t.children_left < 0
    return np.column_stack([np.where(leaf, 0, t.feature), np.where(leaf, 0.0, t.threshold), t.missing_go_to_left,
                            np.where(leaf, 0, t.children_left + offset), np.where(leaf, 0, t.children_right + offset),
                            t.value.ravel(), leaf]).astype(np.float64)


@MODELS.register("cox-gbdt", "gradient-boosted trees on the Cox partial likelihood, native missing values + covariates "
                 "(survival; exported trees, no pickle)", kind="tabular")
class CoxBoostBaseline(TabularModel):
    """Boosted trees for the Cox log-risk; see the module docstring.

    Parameters (``model_params``)
    ----------
    max_rounds, learning_rate, max_depth, min_samples_leaf : boosting settings (300, 0.05, 3, 10).
    patience : early-stopping rounds without improvement of the held-out partial likelihood (20).
    """

    absent = "nan"
    tasks = ("survival",)
    #: the same exported trees as ``gbdt``, so the same checks of stored arrays (one output)
    array_problem = staticmethod(GradientBoostingBaseline.array_problem)

    @staticmethod
    def fit_arrays(X, y, n_classes, seed, max_rounds: int = 300, learning_rate: float = 0.05, max_depth: int = 3,
                   min_samples_leaf: int = 10, patience: int = 20):
        from sklearn.model_selection import train_test_split
        from sklearn.tree import DecisionTreeRegressor

        time, event = y[:, 0], y[:, 1] > 0
        fit_rows, stop_rows = train_test_split(np.arange(len(time)), test_size=0.15, random_state=seed, stratify=event)
        order = np.argsort(time[stop_rows], kind="stable")
        held_time, held_event = time[stop_rows][order], event[stop_rows][order].astype(np.float64)
        eta, eta_out = np.zeros(len(fit_rows)), np.zeros(len(stop_rows))
        trees, scores, best, rng = [], [], 0, np.random.default_rng(seed)
        for _ in range(max_rounds):
            gradient = martingale_gradient(eta, time[fit_rows], event[fit_rows])
            tree = DecisionTreeRegressor(max_depth=max_depth, min_samples_leaf=min_samples_leaf,
                                         random_state=int(rng.integers(2**31))).fit(X[fit_rows], gradient)
            eta += learning_rate * tree.predict(X[fit_rows])
            eta_out += learning_rate * tree.predict(X[stop_rows])
            trees.append(tree)
            # the held-out partial likelihood: beta = 1 on a column holding the held-out log-risks
            scores.append(partial_likelihood(np.ones(1), eta_out[order][:, None], held_time, held_event))
            if scores[-1] >= scores[best]:
                best = len(scores) - 1
            elif len(scores) - 1 - best >= patience:
                break
        kept = trees[:best + 1]
        nodes, roots, offset = [], [], 0
        for tree in kept:
            table = _export(tree, offset)
            table[:, NODE_FIELDS.index("value")] *= learning_rate
            nodes.append(table)
            roots.append(offset)
            offset += len(table)
        table = np.vstack(nodes)
        arrays = {name: table[:, j].astype(np.int64 if name in ("feature", "left", "right", "missing_left", "is_leaf") else np.float64)
                  for j, name in enumerate(NODE_FIELDS)}
        arrays.update(roots=np.array(roots, dtype=np.int64), tree_output=np.zeros(len(roots), dtype=np.int64),
                      baseline=np.zeros(1))
        return arrays, {"rounds": len(kept), "rounds_tried": len(trees), "learning_rate": learning_rate,
                        "max_depth": max_depth, "held_out_partial_likelihood": float(scores[best])}

    def decision(self, X):
        return predict_trees(self.arrays, X)
