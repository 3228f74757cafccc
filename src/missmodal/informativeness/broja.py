"""The exact BROJA program: ``q* = argmin_{q ∈ Δ_p} I_q(Y; X1, X2)``, solved with a certificate.

``Δ_p = {q >= 0 : q(x1, y) = p(x1, y), q(x2, y) = p(x2, y)}``. ``H(Y)`` is fixed on ``Δ_p``, so ``q*``
minimises the convex ``f(q) = -H_q(Y | X1, X2) = Σ_{a,b,y} q_aby log(q_aby / q_ab·)`` (nats).

**Primal** (exponential-cone program, solved by the interior-point solver Clarabel): one epigraph variable
``t_c`` per support cell ``c = (a, b, y)`` with ``(-t_c, q_c, q_ab·) ∈ K_exp`` (i.e. ``q_c log(q_c / q_ab·)
<= t_c``), the marginal equalities, minimise ``Σ t_c``. Only cells with ``p(a, y) > 0`` and ``p(b, y) > 0``
can carry mass (the support).

**Dual** (derived from the Lagrangian; ``f`` is positively 1-homogeneous in each block ``q_ab·``)::

    max_{λ, μ}  Σ_{a,y} λ_ay p(a, y) + Σ_{b,y} μ_by p(b, y)
    s.t.        log Σ_{y : (a,b,y) ∈ support} exp(λ_ay + μ_by) <= 0    for every (a, b)

Any ``(λ, μ)`` is made dual-feasible by lowering ``λ_a·`` by ``max(0, max_b lse_ab)``, so every solution
yields a rigorous lower bound on ``min f``. The reported ``gap = f(q) - dual`` certifies optimality; the
marginal ``violation`` (max abs error, table normalised to 1) certifies feasibility. :func:`solve_broja`
raises when either exceeds its tolerance, so no infeasible or unconverged ``q`` reaches the PID.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.special import logsumexp, xlogy

from ..errors import MissmodalError

#: Largest tolerated marginal violation of the solver's q (absolute, on a table of total mass 1); within it,
#: q is rescaled onto the exact marginals (then within 1e-12).
FEASIBILITY_TOL = 1e-7
#: Largest tolerated certified duality gap f(q) - dual, in nats.
GAP_TOL = 1e-6


@dataclass(frozen=True)
class BrojaSolution:
    """A certified solution: ``q`` (k1, k2, ky), its objective ``-H_q(Y|X1,X2)`` and the dual lower bound (nats),
    ``gap = objective - lower_bound`` and the solver's marginal ``violation`` before rescaling."""

    q: np.ndarray
    objective: float
    lower_bound: float
    violation: float

    @property
    def gap(self) -> float:
        return self.objective - self.lower_bound


def conditional_negentropy(q: np.ndarray) -> float:
    """``-H_q(Y | X1, X2)`` in nats for q of shape (k1, k2, ky)."""
    return float(xlogy(q, q).sum() - xlogy(q.sum(axis=2), q.sum(axis=2)).sum())


def marginal_violation(q: np.ndarray, p: np.ndarray) -> float:
    """Max abs difference between the (x1, y) and (x2, y) marginals of q and p."""
    return float(max(np.abs(q.sum(axis=1) - p.sum(axis=1)).max(), np.abs(q.sum(axis=0) - p.sum(axis=0)).max()))


def support_of(p: np.ndarray) -> np.ndarray:
    """Bool (k1, k2, ky): the cells with ``p(a, y) > 0`` and ``p(b, y) > 0``."""
    return (p.sum(axis=1)[:, None, :] > 0) & (p.sum(axis=0)[None, :, :] > 0)


