"""``torch.distributed`` in one place: this process's rank, world size and device, and the few collective
operations of the package, each the identity in a single process (one code path for both cases).

Under ``torchrun`` (``WORLD_SIZE`` > 1) :func:`setup_distributed` joins the process group (nccl when CUDA is
available, one device per local rank; gloo otherwise). Its users:

* the trainer sums small tensors across processes (:func:`all_reduce_sum`), keeps early-stopping decisions
  in step (:func:`broadcast_flag`) and meets at barriers;
* the streaming imputers accumulate per-process sums and counts of numpy arrays and sum or gather them over
  the ranks of an already-initialised group (:func:`world`, :func:`sum_arrays`, :func:`gather_arrays`; the
  sums are small, ``k x D``, so they travel as CPU tensors over gloo even when distances run on a GPU);
* the encoder splits chunks over ranks and meets at barriers (:meth:`DistributedContext.barrier`).

In a single process nothing here imports torch. The thread and process policy of single-machine work
(process pools, one thread per worker) is :mod:`missmodal._parallel`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import MissmodalError


@dataclass(frozen=True)
class DistributedContext:
    """Rank, world size and device (a ``torch.device``, or ``"cpu"``) of this process."""

    rank: int = 0
    world_size: int = 1
    device: Any = "cpu"

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world_size > 1

    def barrier(self) -> None:
        """Wait for every process (nothing to wait for alone)."""
        if self.active:
            import torch.distributed as dist

            dist.barrier()


def setup_distributed() -> DistributedContext:
    """Join the process group when launched by ``torchrun`` (``WORLD_SIZE`` > 1), else run alone."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return DistributedContext()
    import torch
    import torch.distributed as dist

    use_cuda = torch.cuda.is_available()
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    device = torch.device("cpu")
    if use_cuda:
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    return DistributedContext(dist.get_rank(), dist.get_world_size(), device)


def barrier(context: DistributedContext) -> None:
    context.barrier()


def all_reduce_sum(tensor, context: DistributedContext):
    """Sum of a (detached) tensor over all processes; the tensor itself in a single process."""
    if not context.active:
        return tensor
    import torch.distributed as dist

    total = tensor.detach().clone()
    dist.all_reduce(total, op=dist.ReduceOp.SUM)
    return total


def broadcast_flag(flag: bool, context: DistributedContext) -> bool:
    """Rank 0's value of a boolean, on every process (early-stopping decisions stay in step)."""
    if not context.active:
        return flag
    import torch
    import torch.distributed as dist

    value = torch.tensor([int(flag)], device=context.device)
    dist.broadcast(value, src=0)
    return bool(value.item())


def world(distributed: bool) -> tuple[int, int]:
    """``(rank, world_size)`` of an initialised process group; ``(0, 1)`` when ``distributed`` is False."""
    if not distributed:
        return 0, 1
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        raise MissmodalError("distributed=True needs an initialised torch.distributed process group "
                             "(run under torchrun and call torch.distributed.init_process_group first)")
    return dist.get_rank(), dist.get_world_size()


def _summed(tensor):
    import torch.distributed as dist

    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def _gathered(tensor):
    import torch
    import torch.distributed as dist

    parts = [torch.empty_like(tensor) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, tensor)
    return torch.cat(parts)


def _each_array(distributed: bool, arrays: tuple[np.ndarray, ...], collective) -> list[np.ndarray]:
    """``collective`` applied to each array as a CPU tensor (the arrays themselves when not distributed)."""
    if not distributed:
        return list(arrays)
    import torch

    return [collective(torch.from_numpy(np.ascontiguousarray(array))).numpy() for array in arrays]


def sum_arrays(distributed: bool, *arrays: np.ndarray) -> list[np.ndarray]:
    """Element-wise sums of numpy arrays over all processes (float64 or int64 kept); the arrays alone."""
    return _each_array(distributed, arrays, _summed)


def gather_arrays(distributed: bool, *arrays: np.ndarray) -> list[np.ndarray]:
    """Each array concatenated along axis 0 over processes in rank order (equal shapes on every rank)."""
    return _each_array(distributed, arrays, _gathered)
