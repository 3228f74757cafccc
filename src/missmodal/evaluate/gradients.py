"""Gradient inconsistency across combination groups (REMIND's diagnostic).

For each group ``g``, the cosine between the gradient of its mean loss ``∇L_g`` and the gradient of the
overall mean loss ``∇L = sum_g (n_g / n) ∇L_g``, on the parameters shared by all groups. Tail groups whose
cosine is small or negative are pulled against the direction the head groups set.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import Tensor, nn


def shared_parameters(module: nn.Module, exclude: Sequence[str] = ()) -> list[tuple[str, nn.Parameter]]:
    """Trainable ``(name, parameter)`` pairs, without the group-specific ones named in ``exclude``."""
    return [(name, p) for name, p in module.named_parameters() if p.requires_grad and name not in set(exclude)]


def gradient_alignment(module: nn.Module, inputs: Sequence[Tensor], observed: Tensor, target: Tensor,
                       groups: Tensor, per_sample_loss: Callable[[Tensor, Tensor], Tensor],
                       parameters: Sequence[nn.Parameter], min_count: int = 2,
                       covariates: Tensor | None = None) -> dict[int, dict[str, float]]:
    """Cosine of each group's loss gradient with the overall gradient.

    Parameters
    ----------
    module : a fusion model (``module(inputs, observed).logits``); evaluated in eval mode (no dropout).
    inputs, observed, target : a sample of training data (``(n, d_m)`` each, ``(n, M)`` bool, targets).
    groups : (n,) int64 group labels (any integers, e.g. group codes).
    per_sample_loss : ``(logits, target) -> (n,)`` losses.
    parameters : the shared parameters to take gradients on.
    min_count : groups with fewer samples are skipped.
    covariates : (n, p) covariates of the sample, for a model that uses them.

    Returns
    -------
    ``{group: {"cosine": cos(∇L_g, ∇L), "count": n_g, "grad_norm": |∇L_g|}}``.
    """
    was_training = module.training
    module.eval()
    try:
        labels, counts = torch.unique(groups, return_counts=True)
        gradients: dict[int, Tensor] = {}
        sizes: dict[int, int] = {}
        for label, count in zip(labels.tolist(), counts.tolist()):
            if count < min_count:
                continue
            rows = groups == label
            logits = module([x[rows] for x in inputs], observed[rows], None if covariates is None else covariates[rows]).logits
            loss = per_sample_loss(logits, target[rows]).mean()
            grads = torch.autograd.grad(loss, list(parameters), allow_unused=True)
            gradients[label] = torch.cat([(torch.zeros_like(p) if g is None else g).flatten()
                                          for g, p in zip(grads, parameters)])
            sizes[label] = count
    finally:
        module.train(was_training)
    if not gradients:
        return {}
    total = sum(sizes.values())
    overall = sum(gradients[g] * (sizes[g] / total) for g in gradients)
    return {
        g: {"cosine": float(torch.nn.functional.cosine_similarity(grad, overall, dim=0, eps=1e-12)),
            "count": sizes[g], "grad_norm": float(grad.norm())}
        for g, grad in gradients.items()
    }


def head_tail_cosines(alignment: dict[str, dict[str, float]], head: set[str]) -> dict[str, dict[str, float | int | None]]:
    """Summary of one :func:`gradient_alignment` record (keyed by group name) for the ``head`` groups and the
    rest (tail): per part the mean and the lowest cosine over its groups and the number of groups (None
    where a part has no group with enough samples)."""
    summary: dict[str, dict[str, float | int | None]] = {}
    for part, names in (("head", [g for g in alignment if g in head]), ("tail", [g for g in alignment if g not in head])):
        cosines = [alignment[g]["cosine"] for g in names]
        summary[part] = {"mean_cosine": sum(cosines) / len(cosines) if cosines else None,
                         "min_cosine": min(cosines) if cosines else None, "groups": len(cosines)}
    return summary
