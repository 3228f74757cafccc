"""Training objectives over combination groups: ERM, group reweighting, group DRO and its excess-loss variant.

Each objective turns per-sample losses and group indices into one scalar through per-group weights ``w_g``
on the group mean losses ``L_g``: ``objective = sum_g w_g L_g``. Group sums and counts are summed over
processes, so that under DDP every process uses the same ``L_g`` and ``w_g`` as one process would on the
whole global batch (and DDP's gradient averaging then gives the single-process gradient).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Sequence

import torch
from torch import Tensor

from ..errors import MissmodalError
from ..registry import Registry
from .distributed import DistributedContext, all_reduce_sum

LOSSES = Registry("loss")


class GroupObjective(ABC):
    """Base class: ``sum_g w_g L_g`` with weights from :meth:`group_weights`.

    Parameters
    ----------
    train_counts : number of training samples of each group, ``(G,)``, in group-index order.
    """

    def __init__(self, train_counts: Sequence[int]):
        self.train_counts = torch.as_tensor(list(train_counts), dtype=torch.float64)
        if self.train_counts.numel() == 0 or (self.train_counts <= 0).any():
            raise MissmodalError("every training group needs a positive count")

    @property
    def n_groups(self) -> int:
        return int(self.train_counts.numel())

    @abstractmethod
    def group_weights(self, group_means: Tensor, batch_counts: Tensor) -> Tensor:
        """``(G,)`` weights from the batch's group mean losses and group counts (both ``(G,)``, detached)."""

    def __call__(self, losses: Tensor, groups: Tensor, context: DistributedContext = DistributedContext()) -> tuple[Tensor, float]:
        """Objective of one (global) batch.

        Parameters
        ----------
        losses : (n,) per-sample losses of this process's share of the batch.
        groups : (n,) int64 group indices in ``0..G-1``.

        Returns
        -------
        (objective to differentiate on this process, value of the global-batch objective)
        """
        local_sums = torch.zeros(self.n_groups, dtype=losses.dtype, device=losses.device).index_add(0, groups, losses)
        local_counts = torch.bincount(groups, minlength=self.n_groups).to(losses.dtype)
        sums = all_reduce_sum(local_sums.detach(), context)
        counts = all_reduce_sum(local_counts, context)
        divisor = counts.clamp(min=1.0)
        weights = self.group_weights((sums / divisor).double().cpu(), counts.double().cpu()).to(losses)
        objective = (weights * local_sums * context.world_size / divisor).sum()
        return objective, float((weights * sums / divisor).sum())

    def state_dict(self) -> dict[str, Tensor]:
        return {}

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        """Restore the state saved by :meth:`state_dict` (nothing for stateless objectives)."""


@LOSSES.register("erm", "empirical risk: the mean loss over samples")
class ERM(GroupObjective):
    """Empirical risk minimisation: ``w_g = c_g / sum_h c_h`` (``c_g`` the group's count in the batch), i.e.
    the plain mean over samples."""

    def group_weights(self, group_means: Tensor, batch_counts: Tensor) -> Tensor:
        return batch_counts / batch_counts.sum()


@LOSSES.register("reweight", "group reweighting: each sample weighted by 1/n_g (its group's training count)")
class Reweight(GroupObjective):
    """Importance reweighting by inverse group frequency: sample weight ``1 / n_g``, normalised over the
    batch, i.e. ``w_g = (c_g / n_g) / sum_h (c_h / n_h)``; every group counts equally in expectation."""

    def group_weights(self, group_means: Tensor, batch_counts: Tensor) -> Tensor:
        raw = batch_counts / self.train_counts
        return raw / raw.sum()


