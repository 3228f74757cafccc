"""Rank and world size of an encode run: one process, or every rank of a ``torchrun`` launch.

Under ``torchrun`` (``WORLD_SIZE`` > 1) the ranks join the process group of :mod:`missmodal.train.distributed`
(gloo on CPU) and meet at barriers; in one process every call here is a no-op and torch is not imported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RankContext:
    """This process's rank, the world size, and the training context used for barriers (None alone)."""

    rank: int = 0
    world_size: int = 1
    context: Any = None

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.context is not None:
            from ..train.distributed import barrier

            barrier(self.context)


def rank_context() -> RankContext:
    """The context of this process (joins the process group under torchrun)."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return RankContext()
    from ..train.distributed import setup_distributed

    context = setup_distributed()
    return RankContext(context.rank, context.world_size, context)
