"""All-combinations evaluation: every complete test sample shown under every non-empty modality combination.

A test set with natural missingness holds few samples of the rare groups, so their accuracy is noisy and
confounded with who ends up in them. Masking complete samples gives each of the ``2^M - 1`` groups the same
samples: the fair way to compare tail groups with head groups.

Scale: ``2^M - 1`` grows fast (65,535 combinations for 16 modalities). The expanded rows are produced and
scored in chunks of at most ``chunk_rows`` rows (:func:`iter_combinations`, :func:`score_combinations`), so
memory holds one chunk of inputs plus the scores. At most ``max_combinations`` combinations
(:data:`MAX_COMBINATIONS` by default) are evaluated: beyond that a seeded uniform sample of them is, and the
report says so (``combinations``: evaluated, total, sampled, seed). The evaluated rows
(complete samples x combinations) may not exceed :data:`MAX_ROWS`; more is refused in one line.
"""

from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

from ..data import MultimodalData, all_nonempty_codes, codes_to_masks, group_name
from ..errors import MissmodalError

MAX_COMBINATIONS = 1024
MAX_ROWS = 2_000_000
CHUNK_ROWS = 65_536


def combination_codes(n_modalities: int, max_combinations: int | None = MAX_COMBINATIONS,
                      seed: int = 0) -> tuple[np.ndarray, dict]:
    """The combination codes to evaluate and a description of the choice.

    All ``2^M - 1`` non-empty combinations (by size then code) when they are at most ``max_combinations``
    (None: no limit); otherwise a uniform sample of ``max_combinations`` of them without replacement, drawn
    with ``numpy.random.default_rng(seed)`` and sorted by size then code.

    Returns
    -------
    codes : (K,) int64
    info : ``{"evaluated": K, "total": 2^M - 1, "sampled": bool, "seed": seed or None}``
    """
    if not 1 <= n_modalities <= 62:
        raise MissmodalError(f"all-combinations evaluation supports 1 to 62 modalities, got {n_modalities}")
    total = (1 << n_modalities) - 1
    if max_combinations is not None and max_combinations < 1:
        raise MissmodalError(f"max_combinations must be >= 1, got {max_combinations}")
    if max_combinations is None or total <= max_combinations:
        return all_nonempty_codes(n_modalities), {"evaluated": total, "total": total, "sampled": False, "seed": None}
    drawn = np.random.default_rng(seed).choice(total, size=max_combinations, replace=False).astype(np.int64) + 1
    sizes = np.array([bin(int(c)).count("1") for c in drawn])
    codes = drawn[np.lexsort((drawn, sizes))]
    return codes, {"evaluated": int(max_combinations), "total": total, "sampled": True, "seed": int(seed)}


def _complete(data: MultimodalData) -> MultimodalData:
    complete = data.subset(data.is_complete())
    if complete.n_samples == 0:
        raise MissmodalError("all-combinations evaluation needs test samples with every modality observed; none has")
    return complete


def _check_codes(codes: np.ndarray, n_modalities: int) -> np.ndarray:
    codes = np.asarray(codes, dtype=np.int64)
    if codes.size == 0 or (codes <= 0).any() or (codes >= 1 << n_modalities).any():
        raise MissmodalError(f"codes must be non-empty combinations of the {n_modalities} modalities")
    return codes


def _expand(complete: MultimodalData, codes: np.ndarray) -> MultimodalData:
    n = complete.n_samples
    repeated = complete.subset(np.tile(np.arange(n), len(codes)))
    observed = codes_to_masks(np.repeat(codes, n), complete.n_modalities)
    names = np.repeat([group_name(c, complete.modality_names) for c in codes], n)
    ids = np.char.add(np.char.add(repeated.ids.astype(str), "|"), names.astype(str))
    return repeated.with_observed(observed).replace(ids=ids)


def iter_combinations(data: MultimodalData, codes: np.ndarray, chunk_rows: int = CHUNK_ROWS) -> Iterator[MultimodalData]:
    """The complete samples of ``data`` under ``codes``, combination-major, in chunks of whole combinations
    holding at most ``max(chunk_rows, n_complete)`` rows each."""
    complete = _complete(data)
    codes = _check_codes(codes, data.n_modalities)
    per_chunk = max(1, chunk_rows // complete.n_samples)
    for start in range(0, len(codes), per_chunk):
        yield _expand(complete, codes[start:start + per_chunk])


def all_combinations(data: MultimodalData, codes: np.ndarray | None = None) -> MultimodalData:
    """The complete samples of ``data`` repeated under each combination, absent modalities masked (NaN).

    Parameters
    ----------
    data : test data; only its complete samples are used.
    codes : the group codes to produce (default: all ``2^M - 1`` non-empty ones, by size then code).

    Returns
    -------
    MultimodalData with ``n_complete * len(codes)`` rows, combination-major (all samples under the first
    combination, then the second, ...); ids are ``"<id>|<group name>"`` and ``metadata["all_combinations"]``
    records the source sample count and the codes. Everything is in memory: for many modalities use
    :func:`score_combinations`.

    Examples
    --------
    >>> from missmodal.data import load_dataset
    >>> data = load_dataset("mfeat").subset(slice(0, 4))
    >>> expanded = all_combinations(data)
    >>> len(expanded), len(set(expanded.group_codes()))
    (252, 63)
    """
    complete = _complete(data)
    codes = all_nonempty_codes(data.n_modalities) if codes is None else _check_codes(codes, data.n_modalities)
    result = _expand(complete, codes)
    result.metadata["all_combinations"] = {"source_samples": complete.n_samples, "codes": codes.tolist()}
    return result


def score_combinations(score: Callable[[MultimodalData], np.ndarray], data: MultimodalData, codes: np.ndarray,
                       chunk_rows: int = CHUNK_ROWS, max_rows: int = MAX_ROWS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score the complete samples under each combination, streamed chunk by chunk.

    Parameters
    ----------
    score : ``MultimodalData -> (rows, ...)`` scores (e.g. ``FittedModel.scores``).
    data, codes : as :func:`all_combinations`.
    chunk_rows : rows expanded at a time (memory: one chunk of inputs).
    max_rows : refuse when ``n_complete * len(codes)`` exceeds this (memory of targets, scores and masks).

    Returns
    -------
    target (rows, ...), scores (rows, ...), observed (rows, M) bool, combination-major.
    """
    n = int(data.is_complete().sum())
    codes = _check_codes(codes, data.n_modalities)
    if n * len(codes) > max_rows:
        raise MissmodalError(f"all-combinations evaluation of {n} complete samples under {len(codes)} combinations is "
                             f"{n * len(codes):,} rows, above the limit of {max_rows:,}; lower --max-combinations "
                             f"(at most {max(1, max_rows // max(n, 1))} here) or evaluate fewer samples")
    targets, scores, masks = [], [], []
    for chunk in iter_combinations(data, codes, chunk_rows):
        targets.append(chunk.target)
        scores.append(score(chunk))
        masks.append(chunk.observed)
    return np.concatenate(targets), np.concatenate(scores), np.concatenate(masks)