def dual_lower_bound(p: np.ndarray, lam: np.ndarray, mu: np.ndarray) -> float:
    """A rigorous lower bound on ``min_{q ∈ Δ_p} -H_q(Y|X1,X2)`` from any ``λ`` (k1, ky), ``μ`` (k2, ky) (nats)."""
    support = support_of(p)
    exponent = np.where(support, lam[:, None, :] + mu[None, :, :], -np.inf)
    has_cells = support.any(axis=2)
    lse = np.where(has_cells, logsumexp(np.where(has_cells[:, :, None], exponent, 0.0), axis=2), -np.inf)
    shift = np.maximum(lse.max(axis=1), 0.0)  # (k1,): lowering λ_a· by it makes every block feasible
    p1, p2 = p.sum(axis=1), p.sum(axis=0)
    lam = np.where(p1 > 0, lam - shift[:, None], 0.0)
    return float((lam * p1).sum() + (np.where(p2 > 0, mu, 0.0) * p2).sum())


def _program(p: np.ndarray, support: np.ndarray):
    """Clarabel data ``(P, c, A, b, cones)`` and the indices of the kept equality rows."""
    import clarabel

    k1, k2, ky = p.shape
    cells = np.flatnonzero(support.ravel())
    n = cells.size
    a, b, y = np.unravel_index(cells, p.shape)
    p1, p2 = p.sum(axis=1), p.sum(axis=0)
    # Equalities: (a, y) rows, then (b, y) rows without the last b of each y (redundant: both sum to p(y)).
    row_1 = a * ky + y
    row_2 = k1 * ky + b * ky + y
    keep_2 = np.ones((k2, ky), dtype=bool)
    for label in range(ky):
        positive = np.flatnonzero(p2[:, label] > 0)
        if positive.size:
            keep_2[positive[-1], label] = False
    rows_used = np.r_[np.flatnonzero((p1 > 0).ravel()), k1 * ky + np.flatnonzero(((p2 > 0) & keep_2).ravel())]
    renumber = np.full(k1 * ky + k2 * ky, -1)
    renumber[rows_used] = np.arange(rows_used.size)
    eq_rows = np.r_[renumber[row_1], renumber[row_2]]
    eq_cols = np.r_[np.arange(n), np.arange(n)]
    valid = eq_rows >= 0
    marginals = np.r_[p1.ravel(), p2.ravel()][rows_used]
    n_eq = rows_used.size
    # Exponential cones, 3 rows per cell: s = (-t_c, q_c, q_ab·) = b - A x with x = [q, t].
    block = a * k2 + b
    members = [np.flatnonzero(block == g) for g in range(k1 * k2)]
    cone_rows, cone_cols, cone_vals = [], [], []
    for c in range(n):
        base = n_eq + 3 * c
        cone_rows += [base, base + 1]
        cone_cols += [n + c, c]
        cone_vals += [1.0, -1.0]
        same = members[block[c]]
        cone_rows += [base + 2] * same.size
        cone_cols += same.tolist()
        cone_vals += [-1.0] * same.size
    A = sparse.csc_matrix((np.r_[np.ones(valid.sum()), cone_vals],
                           (np.r_[eq_rows[valid], cone_rows], np.r_[eq_cols[valid], cone_cols])),
                          shape=(n_eq + 3 * n, 2 * n))
    rhs = np.r_[marginals, np.zeros(3 * n)]
    cones = [clarabel.ZeroConeT(n_eq)] + [clarabel.ExponentialConeT()] * n
    cost = np.r_[np.zeros(n), np.ones(n)]
    return sparse.csc_matrix((2 * n, 2 * n)), cost, A, rhs, cones, rows_used, cells


#: How far the rescaled q* may still miss the marginals. Sinkhorn converges only sublinearly when the optimum
#: sits on the boundary (a cell of ~1e-11 beside its marginal's whole mass: 2e-11 left after 200 rounds on an
#: OR-gate table); 1e-9 changes the objective by far less than the certified gap tolerance.
POLISHED_TOL = 1e-9


def _polish(q: np.ndarray, p: np.ndarray, n_iter: int = 200) -> np.ndarray:
    """Rescale rows/columns of a non-negative q per label (Sinkhorn) onto the exact marginals."""
    p1, p2 = p.sum(axis=1), p.sum(axis=0)
    for _ in range(n_iter):
        rows = q.sum(axis=1)
        q = q * np.where(rows > 0, p1 / np.where(rows > 0, rows, 1.0), 0.0)[:, None, :]
        columns = q.sum(axis=0)
        q = q * np.where(columns > 0, p2 / np.where(columns > 0, columns, 1.0), 0.0)[None, :, :]
        if marginal_violation(q, p) < 1e-15:
            break
    return q


