"""The schema of ``model.json``: every field declared once (type, range, required), checked in one place.

:func:`validate_model_config` runs before anything is computed from a model folder: first the field specs
of :data:`MODEL_JSON` (types, ranges, required fields, finite numbers), then the consistency rules of
:data:`RULES` (widths against the architecture, classes against the outputs, the task against the output
count, covariates against the covariate encoder, group codes against the modalities, calibration against
the task). A violation is one line naming the file and the field, e.g.
``.../model.json: info.calibration.temperature must be a finite number > 0, got 0``.

The tensors themselves (names, shapes, finite values) are checked against the architecture by
:func:`missmodal.models.validation.build_checked` (fusion networks) and by each baseline's ``from_files``.

Unknown keys are allowed (and ignored) in the top-level object, ``preprocessing`` and ``info``, so that
fields added by newer versions (survival fields, a training fingerprint) do not break older readers; the
fields missmodal reads are all declared here.

Examples
--------
>>> spec = Record({"t": Field(Number(positive=True))})
>>> spec.check({"t": 0}, "calibration")
Traceback (most recent call last):
...
missmodal.models.schema.SchemaViolation: calibration.t must be a finite number > 0, got 0
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import math
import re
from dataclasses import dataclass, field
from numbers import Integral, Real
from pathlib import Path
from typing import Any, Callable

from ..errors import MissmodalError
from .files import FORMAT, FORMAT_VERSION

MAX_SIZE = 1 << 20  # a feature width, hidden width or output count above this is not a model missmodal wrote
MAX_COUNT = 4096  # depth, heads, experts, slots, top-k
MAX_INT = 1 << 62  # counts and class codes
SHA256 = re.compile(r"^[0-9a-f]{64}$")
MEMBER_FOLDER = re.compile(r"^member_\d+$")


class SchemaViolation(Exception):
    """One field of ``model.json`` breaks the schema; ``str()`` is ``"<field> <problem>"``."""


def shown(value: Any, limit: int = 60) -> str:
    """A short, plain rendering of a JSON value for a message (strings quoted, long values cut)."""
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, bool) or value is None:
        text = "null" if value is None else str(value).lower()
    elif isinstance(value, Integral):
        digits = str(int(value)) if abs(int(value)) < 10 ** 40 else f"an integer of {len(str(abs(int(value))))} digits"
        text = digits
    elif isinstance(value, Real):
        text = repr(float(value))
    elif isinstance(value, dict):
        text = "an object"
    elif isinstance(value, list):
        text = f"a list of {len(value)}"
    else:
        text = type(value).__name__
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _fail(where: str, problem: str, value: Any = ...) -> SchemaViolation:
    return SchemaViolation(f"{where} {problem}" + ("" if value is ... else f", got {shown(value)}"))


class Spec(ABC):
    """A field type: :meth:`check` returns the value or raises :class:`SchemaViolation` naming ``where``."""

    @abstractmethod
    def check(self, value: Any, where: str) -> Any:
        """``value`` if it is valid for this field, else raise :class:`SchemaViolation`."""


@dataclass(frozen=True)
class Int(Spec):
    """An integer (not a bool) in ``[low, high]``."""

    low: int = 0
    high: int = MAX_INT

    def check(self, value, where):
        if isinstance(value, bool) or not isinstance(value, Integral) or not self.low <= value <= self.high:
            bound = ("" if self.low <= -MAX_INT else f" >= {self.low}") if self.high >= MAX_INT else \
                f" in [{self.low}, {self.high}]"
            raise _fail(where, f"must be an integer{bound}", value)
        return value


@dataclass(frozen=True)
class Number(Spec):
    """A finite number (not a bool), optionally ``> 0`` or in ``[low, high]``."""

    positive: bool = False
    low: float | None = None
    high: float | None = None

    def check(self, value, where):
        ok = not isinstance(value, bool) and isinstance(value, Real) and math.isfinite(value)
        ok = ok and not (self.positive and value <= 0)
        ok = ok and (self.low is None or value >= self.low) and (self.high is None or value <= self.high)
        if not ok:
            bound = " > 0" if self.positive else (f" in [{self.low}, {self.high}]" if self.low is not None else "")
            raise _fail(where, f"must be a finite number{bound}", value)
        return value


@dataclass(frozen=True)
class Text(Spec):
    """A string, optionally one of ``choices`` or matching ``pattern``."""

    choices: tuple | Callable[[], tuple] | None = None
    pattern: re.Pattern | None = None
    what: str = "a string"

    def check(self, value, where):
        choices = self.choices() if callable(self.choices) else self.choices
        if not isinstance(value, str):
            raise _fail(where, f"must be {self.what}", value)
        if choices is not None and value not in choices:
            raise _fail(where, f"must be one of {', '.join(choices)}", value)
        if self.pattern is not None and not self.pattern.match(value):
            raise _fail(where, f"must be {self.what}", value)
        return value


@dataclass(frozen=True)
class ModelName(Spec):
    """The registry name of a missmodal model (nothing else is ever built from a model file)."""

    def check(self, value, where):
        from .registry import MODELS

        if not isinstance(value, str):
            raise _fail(where, "must be a model name (a string)", value)
        if value not in MODELS:
            raise SchemaViolation(f"{where} names an unknown model {shown(value)}; known: {', '.join(_model_names())}")
        return value


@dataclass(frozen=True)
class Flag(Spec):
    """true or false."""

    def check(self, value, where):
        if not isinstance(value, bool):
            raise _fail(where, "must be true or false", value)
        return value


@dataclass(frozen=True)
class Scalar(Spec):
    """Any JSON scalar: a string, a bool, null or a finite number (parameters the builder checks itself)."""

    def check(self, value, where):
        if isinstance(value, list):
            for j, item in enumerate(value):
                self.check(item, f"{where}[{j}]")
            return value
        if isinstance(value, dict) or (isinstance(value, Real) and not isinstance(value, bool) and not math.isfinite(value)):
            raise _fail(where, "must be a string, true/false, null or a finite number", value)
        if isinstance(value, Integral) and not isinstance(value, bool) and abs(value) > MAX_INT:
            raise _fail(where, f"must be at most {MAX_INT} in size", value)
        return value


@dataclass(frozen=True)
class Label(Spec):
    """A class name: a string or a finite number (never a list, an object or a bool)."""

    def check(self, value, where):
        if isinstance(value, str) or (isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)):
            return value
        raise _fail(where, "must be a string or a finite number", value)


@dataclass(frozen=True)
class Nullable(Spec):
    """null or ``inner``."""

    inner: Spec

    def check(self, value, where):
        return None if value is None else self.inner.check(value, where)


@dataclass(frozen=True)
class ListOf(Spec):
    """A list of ``item`` values, with at least ``min_length`` entries; ``distinct``: no value twice."""

    item: Spec
    min_length: int = 0
    distinct: bool = False

    def check(self, value, where):
        if not isinstance(value, list) or len(value) < self.min_length:
            need = f"a list of at least {self.min_length}" if self.min_length else "a list"
            raise _fail(where, f"must be {need}", value)
        for j, item in enumerate(value):
            self.item.check(item, f"{where}[{j}]")
        if self.distinct:
            seen = set()
            for j, item in enumerate(value):
                key = (type(item).__name__, item) if not isinstance(item, Real) else ("number", item)
                if key in seen:
                    raise _fail(f"{where}[{j}]", "repeats an earlier entry", item)
                seen.add(key)
        return value


@dataclass(frozen=True)
class Field:
    """One key of a :class:`Record`: its spec and whether it must be present."""

    spec: Spec
    required: bool = True
    note: str = ""  # appended to the message when a required field is missing


@dataclass(frozen=True)
class Record(Spec):
    """A JSON object with declared keys; other keys are checked by ``extra`` (None: refused)."""

    fields: dict[str, Field] = field(default_factory=dict)
    extra: Spec | None = None

    def check(self, value, where):
        if not isinstance(value, dict):
            raise _fail(where, "must be an object", value)
        for key, entry in self.fields.items():
            name = f"{where}.{key}" if where else key
            if key not in value:
                if entry.required:
                    raise SchemaViolation(f"{name} is missing" + (f" ({entry.note})" if entry.note else ""))
                continue
            entry.spec.check(value[key], name)
        for key, item in value.items():
            if key not in self.fields:
                name = f"{where}.{key}" if where else key
                if self.extra is None:
                    raise SchemaViolation(f"{name} is not a known field")
                self.extra.check(item, name)
        return value


@dataclass(frozen=True)
class Counts(Spec):
    """An object of group code (a decimal string) -> count."""

    def check(self, value, where):
        if not isinstance(value, dict):
            raise _fail(where, "must be an object of group code -> count", value)
        for key, count in value.items():
            if not re.fullmatch(r"[0-9]{1,19}", key):
                raise SchemaViolation(f"{where} key {key!r} is not an integer group code")
            Int(0, MAX_INT).check(count, f"{where}[{key!r}]")
        return value


class Anything(Spec):
    """Any JSON value (fields missmodal stores but never computes with)."""

    def check(self, value, where):
        return value


def _model_names() -> tuple:
    from .registry import MODELS

    return tuple(sorted(MODELS.names()))


def _tasks() -> tuple:
    from .base import TASKS

    return tuple(TASKS)


WIDTH = Int(1, MAX_SIZE)
COUNT = Int(1, MAX_COUNT)
RATE = Number(low=0.0, high=1.0)

#: The parameters of a fusion network (others are passed to its constructor, which checks them).
NETWORK_PARAMS = Record({
    "dims": Field(ListOf(WIDTH, min_length=1)),
    "out_dim": Field(WIDTH),
    "task": Field(Text(_tasks)),
    "groups": Field(ListOf(Int(1, MAX_INT), distinct=True), required=False),
    "width": Field(WIDTH, required=False),
    "hidden": Field(WIDTH, required=False),
    "dropout": Field(RATE, required=False),
    "modality_dropout": Field(RATE, required=False),
    "n_covariates": Field(Int(0, MAX_SIZE), required=False),
    "depth": Field(Int(0, MAX_COUNT), required=False),
    "heads": Field(COUNT, required=False),
    "n_experts": Field(COUNT, required=False),
    "top_k": Field(COUNT, required=False),
    "slots_per_expert": Field(COUNT, required=False),
    "n_layers": Field(COUNT, required=False),
    "per_group": Field(Flag(), required=False),
    "balance_weight": Field(Number(low=0.0, high=1e6), required=False),
    "router_weight": Field(Number(low=0.0, high=1e6), required=False),
    "shrinkage": Field(Number(low=0.0, high=1e6), required=False),
}, extra=Scalar())

ENSEMBLE_PARAMS = Record({
    "members": Field(ListOf(Text(pattern=MEMBER_FOLDER, what="a folder name member_<i>"), min_length=1, distinct=True)),
    "member_names": Field(ListOf(ModelName()), required=False),
    "member_weights_sha256": Field(ListOf(Text(pattern=SHA256, what="the 64 hex digits of a SHA-256")), required=False),
})

MODALITY = Record({
    "name": Field(Text()),
    "dim": Field(WIDTH),
    "mean": Field(ListOf(Number(), min_length=1)),
    "scale": Field(ListOf(Number(positive=True), min_length=1)),
})

COVARIATE = Record({"name": Field(Text()), "mean": Field(Number()), "scale": Field(Number(positive=True))})

PREPROCESSING = Record({
    "modalities": Field(ListOf(MODALITY, min_length=1)),
    "task": Field(Text(_tasks)),
    "classes": Field(Nullable(ListOf(Int(-MAX_INT, MAX_INT), distinct=True))),
    "n_labels": Field(Nullable(WIDTH), required=False),
    "target_mean": Field(Number(), required=False),
    "target_scale": Field(Number(positive=True), required=False),
    "class_names": Field(Nullable(ListOf(Label(), distinct=True)), required=False),
    "covariates": Field(ListOf(COVARIATE), required=False),
    "class_counts": Field(Nullable(ListOf(Int(0, MAX_INT))), required=False),
}, extra=Anything())

CALIBRATION = Record({
    "temperature": Field(Number(positive=True)),
    "threshold": Field(Nullable(RATE), required=False),
    "validation_samples": Field(Int(0, MAX_INT), required=False),
}, extra=Anything())

@dataclass(frozen=True)
class MapOf(Spec):
    """An object whose every value is ``value`` (keys are strings in JSON)."""

    value: Spec

    def check(self, value, where):
        if not isinstance(value, dict):
            raise _fail(where, "must be an object", value)
        for key, item in value.items():
            self.value.check(item, f"{where}[{key!r}]")
        return value


COLUMNS = ListOf(Text())

#: How a flat table was read at training (``data.metadata["schema"]``), reused to read new tables the same way.
DATA_SCHEMA = Record({
    "modalities": Field(MapOf(COLUMNS)),
    "target": Field(Nullable(Text()), required=False),
    "id": Field(Nullable(Text()), required=False),
    "covariates": Field(COLUMNS, required=False),
    "ignore": Field(COLUMNS, required=False),
    "partial": Field(Text(("observed", "missing", "error")), required=False),
    "task": Field(Nullable(Text(_tasks)), required=False),
    "columns": Field(MapOf(ListOf(Text(), min_length=1)), required=False),
    "covariate_columns": Field(COLUMNS, required=False),
    "ignored_columns": Field(COLUMNS, required=False),
    "categories": Field(MapOf(ListOf(Label())), required=False),
    "fill_values": Field(MapOf(ListOf(Number())), required=False),
    "classes": Field(Nullable(ListOf(Label(), distinct=True)), required=False),
}, extra=Anything())

FINGERPRINT = Text(pattern=re.compile(r"^[0-9a-f]{16}$"), what="16 hex digits")

#: What training saw (:func:`missmodal.data.fingerprint.data_fingerprint`), so that ``evaluate`` can say when it
#: is scored on it: the data given to training, its training and validation splits, their total sample count.
TRAIN_FINGERPRINT = Record({"data": Field(FINGERPRINT), "train": Field(FINGERPRINT), "val": Field(FINGERPRINT),
                            "n_samples": Field(Int(0, MAX_INT))}, extra=Anything())

INFO = Record({
    "calibration": Field(Nullable(CALIBRATION), note="null for a model that was not calibrated"),
    "data_schema": Field(Nullable(DATA_SCHEMA), required=False),
    "train_fingerprint": Field(TRAIN_FINGERPRINT, required=False),
}, extra=Anything())

#: ``model.json`` as written by :func:`missmodal.models.files.write_model_files`. ``architecture.params``
#: depends on the kind of model and is checked by :func:`_check_params`.
MODEL_JSON = Record({
    "format": Field(Text((FORMAT,))),
    "format_version": Field(Int(FORMAT_VERSION, FORMAT_VERSION)),
    "weights_sha256": Field(Text(pattern=SHA256, what="the 64 hex digits of a SHA-256"), required=False),
    "architecture": Field(Record({"name": Field(ModelName()),
                                  "params": Field(Record(extra=Anything()))})),
    "preprocessing": Field(PREPROCESSING),
    "train_group_counts": Field(Counts()),
    "info": Field(INFO),
}, extra=Anything())


# --- consistency rules: each takes the type-checked payload and raises SchemaViolation ---------------------

def _check_params(payload: dict) -> None:
    """``architecture.params`` by kind: a network's widths and counts, an ensemble's member folders, a
    baseline's (empty or scalar) parameters."""
    from .registry import MODELS

    architecture = payload["architecture"]
    kind = MODELS.kind_of(architecture["name"])
    spec = {"network": NETWORK_PARAMS, "ensemble": ENSEMBLE_PARAMS}.get(kind, Record(extra=Scalar()))
    params = spec.check(architecture["params"], "architecture.params")
    if kind == "ensemble":
        for key in ("member_names", "member_weights_sha256"):
            if key in params and len(params[key]) != len(params["members"]):
                raise SchemaViolation(f"architecture.params.{key} must list one entry per member "
                                      f"({len(params['members'])}), got {len(params[key])}")


