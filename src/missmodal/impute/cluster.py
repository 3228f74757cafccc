"""`ClusterImputer`: UL4M4 cluster-guided imputation (Ismkhan and Bouchachia, 2026).

Written from the formulas in ``DESIGN.md`` ("UL4M4"); see the class docstring for the algorithm.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..data.multimodal import MultimodalData
from ..errors import MissmodalError
from .base import IMPUTERS, BaseImputer
from .blocks import Moments, expand, observed_blocks
from .choose import choose_k
from .distance import BlockGeometry, partial_sq_distance, partial_sq_terms
from .._distributed import gather_arrays, sum_arrays, world
from .sources import ArrayRows, ParquetRows, SpilledRows

# Rows × centres × centres elements of one exact-greedy block (bounds the (b, k, k) pair-distance tensor).
_GREEDY_ELEMENTS = 1 << 22
K_GRID = (1, 2, 4, 8, 16, 32, 64, 128, 256)


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``None`` -> CUDA when available, else CPU."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError):
        raise MissmodalError(f"device must be 'cpu', 'cuda', 'cuda:<i>' or None, got {device!r}") from None


class _Farthest:
    """The (at most) ``size`` rows farthest from their centre seen so far: empty-cluster re-seeding candidates.

    Ties are broken by the lower global row index, so the choice does not depend on batching or sharding.
    """

    def __init__(self, size: int, n_features: int, n_modalities: int):
        self.size = size
        self.dist = np.zeros(0)
        self.index = np.zeros(0, dtype=np.int64)
        self.z = np.zeros((0, n_features), dtype=np.float32)
        self.o = np.zeros((0, n_modalities), dtype=bool)

    def update(self, dist: np.ndarray, index: np.ndarray, z: np.ndarray, o: np.ndarray) -> None:
        dist, index = np.concatenate([self.dist, dist]), np.concatenate([self.index, index])
        z, o = np.concatenate([self.z, z]), np.concatenate([self.o, o])
        order = np.lexsort((index, -dist))[: self.size]
        self.dist, self.index, self.z, self.o = dist[order], index[order], z[order], o[order]

    def gathered(self, distributed: bool) -> "_Farthest":
        """The global candidates (all processes), each process padding its list to ``size`` rows."""
        pad = self.size - self.dist.size
        arrays = (np.concatenate([self.dist, np.full(pad, -1.0)]), np.concatenate([self.index, np.full(pad, -1)]),
                  np.concatenate([self.z, np.zeros((pad, self.z.shape[1]), np.float32)]),
                  np.concatenate([self.o, np.zeros((pad, self.o.shape[1]), bool)]).astype(np.uint8))
        dist, index, z, o = gather_arrays(distributed, *arrays)
        merged = _Farthest(self.size, z.shape[1], o.shape[1])
        valid = dist >= 0
        merged.update(dist[valid], index[valid], z[valid], o[valid].astype(bool))
        return merged


@IMPUTERS.register("cluster", "UL4M4: k-means on the partial-modality distance, fill from the centres")
class ClusterImputer(BaseImputer):
    """Cluster-guided imputation of missing modalities (UL4M4).

    1. **Normalisation**: ``z^m = (x^m − μ_m) / σ_m`` per column, statistics over the rows where modality m
       is observed (a zero σ becomes 1); inverted on output.
    2. **Partial distance** between a row (or candidate) ``i`` and a centre ``j`` that may itself lack
       modalities, with ``M_ij`` the modalities both have::

           d(i, j) = sqrt( (1 / |M_ij|) Σ_{m ∈ M_ij} ||z_i^m − c_j^m||² / d_m ),   +inf if M_ij = ∅,

       computed as matrix products over row batches in float32 torch (:mod:`missmodal.impute.distance`).
    3. **Clustering**: k-means++ seeding on ``d`` (draw probability ∝ ``d²`` to the nearest chosen seed;
       rows at infinite distance from every seed are drawn first, uniformly), on all rows when
       ``n <= init_size`` and otherwise on a uniform random sample of ``init_size`` rows. Lloyd iterations
       assign each row to its nearest centre (ties, and rows sharing no modality with any centre, go to the
       lowest index) and set ``c_j^m`` to the mean of ``z^m`` over the members that have m; a centre
       modality with no such member keeps its last value (and a centre may lack a modality — a *partial
       centre*). An empty cluster is re-seeded with the row farthest from its centre (the next farthest
       for the next empty one). Stop when at most ``tol · n`` rows change cluster (``tol=0``: when the
       assignments stop changing, the published rule) or after ``max_iter`` assignment passes.
    4. **Greedy completion** (``assignment="greedy"``, the published rule): for an incomplete row, candidate
       ``f`` is the row's observed modalities plus centre ``f``'s vector for each missing modality centre
       ``f`` has. Over the (candidate, centre) pairs in increasing partial distance (ties: lower candidate,
       then lower centre), copy into the row the still-missing modalities the candidate carries, until the
       row is complete. Distances are those of the initial candidates. A modality no centre has is filled
       with its mean. When every centre is complete the first pair is always ``(j*, j*)`` with ``j*`` the
       centre nearest on the observed modalities, so this path is computed as "copy the nearest centre".

    Beyond the paper, ``assignment="soft"`` fills each missing modality m with the posterior-weighted mix
    ``Σ_j w_ij c_j^m`` over the centres having m, ``w_ij ∝ exp(−d²(i, j) / (temperature · s²))`` with ``s²``
    the mean squared distance of training rows to their centre; :meth:`sample` draws multiple imputations
    (a centre from ``w``, then the centre's values plus Gaussian noise of the cluster's spread).

    Parameters
    ----------
    n_clusters : int or "auto", default="auto"
        Number of clusters k (``k = 1`` is mean imputation). ``"auto"``: the k of ``n_clusters_grid`` with
        the lowest masked-block error (observed blocks of the k-means++ sample rows hidden, refitted and
        filled; :func:`~missmodal.impute.masked_block_validation`), recorded in ``n_clusters_scores_``.
    n_clusters_grid : sequence of int, default=(1, 2, 4, 8, 16, 32, 64, 128, 256)
        The ks ``"auto"`` tries (those above a fifth of the sample rows are skipped).
    validation_share : float, default=0.2
        Share of observed blocks ``"auto"`` hides.
    modalities : list of int, optional
        Column-block widths for 2-D array input (``None``: every column its own modality). Ignored for
        `MultimodalData`, whose modalities are known.
    assignment : {"greedy", "soft"}, default="greedy"
        How ``transform`` fills a row: the published greedy completion or the soft posterior mix.
    temperature : float, default=1.0
        Softness of ``assignment="soft"`` and of :meth:`sample`, in units of ``s²``.
    init : "k-means++" or array of shape (n_clusters, D), default="k-means++"
        Seeding, or initial centres in the original feature space (NaN blocks for absent modalities).
    init_size : int, default=20000
        Rows k-means++ runs on (all rows when there are fewer).
    max_iter : int, default=100
        Maximum number of Lloyd assignment passes.
    tol : float, default=1e-4
        Convergence when at most ``tol · n`` rows change cluster in a pass (0: none may change).
    batch_size : int, default=16384
        Rows per distance batch and per streamed Parquet batch; memory is bounded by it.
    random_state : int, RandomState or None
        Seeds the k-means++ draws (and the sample of rows it runs on).
    device : str or None
        Torch device of the distance computations (``None``: CUDA if available, else CPU).
    distributed : bool, default=False
        Data-parallel fit under ``torch.distributed`` (gloo): each process passes its shard (consecutive rows
        in rank order, or its row groups with :meth:`fit_parquet`); per-cluster sums and counts are
        all-reduced, so every process ends with the centres a single process would find.

    Attributes
    ----------
    n_clusters_ : int
        The number of clusters fitted (``n_clusters``, or the one ``"auto"`` chose).
    n_clusters_scores_ : dict of int -> float or None
        Masked-block error of each k tried by ``"auto"`` (None for a given k; empty, and k = 8, when no
        block could be hidden because every row has one modality — ``choices()`` then carries a warning).
    cluster_centers_ : ndarray of shape (n_clusters, D), float32
        Centres in the original feature space, NaN in the blocks a centre lacks.
    centers_observed_ : ndarray of shape (n_clusters, M), bool
        Modalities each centre has.
    mean_, scale_ : ndarray of shape (D,)
        Normalisation statistics.
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training row (this process's rows when distributed).
    n_iter_ : int
        Lloyd assignment passes run.
    inertia_ : float
        Sum over training rows of the squared partial distance to their centre (finite ones).
    cluster_sizes_ : ndarray of shape (n_clusters,)
        Members per cluster at the last pass.
    cluster_variance_ : ndarray of shape (n_clusters, M)
        Mean squared deviation per dimension of the members' modality m from the centre (normalised units).

    Examples
    --------
    >>> import numpy as np
    >>> from missmodal.impute import ClusterImputer
    >>> X = np.array([[0., 0., 1.], [0., np.nan, np.nan], [5., 5., 6.], [np.nan, 5., 6.]])
    >>> imputer = ClusterImputer(n_clusters=2, modalities=[1, 2], random_state=0).fit(X)
    >>> imputer.transform(X).round(4)
    array([[0., 0., 1.],
           [0., 0., 1.],
           [5., 5., 6.],
           [5., 5., 6.]])
    """

    def __init__(self, n_clusters: int | str = "auto", *, n_clusters_grid: Sequence[int] = K_GRID,
                 validation_share: float = 0.2, modalities: list[int] | None = None, assignment: str = "greedy",
                 temperature: float = 1.0, init: Any = "k-means++", init_size: int = 20_000, max_iter: int = 100,
                 tol: float = 1e-4, batch_size: int = 16384, random_state: Any = None, device: str | None = None,
                 distributed: bool = False):
        self.n_clusters = n_clusters
        self.n_clusters_grid = n_clusters_grid
        self.validation_share = validation_share
        self.modalities = modalities
        self.assignment = assignment
        self.temperature = temperature
        self.init = init
        self.init_size = init_size
        self.max_iter = max_iter
        self.tol = tol
        self.batch_size = batch_size
        self.random_state = random_state
        self.device = device
        self.distributed = distributed

    # --- fitting ------------------------------------------------------------------------------------
    def _fit(self, X: np.ndarray, observed: np.ndarray) -> None:
        rank, _ = world(self.distributed)
        self._fit_rows(ArrayRows(X, observed, self._check_batch_size(), rank, self.distributed))

    def fit_parquet(self, path: str | os.PathLike, batch_size: int | None = None,
                    spill_dir: str | os.PathLike | None = None) -> "ClusterImputer":
        """Fit on a Parquet file (missmodal layout) streamed in row batches; memory does not grow with n.

        Under ``distributed=True`` each process reads the row groups ``rank, rank + world_size, ...``.
        With ``spill_dir``, the first pass also writes the rows as raw float32 to a temporary file there,
        and the Lloyd passes read that file instead of decoding the Parquet file again (several times
        faster per pass; disk use about the data's float32 size; the file is removed after the fit).
        """
        rank, world_size = world(self.distributed)
        source = ParquetRows(path, batch_size or self._check_batch_size(), rank, world_size)
        self.widths_, self.modality_names_ = source.widths, source.modality_names
        self.n_features_in_ = sum(source.widths)
        if spill_dir is None:
            self._fit_rows(source)
            return self
        spilled = SpilledRows(source, spill_dir)
        try:
            self._fit_rows(spilled)
        finally:
            spilled.close()
        return self

    def _check_batch_size(self) -> int:
        if not isinstance(self.batch_size, (int, np.integer)) or self.batch_size < 1:
            raise MissmodalError(f"batch_size must be a positive int, got {self.batch_size!r}")
        return int(self.batch_size)

    def _check_params(self) -> None:
        k = self.n_clusters
        if not (k == "auto" or isinstance(k, (int, np.integer)) and k >= 1):
            raise MissmodalError(f"n_clusters must be a positive int or 'auto', got {k!r}")
        if k == "auto" and not isinstance(self.init, str):
            raise MissmodalError("n_clusters='auto' chooses k itself; an init array fixes k, give n_clusters=len(init)")
        if self.assignment not in ("greedy", "soft"):
            raise MissmodalError(f"assignment must be 'greedy' or 'soft', got {self.assignment!r}")
        if not self.temperature > 0:
            raise MissmodalError(f"temperature must be > 0, got {self.temperature!r}")
        if not isinstance(self.max_iter, (int, np.integer)) or self.max_iter < 1:
            raise MissmodalError(f"max_iter must be a positive int, got {self.max_iter!r}")
        if not 0 <= self.tol < 1:
            raise MissmodalError(f"tol must be in [0, 1), got {self.tol!r}")
        if isinstance(self.init, str):
            if self.init != "k-means++":
                raise MissmodalError(f"init must be 'k-means++' or an array of initial centres, got {self.init!r}")
            if not isinstance(self.init_size, (int, np.integer)) or self.init_size < 1:
                raise MissmodalError(f"init_size must be a positive int, got {self.init_size!r}")

    def _check_k(self, n_total: int) -> None:
        k = self.n_clusters_
        if k > n_total:
            raise MissmodalError(f"n_clusters={k} is larger than the number of samples (n_samples={n_total})")
        if isinstance(self.init, str) and self.init_size < k:
            raise MissmodalError(f"init_size must be an int >= n_clusters ({k}), got {self.init_size!r}")

    def _fit_rows(self, source: ArrayRows | ParquetRows) -> None:
        n_total = source.n_total
        self._check_params()
        device = resolve_device(self.device)
        random_state = check_random_state(self.random_state)
        if isinstance(self.init, str):
            init_size = min(int(self.init_size), n_total)
            sample = (np.arange(n_total) if init_size == n_total
                      else np.sort(random_state.choice(n_total, init_size, replace=False)))
        else:
            sample = np.zeros(0, dtype=np.int64)
        moments, sample_x, sample_o = self._first_pass(source, sample)
        if self.n_clusters == "auto":
            self.n_clusters_, self.n_clusters_scores_ = choose_k(self, sample_x, random_state)
        else:
            self.n_clusters_, self.n_clusters_scores_ = int(self.n_clusters), None
        self._check_k(n_total)
        self.mean_, self.scale_ = moments.mean_scale()
        self._set_normaliser(device)
        geometry = self._geometry
        if isinstance(self.init, str):
            z, o = self._normalise(torch.from_numpy(sample_x).to(device), torch.from_numpy(sample_o).to(device))
            centers, has = self._kmeans_plus_plus(z, o.to(torch.float32), geometry, random_state)
        else:
            centers, has = self._initial_centres(device)
        self._lloyd(source, centers, has, geometry)

    def choices(self) -> dict:
        details = {"n_clusters": int(self.n_clusters_)}
        if self.n_clusters_scores_ == {}:
            details["warning"] = (f"n_clusters='auto': no observed block could be hidden (every row has one "
                                  f"modality), so k = {self.n_clusters_} was used without a score")
        elif self.n_clusters_scores_ is not None:
            details["n_clusters_scores"] = {str(k): v for k, v in self.n_clusters_scores_.items()}
        return details

    def _first_pass(self, source, sample: np.ndarray) -> tuple[Moments, np.ndarray, np.ndarray]:
        """Normalisation sums and the raw rows k-means++ runs on, in one pass, reduced over processes."""
        widths = self.widths_
        moments = Moments(widths, self.modality_names_)
        sample_x = np.zeros((sample.size, sum(widths)), dtype=np.float32)
        sample_o = np.zeros((sample.size, len(widths)), dtype=np.uint8)
        for start, X, observed in source.batches():
            moments.add(X, observed)
            lo, hi = np.searchsorted(sample, [start, start + X.shape[0]])
            rows = sample[lo:hi] - start
            sample_x[lo:hi] = X[rows]  # NaN in missing blocks; the other processes contribute 0
            sample_o[lo:hi] = observed[rows]
        moments.count, moments.total, moments.total_sq, sample_x, sample_o = sum_arrays(
            self.distributed, moments.count, moments.total, moments.total_sq, sample_x, sample_o)
        return moments, sample_x, sample_o.astype(bool)

    def _set_normaliser(self, device: torch.device) -> None:
        self._mean_t = torch.as_tensor(self.mean_, dtype=torch.float32, device=device)
        self._scale_t = torch.as_tensor(self.scale_, dtype=torch.float32, device=device)
        self._geometry = BlockGeometry(self.widths_, device)

    def _normalise(self, x: torch.Tensor, observed: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(z, o)``: float32 normalised rows with zeros in missing blocks, and the float32 0/1 mask.

        Missing blocks of ``x`` are NaN (observed ones finite), so they become 0 by ``nan_to_num``.
        """
        z = x.sub(self._mean_t).div_(self._scale_t).nan_to_num_(0.0)
        return z, observed.to(torch.float32)

    def _initial_centres(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        init = np.asarray(self.init, dtype=np.float32)
        if init.shape != (self.n_clusters_, self.n_features_in_):
            raise MissmodalError(f"init must have shape ({self.n_clusters_}, {self.n_features_in_}), got {init.shape}")
        has = observed_blocks(init, self.widths_)
        if not has.any(axis=1).all():
            raise MissmodalError(f"init, row {int(np.flatnonzero(~has.any(axis=1))[0])}: a centre needs at least one modality")
        z, o = self._normalise(torch.from_numpy(init).to(device), torch.from_numpy(has).to(device))
        return z, o

    def _kmeans_plus_plus(self, z: torch.Tensor, o: torch.Tensor, geometry: BlockGeometry,
                          random_state: np.random.RandomState) -> tuple[torch.Tensor, torch.Tensor]:
        """k-means++ on the partial distance over the sample rows ``z`` (s, D): seeds are sample rows."""
        size = z.shape[0]
        z_sq = geometry.block_sq_norms(z)
        chosen = [int(random_state.randint(size))]
        closest = self._distance_to_row(z, o, z_sq, chosen[0], geometry)
        for _ in range(1, self.n_clusters_):
            infinite = ~np.isfinite(closest)
            if infinite.any():
                candidates = np.flatnonzero(infinite)
                pick = int(candidates[random_state.randint(candidates.size)])
            else:
                cumulative = np.cumsum(closest)
                if cumulative[-1] > 0:
                    pick = int(np.searchsorted(cumulative, random_state.uniform() * cumulative[-1], side="right"))
                    pick = min(pick, size - 1)
                else:  # every row coincides with a seed
                    pick = int(random_state.randint(size))
            chosen.append(pick)
            closest = np.minimum(closest, self._distance_to_row(z, o, z_sq, pick, geometry))
        index = torch.as_tensor(chosen, device=z.device)
        return z[index].clone(), o[index].clone()

    def _distance_to_row(self, z: torch.Tensor, o: torch.Tensor, z_sq: torch.Tensor, row: int,
                         geometry: BlockGeometry) -> np.ndarray:
        """``(s,)`` float64 squared partial distance of every sample row to sample row ``row``."""
        step = self.batch_size
        parts = [partial_sq_distance(z[i:i + step], o[i:i + step], z[row:row + 1], o[row:row + 1], geometry,
                                     z_sq[i:i + step])[:, 0] for i in range(0, z.shape[0], step)]
        return torch.cat(parts).double().cpu().numpy()

    def _assignment_pass(self, source, centers: torch.Tensor, has: torch.Tensor, labels: np.ndarray,
                         geometry: BlockGeometry, cache: list | None) -> dict[str, Any]:
        """Assign every row to its nearest centre; accumulate per-cluster, per-modality sums and counts."""
        k, device = self.n_clusters_, centers.device
        n_features, n_modalities = centers.shape[1], has.shape[1]
        sums = torch.zeros(k, n_features, dtype=torch.float64, device=device)
        counts = torch.zeros(k, n_modalities, dtype=torch.float64, device=device)
        sq_norms = torch.zeros(k, n_modalities, dtype=torch.float64, device=device)
        inertia, changed, position = 0.0, 0, 0
        farthest = _Farthest(k, n_features, n_modalities)
        for start, observed, z, o, z_sq in self._normalised_batches(source, device, cache):
            d2 = partial_sq_distance(z, o, centers, has, geometry, z_sq)
            label = torch.argmin(d2, dim=1)
            best = d2.gather(1, label[:, None])[:, 0]
            # per-batch float32 sums, accumulated over batches in float64
            sums += torch.zeros(k, n_features, device=device).index_add_(0, label, z)
            counts.index_add_(0, label, o.double())
            sq_norms.index_add_(0, label, z_sq.double())
            finite = torch.isfinite(best)
            inertia += float(best[finite].double().sum())
            label_np = label.cpu().numpy()
            rows = slice(position, position + label_np.size)
            changed += int((labels[rows] != label_np).sum())
            labels[rows] = label_np
            top = torch.topk(best, min(k, best.numel())).indices
            farthest.update(best[top].double().cpu().numpy(), start + top.cpu().numpy(),
                            z[top].cpu().numpy(), observed[top.cpu().numpy()])
            position += label_np.size
        sums, counts, sq_norms, totals = sum_arrays(
            self.distributed, sums.cpu().numpy(), counts.cpu().numpy(), sq_norms.cpu().numpy(),
            np.array([inertia, changed], dtype=np.float64))
        members = np.bincount(labels, minlength=k).astype(np.float64)
        (members,) = sum_arrays(self.distributed, members)
        return dict(sums=sums, counts=counts, sq_norms=sq_norms, inertia=float(totals[0]), changed=int(totals[1]),
                    members=members, farthest=farthest.gathered(self.distributed))

    def _normalised_batches(self, source, device: torch.device, cache: list | None):
        """``(start, observed, z, o, z_sq)`` per batch; kept after the first pass for an in-memory source
        (one float32 copy of the data), recomputed on every pass for a streamed one (bounded memory)."""
        if cache:
            yield from cache
            return
        for start, X, observed in source.batches():
            z, o = self._normalise(torch.from_numpy(X).to(device), torch.from_numpy(observed).to(device))
            batch = (start, observed, z, o, self._geometry.block_sq_norms(z))
            if cache is not None:
                cache.append(batch)
            yield batch

    def _lloyd(self, source, centers: torch.Tensor, has: torch.Tensor, geometry: BlockGeometry) -> None:
        widths = self.widths_
        labels = np.full(source.n_local, -1, dtype=np.int64)
        cache = [] if isinstance(source, ArrayRows) else None
        for iteration in range(self.max_iter):
            stats = self._assignment_pass(source, centers, has, labels, geometry, cache)
            empty = np.flatnonzero(stats["members"] == 0)
            converged = iteration > 0 and stats["changed"] <= self.tol * source.n_total and empty.size == 0
            if converged or iteration == self.max_iter - 1:
                break
            present = stats["counts"] > 0
            means = stats["sums"] / np.maximum(np.repeat(stats["counts"], widths, axis=1), 1.0)
            c = np.where(expand(present, widths), means, centers.cpu().numpy().astype(np.float64))
            q = has.cpu().numpy().astype(bool) | present
            farthest = stats["farthest"]
            for j, row in zip(empty, range(farthest.dist.size)):
                c[j], q[j] = farthest.z[row], farthest.o[row]
            centers = torch.as_tensor(c, dtype=torch.float32, device=centers.device)
            has = torch.as_tensor(q, dtype=torch.float32, device=centers.device)
        self._store(centers, has, stats, labels, iteration + 1, source.n_total)

    def _store(self, centers: torch.Tensor, has: torch.Tensor, stats: dict, labels: np.ndarray, n_iter: int,
               n_total: int) -> None:
        c = centers.cpu().numpy().astype(np.float64)
        q = has.cpu().numpy().astype(bool)
        indicator = np.repeat(np.eye(len(self.widths_)), self.widths_, axis=0)  # (D, M)
        residual = stats["sq_norms"] - 2 * (c * stats["sums"]) @ indicator + stats["counts"] * ((c * c) @ indicator)
        widths = np.asarray(self.widths_, dtype=np.float64)
        self.cluster_variance_ = np.where(stats["counts"] > 0, np.maximum(residual, 0) / np.maximum(stats["counts"], 1)
                                          / widths, 0.0)
        self._centers_z = centers
        self._has = has
        self.centers_observed_ = q
        original = c * self.scale_ + self.mean_
        self.cluster_centers_ = np.where(expand(q, self.widths_), original, np.nan).astype(np.float32)
        self.labels_ = labels
        self.n_iter_ = n_iter
        self.inertia_ = stats["inertia"]
        self.cluster_sizes_ = stats["members"].astype(np.int64)
        self._sq_scale = max(self.inertia_ / n_total, np.finfo(np.float32).tiny)

    # --- imputation ---------------------------------------------------------------------------------
    def _rows(self, X: np.ndarray, observed: np.ndarray):
        """Normalised ``(z, o)`` torch batches of the rows to impute."""
        device = self._centers_z.device
        for start in range(0, X.shape[0], self.batch_size):
            stop = min(start + self.batch_size, X.shape[0])
            z, o = self._normalise(torch.from_numpy(X[start:stop]).to(device),
                                   torch.from_numpy(observed[start:stop]).to(device))
            yield slice(start, stop), z, o

    def _fill(self, X: np.ndarray, observed: np.ndarray) -> np.ndarray:
        out = np.empty(X.shape, dtype=np.float32)
        for rows, z, o in self._rows(X, observed):
            if self.assignment == "greedy":
                self._copy_centres(out[rows], self._greedy(z, o).cpu().numpy())
            else:
                out[rows] = (self._soft(z, o) * self._scale_t + self._mean_t).cpu().numpy()
        return out

    def _copy_centres(self, out: np.ndarray, source: np.ndarray) -> None:
        """Write block m of row i from centre ``source[i, m]`` (original space; -1 = the modality mean)."""
        table = np.vstack([self.cluster_centers_, self.mean_.astype(np.float32)[None]])
        bounds = np.cumsum([0] + self.widths_)
        for m in range(len(self.widths_)):
            out[:, bounds[m]:bounds[m + 1]] = table[source[:, m], bounds[m]:bounds[m + 1]]

    def _greedy(self, z: torch.Tensor, o: torch.Tensor) -> torch.Tensor:
        """``(b, M)`` long: the centre each block of each row is copied from (-1: none has it, use the mean).

        Greedy completion; the nearest centre when every centre is complete.
        """
        c, q, geometry = self._centers_z, self._has, self._geometry
        if bool(q.all()):
            nearest = torch.argmin(partial_sq_distance(z, o, c, q, geometry), dim=1)
            return nearest[:, None].expand(-1, q.shape[1])
        step = max(1, _GREEDY_ELEMENTS // (self.n_clusters_ * self.n_clusters_))
        return torch.cat([self._greedy_partial(z[s:s + step], o[s:s + step]) for s in range(0, z.shape[0], step)])

    def _greedy_partial(self, z: torch.Tensor, o: torch.Tensor) -> torch.Tensor:
        """Exact greedy completion against partial centres for a block of rows (``(b, M)`` source centres).

        The distance of candidate f (row i completed from centre f) to centre j splits into the row's
        observed part (independent of f) and the filled part ``Σ_{m ∉ O_i} q_fm q_jm ||c_f^m − c_j^m||² / d_m``,
        a ``(b, M) @ (M, k²)`` product: the ``(b, k, k)`` pair distances never involve D.
        """
        c, q, geometry = self._centers_z, self._has, self._geometry
        k, n_modalities = q.shape
        observed_total, observed_count = partial_sq_terms(z, o, c, q, geometry)  # (b, k) over centres j
        blocks = torch.stack([geometry.block_sq_norms(c[f:f + 1] - c) for f in range(k)])  # (f, j, M)
        pair = q[:, None, :] * q[None, :, :]  # (f, j, M)
        centre_terms = (blocks * pair * geometry.inv_width).permute(2, 0, 1).reshape(n_modalities, k * k)
        missing = 1.0 - o
        total = (missing @ centre_terms).view(-1, k, k) + observed_total[:, None, :]
        count = (missing @ pair.permute(2, 0, 1).reshape(n_modalities, k * k)).view(-1, k, k) + observed_count[:, None, :]
        pair_d2 = torch.where(count > 0, total / count.clamp_min(1.0), torch.full_like(total, float("inf"))).view(-1, k * k)
        still = missing > 0
        source = torch.full(o.shape, -1, dtype=torch.long, device=z.device)
        rows = torch.arange(z.shape[0], device=z.device)
        for _ in range(n_modalities):
            if not bool(still.any()):
                break
            useful = (still.to(torch.float32) @ q.T) > 0  # (b, k): candidate f carries a still-missing modality
            d2 = pair_d2.masked_fill(~useful.repeat_interleave(k, dim=1), float("inf"))
            candidate = torch.argmin(d2, dim=1) // k
            take = still & (q[candidate] > 0) & useful[rows, candidate][:, None]
            source = torch.where(take, candidate[:, None], source)
            still &= ~take
        return source

    def _greedy_values(self, z: torch.Tensor, o: torch.Tensor) -> torch.Tensor:
        """``(b, D)`` normalised greedy fill values (0, the mean, where no centre has the modality)."""
        table = torch.cat([self._centers_z, torch.zeros_like(self._centers_z[:1])])
        source = self._greedy(z, o)
        bounds = np.cumsum([0] + self.widths_)
        return torch.cat([table[source[:, m], bounds[m]:bounds[m + 1]] for m in range(len(self.widths_))], dim=1)

    def _posterior_logits(self, z: torch.Tensor, o: torch.Tensor) -> torch.Tensor:
        d2 = partial_sq_distance(z, o, self._centers_z, self._has, self._geometry)
        return -d2 / (self.temperature * self._sq_scale)

    def _soft(self, z: torch.Tensor, o: torch.Tensor) -> torch.Tensor:
        """Posterior-weighted mix of the centres having each modality; greedy where no such centre is near."""
        logits = self._posterior_logits(z, o)
        bounds = np.cumsum([0] + self.widths_)
        filled = torch.zeros_like(z)
        fallback = None
        for m in range(len(self.widths_)):
            masked = logits.masked_fill(self._has[:, m] == 0, float("-inf"))
            reachable = torch.isfinite(masked).any(dim=1)
            weights = torch.softmax(masked.masked_fill(~reachable[:, None], 0.0), dim=1)
            block = weights @ self._centers_z[:, bounds[m]:bounds[m + 1]]
            if not bool(reachable.all()):
                fallback = self._greedy_values(z, o) if fallback is None else fallback
                block = torch.where(reachable[:, None], block, fallback[:, bounds[m]:bounds[m + 1]])
            filled[:, bounds[m]:bounds[m + 1]] = block
        return filled

    def sample(self, X: Any, n_draws: int = 5, random_state: Any = None) -> list:
        """Multiple imputation: ``n_draws`` completed copies of ``X`` (same type as ``X``).

        In each draw a missing modality m of row i takes centre j's values with probability
        ``w_ij`` (the soft posterior over the centres having m) plus Gaussian noise with the cluster's
        per-dimension spread ``cluster_variance_[j, m]``; where no centre having m shares a modality with
        the row, the greedy value is used without noise.
        """
        check_is_fitted(self)
        if not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
            raise MissmodalError(f"n_draws must be a positive int, got {n_draws!r}")
        values, X32, observed = self._check_input(X, reset=False)
        generator = torch.Generator(device=self._centers_z.device)
        generator.manual_seed(int(check_random_state(random_state).randint(np.iinfo(np.int32).max)))
        spread = torch.as_tensor(np.sqrt(self.cluster_variance_), dtype=torch.float32, device=self._centers_z.device)
        draws = [np.empty(X32.shape, dtype=np.float32) for _ in range(n_draws)]
        bounds = np.cumsum([0] + self.widths_)
        for rows, z, o in self._rows(X32, observed):
            logits = self._posterior_logits(z, o)
            greedy = self._greedy_values(z, o)
            for draw in draws:
                filled = greedy.clone()
                for m in range(len(self.widths_)):
                    masked = logits.masked_fill(self._has[:, m] == 0, float("-inf"))
                    reachable = torch.isfinite(masked).any(dim=1)
                    if not bool(reachable.any()):
                        continue
                    weights = torch.softmax(masked[reachable], dim=1)
                    centre = torch.multinomial(weights, 1, generator=generator)[:, 0]
                    block = self._centers_z[centre, bounds[m]:bounds[m + 1]]
                    noise = torch.randn(block.shape, generator=generator, device=block.device)
                    filled[reachable, bounds[m]:bounds[m + 1]] = block + noise * spread[centre, m:m + 1]
                draw[rows] = (filled * self._scale_t + self._mean_t).cpu().numpy()
        completed = [self._complete(values, draw, observed) for draw in draws]
        if not isinstance(X, MultimodalData):
            return completed
        return [self._as_data(X, filled, {"method": "cluster", "draw": i, "imputed_slots": int((~observed).sum())})
                for i, filled in enumerate(completed)]
