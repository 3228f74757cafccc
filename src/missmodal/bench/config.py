"""The benchmark grid: datasets x scenarios x (imputers | models x losses) x seeds, from defaults or a file.

A config file (YAML or TOML) may set any of these keys; the rest keep their defaults::

    datasets: [mfeat]                 # dataset names/specs, or {path: data.parquet, target: label}
    scenarios:                        # missingness applied to complete data (ignored for natural data)
      - {name: mcar50, mechanism: mcar, rate: 0.5}
      - {name: zipf, mechanism: zipf, exponent: 1.0}
    seeds: [0, 1]
    sections: [audit, informativeness, imputation, models]
    imputers: [mean, knn, cluster]
    models: [{model: attention, loss: erm}, {model: remind, loss: group-dro}]
    informativeness: {bootstrap: 20, predictor: logistic, n_repeats: 1}
    training: {epochs: 40}
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..data.datasets import DEFAULT_DATASET
from ..errors import MissmodalError

SECTIONS = ("audit", "informativeness", "imputation", "models")
NATURAL = {"name": "natural", "mechanism": "none"}


def default_scenarios() -> list[dict[str, Any]]:
    """MCAR 50%, MAR 30% driven by the always-observed first modality, and Zipf long-tailed combinations.

    MAR keeps its rate at 30% so that enough complete cases remain for the informativeness estimates
    (with six modalities, five of them missing at 50%, only ~3% of the samples would be complete)."""
    return [
        {"name": "mcar50", "mechanism": "mcar", "rate": 0.5},
        {"name": "mar30", "mechanism": "mar", "rate": 0.3, "strength": 2.0},
        {"name": "zipf", "mechanism": "zipf", "exponent": 1.0},
    ]


@dataclass
class BenchConfig:
    """Everything that defines a benchmark run (JSON-serialisable, recorded in results.json)."""

    datasets: list[Any] = field(default_factory=lambda: [DEFAULT_DATASET])
    scenarios: list[dict[str, Any]] = field(default_factory=default_scenarios)
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    sections: list[str] = field(default_factory=lambda: list(SECTIONS))
    imputers: list[str] = field(default_factory=lambda: ["zero", "mean", "knn", "iterative", "cluster"])
    models: list[dict[str, str]] = field(default_factory=lambda: [
        {"model": "late", "loss": "erm"}, {"model": "attention", "loss": "erm"},
        {"model": "attention", "loss": "group-dro"}, {"model": "remind", "loss": "group-dro"},
    ])
    #: One cross-fitting split per estimate (``n_repeats=1``; the command's default is 3): the bench already
    #: averages its seeds and reports their spread, and the repeats would be a third of the default run's time.
    informativeness: dict[str, Any] = field(default_factory=lambda: {"bootstrap": 20, "predictor": "logistic", "n_repeats": 1})
    training: dict[str, Any] = field(default_factory=dict)
    head_coverage: float = 0.8
    min_group_size: int = 10

    def __post_init__(self) -> None:
        unknown = set(self.sections) - set(SECTIONS)
        if unknown:
            raise MissmodalError(f"config: unknown section {sorted(unknown)[0]!r}; sections: {list(SECTIONS)}")
        if not self.datasets or not self.seeds:
            raise MissmodalError("config: datasets and seeds must not be empty")
        for scenario in self.scenarios:
            if not isinstance(scenario, dict) or "name" not in scenario or "mechanism" not in scenario:
                raise MissmodalError(f"config: scenario {scenario!r} needs a 'name' and a 'mechanism'")
        names = [s["name"] for s in self.scenarios]
        if len(set(names)) != len(names):
            raise MissmodalError(f"config: scenario names must be unique, got {names}")
        for entry in self.models:
            if not isinstance(entry, dict) or "model" not in entry:
                raise MissmodalError(f"config: model entry {entry!r} needs a 'model' (and optionally a 'loss')")
            entry.setdefault("loss", "erm")

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self)))


def load_config(path: str | Path) -> BenchConfig:
    """Read a YAML (``.yaml``/``.yml``) or TOML (``.toml``) config; unknown keys are an error."""
    path = Path(path)
    if not path.exists():
        raise MissmodalError(f"{path}: no such config file")
    text = path.read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as error:
        raise MissmodalError(f"{path}: not valid {'TOML' if path.suffix == '.toml' else 'YAML'} ({str(error).splitlines()[0]})") from None
    raw = raw or {}
    if not isinstance(raw, dict):
        raise MissmodalError(f"{path}: the config must be a mapping of keys to values")
    known = set(BenchConfig.__dataclass_fields__)
    unknown = set(raw) - known
    if unknown:
        raise MissmodalError(f"{path}: unknown key {sorted(unknown)[0]!r}; keys: {sorted(known)}")
    return BenchConfig(**raw)
