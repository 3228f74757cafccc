"""Partial information decomposition (Bertschinger et al. 2014, "BROJA") of I(Y; X1, X2) in bits.

With ``Δ_p = {q : q(x1, y) = p(x1, y), q(x2, y) = p(x2, y)}``, the distributions that keep the two
pairwise marginals of ``p``::

    q* = argmin_{q ∈ Δ_p} I_q(Y; X1, X2)
    U1 = I_q*(Y; X1, X2) - I(Y; X2)        U2 = I_q*(Y; X1, X2) - I(Y; X1)
    R  = I(Y; X1) + I(Y; X2) - I_q*(Y; X1, X2)
    S  = I_p(Y; X1, X2) - I_q*(Y; X1, X2)

``U1 + U2 + R + S = I_p(Y; X1, X2)``, ``U1 + R = I(Y; X1)`` and ``U2 + R = I(Y; X2)``; all four terms are
non-negative. Two estimators:

- :func:`broja_pid`: exact, for a discrete joint table (the exponential-cone program of
  :mod:`~missmodal.informativeness.broja`, with a feasibility and duality-gap certificate);
  :func:`discrete_pid` builds that table from (weighted) samples.
- :class:`BatchPID`: the batch estimator of Liang et al. (2023) for continuous modalities: within a batch
  of ``m`` samples, ``q(x1_a, x2_b, y) ∝ exp(f1(x1_a)_y · f2(x2_b)_y)`` is projected onto the marginal
  constraints by Sinkhorn scaling per label, and the networks ``f1, f2`` are trained to minimise
  ``I_q(Y; X1, X2)``; the marginals ``p(x_k, y)`` come from classifiers ``p̂(y | x_k)`` and the sample masses
  are the normalised IPW weights.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.special import xlogy

from ..errors import MissmodalError
from .broja import FEASIBILITY_TOL, GAP_TOL, conditional_negentropy, solve_broja
from ._threads import single_threaded

LOG2 = np.log(2.0)


@dataclass(frozen=True)
class PID:
    """The four PID terms of I(Y; X1, X2), in bits (``total = unique1 + unique2 + redundancy + synergy``)."""

    unique1: float
    unique2: float
    redundancy: float
    synergy: float

    @property
    def total(self) -> float:
        return self.unique1 + self.unique2 + self.redundancy + self.synergy

    def to_dict(self, name1: str = "x1", name2: str = "x2") -> dict:
        """``{"unique": {name1: U1, name2: U2}, "redundancy": R, "synergy": S, "total": ...}``."""
        return {"unique": {name1: self.unique1, name2: self.unique2}, "redundancy": self.redundancy,
                "synergy": self.synergy, "total": self.total}

    def as_array(self) -> np.ndarray:
        """``[U1, U2, R, S, total]``."""
        values = asdict(self)
        return np.array([values["unique1"], values["unique2"], values["redundancy"], values["synergy"], self.total])


def pid_from_informations(i1: float, i2: float, i_q: float, i_p: float, tolerance: float | None = None) -> PID:
    """PID terms from I(Y;X1), I(Y;X2), min_q I_q(Y;X1,X2) and I_p(Y;X1,X2) (any unit; clipped at 0).

    Estimated inputs (the batch estimator) can violate ``max(i1, i2) <= i_q <= min(i1 + i2, i_p)`` by
    estimation error; ``i_q`` is first clipped into ``[max(i1, i2), i1 + i2]`` and ``i_p`` raised to at least
    ``i_q``, so that the terms stay non-negative and keep the identities ``U_k + R = I(Y; X_k)``. With a
    ``tolerance`` (exact inputs) a violation larger than it raises instead of being clipped away.
    """
    if tolerance is not None:
        excess = max(max(i1, i2) - i_q, i_q - i1 - i2, i_q - i_p, -min(i1, i2))
        if excess > tolerance:
            raise MissmodalError(f"PID inputs I1={i1:.6g}, I2={i2:.6g}, I_q={i_q:.6g}, I_p={i_p:.6g} violate "
                                 f"max(I1, I2) <= I_q <= min(I1 + I2, I_p) by {excess:.3g} > tolerance {tolerance:.3g}")
    i1, i2 = max(float(i1), 0.0), max(float(i2), 0.0)
    i_q = float(np.clip(i_q, max(i1, i2), i1 + i2))
    i_p = max(float(i_p), i_q)
    return PID(unique1=i_q - i2, unique2=i_q - i1, redundancy=i1 + i2 - i_q, synergy=i_p - i_q)


# --- exact discrete PID ----------------------------------------------------------------------------------


def mutual_information(joint: np.ndarray) -> dict[str, float]:
    """``I(Y;X1)``, ``I(Y;X2)`` and ``I(Y;X1,X2)`` in bits of a joint table ``p(x1, x2, y)``."""
    p = np.asarray(joint, dtype=float)
    p = p / p.sum()
    py = p.sum(axis=(0, 1))
    h_y = -xlogy(py, py).sum()

    def conditional_entropy(pxy: np.ndarray) -> float:  # H(Y | X) for pxy of shape (k, ky)
        return float(-(xlogy(pxy, pxy).sum() - xlogy(pxy.sum(axis=1), pxy.sum(axis=1)).sum()))

    k1, k2, ky = p.shape
    return {"i1": (h_y - conditional_entropy(p.sum(axis=1))) / LOG2,
            "i2": (h_y - conditional_entropy(p.sum(axis=0))) / LOG2,
            "i12": (h_y - conditional_entropy(p.reshape(k1 * k2, ky))) / LOG2}


def broja_q(joint: np.ndarray) -> np.ndarray:
    """The certified minimiser ``q*`` of ``I_q(Y; X1, X2)`` over Δ_p (see :mod:`~missmodal.informativeness.broja`)."""
    return solve_broja(joint).q


def broja_pid(joint: np.ndarray, solver=None) -> PID:
    """Exact BROJA PID, in bits, of a joint table ``p(x1, x2, y)`` of shape (k1, k2, ky).

    ``q*`` comes from :func:`~missmodal.informativeness.broja.solve_broja` (feasible within
    ``FEASIBILITY_TOL``, optimal within the certified ``GAP_TOL``, else an error); the terms are clipped at 0
    only within that certified tolerance. ``solver`` replaces the default primal-dual solver.

    Examples
    --------
    >>> import numpy as np
    >>> xor = np.zeros((2, 2, 2))
    >>> for a in (0, 1):
    ...     for b in (0, 1):
    ...         xor[a, b, a ^ b] = 0.25
    >>> round(broja_pid(xor).synergy, 6)
    1.0
    """
    p = np.asarray(joint, dtype=float)
    solution = solve_broja(p) if solver is None else solve_broja(p, solver=solver)
    informations = mutual_information(p)
    i_q = informations["i12"] + (solution.objective - conditional_negentropy(p / p.sum())) / LOG2
    tolerance = (GAP_TOL + 10 * FEASIBILITY_TOL) / LOG2 + 1e-9
    return pid_from_informations(informations["i1"], informations["i2"], i_q, informations["i12"], tolerance=tolerance)


def _codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Integer codes of the distinct rows of an (n, d) array, and their count."""
    values = np.asarray(values)
    values = values.reshape(len(values), -1)
    _, codes = np.unique(values, axis=0, return_inverse=True)
    codes = codes.reshape(-1)
    return codes, int(codes.max()) + 1 if len(codes) else 0


