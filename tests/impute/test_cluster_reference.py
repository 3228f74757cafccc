"""The fast ClusterImputer agrees with a slow, loop-by-loop implementation of the published formulas."""

import numpy as np
import pytest

from missmodal.impute import ClusterImputer

# --- the reference: plain loops in float64, straight from DESIGN.md ("UL4M4") ---------------------------


def ref_blocks(x, widths):
    bounds = np.cumsum([0] + list(widths))
    return [x[bounds[m]:bounds[m + 1]] for m in range(len(widths))]


def ref_normalise(X, observed, widths):
    """Per-column mean and std over the rows where the column's modality is observed."""
    bounds = np.cumsum([0] + list(widths))
    mean, scale = np.zeros(X.shape[1]), np.ones(X.shape[1])
    for m in range(len(widths)):
        rows = X[observed[:, m], bounds[m]:bounds[m + 1]].astype(np.float64)
        mean[bounds[m]:bounds[m + 1]] = rows.mean(axis=0)
        std = rows.std(axis=0)
        scale[bounds[m]:bounds[m + 1]] = np.where(std > 1e-12, std, 1.0)
    return mean, scale


def ref_d2(a, has_a, b, has_b, widths):
    """(1/|M_ab|) Σ_{m ∈ M_ab} ||a^m − b^m||² / d_m, inf when no modality is shared."""
    shared = [m for m in range(len(widths)) if has_a[m] and has_b[m]]
    if not shared:
        return np.inf
    blocks_a, blocks_b = ref_blocks(a, widths), ref_blocks(b, widths)
    return sum(np.sum((blocks_a[m] - blocks_b[m]) ** 2) / widths[m] for m in shared) / len(shared)


def ref_lloyd(Z, O, C, Q, widths, max_iter, tol):
    n, k = len(Z), len(C)
    bounds = np.cumsum([0] + list(widths))
    previous = np.full(n, -1)
    for iteration in range(max_iter):
        distances = np.array([[ref_d2(Z[i], O[i], C[j], Q[j], widths) for j in range(k)] for i in range(n)])
        labels = np.array([int(np.argmin(row)) for row in distances])
        best = distances[np.arange(n), labels]
        changed = int((labels != previous).sum())
        empty = [j for j in range(k) if not (labels == j).any()]
        if (iteration > 0 and changed <= tol * n and not empty) or iteration == max_iter - 1:
            break
        C, Q = C.copy(), Q.copy()
        for j in range(k):
            for m in range(len(widths)):
                members = [i for i in range(n) if labels[i] == j and O[i, m]]
                if members:
                    C[j, bounds[m]:bounds[m + 1]] = np.mean([Z[i, bounds[m]:bounds[m + 1]] for i in members], axis=0)
                    Q[j, m] = True
        far = sorted(range(n), key=lambda i: (-best[i], i))
        for j, i in zip(empty, far):
            C[j], Q[j] = np.where(np.repeat(O[i], widths), Z[i], 0.0), O[i].copy()
        previous = labels
    return C, Q, labels, iteration + 1


def ref_kmeans_plus_plus(Z, O, k, widths, random_state):
    n = len(Z)
    chosen = [random_state.randint(n)]
    closest = np.array([ref_d2(Z[i], O[i], Z[chosen[0]], O[chosen[0]], widths) for i in range(n)])
    for _ in range(1, k):
        if np.isinf(closest).any():
            candidates = np.flatnonzero(np.isinf(closest))
            pick = candidates[random_state.randint(len(candidates))]
        else:
            pick = min(np.searchsorted(np.cumsum(closest), random_state.uniform() * closest.sum(), side="right"), n - 1)
        chosen.append(pick)
        closest = np.minimum(closest, [ref_d2(Z[i], O[i], Z[pick], O[pick], widths) for i in range(n)])
    return chosen


def ref_greedy(z, o, C, Q, widths):
    """Candidates f = observed part + centre f's missing blocks; walk (candidate, centre) pairs by distance."""
    k, bounds = len(C), np.cumsum([0] + list(widths))
    missing = [m for m in range(len(widths)) if not o[m]]
    candidates = []
    for f in range(k):
        vector, has = z.copy(), o.copy()
        for m in missing:
            if Q[f, m]:
                vector[bounds[m]:bounds[m + 1]] = C[f, bounds[m]:bounds[m + 1]]
                has[m] = True
        candidates.append((vector, has))
    pairs = sorted((ref_d2(candidates[f][0], candidates[f][1], C[j], Q[j], widths), f, j)
                   for f in range(k) for j in range(k))
    result, still = np.where(np.repeat(o, widths), z, 0.0), set(missing)
    for _, f, _ in pairs:
        for m in sorted(still):
            if Q[f, m]:
                result[bounds[m]:bounds[m + 1]] = C[f, bounds[m]:bounds[m + 1]]
                still.discard(m)
    return result


# --- data -------------------------------------------------------------------------------------------------


