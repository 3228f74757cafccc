"""A seeded clinical-style cohort as a flat table, with natural-looking missingness.

The table has one row per patient and one column per field, as a real cohort arrives:

- ``id`` (``P0001``, ...), covariates ``age`` (years), ``sex`` (``F``/``M``), ``site`` (``north``,
  ``south``, ``east``), a follow-up time ``followup_days`` (not a feature: ignore it), and the outcome
  ``outcome`` (``died``/``alive``);
- five blocks of fields: ``labs`` (6 fields), ``vitals`` (3), ``histology`` (2), ``imaging`` (3),
  ``genomics`` (``gene_1`` .. ``gene_4``).

Generative model. Three latent factors per patient, ``z_liver``, ``z_fibrosis``, ``z_gene`` ~ N(0, 1)
(``z_fibrosis`` shifted by 0.03 per year of age above 55); each field is a linear map of one factor plus
Gaussian noise. The outcome is Bernoulli with
``logit = -1.3 + 1.0 z_liver + 0.9 z_fibrosis + 0.5 z_gene + 0.03 (age - 55) + 0.4 [sex = M]``.

Missingness:

- structural and co-missing: patients outside the biopsy sub-study (probability of entry
  ``sigmoid(1.2 - 0.05 (age - 55))``, so MAR given age) have no ``histology``, ``imaging`` or ``genomics``;
- positivity: site ``east`` has no imaging at all;
- MCAR: ``vitals`` absent for 10%, ``genomics`` for a further 15% of the sub-study;
- partial: each lab field is missing on its own for 4% of patients (a partly observed ``labs`` block), and
  3% of patients have no labs at all.

``clinical_survival_table`` gives the same patients a follow-up time and death status instead (Weibull
proportional hazards with the same linear predictor, random and administrative censoring).
"""

from __future__ import annotations

import numpy as np

from ..errors import MissmodalError
from .schema import TableSchema

CLINICAL_SCHEMA = TableSchema(
    modalities={
        "labs": ["bilirubin", "albumin", "alk_phos", "ast", "platelets", "protime"],
        "vitals": ["sbp", "heart_rate", "weight"],
        "histology": ["stage", "fibrosis_score"],
        "imaging": ["liver_stiffness", "spleen_size", "ascites_grade"],
        "genomics": ["gene_*"],
    },
    target="outcome", id="id", covariates=["age", "sex", "site"], ignore=["followup_days"],
)


CLINICAL_SURVIVAL_SCHEMA = TableSchema(modalities=CLINICAL_SCHEMA.modalities, time="followup_days", event="status=dead",
                                       id="id", covariates=["age", "sex", "site"])

#: Weibull event times of ``clinical_survival_table``: shape, scale (days); uniform loss to follow-up, study end.
WEIBULL_SHAPE, WEIBULL_SCALE_DAYS = 1.3, 5000.0
LOSS_TO_FOLLOW_UP_DAYS, STUDY_END_DAYS = (200.0, 6000.0), 4500.0


def clinical_table(n_samples: int = 418, seed: int = 0):
    """The cohort as a pandas DataFrame (see the module docstring); read it with ``CLINICAL_SCHEMA``."""
    return _cohort(n_samples, seed)[0]


def clinical_survival_table(n_samples: int = 418, seed: int = 0):
    """The same patients and fields with a time-to-event outcome; read it with ``CLINICAL_SURVIVAL_SCHEMA``.

    Proportional hazards with the outcome's linear predictor ``eta = 1.0 z_liver + 0.9 z_fibrosis +
    0.5 z_gene + 0.03 (age - 55) + 0.4 [sex = M]``: event time ``T = scale (-log U / exp(eta))^(1 / shape)``
    (Weibull, ``S(t | x) = exp(-(t / scale)^shape exp(eta))``), censored by a uniform loss to follow-up on
    ``LOSS_TO_FOLLOW_UP_DAYS`` and the study end at ``STUDY_END_DAYS``. Columns ``followup_days`` (whole
    days, at least 1) and ``status`` (``dead``/``alive``) replace ``followup_days`` and ``outcome``; the
    event draws use their own seeded stream, so the fields equal those of :func:`clinical_table`.
    """
    table, eta = _cohort(n_samples, seed)
    rng = np.random.default_rng([seed, 1])
    n = len(table)
    event_time = WEIBULL_SCALE_DAYS * (-np.log(rng.random(n)) / np.exp(eta)) ** (1 / WEIBULL_SHAPE)
    censor_time = np.minimum(rng.uniform(*LOSS_TO_FOLLOW_UP_DAYS, n), STUDY_END_DAYS)
    died = event_time <= censor_time
    table = table.drop(columns=["outcome"])
    table["followup_days"] = np.maximum(np.ceil(np.minimum(event_time, censor_time)), 1.0)
    table["status"] = np.where(died, "dead", "alive")
    return table


