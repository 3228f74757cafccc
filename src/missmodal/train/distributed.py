"""Data-parallel context: one CPU process, or DDP under ``torchrun`` (gloo on CPU, nccl on GPU).

The trainer asks this module for its rank and world size and sums small tensors across processes through
:func:`all_reduce_sum`, which is the identity in a single process: one code path for both cases.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistributedContext:
    """Rank, world size and device of this process."""

    rank: int = 0
    world_size: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world_size > 1


def setup_distributed() -> DistributedContext:
    """Join the process group when launched by ``torchrun`` (``WORLD_SIZE`` > 1), else run alone.

    The backend is nccl when CUDA is available (one device per local rank), gloo otherwise.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return DistributedContext()
    use_cuda = torch.cuda.is_available()
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    device = torch.device("cpu")
    if use_cuda:
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    return DistributedContext(dist.get_rank(), dist.get_world_size(), device)


def all_reduce_sum(tensor: torch.Tensor, context: DistributedContext) -> torch.Tensor:
    """Sum of a (detached) tensor over all processes; the tensor itself in a single process."""
    if not context.active:
        return tensor
    total = tensor.detach().clone()
    dist.all_reduce(total, op=dist.ReduceOp.SUM)
    return total


def broadcast_flag(flag: bool, context: DistributedContext) -> bool:
    """Rank 0's value of a boolean, on every process (early-stopping decisions stay in step)."""
    if not context.active:
        return flag
    value = torch.tensor([int(flag)], device=context.device)
    dist.broadcast(value, src=0)
    return bool(value.item())


def barrier(context: DistributedContext) -> None:
    if context.active:
        dist.barrier()
