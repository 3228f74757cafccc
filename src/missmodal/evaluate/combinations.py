"""All-combinations evaluation: every complete test sample shown under every non-empty modality combination.

A test set with natural missingness holds few samples of the rare groups, so their accuracy is noisy and
confounded with who ends up in them. Masking complete samples gives each of the ``2^M - 1`` groups the same
samples: the fair way to compare tail groups with head groups.
"""

from __future__ import annotations

import numpy as np

from ..data import MultimodalData, all_nonempty_codes, codes_to_masks, group_name
from ..errors import MissmodalError


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
    records the source sample count and the codes.

    Examples
    --------
    >>> from missmodal.data import load_dataset
    >>> data = load_dataset("mfeat").subset(slice(0, 4))
    >>> expanded = all_combinations(data)
    >>> len(expanded), len(set(expanded.group_codes()))
    (252, 63)
    """
    complete = data.subset(data.is_complete())
    if complete.n_samples == 0:
        raise MissmodalError("all-combinations evaluation needs test samples with every modality observed; none has")
    codes = all_nonempty_codes(data.n_modalities) if codes is None else np.asarray(codes, dtype=np.int64)
    if codes.size == 0 or (codes <= 0).any() or (codes >= 1 << data.n_modalities).any():
        raise MissmodalError(f"codes must be non-empty combinations of the {data.n_modalities} modalities")
    n = complete.n_samples
    repeated = complete.subset(np.tile(np.arange(n), len(codes)))
    observed = codes_to_masks(np.repeat(codes, n), data.n_modalities)
    names = np.repeat([group_name(c, data.modality_names) for c in codes], n)
    ids = np.char.add(np.char.add(repeated.ids.astype(str), "|"), names.astype(str))
    result = repeated.with_observed(observed).replace(ids=ids)
    result.metadata["all_combinations"] = {"source_samples": n, "codes": codes.tolist()}
    return result