def _network(payload: dict) -> dict | None:
    """The network parameters, None for a baseline or an ensemble."""
    from .registry import NETWORKS

    architecture = payload["architecture"]
    return architecture["params"] if architecture["name"] in NETWORKS else None


def _check_modalities(payload: dict) -> None:
    """Each modality's mean and scale have its width; names are distinct; a network's widths are the modalities'."""
    modalities = payload["preprocessing"]["modalities"]
    names = [m["name"] for m in modalities]
    for m, entry in enumerate(modalities):
        where = f"preprocessing.modalities[{m}]"
        if names.index(entry["name"]) != m:
            raise _fail(f"{where}.name", "repeats an earlier modality", entry["name"])
        for key in ("mean", "scale"):
            if len(entry[key]) != entry["dim"]:
                raise SchemaViolation(f"{where}.{key} must be a list of {entry['dim']} numbers, got {len(entry[key])}")
    params = _network(payload)
    if params is None:
        return
    if len(params["dims"]) != len(modalities):
        raise SchemaViolation(f"preprocessing.modalities must list the {len(params['dims'])} modalities of the "
                              f"architecture, got {len(modalities)}")
    for m, (entry, dim) in enumerate(zip(modalities, params["dims"])):
        if entry["dim"] != dim:
            raise SchemaViolation(f"preprocessing.modalities[{m}].dim must equal the architecture's width {dim}, "
                                  f"got {entry['dim']}")