def _patients(dataset: str, n_samples, minimum: int, seed: int, age: tuple[float, float, float], female: float):
    """The generator, ``n``, ages ``clip(N(mean, sd), 25, max)`` rounded, and sexes (``F`` with probability
    ``female``) of a simulated cohort, drawn in this order; ``n_samples`` below ``minimum`` is an error."""
    if not isinstance(n_samples, (int, np.integer)) or n_samples < minimum:
        raise MissmodalError(f"dataset {dataset!r}: n_samples must be an integer >= {minimum}, got {n_samples!r}")
    rng = np.random.default_rng(seed)
    n = int(n_samples)
    mean, sd, oldest = age
    return rng, n, np.clip(rng.normal(mean, sd, n), 25, oldest).round(), np.where(rng.random(n) < female, "F", "M")


def _cohort(n_samples: int, seed: int):
    """The cohort table and each patient's outcome linear predictor ``eta`` (without the intercept)."""
    import pandas as pd

    rng, n, age, sex = _patients("clinical", n_samples, 20, seed, age=(55, 10, 85), female=0.85)
    site = rng.choice(["north", "south", "east"], size=n, p=[0.45, 0.35, 0.20])
    z_liver, z_gene = rng.normal(size=n), rng.normal(size=n)
    z_fibrosis = rng.normal(size=n) + 0.03 * (age - 55)

    def fields(factor: np.ndarray, loadings: list[float], offsets: list[float], noise: float = 0.7) -> list[np.ndarray]:
        return [offset + loading * factor + noise * rng.normal(size=n) for loading, offset in zip(loadings, offsets)]

    labs = fields(z_liver, [1.0, -0.8, 0.7, 0.6, -0.5, 0.6], [1.5, 3.5, 2.0, 1.2, 2.5, 1.1])
    vitals = fields(z_liver, [0.3, 0.4, -0.3], [12.0, 7.5, 7.0], noise=1.0)
    histology = fields(z_fibrosis, [0.9, 1.0], [2.5, 0.0], noise=0.5)
    imaging = fields(z_fibrosis, [0.8, 0.6, 0.5], [1.0, 1.2, 0.5])
    genomics = fields(z_gene, [0.9, -0.7, 0.6, 0.5], [0.0, 0.0, 0.0, 0.0])
    eta = 1.0 * z_liver + 0.9 * z_fibrosis + 0.5 * z_gene + 0.03 * (age - 55) + 0.4 * (sex == "M")
    died = rng.random(n) < 1 / (1 + np.exp(1.3 - eta))
    followup = np.where(died, rng.integers(30, 2000, n), rng.integers(1000, 4500, n))

    substudy = rng.random(n) < 1 / (1 + np.exp(-(1.2 - 0.05 * (age - 55))))
    present = {
        "labs": rng.random(n) >= 0.03,
        "vitals": rng.random(n) >= 0.10,
        "histology": substudy,
        "imaging": substudy & (site != "east"),
        "genomics": substudy & (rng.random(n) >= 0.15),
    }
    present["vitals"] |= ~present["labs"]  # every patient keeps at least one block
    frame = {"id": [f"P{i + 1:04d}" for i in range(n)], "age": age, "sex": sex, "site": site,
             "followup_days": followup, "outcome": np.where(died, "died", "alive")}
    blocks = {"labs": labs, "vitals": vitals, "histology": histology, "imaging": imaging, "genomics": genomics}
    names = dict(CLINICAL_SCHEMA.modalities, genomics=[f"gene_{j + 1}" for j in range(4)])
    for block, values in blocks.items():
        for name, column in zip(names[block], values):
            column = np.round(column, 3)
            missing = ~present[block]
            if block == "labs":
                missing = missing | (rng.random(n) < 0.04)
            frame[name] = np.where(missing, np.nan, column)
    table = pd.DataFrame(frame)
    lab_fields = names["labs"]
    all_missing = table[lab_fields].isna().all(axis=1) & present["labs"]
    table.loc[all_missing, lab_fields[0]] = np.round(labs[0][all_missing.to_numpy()], 3)  # a present block keeps a field
    return table, eta


