"""The certified BROJA solver against an independent algorithm on random tables up to 16x16x8, and broken solvers."""

import numpy as np
import pytest
from scipy.special import xlogy

from missmodal.errors import MissmodalError
from missmodal.informativeness import broja_pid
from missmodal.informativeness.broja import clarabel_solve, dual_lower_bound, solve_broja


def negentropy(q):
    """-H_q(Y | X1, X2) in nats, written out here."""
    return float(xlogy(q, q).sum() - xlogy(q.sum(axis=2), q.sum(axis=2)).sum())


def alternating_projection(p, n_outer=4000, n_inner=5):
    """Independent solution: min_q I_q(Y;X1,X2) = min_{q ∈ Δ_p, s} KL(q || p(y) s(x1, x2)), by alternating
    minimisation (Csiszár–Tusnády): the q-step is a per-label Sinkhorn I-projection, the s-step s = q(x1, x2).
    Every iterate is feasible up to the Sinkhorn error, so its objective bounds the minimum from above."""
    p = p / p.sum()
    p1, p2, py = p.sum(axis=1), p.sum(axis=0), p.sum(axis=(0, 1))
    support = (p1[:, None, :] > 0) & (p2[None, :, :] > 0)
    s = support.any(axis=2).astype(float)
    v = np.ones_like(p2)
    for _ in range(n_outer):
        kernel = py * s[:, :, None] * support
        for _ in range(n_inner):
            u = np.divide(p1, np.einsum("aby,by->ay", kernel, v), out=np.zeros_like(p1), where=p1 > 0)
            v = np.divide(p2, np.einsum("aby,ay->by", kernel, u), out=np.zeros_like(p2), where=p2 > 0)
        q = kernel * u[:, None, :] * v[None, :, :]
        s = q.sum(axis=2)
    return q


def random_table(shape, seed, sparse=False):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(int(np.prod(shape)), 0.5)).reshape(shape)
    if sparse:
        p[p < np.quantile(p, 0.3)] = 0
    return p / p.sum()


SHAPES = [(4, 4, 3), (5, 5, 3), (6, 6, 3), (8, 4, 2), (3, 7, 5), (16, 16, 8)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("sparse", [False, True])
def test_certified_q_is_feasible_and_matches_an_independent_solution(shape, sparse):
    p = random_table(shape, seed=sum(shape) + sparse, sparse=sparse)
    solution = solve_broja(p)
    q = solution.q
    assert (q >= 0).all()
    np.testing.assert_allclose(q.sum(axis=1), p.sum(axis=1), atol=1e-12)
    np.testing.assert_allclose(q.sum(axis=0), p.sum(axis=0), atol=1e-12)
    reference = alternating_projection(p)
    assert negentropy(q) <= negentropy(reference) + 1e-9  # never worse than a feasible independent point
    assert negentropy(reference) - negentropy(q) < 2e-5  # and the (slowly converging) independent algorithm agrees
    assert solution.lower_bound <= negentropy(reference) + 1e-9  # the certificate is a valid lower bound
    assert solution.gap < 1e-6


def test_four_by_four_by_three_unique_information_matches_the_independent_solution():
    # The shape where the old SLSQP path reported U1 = 0.158 for a true 0.088.
    p = random_table((4, 4, 3), seed=11)
    pid = broja_pid(p)
    reference = alternating_projection(p, n_outer=3000)
    py, p2 = p.sum(axis=(0, 1)), p.sum(axis=0)
    h_y = -xlogy(py, py).sum()
    i2 = h_y + (xlogy(p2, p2).sum() - xlogy(p2.sum(axis=1), p2.sum(axis=1)).sum())
    i_q = h_y + negentropy(reference)
    assert pid.unique1 == pytest.approx((i_q - i2) / np.log(2), abs=1e-5)


def test_a_solver_returning_an_infeasible_table_is_refused():
    def scaled(p):
        return p * 1e6, np.zeros(p.shape[::2]), np.zeros(p.shape[1:])

    with pytest.raises(MissmodalError, match="infeasible"):
        broja_pid(random_table((4, 4, 3), seed=0), solver=scaled)


def test_a_solver_stopping_at_a_feasible_but_suboptimal_point_is_refused():
    def independent_coupling(p):  # feasible (it keeps both marginals), not optimal, and no useful duals
        p1, p2, py = p.sum(axis=1), p.sum(axis=0), p.sum(axis=(0, 1))
        q = p1[:, None, :] * p2[None, :, :] / py
        return q, np.zeros_like(p1), np.zeros_like(p2)

    with pytest.raises(MissmodalError, match="did not reach optimality"):
        broja_pid(random_table((5, 5, 3), seed=1), solver=independent_coupling)


def test_a_solver_with_wrong_duals_cannot_certify_its_q():
    def wrong_duals(p):
        q, lam, mu = clarabel_solve(p)
        return q, lam + np.random.default_rng(0).normal(0, 0.1, lam.shape), mu

    with pytest.raises(MissmodalError, match="did not reach optimality"):
        solve_broja(random_table((6, 6, 3), seed=2), solver=wrong_duals)


def test_dual_bound_of_arbitrary_multipliers_never_exceeds_the_minimum():
    p = random_table((4, 3, 2), seed=5)
    minimum = solve_broja(p).objective
    rng = np.random.default_rng(0)
    for _ in range(50):
        assert dual_lower_bound(p, rng.normal(size=(4, 2)), rng.normal(size=(3, 2))) <= minimum + 1e-12


def test_a_boundary_optimum_that_sinkhorn_reaches_slowly_is_still_certified():
    """An OR-gate table (a bootstrap draw that once failed): Clarabel's q* puts 1.7e-11 on a cell whose row and
    column hold the rest of their mass elsewhere, and 200 Sinkhorn rounds leave 2e-11 of marginal error."""
    from missmodal.informativeness.broja import clarabel_solve, marginal_violation, solve_broja

    p = np.array([0.2687402573354507, 0.0, 0.0, 0.24845797376296372, 0.0, 0.2484072425746945, 0.0,
                  0.23439452632689112]).reshape(2, 2, 2)
    q = np.array([0.26874025734367907, 0.24840724256857438, 0.0, 5.073118428075399e-05, 0.0, 1.7480087883729334e-11,
                  0.0, 0.4828017688644644]).reshape(2, 2, 2)
    _, lam, mu = clarabel_solve(p)
    solution = solve_broja(p, solver=lambda table: (q, lam, mu))
    assert marginal_violation(solution.q, p) <= 1e-9 and solution.gap <= 1e-6