def _check_task(payload: dict) -> None:
    """The task is the architecture's; classes, labels and outputs agree with it (a regression model has one
    output, a multi-class model one per class)."""
    prep = payload["preprocessing"]
    task, classes = prep["task"], prep["classes"]
    params = _network(payload)
    if params is not None and params["task"] != task:
        raise SchemaViolation(f"preprocessing.task must be the architecture's task {params['task']!r}, got {task!r}")
    if task in ("binary", "multiclass"):
        need = 2 if task == "binary" else (params["out_dim"] if params is not None else None)
        if classes is None or len(classes) < 2 or (need is not None and len(classes) != need):
            got = "null" if classes is None else len(classes)
            count = f"{need}" if need is not None else "at least 2"
            outputs = f" for {params['out_dim']} output(s)" if params is not None and task == "multiclass" else ""
            raise SchemaViolation(f"preprocessing.classes must list {count} distinct classes{outputs} of a {task} "
                                  f"model, got {got}")
        if classes != sorted(classes):
            raise _fail("preprocessing.classes", "must be in increasing order", classes)
        for key in ("class_names", "class_counts"):
            values = prep.get(key)
            if values is not None and len(values) != len(classes):
                raise SchemaViolation(f"preprocessing.{key} must be null or list {len(classes)} entries (one per "
                                      f"class), got {len(values)}")
    elif classes is not None or prep.get("class_names") is not None:
        raise SchemaViolation(f"preprocessing.classes must be null for a {task} model")
    if task == "multilabel" and prep.get("n_labels") is None:
        raise SchemaViolation("preprocessing.n_labels must be the number of labels of a multilabel model, got null")
    if task != "multilabel" and prep.get("n_labels") is not None:
        raise _fail("preprocessing.n_labels", f"must be null for a {task} model", prep["n_labels"])
    if task == "regression":
        for key in ("target_mean", "target_scale"):
            if key not in prep:
                raise SchemaViolation(f"preprocessing.{key} is missing (a regression model's target scaling)")
    if params is None:
        return
    if task == "multilabel" and params["out_dim"] != prep["n_labels"]:
        raise SchemaViolation(f"preprocessing.n_labels must equal architecture.params.out_dim {params['out_dim']}, "
                              f"got {prep['n_labels']}")
    if task in ("binary", "regression") and params["out_dim"] != 1:
        raise SchemaViolation(f"architecture.params.out_dim must be 1 for a {task} model, got {params['out_dim']}")


