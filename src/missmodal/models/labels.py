"""Labels of a data file matched to a trained model's classes by value, for every task.

Data files store string labels as codes into ``data.metadata["classes"]`` numbered per file (a test file
holding only "dog" codes it 0 where training coded "cat" 0), and bool labels as 0/1 with
``data.metadata["target_type"] = "bool"``. :func:`match_labels` maps each label to the model's class code:

- binary and multi-class: the label's value (its name for string labels, the number itself otherwise)
  is compared, as text, with the training labels (the class names, else the numeric classes), so string
  "1" matches class 1 and "yes" never silently matches code 1. Non-integer numbers, label matrices and,
  for a multi-class model, true/false labels are errors. A label the model never saw is an error naming
  the value, or, with ``unseen="wrong"``, coded :func:`unseen_code` (a code no class has) so that it is
  scored as a wrong prediction and counted;
- multi-label: an ``(n, n_labels)`` 0/1 matrix;
- regression: one number per sample (string labels and label matrices are errors);
- survival: ``(n, 2)`` (time, event) pairs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import MissmodalError

UNSEEN_POLICIES = ("error", "wrong")


def unseen_code(classes) -> int:
    """The code given to labels the model never saw under ``unseen="wrong"``: one below the smallest class."""
    return int(min(classes)) - 1


def _plain(values: np.ndarray) -> list:
    """Numpy values as plain Python values (so that messages read ``3``, not ``np.int64(3)``)."""
    return np.asarray(values).tolist()


def _numeric_labels(target: np.ndarray, what: str, task: str, classes: list) -> np.ndarray:
    """Integer class labels from a numeric target; non-integer values are an error."""
    if target.dtype.kind == "f":
        fractional = target != np.round(target)
        if fractional.any():
            row = int(np.flatnonzero(fractional)[0])
            raise MissmodalError(f"{what}, row {row}: label {_plain(target[row])} is not an integer, but the model is a "
                                 f"{task} classifier of classes {classes[:10]} (did you mean a regression model?)")
        return target.astype(np.int64)
    if target.dtype.kind not in "iub":
        raise MissmodalError(f"{what}: labels of type {target.dtype} cannot be matched to the classes {classes[:10]}")
    return target.astype(np.int64)


def match_labels(prep: Any, data: Any, what: str = "target", unseen: str = "error",
                 hint: str = "") -> tuple[np.ndarray | None, dict]:
    """``data.target`` (a :class:`~missmodal.data.MultimodalData`) in the class codes of the model's
    :class:`~missmodal.models.Preprocessing` ``prep``, and what was not matched.

    Returns
    -------
    target : (n,) class codes (binary, multi-class), the (n, C) 0/1 matrix (multi-label) or the values
        (regression); None when ``data`` has no target.
    unmatched : ``{"count": k, "values": [...]}`` of labels the model never saw (``unseen="wrong"``;
        ``count`` 0 otherwise).

    ``hint`` ends the message about an unseen label (how to score such samples instead).
    """
    if unseen not in UNSEEN_POLICIES:
        raise MissmodalError(f"unseen labels policy must be one of {UNSEEN_POLICIES}, got {unseen!r}")
    nothing = {"count": 0, "values": []}
    if data.target is None:
        return None, nothing
    target = np.asarray(data.target)
    names = data.metadata.get("classes")
    task = prep.task
    is_bool = data.metadata.get("target_type") == "bool"
    if task == "multilabel":
        if target.ndim != 2 or target.shape[1] != prep.n_labels or names is not None:
            got = f"a {target.shape[1]}-column matrix" if target.ndim == 2 else "one label per sample"
            raise MissmodalError(f"{what}: the model is multilabel with {prep.n_labels} labels and needs an "
                                 f"(n, {prep.n_labels}) 0/1 label matrix, got {got}")
        return target, nothing
    if task == "survival":  # (time, event) pairs
        if target.ndim != 2 or target.shape[1] != 2 or names is not None:
            raise MissmodalError(f"{what}: the model is a survival model and needs (time, event) targets "
                                 "(--time and --event)")
        return target, nothing
    if target.ndim != 1:
        raise MissmodalError(f"{what}: the model is a {task} model and needs one label per sample, got a "
                             f"{target.shape[1]}-column label matrix")
    if task not in ("binary", "multiclass"):  # regression (and any task without classes): values as they are
        if names is not None or is_bool:
            shown = ", ".join(map(repr, _plain(np.asarray(names if names is not None else [False, True])[:5])))
            raise MissmodalError(f"{what} holds class labels ({shown}), but the model is a {task} model that "
                                 "predicts numbers")
        return target, nothing
    trained = prep.class_names if prep.class_names is not None else prep.classes
    if is_bool and task == "multiclass":
        raise MissmodalError(f"{what} holds true/false labels, but the model is a multiclass classifier of classes "
                             f"{[str(c) for c in trained][:10]}")
    if names is not None:
        if target.dtype.kind not in "iu" or ((target < 0) | (target >= len(names))).any():
            raise MissmodalError(f"{what}: label codes do not index the file's {len(names)} class names")
        labels = np.asarray(names, dtype=object)[target].tolist()
    else:
        labels = _plain(_numeric_labels(target, what, task, [str(c) for c in trained]))
    lookup = {str(name): code for name, code in zip(trained, prep.classes)}
    unknown = [label for label in dict.fromkeys(labels) if str(label) not in lookup]
    if unknown and unseen == "error":
        kind = "named" if prep.class_names is not None else "numeric"
        shown = ", ".join(str(c) for c in trained[:10]) + (", ..." if len(trained) > 10 else "")
        raise MissmodalError(f"{what} holds class {unknown[0]!r} not seen in training (the model's {len(trained)} {kind} "
                             f"classes: {shown}; labels are matched by value){hint}")
    code = unseen_code(prep.classes)
    matched = np.array([lookup.get(str(label), code) for label in labels], dtype=np.int64)
    missing = {"count": int(sum(str(label) not in lookup for label in labels)), "values": unknown[:20]}
    return matched, missing
