"""Imputation section: every imputer fitted on the training split, judged on the test split by

- reconstruction error of the hidden true values (only with an oracle): per modality, the RMSE over the
  hidden test slots in units of that modality's spread, ``sqrt(mean_{i,j} (x̂_ij - x_ij)^2 / s_j^2)`` with
  ``s_j`` the per-dimension standard deviation of the complete training data;
- downstream F1: a standardised logistic regression trained on the imputed training split and scored on
  the imputed test split.

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
from .common import aggregate, by_setting, cell_spec, fmt, mean_std, zoom_to_data


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


def run(spec: dict, prepared: Prepared) -> dict:
    start = time.perf_counter()
    imputer = _imputer(spec["method"], spec["seed"]).fit(prepared.train)
    train = imputer.transform(prepared.train)
    test = imputer.transform(prepared.test)
    seconds = time.perf_counter() - start
    classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    x_train = np.hstack([train.modalities[n] for n in train.modality_names])
    x_test = np.hstack([test.modalities[n] for n in test.modality_names])
    classifier.fit(x_train, prepared.train.target)
    proba = classifier.predict_proba(x_test)
    downstream = subset_metrics(prepared.test.target, proba, prepared.test.task, classifier.classes_)
    chosen = {k: v for k, v in test.metadata["imputation"].items() if k not in ("method", "imputed_slots")}
    result = {"fit_transform_seconds": seconds, "downstream": downstream, "reconstruction": None, "chosen": chosen}
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
            "f1_micro": aggregate(group, lambda r: r["downstream"].get("f1_micro")),
            "f1_macro": aggregate(group, lambda r: r["downstream"].get("f1_macro")),
            "reconstruction_error": aggregate(group, lambda r: (r["reconstruction"] or {}).get("mean")),
            "seconds": aggregate(group, lambda r: r["fit_transform_seconds"]),
            "per_modality_error": {
                name: mean_std((c["result"]["reconstruction"] or {}).get("per_modality", {}).get(name) for c in group)
                for name in (group[0]["result"]["reconstruction"] or {}).get("per_modality", {})
            },
        })
    return {"rows": rows, "downstream_model": "standardised logistic regression on the imputed features"}


def findings(summary: dict) -> list[str]:
    """Per setting: the imputer with the best downstream F1 and the one with the lowest reconstruction error."""
    lines = []
    settings = dict.fromkeys((r["dataset"], r["scenario"]) for r in summary["rows"])
    for dataset, scenario in settings:
        rows = [r for r in summary["rows"] if (r["dataset"], r["scenario"]) == (dataset, scenario)]
        scored = [r for r in rows if r["f1_micro"]["mean"] is not None]
        if not scored:
            continue
        best = max(scored, key=lambda r: r["f1_micro"]["mean"])
        text = f"{dataset}/{scenario}: best downstream F1-micro {best['method']} ({fmt(best['f1_micro'])})"
        exact = [r for r in rows if r["reconstruction_error"]["mean"] is not None]
        if exact:
            closest = min(exact, key=lambda r: r["reconstruction_error"]["mean"])
            text += f"; closest to the hidden values {closest['method']} ({fmt(closest['reconstruction_error'])} σ)"
        lines.append(text + ".")
    return lines


def markdown(summary: dict) -> list[str]:
    lines = ["## Imputation (test split)", "", "| dataset / scenario | imputer | downstream F1-micro | reconstruction error (σ units) | seconds |",
             "|---|---|---|---|---|"]
    for row in summary["rows"]:
        lines.append(f"| {row['dataset']}/{row['scenario']} | {row['method']} | {fmt(row['f1_micro'])} | "
                     f"{fmt(row['reconstruction_error'])} | {fmt(row['seconds'], 2)} |")
    return lines + [""]


def figure(summary: dict):
    """Grouped bars: downstream F1 per imputer and scenario (error bars: std over seeds)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = summary["rows"]
    settings = sorted({f"{r['dataset']}/{r['scenario']}" for r in rows})
    methods = list(dict.fromkeys(r["method"] for r in rows))
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    width = 0.8 / max(1, len(methods))
    for metric, ax, label in (("f1_micro", axes[0], "downstream F1-micro"), ("reconstruction_error", axes[1], "reconstruction error (σ units)")):
        for k, method in enumerate(methods):
            means, stds = [], []
            for setting in settings:
                row = next((r for r in rows if f"{r['dataset']}/{r['scenario']}" == setting and r["method"] == method), None)
                stat = row[metric] if row else None
                means.append(stat["mean"] if stat and stat["mean"] is not None else np.nan)
                stds.append(stat["std"] if stat and stat["std"] is not None else 0.0)
            ax.bar(np.arange(len(settings)) + k * width, means, width, yerr=stds, label=method, capsize=2)
        ax.set_xticks(np.arange(len(settings)) + width * (len(methods) - 1) / 2)
        ax.set_xticklabels(settings, rotation=20, ha="right")
        ax.set_ylabel(label)
    axes[0].legend(fontsize=8, ncol=2)
    zoom_to_data(axes[0], (r["f1_micro"]["mean"] for r in rows))
    fig.tight_layout()
    return fig


def report(page, summary: dict, cells: list[dict]) -> None:
    page.heading("3. How to fill the gaps: imputers compared")
    page.paragraph("Each imputer is fitted on the training split; the test split is imputed and scored by a standardised "
                   "logistic regression trained on the imputed training split, and (where the complete data is known) by the "
                   "error of the imputed values against the hidden true ones, in units of each modality's spread.")
    if summary["rows"]:
        page.figure(figure(summary), "Imputers: downstream F1 and reconstruction error (mean ± std over seeds)")
    page.table([{"dataset / scenario": f"{r['dataset']}/{r['scenario']}", "imputer": r["method"],
                 "F1-micro": fmt(r["f1_micro"]), "F1-macro": fmt(r["f1_macro"]),
                 "reconstruction error": fmt(r["reconstruction_error"]), "seconds": fmt(r["seconds"], 2)} for r in summary["rows"]])
