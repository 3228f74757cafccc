"""Prepare one (dataset, scenario, seed): load, simulate missingness, split train/val/test.

Bundled datasets are complete, so the complete data is kept as the *oracle* (full-data answers, hidden true
values). A user's file with natural missingness has no oracle: its only scenario is ``natural``.

A *simulated cohort* entry ``{simulator: concept-shift, name: ..., <parameters>}`` draws its own training,
validation and test data for each seed (:func:`missmodal.data.concept_shift.concept_shift_cohort`: Zipf
groups in training, every group equally in the test set, one fusion function per group); like natural data
its only scenario is ``natural``. Its exact Bayes accuracy per group travels with the prepared data, and its
labels depend on the group, so complete test samples are not re-evaluated under other combinations.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..data import MultimodalData, read_data, resolve_data, simulate_missingness
from ..data.concept_shift import concept_shift_cohort
from ..data.split import stratified_split_indices
from ..errors import MissmodalError

SPLIT_FRACTIONS = (0.6, 0.2, 0.2)
#: Simulated cohorts by ``simulator`` name: ``f(seed=..., **parameters)`` with ``train``, ``val``, ``test`` and
#: ``bayes_by_name()``.
SIMULATED_COHORTS = {"concept-shift": concept_shift_cohort}


@dataclass
class Prepared:
    """Data of one benchmark cell. ``*_full`` are the same samples without simulated gaps (None: no oracle)."""

    data: MultimodalData
    train: MultimodalData
    val: MultimodalData
    test: MultimodalData
    full: MultimodalData | None
    train_full: MultimodalData | None
    test_full: MultimodalData | None
    #: Exact Bayes accuracy of each group (by name), where the data were simulated with a known one.
    bayes: dict[str, float] | None = None
    #: The label's function depends on the group (concept shift): no all-combinations re-evaluation.
    group_concepts: bool = False

    @property
    def has_oracle(self) -> bool:
        return self.full is not None


def dataset_label(entry: Any) -> str:
    """Short name of a dataset entry (a spec string or ``{path: ..., target: ...}``)."""
    return entry if isinstance(entry, str) else str(entry.get("name") or entry.get("path") or entry.get("simulator"))


def is_simulated(entry: Any) -> bool:
    """True for a simulated-cohort entry ``{simulator: NAME, ...}``; an unknown simulator is an error."""
    if not (isinstance(entry, dict) and "simulator" in entry):
        return False
    if entry["simulator"] not in SIMULATED_COHORTS:
        raise MissmodalError(f"dataset entry {entry!r}: unknown simulator; known: {sorted(SIMULATED_COHORTS)}")
    return True


def load_entry(entry: Any) -> MultimodalData:
    if isinstance(entry, str):
        return resolve_data(entry)
    if isinstance(entry, dict) and "path" in entry:
        return read_data(entry["path"], target=entry.get("target"))
    raise MissmodalError(f"dataset entry {entry!r} must be a name or {{path: ..., target: ...}}")


@lru_cache(maxsize=8)
def _load_cached(entry_json: str) -> MultimodalData:
    return load_entry(json.loads(entry_json))


def dataset_task(entry: Any) -> str | None:
    """The task of a dataset entry's target (``"survival"``, ``"binary"``, ...); a simulated cohort's from its
    first draw."""
    entry_json = json.dumps(entry, sort_keys=True)
    if is_simulated(entry):
        return _prepare_cached(entry_json, "{}", 0).data.task
    return _load_cached(entry_json).task


def is_natural(entry: Any) -> bool:
    """True when the dataset already has missing modalities (then no scenario is simulated); a simulated
    cohort brings its own."""
    if is_simulated(entry):
        return True
    return not _load_cached(json.dumps(entry, sort_keys=True)).observed.all()


@lru_cache(maxsize=16)
def _prepare_cached(entry_json: str, scenario_json: str, seed: int) -> Prepared:
    entry = json.loads(entry_json)
    if is_simulated(entry):
        params = {k: v for k, v in entry.items() if k not in ("simulator", "name")}
        try:
            cohort = SIMULATED_COHORTS[entry["simulator"]](seed=seed, **params)
        except TypeError as error:
            raise MissmodalError(f"dataset entry {entry!r}: bad simulator parameters ({error})") from None
        return Prepared(data=cohort.train, train=cohort.train, val=cohort.val, test=cohort.test, full=None, train_full=None,
                        test_full=None, bayes=cohort.bayes_by_name(), group_concepts=True)
    full = _load_cached(entry_json)
    scenario = json.loads(scenario_json)
    if full.target is None:
        raise MissmodalError(f"dataset {dataset_label(json.loads(entry_json))}: a target is needed for the benchmark")
    if scenario["mechanism"] == "none":
        data, oracle = full, None
    else:
        params = {k: v for k, v in scenario.items() if k not in ("name", "mechanism")}
        data, oracle = simulate_missingness(full, scenario["mechanism"], seed=seed, **params), full
    train, val, test = stratified_split_indices(data, SPLIT_FRACTIONS, seed)
    return Prepared(
        data=data, train=data.subset(train), val=data.subset(val), test=data.subset(test), full=oracle,
        train_full=None if oracle is None else oracle.subset(train),
        test_full=None if oracle is None else oracle.subset(test),
    )


def prepare(entry: Any, scenario: dict[str, Any], seed: int) -> Prepared:
    """Load ``entry``, apply ``scenario`` with ``seed``, and split 60/20/20 (stratified by class and group)."""
    return _prepare_cached(json.dumps(entry, sort_keys=True), json.dumps(scenario, sort_keys=True), int(seed))