REGISTRY_SCHEMA = TableSchema(
    modalities={
        "labs": ["creatinine", "sodium", "albumin", "bilirubin"],
        "exam": ["weight", "sbp", "dbp", "heart_rate"],
        "lipids": ["ldl", "hdl", "triglycerides"],
        "enzymes": ["alt", "ast", "ggt"],
        "imaging": ["stiffness", "spleen_size"],
    },
    target="outcome", id="id", covariates=["age", "sex", "source"],
)


def registry_table(n_samples: int = 400, seed: int = 0):
    """A cohort with structural block missingness, as a clinician exports it; read it with ``REGISTRY_SCHEMA``.

    ``source`` is ``registry`` for about a quarter of the patients: they lack the ``exam``, ``lipids`` and
    ``enzymes`` fields, except ``weight`` (an exam field recorded for everyone), so the stratum
    ``source=registry`` holds no complete case. Inside blocks: each lab field is missing on its own for 6%
    of patients, ``triglycerides`` for 15% of the clinic patients; whole blocks: labs 3%, exam 3%, lipids 4%
    of the clinic patients (MCAR), enzymes MAR given age in the clinic (``sigmoid(-2.5 + 0.08 (age - 60))``),
    imaging 20% MCAR. Fields are linear maps of two latent factors ``z_renal``, ``z_metabolic`` ~ N(0, 1)
    plus noise; ``outcome`` (``died``/``alive``) is Bernoulli with
    ``logit = -1.2 + 0.9 z_renal + 0.7 z_metabolic + 0.03 (age - 60)``. Every patient keeps their labs or
    imaging block.
    """
    import pandas as pd

    rng, n, age, sex = _patients("registry", n_samples, 40, seed, age=(60, 11, 90), female=0.5)
    registry = rng.random(n) < 0.25
    z_renal, z_metabolic = rng.normal(size=n), rng.normal(size=n)

    def fields(factor: np.ndarray, loadings: list[float], offsets: list[float]) -> list[np.ndarray]:
        return [offset + loading * factor + 0.7 * rng.normal(size=n) for loading, offset in zip(loadings, offsets)]

    values = {
        "labs": fields(z_renal, [0.9, -0.5, -0.6, 0.4], [1.1, 139.0, 3.8, 0.9]),
        "exam": fields(z_metabolic, [0.8, 0.6, 0.5, 0.3], [78.0, 130.0, 80.0, 72.0]),
        "lipids": fields(z_metabolic, [0.7, -0.5, 0.6], [3.2, 1.3, 1.8]),
        "enzymes": fields(z_renal, [0.5, 0.6, 0.4], [30.0, 28.0, 40.0]),
        "imaging": fields(z_renal, [0.7, 0.5], [6.5, 11.0]),
    }
    logit = -1.2 + 0.9 * z_renal + 0.7 * z_metabolic + 0.03 * (age - 60)
    died = rng.random(n) < 1 / (1 + np.exp(-logit))
    clinic = ~registry
    present = {
        "labs": rng.random(n) >= 0.03,
        "exam": clinic & (rng.random(n) >= 0.03),
        "lipids": clinic & (rng.random(n) >= 0.04),
        "enzymes": clinic & (rng.random(n) >= 1 / (1 + np.exp(-(-2.5 + 0.08 * (age - 60))))),
        "imaging": rng.random(n) >= 0.20,
    }
    present["labs"] |= ~present["imaging"]  # every patient keeps labs or imaging
    frame = {"id": [f"R{i + 1:04d}" for i in range(n)], "age": age, "sex": sex,
             "source": np.where(registry, "registry", "clinic"), "outcome": np.where(died, "died", "alive")}
    for block, columns in REGISTRY_SCHEMA.modalities.items():
        for j, (name, column) in enumerate(zip(columns, values[block])):
            kept = present[block].copy()
            if block == "labs":
                kept &= rng.random(n) >= 0.06
            if name == "weight":
                kept = np.ones(n, dtype=bool)  # recorded for everyone, the registry included
            if name == "triglycerides":
                kept &= rng.random(n) >= 0.15
            frame[name] = np.where(kept, np.round(column, 2), np.nan)
    table = pd.DataFrame(frame)
    labs = REGISTRY_SCHEMA.modalities["labs"]
    emptied = table[labs].isna().all(axis=1).to_numpy() & present["labs"]
    table.loc[emptied, labs[0]] = np.round(values["labs"][0][emptied], 2)  # a present block keeps a field
    return table