def alphabet_size(values: np.ndarray) -> int:
    """Number of distinct rows of an (n, d) array."""
    return _codes(values)[1]


def joint_table(x1: np.ndarray, x2: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> np.ndarray:
    """The (weighted) empirical distribution ``p(x1, x2, y)`` of discrete samples, shape (k1, k2, ky).

    Rows of ``x1`` (n, d1) and ``x2`` (n, d2) are coded by their distinct values; ``y`` is (n,).
    """
    c1, k1 = _codes(x1)
    c2, k2 = _codes(x2)
    cy, ky = _codes(np.asarray(y)[:, None])
    weight = np.ones(len(c1)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    table = np.zeros((k1, k2, ky))
    np.add.at(table, (c1, c2, cy), weight)
    return table / table.sum()


def discrete_pid(x1: np.ndarray, x2: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> PID:
    """Exact PID, in bits, of the (weighted) empirical distribution of discrete samples.

    ``sample_weight`` (n,) are sample masses (normalised IPW weights for the corrected estimate).
    """
    return broja_pid(joint_table(x1, x2, y, sample_weight))


# --- continuous batch PID ----------------------------------------------------------------------------------


def _torch():
    import torch

    return torch


#: Upper bound of the kernel's inverse temperature: log-kernel values stay in [-40, 40].
MAX_KERNEL_SCALE = 40.0


def _coupling_network(in_dims: tuple[int, int], n_classes: int, embed_dim: int, hidden: int):
    """``(z1 (m, d1), z2 (m, d2)) -> log-kernel (ky, m, m)``: ``s_y · cos(f1(z1_a)_y, f2(z2_b)_y)``.

    ``f1, f2`` are two-layer MLPs with ``ky * embed_dim`` outputs; the embeddings are L2-normalised per
    label and ``s_y = exp(t_y)`` is a learned inverse temperature (at most ``MAX_KERNEL_SCALE``), so the
    kernel stays bounded and its gradients alive.
    """
    torch = _torch()

    class Coupling(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.f1, self.f2 = (torch.nn.Sequential(torch.nn.Linear(d, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, n_classes * embed_dim))
                                for d in in_dims)
            self.log_scale = torch.nn.Parameter(torch.zeros(n_classes))

        def forward(self, z1, z2):
            e1 = torch.nn.functional.normalize(self.f1(z1).reshape(len(z1), n_classes, embed_dim), dim=2)
            e2 = torch.nn.functional.normalize(self.f2(z2).reshape(len(z2), n_classes, embed_dim), dim=2)
            scale = torch.exp(torch.clamp(self.log_scale, max=float(np.log(MAX_KERNEL_SCALE))))
            return scale[:, None, None] * torch.einsum("aye,bye->yab", e1, e2)

    return Coupling()


def _batch_informations(log_kernel, r, c, n_iter: int):
    """Sinkhorn-project ``exp(log_kernel)`` (ky, m, m) onto row sums ``r`` (m, ky) and column sums ``c``
    (m, ky) per label; return ``(I(Y;X1), I(Y;X2), I_q(Y;X1,X2))`` in nats of the batch atoms.

    The scalings are iterated in the log domain (``log u = log r - logsumexp(log K + log v)``): with many
    classes and confident classifiers the marginals reach 1e-12 and the kernel spans e^-80, where the plain
    iteration underflows in float32 and its gradient turns NaN.
    """
    torch = _torch()
    log_kernel = log_kernel - log_kernel.amax(dim=(1, 2), keepdim=True).detach()
    log_rows, log_columns = torch.log(r.T), torch.log(c.T)  # (ky, m)
    log_v = torch.zeros_like(log_columns)
    for _ in range(n_iter):
        log_u = log_rows - torch.logsumexp(log_kernel + log_v[:, None, :], dim=2)
        log_v = log_columns - torch.logsumexp(log_kernel + log_u[:, :, None], dim=1)
    log_q = log_u[:, :, None] + log_kernel + log_v[:, None, :]
    q = torch.exp(log_q)
    log_pairs = torch.logsumexp(log_q, dim=0)
    pi = r.sum(dim=0)
    h_y = -(pi * torch.log(pi)).sum()
    i_q = h_y + (q * log_q).sum() - (torch.exp(log_pairs) * log_pairs).sum()

    def unimodal(marginal):
        return (marginal * (torch.log(marginal) - torch.log(marginal.sum(dim=1, keepdim=True)) - torch.log(pi))).sum()

    return unimodal(r), unimodal(c), i_q


class BatchPID:
    """Batch PID estimator (Liang et al. 2023) for continuous modalities, with sample masses.

    In a batch of ``m`` samples with masses ``w_a`` (normalised IPW weights; 1 for the naive estimate) the
    pairwise marginals are ``p(x1_a, y) ∝ w_a p̂(y | x1_a)`` and ``p(x2_b, y) ∝ w_b p̂(y | x2_b)``, both scaled
    to one label distribution ``π`` (the weighted mean of the two classifiers' probabilities). The coupling::

        q(x1_a, x2_b, y) = exp(s_y cos(f1(x1_a)_y, f2(x2_b)_y) + u_ay + v_by)

    with ``u, v`` from Sinkhorn scaling (per label) to those marginals; ``f1, f2`` (two-layer MLPs on the
    modality and its classifier's log-probabilities, output ``(ky, embed_dim)``) and the inverse
    temperatures ``s_y`` are trained on batches to minimise ``I_q(Y; X1, X2)``. Each evaluation batch keeps
    the lower of the learned coupling and the conditionally independent one
    ``p(x1, y) p(x2, y) / p(y)``, so ``I_q <= I(Y;X1) + I(Y;X2)`` and the redundancy is never negative. ``I_p(Y; X1, X2)``
    comes from a joint classifier ``p̂(y | x1, x2)``. Estimates are 2-fold cross-fitted: networks trained on
    one half are evaluated on batches of the other.

    Parameters
    ----------
    batch_size : int
        Atoms per evaluation batch ``m`` (the coupling has ``m * m * ky`` cells).
    train_batch_size : int
        Atoms per training batch.
    n_steps : int
        Adam steps per fold.
    embed_dim, hidden : int
        Width of the label embeddings and of the hidden layer.
    learning_rate : float
    sinkhorn_iter, train_sinkhorn_iter : int
        Sinkhorn iterations per evaluation batch (float64) and per training step (float32, differentiated).
    max_features : int
        Inputs wider than this are reduced by PCA (fitted on the training half); the classifier's
        log-probabilities are appended to the inputs of each network.
    seed : int

    Attributes
    ----------
    pid_ : PID
        The estimate (bits), set by :meth:`fit`.
    batch_informations_ : ndarray of shape (n_batches, 4)
        Per evaluation batch: ``I(Y;X1), I(Y;X2), I_q(Y;X1,X2), I_p(Y;X1,X2)`` in bits.
    """

    def __init__(self, batch_size: int = 256, train_batch_size: int = 128, n_steps: int = 150, embed_dim: int = 16,
                 hidden: int = 64, learning_rate: float = 3e-2, sinkhorn_iter: int = 50, train_sinkhorn_iter: int = 10,
                 max_features: int = 32, seed: int = 0):
        self.batch_size = batch_size
        self.train_batch_size = train_batch_size
        self.n_steps = n_steps
        self.embed_dim = embed_dim
        self.hidden = hidden
        self.learning_rate = learning_rate
        self.sinkhorn_iter = sinkhorn_iter
        self.train_sinkhorn_iter = train_sinkhorn_iter
        self.max_features = max_features
        self.seed = seed

    def _inputs(self, x: np.ndarray, proba: np.ndarray, train: np.ndarray) -> np.ndarray:
        """Network inputs: the standardised modality (PCA-reduced when wide) and its classifier's log-probabilities."""
        from sklearn.decomposition import PCA
        from sklearn.preprocessing import StandardScaler

        x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        z = StandardScaler().fit(x[train]).transform(x)
        if z.shape[1] > self.max_features:
            z = PCA(self.max_features, random_state=self.seed).fit(z[train]).transform(z)
        z = np.hstack([z, np.log(proba)])
        return StandardScaler().fit(z[train]).transform(z).astype(np.float32)

    def fit(self, x1: np.ndarray, x2: np.ndarray, proba1: np.ndarray, proba2: np.ndarray, proba12: np.ndarray,
            sample_weight: np.ndarray | None = None) -> "BatchPID":
        """Estimate the PID.

        Parameters
        ----------
        x1, x2 : arrays of shape (n, d1), (n, d2)
            The two modalities (or modality sets) of the same n samples.
        proba1, proba2, proba12 : arrays of shape (n, ky)
            Out-of-sample class probabilities of classifiers on x1, x2 and (x1, x2).
        sample_weight : array of shape (n,), optional
            Sample masses (normalised IPW weights).
        """
        torch = _torch()
        n = len(x1)
        probas = [np.clip(np.asarray(p, dtype=np.float64), 1e-9, 1.0) for p in (proba1, proba2, proba12)]
        if any(p.shape != probas[0].shape or p.shape[0] != n for p in probas) or probas[0].ndim != 2:
            raise MissmodalError(f"proba1, proba2 and proba12 must all have shape ({n}, n_classes)")
        if n < 4:
            raise MissmodalError(f"the batch PID needs at least 4 samples, got {n}")
        weight = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        rng = np.random.default_rng(self.seed)
        torch.manual_seed(self.seed)
        order = rng.permutation(n)
        halves = [order[: n // 2], order[n // 2:]]
        rows = []
        with single_threaded():
            for fold in (0, 1):
                rows += self._fold(x1, x2, probas, weight, halves[fold], halves[1 - fold], rng)
        self.batch_informations_ = np.array(rows) / LOG2
        self.pid_ = pid_from_informations(*self._aggregate(self.batch_informations_))
        return self

    def _fold(self, x1, x2, probas, weight, train, test, rng) -> list[list[float]]:
        """Train the networks on ``train``; per-batch informations (nats) on ``test``."""
        torch = _torch()
        z1, z2 = self._inputs(x1, probas[0], train), self._inputs(x2, probas[1], train)
        network = self._train(z1[train], z2[train], [p[train] for p in probas], weight[train], rng)
        rows = []
        for start in range(0, len(test), self.batch_size):
            batch = test[start:start + self.batch_size]
            if len(batch) < 2:
                continue
            with torch.no_grad():
                rows.append(self._evaluate(network, z1[batch], z2[batch], [p[batch] for p in probas], weight[batch]))
        return rows

    @staticmethod
    def _aggregate(batch_informations: np.ndarray, counts: np.ndarray | None = None) -> np.ndarray:
        """Mean of the per-batch ``(I1, I2, I_q, I_p)``, optionally with bootstrap counts per batch."""
        return np.average(batch_informations, axis=0, weights=counts)

    def bootstrap(self, n_boot: int, seed: int = 0) -> np.ndarray:
        """``(n_boot, 5)`` PID terms ``[U1, U2, R, S, total]`` from batches resampled with replacement."""
        rng = np.random.default_rng(seed)
        n_batches = len(self.batch_informations_)
        counts = rng.multinomial(n_batches, np.full(n_batches, 1 / n_batches), size=n_boot)
        return np.array([pid_from_informations(*self._aggregate(self.batch_informations_, c)).as_array() for c in counts])

    def _marginals(self, probas, weight, dtype):
        """Batch marginals ``r`` (m, ky), ``c`` (m, ky) scaled to a shared label distribution, and p(y | x1, x2)."""
        torch = _torch()
        mass = torch.as_tensor(weight / weight.sum(), dtype=dtype)[:, None]
        p1, p2, p12 = (torch.as_tensor(p, dtype=dtype) for p in probas)
        pi = 0.5 * ((mass * p1).sum(0) + (mass * p2).sum(0))
        r = mass * p1 * (pi / (mass * p1).sum(0))
        c = mass * p2 * (pi / (mass * p2).sum(0))
        return r, c, mass, p12

    def _train(self, z1, z2, probas, weight, rng):
        torch = _torch()
        n_classes = probas[0].shape[1]
        network = _coupling_network((z1.shape[1], z2.shape[1]), n_classes, self.embed_dim, self.hidden)
        optimiser = torch.optim.Adam(network.parameters(), lr=self.learning_rate)
        size = min(self.train_batch_size, len(z1))
        for _ in range(self.n_steps):
            batch = rng.choice(len(z1), size, replace=False)
            r, c, _, _ = self._marginals([p[batch] for p in probas], weight[batch], torch.float32)
            kernel = network(torch.as_tensor(z1[batch]), torch.as_tensor(z2[batch]))
            _, _, i_q = _batch_informations(kernel, r, c, self.train_sinkhorn_iter)
            optimiser.zero_grad()
            i_q.backward()
            optimiser.step()
        return network

    def _evaluate(self, network, z1, z2, probas, weight) -> list[float]:
        torch = _torch()
        n_classes = probas[0].shape[1]
        r, c, mass, p12 = self._marginals(probas, weight, torch.float64)
        kernel = network(torch.as_tensor(z1), torch.as_tensor(z2)).double()
        learned = _batch_informations(kernel, r, c, self.sinkhorn_iter)
        independent = _batch_informations(torch.zeros(n_classes, len(z1), len(z2), dtype=torch.float64), r, c, 1)
        pi = (mass * p12).sum(0)
        i_p = (mass * p12 * (torch.log(p12) - torch.log(pi))).sum()
        return [float(learned[0]), float(learned[1]), float(min(learned[2], independent[2])), float(i_p)]
