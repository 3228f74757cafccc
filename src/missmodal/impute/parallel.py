"""Data-parallel reductions over ``torch.distributed`` (no-ops in a single process).

Under ``torchrun`` every process holds a shard of the rows; the streaming passes of an imputer accumulate
per-process sums and counts and all-reduce them, so every process ends with the same totals and the same
fitted state. The reductions run on CPU tensors (the sums are small: ``k × D``), so the process group
uses the ``gloo`` backend even when the distances are computed on a GPU.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.distributed as dist

from ..errors import MissmodalError


def world(distributed: bool) -> tuple[int, int]:
    """``(rank, world_size)``; ``(0, 1)`` when ``distributed`` is False."""
    if not distributed:
        return 0, 1
    if not (dist.is_available() and dist.is_initialized()):
        raise MissmodalError("distributed=True needs an initialised torch.distributed process group "
                             "(run under torchrun and call torch.distributed.init_process_group first)")
    return dist.get_rank(), dist.get_world_size()


def all_reduce_sum(distributed: bool, *arrays: np.ndarray) -> list[np.ndarray]:
    """Element-wise sums of numpy arrays over all processes (float64 or int64 kept)."""
    if not distributed:
        return list(arrays)
    out = []
    for array in arrays:
        tensor = torch.from_numpy(np.ascontiguousarray(array))
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        out.append(tensor.numpy())
    return out


def all_gather_concat(distributed: bool, *arrays: np.ndarray) -> list[np.ndarray]:
    """Each array concatenated along axis 0 over processes in rank order (equal shapes on every rank)."""
    if not distributed:
        return list(arrays)
    out = []
    for array in arrays:
        tensor = torch.from_numpy(np.ascontiguousarray(array))
        parts = [torch.empty_like(tensor) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, tensor)
        out.append(torch.cat(parts).numpy())
    return out