def _check_covariates(payload: dict) -> None:
    """Covariate names are distinct; a network encodes exactly the listed covariates."""
    covariates = payload["preprocessing"].get("covariates", [])
    names = [c["name"] for c in covariates]
    for j, name in enumerate(names):
        if names.index(name) != j:
            raise _fail(f"preprocessing.covariates[{j}].name", "repeats an earlier covariate", name)
    params = _network(payload)
    if params is not None and params.get("n_covariates", 0) != len(covariates):
        raise SchemaViolation(f"architecture.params.n_covariates must be {len(covariates)} (the covariates listed "
                              f"in preprocessing), got {params.get('n_covariates', 0)}")


def _check_groups(payload: dict) -> None:
    """Group codes (architecture groups, training counts) are non-empty subsets of the modalities."""
    top = (1 << len(payload["preprocessing"]["modalities"])) - 1
    params = _network(payload) or {}
    for g, code in enumerate(params.get("groups", [])):
        Int(1, top).check(code, f"architecture.params.groups[{g}]")
    for key in payload["train_group_counts"]:
        Int(1, top).check(int(key), f"train_group_counts[{key!r}]")


def _check_calibration(payload: dict) -> None:
    """Only classifiers carry a temperature; only binary ones a threshold. (``info.calibration`` is required,
    null for a model that was not calibrated, so that deleting it cannot silently drop the calibration.)"""
    calibration = payload["info"].get("calibration")
    task = payload["preprocessing"]["task"]
    if calibration is None:
        return
    if task not in ("binary", "multiclass", "multilabel"):
        raise SchemaViolation(f"info.calibration must be null for a {task} model (only classifiers are calibrated)")
    if task != "binary" and calibration.get("threshold") is not None:
        raise _fail("info.calibration.threshold", f"must be null for a {task} model", calibration["threshold"])


