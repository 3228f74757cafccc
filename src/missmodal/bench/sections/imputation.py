"""Imputation section: every imputer fitted on the training split, judged on the test split by

- reconstruction error of the hidden true values (only with an oracle): per modality, the RMSE over the
  hidden test slots in units of that modality's spread, ``sqrt(mean_{i,j} (x̂_ij - x_ij)^2 / s_j^2)`` with
  ``s_j`` the per-dimension standard deviation of the complete training data;
- downstream F1: a standardised logistic regression trained on the imputed training split and scored on
  the imputed test split; for a survival target, a ridge Cox regression (penalty by cross-validated partial
  likelihood, :mod:`missmodal.models.cox`) scored by Harrell's and Uno's C-index on the imputed test split.

Imputers that choose their settings by masked-block validation on the training split (``auto``, the
cluster imputer's default ``n_clusters="auto"``) record the choice in each cell's ``chosen``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ...evaluate.metrics import subset_metrics
from ...impute import make_imputer
from ..scenarios import Prepared
from ...report.palette import method_colours
from ...report.text import drop_empty_columns, human_label, markdown_table
from .common import aggregate, by_setting, cell_spec, fmt, headline_metrics, mean_std, over_seeds, rows_by_setting, zoom_to_data

#: Downstream metrics summarised per (setting, imputer); the headline ones depend on the task.
DOWNSTREAM_METRICS = ("auroc", "accuracy", "balanced_accuracy", "brier", "f1_micro", "f1_macro", "c_harrell", "c_uno")


def cells(config, dataset: Any, scenario: dict, seed: int) -> list[dict]:
    return [cell_spec("imputation", dataset, scenario, seed, method=name) for name in config.imputers]


def reconstruction_error(imputed, full, observed: np.ndarray, reference) -> dict[str, float | None]:
    """Per modality: RMSE on the hidden slots (rows where ``observed`` is False), in units of the spread of
    ``reference`` (complete data of the training split); None for a modality with no hidden slot."""
    errors = {}
    for m, name in enumerate(full.modality_names):
        hidden = ~observed[:, m]
        if not hidden.any():
            errors[name] = None
            continue
        spread = reference.modalities[name].std(axis=0)
        spread = np.where(spread > 0, spread, 1.0)
        diff = (imputed.modalities[name][hidden] - full.modalities[name][hidden]) / spread
        errors[name] = float(np.sqrt(np.mean(diff.astype(np.float64) ** 2)))
    return errors


def _imputer(name: str, seed: int):
    imputer = make_imputer(name)
    if "random_state" in imputer.get_params():
        imputer.set_params(random_state=seed)
    return imputer


def downstream_survival(x_train: np.ndarray, train, x_test: np.ndarray, test, seed: int) -> dict:
    """Harrell's and Uno's C on the test split of a ridge Cox regression fitted on the standardised imputed
    training features (penalty chosen by cross-validated partial likelihood)."""
    from ...evaluate.survival import harrell_c, uno_c
    from ...models.cox import DEFAULT_ALPHAS, cross_validated_alpha, fit_cox

    scaler = StandardScaler().fit(x_train)
    a, b = scaler.transform(x_train), scaler.transform(x_test)
    alpha, _, _ = cross_validated_alpha(a, train.time, train.event, DEFAULT_ALPHAS, 5, seed)
    risk = b @ fit_cox(a, train.time, train.event, alpha)
    return {"count": int(len(risk)), "c_harrell": harrell_c(test.time, test.event, risk),
            "c_uno": uno_c(test.time, test.event, risk, (train.time, train.event))}


def run(spec: dict, prepared: Prepared) -> dict:
    start = time.perf_counter()
    imputer = _imputer(spec["method"], spec["seed"]).fit(prepared.train)
    train = imputer.transform(prepared.train)
    test = imputer.transform(prepared.test)
    seconds = time.perf_counter() - start
    x_train = np.hstack([train.modalities[n] for n in train.modality_names])
    x_test = np.hstack([test.modalities[n] for n in test.modality_names])
    if prepared.test.task == "survival":
        downstream = downstream_survival(x_train, prepared.train, x_test, prepared.test, spec["seed"])
    else:
        classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        classifier.fit(x_train, prepared.train.target)
        proba = classifier.predict_proba(x_test)
        downstream = subset_metrics(prepared.test.target, proba, prepared.test.task, classifier.classes_)
    chosen = {k: v for k, v in test.metadata["imputation"].items() if k not in ("method", "imputed_slots", "imputed_fields")}
    result = {"fit_transform_seconds": seconds, "downstream": downstream, "reconstruction": None,
              "task": prepared.test.task, "chosen": chosen}
    if prepared.has_oracle:
        errors = reconstruction_error(test, prepared.test_full, prepared.test.observed, prepared.train_full)
        kept = [v for v in errors.values() if v is not None]
        result["reconstruction"] = {"per_modality": errors, "mean": float(np.mean(kept)) if kept else None}
    return result


def summarise(cells: list[dict]) -> dict:
    rows = []
    for (dataset, scenario, method), group in by_setting(cells, "method").items():
        rows.append({
            "dataset": dataset, "scenario": scenario, "method": method, "seeds": len(group),
            "task": group[0]["result"].get("task"),
            **{metric: aggregate(group, lambda r, m=metric: r["downstream"].get(m)) for metric in DOWNSTREAM_METRICS},
            "reconstruction_error": aggregate(group, lambda r: (r["reconstruction"] or {}).get("mean")),
            "seconds": aggregate(group, lambda r: r["fit_transform_seconds"]),
            "per_modality_error": {
                name: mean_std((c["result"]["reconstruction"] or {}).get("per_modality", {}).get(name) for c in group)
                for name in (group[0]["result"]["reconstruction"] or {}).get("per_modality", {})
            },
        })
    return {"rows": rows, "downstream_model": "standardised logistic regression (survival: ridge Cox regression) on the "
                                              "imputed features"}


def _lead(row: dict) -> str:
    """The downstream metric a setting is ranked by: AUROC for a binary task, accuracy otherwise."""
    return headline_metrics(row.get("task"))[0]


def findings(summary: dict) -> list[str]:
    """Per setting: the imputer with the best downstream headline metric and the one with the lowest
    reconstruction error, quoted as the table shows them (mean ± sd over seeds)."""
    lines = []
    for (dataset, scenario), rows in rows_by_setting(summary["rows"]).items():
        lead = _lead(rows[0])
        scored = [r for r in rows if r[lead]["mean"] is not None]
        if not scored:
            continue
        best = max(scored, key=lambda r: r[lead]["mean"])
        text = f"{dataset}/{scenario}: best downstream {human_label(lead)}: {best['method']} ({fmt(best[lead], of=best['seeds'])})"
        exact = [r for r in rows if r["reconstruction_error"]["mean"] is not None]
        if exact:
            closest = min(exact, key=lambda r: r["reconstruction_error"]["mean"])
            text += f"; closest to the hidden values: {closest['method']} ({fmt(closest['reconstruction_error'], of=closest['seeds'])} σ)"
        lines.append(text + ".")
    return lines


def table_rows(summary: dict) -> list[tuple[str, list[str], list[list[str]]]]:
    """Per setting: its label, the column headers and the formatted cells (imputer first)."""
    tables = []
    for (dataset, scenario), rows in rows_by_setting(summary["rows"]).items():
        metrics = [m for m in headline_metrics(rows[0].get("task")) if m in DOWNSTREAM_METRICS]
        header = ["imputer"] + [f"downstream {human_label(m)}" for m in metrics] + ["reconstruction error (σ units)", "seconds"]
        cells = [[r["method"]] + [fmt(r[m], of=r["seeds"]) for m in metrics]
                 + [fmt(r["reconstruction_error"], of=r["seeds"]), fmt(r["seconds"], 2, of=r["seeds"])] for r in rows]
        tables.append((f"{dataset}/{scenario}", *drop_empty_columns(header, cells)))
    return tables


def markdown(summary: dict) -> list[str]:
    lines = ["## Imputation (test split; mean ± sd over seeds)", ""]
    for setting, header, cells in table_rows(summary):
        lines += [f"### {setting}", ""] + markdown_table(header, cells) + [""]
    return lines


def figure(rows: list[dict], methods: list[str]):
    """One setting: the downstream headline metric per imputer and, where the hidden true values are known,
    the reconstruction error (error bars: sd over seeds). One colour per imputer across the report."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lead = _lead(rows[0])
    panels = [(lead, f"downstream {human_label(lead)}")]
    if any(r["reconstruction_error"]["mean"] is not None for r in rows):
        panels.append(("reconstruction_error", "reconstruction error (σ units)"))
    colours = method_colours(methods)
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels) + 1.5, 3.4), squeeze=False)
    for ax, (metric, label) in zip(axes[0], panels):
        stats = [r[metric] for r in rows]
        x = np.arange(len(rows))
        ax.bar(x, [s["mean"] if s["mean"] is not None else np.nan for s in stats], 0.7, yerr=[s["std"] or 0 for s in stats],
               color=[colours[r["method"]] for r in rows], capsize=3)
        ax.set_xticks(x)
        ax.set_xticklabels([r["method"] for r in rows], rotation=20 if len(rows) > 4 else 0, ha="right" if len(rows) > 4 else "center")
        ax.set_ylabel(label)
        if metric == lead:
            zoom_to_data(ax, stats)
        else:
            ax.set_ylim(0, max((s["mean"] or 0) + (s["std"] or 0) for s in stats) * 1.1)
    fig.suptitle(f"{rows[0]['dataset']}/{rows[0]['scenario']}: imputers ({over_seeds(max(r['seeds'] for r in rows))})", fontsize=9)
    fig.tight_layout()
    return fig


def report(page, summary: dict, cells: list[dict]) -> None:
    page.heading("3. How to fill the gaps: imputers compared")
    page.paragraph("Each imputer is fitted on the training split; the test split is imputed and scored by a standardised "
                   "logistic regression (survival targets: a ridge Cox regression, by C-index) trained on the imputed "
                   "training split, and (where the complete data is known) by the "
                   "error of the imputed values against the hidden true ones, in units of each modality's spread.")
    methods = list(dict.fromkeys(r["method"] for r in summary["rows"]))
    for (dataset, scenario), rows in rows_by_setting(summary["rows"]).items():
        page.heading(f"{dataset} — {scenario}", level=3)
        page.figure(figure(rows, methods), f"Imputers on {dataset}/{scenario}: downstream score and reconstruction error")
        if all(r["reconstruction_error"]["mean"] is None for r in rows):
            page.paragraph("No reconstruction-error chart: the true values behind the missing slots are unknown here "
                           "(natural missingness, or no missing slot in the test split).", note=True)
        for _, header, table in table_rows({"rows": rows}):
            page.table([dict(zip(header, row)) for row in table])
