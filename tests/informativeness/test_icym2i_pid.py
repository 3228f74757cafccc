"""PID: the exact BROJA solver against an independent grid search, the logic gates, properties, batch estimator."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from scipy.special import xlogy

from missmodal.errors import MissmodalError
from missmodal.informativeness import BatchPID, broja_pid, cross_fitted_proba, discrete_pid, joint_table, mutual_information


def entropy_bits(p):
    p = np.asarray(p, dtype=float).ravel()
    return float(-xlogy(p, p).sum() / np.log(2))


def informations(joint):
    """I(Y;X1), I(Y;X2), I(Y;X1,X2) in bits from entropies, written out independently of the package."""
    p = joint / joint.sum()
    h_y = entropy_bits(p.sum(axis=(0, 1)))
    i1 = h_y + entropy_bits(p.sum(axis=1).sum(axis=1)) - entropy_bits(p.sum(axis=1))
    i2 = h_y + entropy_bits(p.sum(axis=0).sum(axis=1)) - entropy_bits(p.sum(axis=0))
    i12 = h_y + entropy_bits(p.sum(axis=2)) - entropy_bits(p)
    return i1, i2, i12


def grid_min_iq(joint, n=801):
    """min over Δ_p of I_q(Y; X1, X2) for a 2x2x2 table: Δ_p is a rectangle in (q(0,0,0), q(0,0,1)); dense
    grid, then a bounded local polish from the best grid point."""
    p = joint / joint.sum()
    r, c, pi = p.sum(axis=1), p.sum(axis=0), p.sum(axis=(0, 1))
    bounds = [(max(0.0, r[0, y] + c[0, y] - pi[y]), min(r[0, y], c[0, y])) for y in (0, 1)]

    def negentropy(t0, t1):
        cells = [[t, r[0, y] - t, c[0, y] - t, pi[y] - r[0, y] - c[0, y] + t] for t, y in ((t0, 0), (t1, 1))]
        total = 0.0
        for a, b in zip(*cells):
            a, b = np.maximum(a, 0), np.maximum(b, 0)
            total = total + xlogy(a, a) + xlogy(b, b) - xlogy(a + b, a + b)
        return total

    t0, t1 = np.meshgrid(*(np.linspace(lo, hi, n) for lo, hi in bounds), indexing="ij")
    values = negentropy(t0, t1)
    k = np.unravel_index(np.argmin(values), values.shape)
    polished = minimize(lambda t: negentropy(*t), [t0[k], t1[k]], bounds=bounds, method="L-BFGS-B")
    best = min(values[k], polished.fun)
    h_y = entropy_bits(pi)
    return h_y + best / np.log(2)


def exact_pid_by_grid(joint):
    """(U1, U2, R, S) of a 2x2x2 table computed with the grid search (the test's own exact solver)."""
    i1, i2, i12 = informations(joint)
    iq = grid_min_iq(joint)
    return np.array([iq - i2, iq - i1, i1 + i2 - iq, i12 - iq])


def gate_table(gate):
    table = np.zeros((2, 2, 2))
    for a in (0, 1):
        for b in (0, 1):
            table[a, b, gate(a, b)] = 0.25
    return table


GATES = {"and": lambda a, b: a & b, "or": lambda a, b: a | b, "xor": lambda a, b: a ^ b}


@pytest.mark.parametrize("gate", sorted(GATES))
def test_gate_pid_matches_grid_search(gate):
    table = gate_table(GATES[gate])
    pid = broja_pid(table)
    np.testing.assert_allclose([pid.unique1, pid.unique2, pid.redundancy, pid.synergy], exact_pid_by_grid(table), atol=1e-6)


def test_and_has_no_unique_information_and_redundancy_equal_to_each_modality():
    table = gate_table(GATES["and"])
    i1, _, i12 = informations(table)
    pid = broja_pid(table)
    assert pid.unique1 == pytest.approx(0, abs=1e-7) and pid.unique2 == pytest.approx(0, abs=1e-7)
    assert pid.redundancy == pytest.approx(i1, abs=1e-7)
    assert pid.synergy == pytest.approx(i12 - i1, abs=1e-7)


def test_xor_is_pure_synergy():
    pid = broja_pid(gate_table(GATES["xor"]))
    np.testing.assert_allclose([pid.unique1, pid.unique2, pid.redundancy, pid.synergy], [0, 0, 0, 1], atol=1e-7)


def test_copy_gives_one_unique_bit_to_each_modality():
    copy = np.zeros((2, 2, 4))
    for a in (0, 1):
        for b in (0, 1):
            copy[a, b, 2 * a + b] = 0.25
    pid = broja_pid(copy)
    np.testing.assert_allclose([pid.unique1, pid.unique2, pid.redundancy, pid.synergy], [1, 1, 0, 0], atol=1e-7)


def test_identical_modalities_are_pure_redundancy():
    table = np.zeros((2, 2, 2))
    table[0, 0, 0] = table[1, 1, 1] = 0.5
    pid = broja_pid(table)
    np.testing.assert_allclose([pid.unique1, pid.unique2, pid.redundancy, pid.synergy], [0, 0, 1, 0], atol=1e-7)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**31 - 1), st.sampled_from([0.3, 1.0, 4.0]))