def _check_data_schema(payload: dict) -> None:
    """A stored table schema reads the model's modalities, each from as many columns as its width."""
    stored = payload["info"].get("data_schema")
    if stored is None or "columns" not in stored:
        return
    modalities = payload["preprocessing"]["modalities"]
    if list(stored["columns"]) != [m["name"] for m in modalities]:
        raise SchemaViolation(f"info.data_schema.columns must name the model's modalities "
                              f"{[m['name'] for m in modalities]}, got {list(stored['columns'])}")
    for entry in modalities:
        if len(stored["columns"][entry["name"]]) != entry["dim"]:
            raise SchemaViolation(f"info.data_schema.columns[{entry['name']!r}] must list {entry['dim']} columns "
                                  f"(the modality's width), got {len(stored['columns'][entry['name']])}")


#: The consistency rules, run in this order after the field specs.
RULES: tuple[Callable[[dict], None], ...] = (_check_params, _check_modalities, _check_task, _check_covariates,
                                              _check_groups, _check_calibration, _check_data_schema)


def validate_model_config(payload: Any, path: Path | str, trust_unhashed: bool = False) -> dict:
    """Check a parsed ``model.json`` against :data:`MODEL_JSON` and :data:`RULES`; return it unchanged.

    ``weights_sha256`` is required: a folder without one (written before weights were hashed, or edited) is
    refused unless ``trust_unhashed`` says the user trusts it. Raises :class:`MissmodalError`
    ``"<path>: <field> <problem>"`` on the first violation.
    """
    try:
        MODEL_JSON.check(payload, "")
        for rule in RULES:
            rule(payload)
    except SchemaViolation as violation:
        raise MissmodalError(f"{path}: {violation}") from None
    if "weights_sha256" not in payload and not trust_unhashed:
        raise MissmodalError(f"{path}: weights_sha256 is missing, so the weights cannot be checked against this "
                             "file; retrain, or pass --trust-unhashed (trust_unhashed=True) if you trust the folder")
    return payload