def random_incomplete(seed, n=40, widths=(2, 3, 1), rare=None):
    """Rows with blocks missing at random (each row keeps one); modality ``rare`` observed in few rows."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, sum(widths))) * rng.uniform(0.5, 3, sum(widths)) + rng.normal(size=sum(widths))
    observed = rng.random((n, len(widths))) < 0.6
    if rare is not None:
        observed[:, rare] = rng.random(n) < 0.1
        observed[0, rare] = True
    observed[~observed.any(axis=1), 0] = True
    X[~np.repeat(observed, widths, axis=1)] = np.nan
    return X, observed


def normalised(X, observed, widths):
    mean, scale = ref_normalise(X, observed, widths)
    return np.where(np.repeat(observed, widths, axis=1), (X - mean) / scale, 0.0), mean, scale


# --- tests ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_normalisation_statistics_match_the_reference(seed):
    widths = [2, 3, 1]
    X, observed = random_incomplete(seed, widths=widths)
    imputer = ClusterImputer(n_clusters=3, modalities=widths, random_state=seed).fit(X)
    mean, scale = ref_normalise(X, observed, widths)
    np.testing.assert_allclose(imputer.mean_, mean, rtol=1e-6)
    np.testing.assert_allclose(imputer.scale_, scale, rtol=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_kmeans_plus_plus_picks_the_reference_seeds(seed):
    widths = [2, 3, 1]
    X, observed = random_incomplete(seed, widths=widths)
    Z, mean, scale = normalised(X, observed, widths)
    chosen = ref_kmeans_plus_plus(Z, observed, 5, widths, np.random.RandomState(seed))
    imputer = ClusterImputer(n_clusters=5, modalities=widths, max_iter=1, random_state=seed).fit(X)
    expected = np.where(np.repeat(observed[chosen], widths, axis=1), X[chosen], np.nan)
    np.testing.assert_allclose(imputer.cluster_centers_, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(imputer.centers_observed_, observed[chosen])


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_lloyd_iterations_match_the_reference_including_partial_centres_and_reseeding(seed):
    widths = [2, 3, 1]
    X, observed = random_incomplete(seed, widths=widths, rare=2)
    rng = np.random.default_rng(seed + 100)
    init = X[rng.choice(len(X), 6, replace=False)]  # seeds are partial rows; duplicates force re-seeding
    init[5] = init[4]
    imputer = ClusterImputer(n_clusters=6, modalities=widths, init=init, max_iter=20, tol=0).fit(X)
    Z, mean, scale = normalised(X, observed, widths)
    C0 = np.where(np.isnan(init), 0.0, (init - mean) / scale)
    C, Q, labels, n_iter = ref_lloyd(Z, observed, C0, ~np.isnan(init[:, [0, 2, 5]]), widths, 20, 0)
    assert imputer.n_iter_ == n_iter
    np.testing.assert_array_equal(imputer.labels_, labels)
    np.testing.assert_array_equal(imputer.centers_observed_, Q)
    expected = np.where(np.repeat(Q, widths, axis=1), C * scale + mean, np.nan)
    np.testing.assert_allclose(imputer.cluster_centers_, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
def test_greedy_completion_with_partial_centres_matches_the_reference(seed):
    widths = [2, 3, 1, 2]
    X, observed = random_incomplete(seed, n=30, widths=widths, rare=2)
    rng = np.random.default_rng(seed + 100)
    has = rng.random((5, len(widths))) < 0.6
    has[~has.any(axis=1), 0] = True
    init = np.where(np.repeat(has, widths, axis=1), rng.normal(size=(5, sum(widths))), np.nan)
    imputer = ClusterImputer(n_clusters=5, modalities=widths, init=init, max_iter=1).fit(X)  # centres = init
    assert not imputer.centers_observed_.all(), "the test needs partial centres"
    Z, mean, scale = normalised(X, observed, widths)
    C = np.where(np.isnan(imputer.cluster_centers_), 0.0, (imputer.cluster_centers_ - mean) / scale)
    expected = np.array([ref_greedy(Z[i], observed[i], C, imputer.centers_observed_, widths) for i in range(len(X))])
    expected = np.where(np.repeat(observed, widths, axis=1), X, expected * scale + mean)
    np.testing.assert_allclose(imputer.transform(X), expected, rtol=1e-4, atol=1e-4)


def test_greedy_completion_after_lloyd_matches_the_reference():
    widths = [2, 3, 1]
    X, observed = random_incomplete(7, n=60, widths=widths, rare=2)
    imputer = ClusterImputer(n_clusters=8, modalities=widths, random_state=0, tol=0).fit(X)
    Z, mean, scale = normalised(X, observed, widths)
    C = np.where(np.isnan(imputer.cluster_centers_), 0.0, (imputer.cluster_centers_ - mean) / scale)
    expected = np.array([ref_greedy(Z[i], observed[i], C, imputer.centers_observed_, widths) for i in range(len(X))])
    expected = np.where(np.repeat(observed, widths, axis=1), X, expected * scale + mean)
    np.testing.assert_allclose(imputer.transform(X), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_with_complete_centres_each_row_takes_its_nearest_centre_on_observed_modalities(seed):
    widths = [3, 2, 4]
    X, observed = random_incomplete(seed, n=80, widths=widths)
    imputer = ClusterImputer(n_clusters=4, modalities=widths, random_state=seed).fit(X)
    assert imputer.centers_observed_.all()
    Z, mean, scale = normalised(X, observed, widths)
    C = (imputer.cluster_centers_ - mean) / scale
    filled = imputer.transform(X)
    for i in np.flatnonzero(~observed.all(axis=1)):
        nearest = np.argmin([ref_d2(Z[i], observed[i], C[j], np.ones(3, bool), widths) for j in range(4)])
        missing = ~np.repeat(observed[i], widths)
        np.testing.assert_allclose(filled[i, missing], imputer.cluster_centers_[nearest, missing], rtol=1e-6)
        # ... which is also what the exact greedy walk gives
        np.testing.assert_allclose(ref_greedy(Z[i], observed[i], C, imputer.centers_observed_, widths)[missing],
                                   C[nearest, missing], rtol=1e-6)
