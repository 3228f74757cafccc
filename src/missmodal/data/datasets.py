"""Bundled and synthetic datasets, by name: ``load_dataset("mfeat")``, ``load_dataset("logic", gate="xor")``.

All generators are seeded. Every dataset but ``clinical`` (and ``clinical-survival``) comes complete (all modalities observed): use
:mod:`missmodal.data.simulate` to make modalities missing. ``clinical`` is a cohort with its own,
natural-looking missingness (structural, MAR, positivity gaps, partly observed blocks).
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import numpy as np

from ..errors import MissmodalError
from ..registry import Registry
from .multimodal import MultimodalData

DATASETS = Registry("dataset")
DEFAULT_DATASET = "mfeat"
MFEAT_MODALITIES = ("fou", "fac", "kar", "pix", "zer", "mor")


def _check_n_samples(dataset: str, n_samples: int) -> None:
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise MissmodalError(f"dataset {dataset!r}: n_samples must be a positive integer, got {n_samples!r}")


@DATASETS.register("mfeat", "UCI Multiple Features: 2000 digits, 10 classes, 6 feature sets (CC BY 4.0)")
def mfeat() -> MultimodalData:
    """UCI Multiple Features: 2000 handwritten digits, 10 classes, six feature sets as modalities.

    Modalities: fou 76, fac 216, kar 64, pix 240, zer 47, mor 6 dims. Licence and attribution:
    ``missmodal/data/_bundled/MFEAT_LICENSE.md`` (CC BY 4.0, R.P.W. Duin, UCI ML Repository).
    """
    with resources.files(__package__).joinpath("_bundled/mfeat.npz").open("rb") as handle:
        with np.load(handle, allow_pickle=False) as archive:
            modalities = {name: archive[name] for name in MFEAT_MODALITIES}
            target = archive["target"].astype(np.int64)
    ids = np.array([f"mfeat-{i:04d}" for i in range(target.size)])
    return MultimodalData(modalities, target=target, ids=ids, task="multiclass",
                          metadata={"dataset": "mfeat", "licence": "CC BY 4.0", "source": "UCI Multiple Features (Duin)"})


@DATASETS.register("logic", "ICYM2I toy: x1, x2 ~ Bernoulli(0.5), y = AND/OR/XOR(x1, x2)")
def logic(n_samples: int = 10000, gate: str = "and", seed: int = 0) -> MultimodalData:
    """Two binary modalities and a logic-gate label (the ICYM2I toy).

    ``x1, x2 ~ Bernoulli(0.5)`` independently, ``y = gate(x1, x2)`` for gate in {and, or, xor}.
    Modalities ``x1`` and ``x2`` are (n, 1) arrays of 0/1.
    """
    gates = {"and": np.logical_and, "or": np.logical_or, "xor": np.logical_xor}
    _check_n_samples("logic", n_samples)
    if gate not in gates:
        raise MissmodalError(f"gate must be one of {sorted(gates)}, got {gate!r}")
    rng = np.random.default_rng(seed)
    x1 = rng.integers(0, 2, n_samples)
    x2 = rng.integers(0, 2, n_samples)
    y = gates[gate](x1, x2).astype(np.int64)
    return MultimodalData({"x1": x1[:, None], "x2": x2[:, None]}, target=y, task="binary",
                          metadata={"dataset": "logic", "params": {"n_samples": n_samples, "gate": gate, "seed": seed}})


@DATASETS.register("blobs", "ICYM2I simulation: unique-1, unique-2 and shared label sources, 20% label noise")
def blobs(n_samples: int = 10000, unique1: float = 1 / 3, unique2: float = 1 / 3, shared: float = 1 / 3,
          label_noise: float = 0.2, seed: int = 0) -> MultimodalData:
    """Two 20-dim modalities from blobs, with a label built from a mixture of information sources.

    ``z = make_blobs(n, 30 features, 10 centres)``, standardised, split in ``z1, z2, zc`` (10 dims each);
    ``x1 = [z1, zc]``, ``x2 = [z2, zc]``. Each sample draws its label source s in {unique-1, unique-2,
    shared} with probabilities ``(unique1, unique2, shared)`` (normalised); ``y = 1[v_s . z_s > 0]`` for a
    random direction ``v_s`` of that block; then a share ``label_noise`` of labels is flipped.
    """
    from sklearn.datasets import make_blobs

    _check_n_samples("blobs", n_samples)
    weights = np.array([unique1, unique2, shared], dtype=float)
    if (weights < 0).any() or weights.sum() <= 0:
        raise MissmodalError(f"mixture weights must be >= 0 with a positive sum, got {weights.tolist()}")
    if not 0 <= label_noise < 0.5:
        raise MissmodalError(f"label_noise must be in [0, 0.5), got {label_noise}")
    rng = np.random.default_rng(seed)
    z, _ = make_blobs(n_samples=n_samples, n_features=30, centers=10, random_state=seed)
    z = (z - z.mean(axis=0)) / z.std(axis=0)
    blocks = [z[:, :10], z[:, 10:20], z[:, 20:]]
    directions = rng.normal(size=(3, 10))
    source = rng.choice(3, size=n_samples, p=weights / weights.sum())
    scores = np.stack([b @ v for b, v in zip(blocks, directions)], axis=1)
    y = (scores[np.arange(n_samples), source] > 0).astype(np.int64)
    flip = rng.random(n_samples) < label_noise
    y[flip] = 1 - y[flip]
    params = dict(n_samples=n_samples, unique1=unique1, unique2=unique2, shared=shared, label_noise=label_noise, seed=seed)
    return MultimodalData({"x1": np.hstack([blocks[0], blocks[2]]), "x2": np.hstack([blocks[1], blocks[2]])},
                          target=y, task="binary", metadata={"dataset": "blobs", "params": params})


@DATASETS.register("latent", "M modalities from shared latent clusters through random maps plus noise (any n)")
def latent(n_samples: int = 10000, n_modalities: int = 6, dim: int | list[int] = 128, n_clusters: int = 10,
           latent_dim: int = 16, noise: float = 0.5, seed: int = 0, batch_size: int = 100_000) -> MultimodalData:
    """Synthetic multimodal data for scaling tests.

    Each sample belongs to one of ``n_clusters`` latent clusters (its class); its latent code is
    ``u = mu_c + eps`` with ``eps ~ N(0, I)``, ``mu_c ~ N(0, 4 I)`` in ``latent_dim`` dims; modality m is
    ``x^m = tanh(u W_m) + noise * N(0, I)`` with a random map ``W_m`` (latent_dim x d_m). Generated in
    batches, so n in the millions fits in memory as float32.
    """
    if n_modalities < 1 or n_modalities > 26 or n_samples < 1:
        raise MissmodalError(f"latent needs n_samples >= 1 and 1 <= n_modalities <= 26, got {n_samples} and {n_modalities}")
    dims = [dim] * n_modalities if isinstance(dim, int) else list(dim)
    if len(dims) != n_modalities or min(dims) < 1:
        raise MissmodalError(f"dim must be a positive int or a list of {n_modalities} positive ints, got {dim}")
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=2.0, size=(n_clusters, latent_dim))
    maps = [rng.normal(size=(latent_dim, d)) / np.sqrt(latent_dim) for d in dims]
    labels = rng.integers(0, n_clusters, n_samples)
    names = [f"m{m}" for m in range(n_modalities)]
    arrays = {name: np.empty((n_samples, d), dtype=np.float32) for name, d in zip(names, dims)}
    for start in range(0, n_samples, batch_size):
        stop = min(start + batch_size, n_samples)
        u = centres[labels[start:stop]] + rng.normal(size=(stop - start, latent_dim))
        for name, w in zip(names, maps):
            arrays[name][start:stop] = np.tanh(u @ w) + noise * rng.standard_normal((stop - start, w.shape[1]))
    params = dict(n_samples=n_samples, n_modalities=n_modalities, dim=dim, n_clusters=n_clusters,
                  latent_dim=latent_dim, noise=noise, seed=seed)
    return MultimodalData(arrays, target=labels.astype(np.int64), task="multiclass",
                          metadata={"dataset": "latent", "params": params})


@DATASETS.register("clinical", "Clinical-style cohort: 5 blocks of fields, natural missingness, age/sex/site, binary outcome")
def clinical(n_samples: int = 418, seed: int = 0) -> MultimodalData:
    """A seeded clinical-style cohort read through its schema (see :mod:`missmodal.data.clinical`).

    Modalities labs 6, vitals 3, histology 2, imaging 3, genomics 4 fields; covariates age, sex and site
    (one-hot); binary outcome ``died``/``alive``; partly observed ``labs`` blocks keep a field mask.
    """
    from .clinical import CLINICAL_SCHEMA, clinical_table
    from .schema import from_table

    data = from_table(clinical_table(n_samples, seed), schema=CLINICAL_SCHEMA, name="clinical")
    data.metadata.update({"dataset": "clinical", "params": {"n_samples": n_samples, "seed": seed}})
    return data


@DATASETS.register("clinical-survival", "The clinical cohort with a follow-up time and death status (censored, "
                   "Weibull proportional hazards)")
def clinical_survival(n_samples: int = 418, seed: int = 0) -> MultimodalData:
    """The ``clinical`` cohort with a time-to-event target (task ``survival``; see
    :func:`missmodal.data.clinical.clinical_survival_table`): ``data.time`` in days, ``data.event`` death."""
    from .clinical import CLINICAL_SURVIVAL_SCHEMA, clinical_survival_table
    from .schema import from_table

    data = from_table(clinical_survival_table(n_samples, seed), schema=CLINICAL_SURVIVAL_SCHEMA, name="clinical-survival")
    data.metadata.update({"dataset": "clinical-survival", "params": {"n_samples": n_samples, "seed": seed}})
    return data


def load_dataset(name: str, **params: Any) -> MultimodalData:
    """A bundled or synthetic dataset by registry name, with generator parameters as keywords."""
    try:
        return DATASETS.build(name, **params)
    except MissmodalError:
        raise
    except (TypeError, ValueError) as error:
        raise MissmodalError(f"dataset {name!r}: bad parameters {params} ({error})") from None


def list_datasets() -> list[tuple[str, str]]:
    """``(name, description)`` of every registered dataset."""
    return [(name, DATASETS.describe(name)) for name in DATASETS]
