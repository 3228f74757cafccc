"""Say which task a dataset's target implies and why, and warn when the evidence points elsewhere.

The task (binary, multiclass, multilabel, regression) is taken from the file's metadata or inferred from
the target's type (:func:`missmodal.data.multimodal.infer_task`): float values are regression. Float-coded
classes (0.0 / 1.0 / 2.0) would then silently train a regression model; :func:`task_lines` names the
task with its reason and flags a regression target that holds only a few integer values.
"""

from __future__ import annotations

import numpy as np

from .multimodal import MultimodalData
from .survival import survival_summary

# A regression target with at most this many distinct values, all integers, looks like class codes.
CLASS_LIKE_MAX_VALUES = 20


def task_lines(data: MultimodalData) -> list[str]:
    """One line naming the task and why; a second, ``warning: ...``, when the target looks like classes."""
    target = data.target
    if target is None:
        return []
    if data.task == "survival":
        return [f"task: {survival_summary(target)}"]
    if data.task == "multilabel":
        return [f"task: multilabel ({target.shape[1]} labels, a 0/1 label matrix)"]
    values = np.unique(target)
    if data.task in ("binary", "multiclass"):
        return [f"task: {data.task} ({values.size} classes in the target)"]
    kind = "float" if target.dtype.kind == "f" else "integer"
    lines = [f"task: regression ({kind} target with {values.size} distinct values)"]
    integral = bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))
    if integral and values.size <= CLASS_LIKE_MAX_VALUES:
        shown = ", ".join(f"{v:g}" for v in values[:10])
        suggested = "binary" if values.size == 2 else "multiclass"
        lines.append(f"warning: the target holds only {values.size} integer values ({shown}); if these are classes, "
                     f"pass --task {suggested}")
    return lines
