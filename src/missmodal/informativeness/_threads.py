"""Run the many small fits of this package on one thread.

Small BLAS and torch operations gain nothing from several threads and, on a busy machine, lose a lot to
threads spinning while they wait for a core (a 10-30x slow-down was measured on 2 shared cores).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator


@contextmanager
def single_threaded() -> Iterator[None]:
    """Limit BLAS/OpenMP pools and torch's intra-op threads to 1 for the block, then restore them."""
    import torch
    from threadpoolctl import threadpool_limits

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(previous)
