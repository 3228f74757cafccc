"""Run small torch computations on one thread (they are slower on several, and far slower on a busy machine)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator


@contextmanager
def torch_single_thread() -> Iterator[None]:
    """Set torch's intra-op threads to 1 for the block, then restore the previous setting."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