def test_random_binary_tables_match_grid_search(seed, concentration):
    table = np.random.default_rng(seed).dirichlet(np.full(8, concentration)).reshape(2, 2, 2)
    pid = broja_pid(table)
    np.testing.assert_allclose([pid.unique1, pid.unique2, pid.redundancy, pid.synergy], exact_pid_by_grid(table), atol=2e-5)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(2, 3)))
def test_pid_terms_are_non_negative_and_sum_to_the_joint_information(seed, shape):
    rng = np.random.default_rng(seed)
    table = rng.dirichlet(np.full(int(np.prod(shape)), 0.5)).reshape(shape)
    pid = broja_pid(table)
    i1, i2, i12 = informations(table)
    terms = np.array([pid.unique1, pid.unique2, pid.redundancy, pid.synergy])
    assert (terms >= -1e-9).all()
    assert terms.sum() == pytest.approx(i12, abs=1e-7)
    assert pid.unique1 + pid.redundancy == pytest.approx(i1, abs=1e-7)
    assert pid.unique2 + pid.redundancy == pytest.approx(i2, abs=1e-7)


def test_mutual_information_matches_entropy_formulas():
    table = np.random.default_rng(3).dirichlet(np.ones(12)).reshape(2, 3, 2)
    info = mutual_information(table)
    np.testing.assert_allclose([info["i1"], info["i2"], info["i12"]], informations(table), atol=1e-12)


def test_weighted_joint_table_counts_sample_masses():
    x1 = np.array([[0], [0], [1], [1]])
    x2 = np.array([[0], [1], [0], [1]])
    y = np.array([0, 0, 0, 1])
    table = joint_table(x1, x2, y, sample_weight=np.array([1.0, 1.0, 1.0, 3.0]))
    assert table[1, 1, 1] == pytest.approx(0.5)
    assert table.sum() == pytest.approx(1.0)
    assert discrete_pid(x1, x2, y).total == pytest.approx(informations(joint_table(x1, x2, y))[2])


def test_broja_rejects_negative_tables():
    with pytest.raises(MissmodalError, match="non-negative"):
        broja_pid(-np.ones((2, 2, 2)))


def _one_hot_proba(x, y):
    codes = np.unique(x, axis=0, return_inverse=True)[1].reshape(-1)
    return cross_fitted_proba(np.eye(codes.max() + 1)[codes], y, None)[0]


@pytest.mark.parametrize("gate", ["and", "xor"])
def test_batch_estimator_agrees_with_exact_pid_on_discrete_data(gate):
    rng = np.random.default_rng(0)
    x1, x2 = rng.integers(0, 2, (1000, 1)), rng.integers(0, 2, (1000, 1))
    y = GATES[gate](x1[:, 0], x2[:, 0])
    proba = [_one_hot_proba(x, y) for x in (x1, x2, np.hstack([x1, x2]))]
    estimate = BatchPID(n_steps=60, seed=0).fit(x1, x2, *proba).pid_
    exact = discrete_pid(x1, x2, y)
    np.testing.assert_allclose(estimate.as_array(), exact.as_array(), atol=0.05)


def test_batch_estimator_finds_redundancy_of_two_noisy_copies():
    rng = np.random.default_rng(0)
    z = rng.normal(size=1500)
    y = (z > 0).astype(int)
    x1, x2 = (z + 0.3 * rng.normal(size=1500))[:, None], (z + 0.3 * rng.normal(size=1500))[:, None]
    proba = [cross_fitted_proba(x, y, None)[0] for x in (x1, x2, np.hstack([x1, x2]))]
    pid = BatchPID(n_steps=80, seed=0).fit(x1, x2, *proba).pid_
    assert pid.redundancy > 3 * max(pid.unique1, pid.unique2, pid.synergy)
    assert min(pid.as_array()) >= 0


def test_batch_bootstrap_gives_one_row_of_terms_per_replicate():
    rng = np.random.default_rng(1)
    x1, x2 = rng.normal(size=(600, 2)), rng.normal(size=(600, 3))
    proba = np.full((600, 2), 0.5)
    estimator = BatchPID(n_steps=5, batch_size=100).fit(x1, x2, proba, proba, proba, sample_weight=rng.random(600) + 0.5)
    replicates = estimator.bootstrap(7, seed=0)
    assert replicates.shape == (7, 5)
    np.testing.assert_allclose(replicates[:, :4].sum(axis=1), replicates[:, 4])


def test_batch_coupling_gradient_stays_finite_when_marginals_sit_on_a_vanishing_kernel():
    # One label, two atoms: the marginals put almost all mass on (row 1, column 0), where the kernel is e^-60.
    # The plain Sinkhorn scalings drift to 1e-25 / 1e+25 there and, in float32, the gradient overflowed to NaN
    # (seen on mfeat with 10 classes and confident classifiers: every batch-PID term came out NaN).
    import torch

    from missmodal.informativeness.pid import _batch_informations

    log_kernel = torch.tensor([[[0.0, -60.0], [-60.0, -60.0]]], requires_grad=True)
    rows = torch.tensor([[1e-9], [1.0]]) / (1 + 1e-9)
    columns = torch.tensor([[1.0], [1e-9]]) / (1 + 1e-9)
    informations = _batch_informations(log_kernel, rows, columns, n_iter=10)
    informations[2].backward()
    assert all(torch.isfinite(value) for value in informations)
    assert torch.isfinite(log_kernel.grad).all()