@LOSSES.register("group-dro", "group DRO (Sagawa et al. 2020): exponentiated-gradient weights on group losses")
class GroupDRO(GroupObjective):
    """Online group distributionally robust optimisation (Sagawa, Koh, Hashimoto, Liang, ICLR 2020).

    Keeps a distribution ``q`` over groups (uniform at start). For each batch, with ``L_g`` the mean loss of
    group ``g`` in the batch (0 for groups absent from it, as in the reference implementation) and ``n_g``
    its training count:

    .. math::

        q_g \\leftarrow \\frac{q_g \\exp\\big(\\eta\\,(L_g + C/\\sqrt{n_g})\\big)}
                             {\\sum_h q_h \\exp\\big(\\eta\\,(L_h + C/\\sqrt{n_h})\\big)},
        \\qquad \\text{loss} = \\sum_g q_g L_g .

    ``C/√n_g`` is the generalisation adjustment, which favours small groups whose training loss
    under-estimates their true loss; ``C = 0`` is plain group DRO.

    Parameters
    ----------
    train_counts : training count of each group, ``(G,)``.
    step_size : the exponentiated-gradient step ``eta``.
    adjustment : the constant ``C``.
    """

    def __init__(self, train_counts: Sequence[int], step_size: float = 0.01, adjustment: float = 0.0):
        super().__init__(train_counts)
        if step_size <= 0 or adjustment < 0:
            raise MissmodalError(f"group DRO needs step_size > 0 and adjustment >= 0, got {step_size}, {adjustment}")
        self.step_size = step_size
        self.adjustment = adjustment
        self.q = torch.full((self.n_groups,), 1.0 / self.n_groups, dtype=torch.float64)

    def group_weights(self, group_means: Tensor, batch_counts: Tensor) -> Tensor:
        adjusted = group_means + self.adjustment / self.train_counts.sqrt()
        q = self.q * torch.exp(self.step_size * adjusted)
        self.q = q / q.sum()
        return self.q

    def state_dict(self) -> dict[str, Tensor]:
        return {"q": self.q.clone()}

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        self.q = state["q"].to(torch.float64).clone()


@LOSSES.register("group-dro-excess", "group DRO on excess loss over a per-group reference (minimax regret)")
class GroupDROExcess(GroupDRO):
    """Group DRO on excess losses ``L_g - R_g`` (minimax regret): the exponentiated-gradient step of
    :class:`GroupDRO` with ``L_g`` replaced by ``L_g - R_g`` for the groups in the batch (0 for the others),
    and the same objective ``sum_g q_g L_g``. ``R_g`` is a reference loss per group, by default the
    cross-fitted loss of a simple model on the group (:mod:`missmodal.train.reference`, computed by the
    trainer), so that a group whose loss is high because its labels are noisy does not draw all the weight.

    Parameters
    ----------
    train_counts, step_size, adjustment : as for :class:`GroupDRO`.
    reference : ``(G,)`` reference loss of each group.
    """

    #: The trainer supplies ``reference`` (see :func:`missmodal.train.reference.reference_losses`).
    needs_reference = True

    def __init__(self, train_counts: Sequence[int], reference: Sequence[float] | None = None, step_size: float = 0.01,
                 adjustment: float = 0.0):
        super().__init__(train_counts, step_size, adjustment)
        if reference is None or len(reference) != self.n_groups:
            got = None if reference is None else len(reference)
            raise MissmodalError(f"group-dro-excess needs one reference loss per group ({self.n_groups}), got {got}")
        self.reference = torch.as_tensor(list(reference), dtype=torch.float64)

    def group_weights(self, group_means: Tensor, batch_counts: Tensor) -> Tensor:
        excess = torch.where(batch_counts > 0, group_means - self.reference, torch.zeros_like(group_means))
        return super().group_weights(excess, batch_counts)


def build_loss(name: str, train_counts: Sequence[int], **params) -> GroupObjective:
    """A registered objective by name (``erm``, ``reweight``, ``group-dro``, ``group-dro-excess``) with its parameters."""
    builder = LOSSES.get(name)
    try:
        return builder(train_counts, **params)
    except TypeError as error:
        raise MissmodalError(f"loss {name!r}: bad parameters {params} ({error})") from None

