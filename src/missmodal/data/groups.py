"""Combination groups: the set of observed modalities of a sample, coded as a bitmask.

The group code of sample ``i`` is ``sum(observed[i, m] << m)``; its name joins the observed modality names in
modality order with ``+`` (``"fac+pix"``). Codes fit in int64 for up to 62 modalities.
"""

from __future__ import annotations

from itertools import combinations
from typing import Sequence

import numpy as np

from ..errors import MissmodalError

GROUP_SEPARATOR = "+"


def group_codes(observed: np.ndarray) -> np.ndarray:
    """Bitmask code of each row of an ``(n, M)`` boolean mask, shape ``(n,)`` int64."""
    observed = np.asarray(observed, dtype=bool)
    if observed.ndim != 2:
        raise MissmodalError(f"observed mask must be 2-D (n, M), got shape {observed.shape}")
    if observed.shape[1] > 62:
        raise MissmodalError(f"at most 62 modalities are supported, got {observed.shape[1]}")
    weights = np.left_shift(np.int64(1), np.arange(observed.shape[1], dtype=np.int64))
    return observed.astype(np.int64) @ weights


def code_to_mask(code: int, n_modalities: int) -> np.ndarray:
    """The ``(M,)`` boolean mask of a group code."""
    return np.array([(int(code) >> m) & 1 == 1 for m in range(n_modalities)], dtype=bool)


def codes_to_masks(codes: np.ndarray, n_modalities: int) -> np.ndarray:
    """``(n, M)`` boolean masks of an ``(n,)`` array of codes."""
    codes = np.asarray(codes, dtype=np.int64)
    return (codes[:, None] >> np.arange(n_modalities, dtype=np.int64)) & 1 == 1


def group_name(code: int, modality_names: Sequence[str]) -> str:
    """Readable name of a group code, e.g. ``"fac+pix"``; the empty group is ``"(none)"``."""
    present = [name for m, name in enumerate(modality_names) if (int(code) >> m) & 1]
    return GROUP_SEPARATOR.join(present) if present else "(none)"


def group_modalities(code: int, modality_names: Sequence[str]) -> list[str]:
    """List of the modality names present in a group code."""
    return [name for m, name in enumerate(modality_names) if (int(code) >> m) & 1]


def parse_group(name: str, modality_names: Sequence[str]) -> int:
    """Group code of a name such as ``"fac+pix"``; unknown modality names raise a clear error."""
    index = {n: m for m, n in enumerate(modality_names)}
    code = 0
    for part in name.split(GROUP_SEPARATOR):
        part = part.strip()
        if part not in index:
            raise MissmodalError(f"group {name!r}: unknown modality {part!r}; modalities: {list(modality_names)}")
        code |= 1 << index[part]
    return code


def all_nonempty_codes(n_modalities: int) -> np.ndarray:
    """Every non-empty combination of ``M`` modalities, ordered by size then code: shape ``(2^M - 1,)``."""
    codes = []
    for size in range(1, n_modalities + 1):
        for subset in combinations(range(n_modalities), size):
            codes.append(sum(1 << m for m in subset))
    return np.array(codes, dtype=np.int64)


def head_groups(counts: dict[int, int], coverage: float = 0.8) -> set[int]:
    """Head groups: the most frequent groups that together cover ``coverage`` of the samples.

    Groups are taken in decreasing count (ties by code) until their cumulative share reaches ``coverage``;
    the group that crosses the threshold is head. Every other group is tail.
    """
    if not 0 < coverage <= 1:
        raise MissmodalError(f"coverage must be in (0, 1], got {coverage}")
    total = sum(counts.values())
    head: set[int] = set()
    cumulative = 0
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        if total and cumulative / total >= coverage:
            break
        head.add(code)
        cumulative += count
    return head