def clarabel_solve(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Solve the exponential-cone program: ``(q, λ, μ)``; raises when Clarabel does not report "Solved"."""
    import clarabel

    support = support_of(p)
    k1, k2, ky = p.shape
    P, cost, A, rhs, cones, rows_used, cells = _program(p, support)
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.max_iter = 400
    settings.tol_gap_abs = settings.tol_gap_rel = settings.tol_feas = 1e-10
    solution = clarabel.DefaultSolver(P, cost, A, rhs, cones, settings).solve()
    status = str(solution.status)
    if status.split(".")[-1] not in ("Solved", "AlmostSolved"):  # the certificate in solve_broja has the last word
        raise MissmodalError(f"the exact PID solver (Clarabel) did not converge on a {k1}x{k2}x{ky} table: {status}; "
                             "use pid_method='batch' or coarsen the modalities")
    x, z = np.asarray(solution.x), np.asarray(solution.z)
    q = np.zeros(p.size)
    q[cells] = x[: cells.size]
    multipliers = np.zeros(k1 * ky + k2 * ky)
    multipliers[rows_used] = -z[: rows_used.size]  # Clarabel's z enters as +z^T(Ax - b): λ = -z
    return q.reshape(p.shape), multipliers[: k1 * ky].reshape(k1, ky), multipliers[k1 * ky:].reshape(k2, ky)


def solve_broja(joint: np.ndarray, solver=clarabel_solve, feasibility_tol: float = FEASIBILITY_TOL,
                gap_tol: float = GAP_TOL) -> BrojaSolution:
    """Certified ``q*`` of a joint table ``p(x1, x2, y)`` (any positive total; normalised here).

    ``solver(p) -> (q, λ, μ)`` is the primal-dual solver (Clarabel by default). Its ``q`` is refused
    (:class:`~missmodal.errors.MissmodalError`) when, clipped at 0, it misses the marginals by more than
    ``feasibility_tol``; within that it is rescaled onto them exactly, and refused again when the certified
    gap exceeds ``gap_tol`` nats.
    """
    p = np.asarray(joint, dtype=float)
    if p.ndim != 3 or (p < 0).any() or not np.isfinite(p).all() or p.sum() <= 0:
        raise MissmodalError(f"joint must be a non-negative finite (k1, k2, ky) table with positive mass, got shape {p.shape}")
    p = p / p.sum()
    shape = "x".join(map(str, p.shape))
    q, lam, mu = solver(p)
    q = np.asarray(q, dtype=float)
    if q.shape != p.shape or not np.isfinite(q).all():
        raise MissmodalError(f"the exact PID solver returned a q of shape {q.shape} (non-finite values: "
                             f"{not np.isfinite(q).all()}) for a {shape} table")
    q = np.where(support_of(p), np.maximum(q, 0.0), 0.0)
    violation = marginal_violation(q, p)
    if violation > feasibility_tol:
        raise MissmodalError(f"the exact PID solver returned an infeasible q* for a {shape} table: marginal violation "
                             f"{violation:.3g} > {feasibility_tol:g}")
    q = _polish(q, p)
    if marginal_violation(q, p) > POLISHED_TOL:
        raise MissmodalError(f"the exact PID solver's q* for a {shape} table cannot be rescaled onto its marginals")
    solution = BrojaSolution(q=q, objective=conditional_negentropy(q), lower_bound=dual_lower_bound(p, lam, mu),
                             violation=violation)
    if not solution.gap <= gap_tol:
        raise MissmodalError(f"the exact PID solver did not reach optimality on a {shape} table: certified duality gap "
                             f"{solution.gap:.3g} nats > {gap_tol:g}")
    return solution
