"""The Cox partial likelihood (Breslow ties) as per-sample losses, for training a network on survival targets.

For log-risks ``eta`` of a batch with times ``t`` and event flags ``d``, Breslow's partial log-likelihood is

    log PL = sum_i d_i [eta_i - log sum_{j: t_j >= t_i} exp(eta_j)]

(tied event times share one risk set that holds all of them). The per-sample loss is
``l_i = d_i [log sum_{j: t_j >= t_i} exp(eta_j) - eta_i]`` (0 for censored samples, which enter only the risk
sets), so the mean loss of a batch is ``-log PL / n`` and any group objective
(:mod:`missmodal.train.losses`) weights the events of each group. Risk sets are those of the batch, as in
DeepSurv-style mini-batch training.
"""

from __future__ import annotations

import torch
from torch import Tensor


def cox_losses(log_risk: Tensor, target: Tensor) -> Tensor:
    """``(n, 1)`` log-risks and ``(n, 2)`` (time, event) -> ``(n,)`` Breslow partial-likelihood losses."""
    eta = log_risk.reshape(-1)
    time, event = target[:, 0], target[:, 1]
    order = torch.argsort(time, descending=True)
    sorted_time = time[order]
    log_at_risk = torch.logcumsumexp(eta[order], dim=0)  # over everyone sorted before, i.e. later times
    # ties: the risk set of a tied time holds every sample tied with it (the last sorted position of the tie)
    last = torch.searchsorted(-sorted_time.contiguous(), -sorted_time.contiguous(), right=True) - 1
    losses_sorted = event[order] * (log_at_risk[last] - eta[order])
    return torch.empty_like(losses_sorted).scatter_(0, order, losses_sorted)
