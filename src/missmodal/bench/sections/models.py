"""Models section: every (model, loss) trained on the training split (selected on validation) and evaluated
per combination group on the test split, and, where the complete data is known, on the complete test
samples under every non-empty combination of modalities (the fair measure of tail groups). The tabular
baselines ``logistic`` and ``gbdt`` always run beside the configured models, so that every table shows the
bar a fusion model has to clear."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ...data.groups import head_groups
from ...evaluate.metrics import calibration_view, reliability_bins
from ...train import evaluate_model, fit_model
from ..scenarios import Prepared
from .common import aggregate, by_setting, cell_spec, fmt, mean_std, zoom_to_data


#: Rows of the model x group heatmap (2^M - 1 groups can occur; the first ones, in evaluation order, are shown).
MAX_HEATMAP_GROUPS = 80
#: Tabular baselines run in every benchmark beside the configured models.
BASELINES = ("logistic", "gbdt")


def method_name(entry: dict) -> str:
    return entry["model"] if entry["model"] in BASELINES else f"{entry['model']}+{entry['loss']}"


def model_entries(config) -> list[dict]:
    """The configured (model, loss) entries plus each baseline the configuration does not already hold."""
    named = {entry["model"] for entry in config.models}
    return list(config.models) + [{"model": b, "loss": "erm"} for b in BASELINES if b not in named]


def cells(config, dataset: Any, scenario: dict, seed: int) -> list[dict]:
    return [cell_spec("models", dataset, scenario, seed, method=method_name(entry), model=entry["model"],
                      loss=entry["loss"], training=dict(config.training), min_group_size=config.min_group_size,
                      head_coverage=config.head_coverage) for entry in model_entries(config)]


def _brief(report: dict) -> dict:
    keep = ("accuracy", "f1_micro", "f1_macro", "auroc", "auprc", "brier", "ece", "log_loss", "mse", "count")
    return {
        "overall": report["overall"], "head": report["head"], "tail": report["tail"],
        "worst_group": report["worst_group"], "complete": report["complete"], "incomplete": report["incomplete"],
        "groups": [{k: g.get(k) for k in ("name", "modalities", "head", "seen_in_training") + keep} for g in report["groups"]],
    }


def reliability(fitted, test, train_counts: dict[int, int], head_coverage: float) -> dict | None:
    """Reliability-diagram bins of the test predictions, separately for head and tail groups (classification)."""
    if fitted.task not in ("binary", "multiclass") or test.target is None:
        return None
    target = fitted.preprocessing.align_target(test, "test target")
    confidence, outcome = calibration_view(target, fitted.scores(test), fitted.task, fitted.classes)
    in_head = np.isin(test.group_codes(), list(head_groups(train_counts, head_coverage)))
    return {part: reliability_bins(confidence[rows], outcome[rows]) for part, rows in (("head", in_head), ("tail", ~in_head))}


def run(spec: dict, prepared: Prepared) -> dict:
    train_counts = prepared.train.group_counts()
    start = time.perf_counter()
    fitted = fit_model(prepared.train, prepared.val, model=spec["model"], loss=spec["loss"], seed=spec["seed"],
                       **spec["training"])
    options = dict(train_group_counts=train_counts, min_group_size=spec["min_group_size"], head_coverage=spec["head_coverage"])
    result = {"test": _brief(evaluate_model(fitted, prepared.test, **options)), "all_combinations": None,
              "train_seconds": time.perf_counter() - start,
              "reliability": reliability(fitted, prepared.test, train_counts, spec["head_coverage"])}
    complete_test = prepared.test_full if prepared.has_oracle else prepared.test.subset(prepared.test.is_complete())
    if complete_test.n_samples:
        result["all_combinations"] = _brief(evaluate_model(fitted, complete_test, all_combinations=True, **options))
    return result


def _get(report: dict | None, part: str, metric: str = "accuracy"):
    if not report or not report.get(part):
        return None
    return report[part].get(metric)


def summarise(cells: list[dict]) -> dict:
    rows, heatmap = [], {}
    for (dataset, scenario, method), group in by_setting(cells, "method").items():
        row = {"dataset": dataset, "scenario": scenario, "method": method, "seeds": len(group)}
        for prefix, source in (("", "test"), ("allcomb_", "all_combinations")):
            for part in ("overall", "head", "tail", "worst_group"):
                name = f"{prefix}{'accuracy' if part == 'overall' else part + '_accuracy'}"
                row[name] = aggregate(group, lambda r, s=source, p=part: _get(r[s], p))
        for metric in ("auroc", "brier"):
            row[metric] = aggregate(group, lambda r, m=metric: _get(r["test"], "overall", m))
        row["f1_micro"] = aggregate(group, lambda r: _get(r["test"], "overall", "f1_micro"))
        row["f1_macro"] = aggregate(group, lambda r: _get(r["test"], "overall", "f1_macro"))
        row["worst_group"] = [(c["result"]["test"]["worst_group"] or {}).get("name") for c in group]
        row["train_seconds"] = aggregate(group, lambda r: r["train_seconds"])
        rows.append(row)
        source = "all_combinations" if group[0]["result"]["all_combinations"] else "test"
        names = [g["name"] for g in group[0]["result"][source]["groups"]]
        heatmap.setdefault(f"{dataset}/{scenario}", {"evaluation": source, "groups": names, "methods": {}})
        heatmap[f"{dataset}/{scenario}"]["methods"][method] = {
            name: mean_std(next((g["accuracy"] for g in c["result"][source]["groups"] if g["name"] == name), None) for c in group)["mean"]
            for name in names
        }
    return {"rows": rows, "group_accuracy": heatmap, "reliability": pooled_reliability(cells)}


def pooled_reliability(cells: list[dict]) -> dict:
    """Per setting and method, the head and tail reliability bins pooled over seeds (count-weighted means)."""
    pooled: dict = {}
    for (dataset, scenario, method), group in by_setting(cells, "method").items():
        tables = [c["result"].get("reliability") for c in group if c["result"].get("reliability")]
        for part in ("head", "tail") if tables else ():
            counts = np.sum([t[part]["count"] for t in tables], axis=0)
            means = {key: [sum(t[part]["count"][b] * (t[part][key][b] or 0.0) for t in tables) / counts[b] if counts[b] else None
                           for b in range(len(counts))] for key in ("confidence", "outcome")}
            pooled.setdefault(f"{dataset}/{scenario}", {}).setdefault(method, {})[part] = {"count": counts.tolist(), **means}
    return pooled


def findings(summary: dict) -> list[str]:
    """Per setting: the best model+loss overall, and the best on the worst group (all combinations where known)."""
    lines = []
    settings = dict.fromkeys((r["dataset"], r["scenario"]) for r in summary["rows"])
    for dataset, scenario in settings:
        rows = [r for r in summary["rows"] if (r["dataset"], r["scenario"]) == (dataset, scenario) and r["accuracy"]["mean"] is not None]
        if not rows:
            continue
        best = max(rows, key=lambda r: r["accuracy"]["mean"])
        text = f"{dataset}/{scenario}: best overall accuracy {best['method']} ({fmt(best['accuracy'])})"
        for key, label in (("allcomb_worst_group_accuracy", "all-combinations worst group"), ("worst_group_accuracy", "worst group")):
            ranked = [r for r in rows if r[key]["mean"] is not None]
            if ranked:
                top = max(ranked, key=lambda r: r[key]["mean"])
                text += f"; best {label} {top['method']} ({fmt(top[key])})"
                break
        lines.append(text + ".")
    return lines


def markdown(summary: dict) -> list[str]:
    lines = ["## Models (test split; all-combinations on complete test samples)", "",
             "| dataset / scenario | model+loss | accuracy | AUROC | Brier | head | tail | worst group | all-comb. accuracy | all-comb. tail | all-comb. worst |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in summary["rows"]:
        lines.append(f"| {r['dataset']}/{r['scenario']} | {r['method']} | {fmt(r['accuracy'])} | {fmt(r['auroc'])} | "
                     f"{fmt(r['brier'])} | {fmt(r['head_accuracy'])} | "
                     f"{fmt(r['tail_accuracy'])} | {fmt(r['worst_group_accuracy'])} | {fmt(r['allcomb_accuracy'])} | "
                     f"{fmt(r['allcomb_tail_accuracy'])} | {fmt(r['allcomb_worst_group_accuracy'])} |")
    return lines + [""]


def heatmap_figure(setting: str, table: dict):
    """Accuracy of each method (columns) on each combination group (rows, by number of modalities), annotated."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = list(table["methods"])
    shown = table["groups"][:MAX_HEATMAP_GROUPS]
    groups = sorted(shown, key=lambda name: (name.count("+"), shown.index(name)))
    values = np.array([[table["methods"][m].get(g) if table["methods"][m].get(g) is not None else np.nan for m in methods]
                       for g in groups], dtype=float)
    fig, ax = plt.subplots(figsize=(2.5 + 1.3 * len(methods), 1.2 + 0.22 * len(groups)))
    low = np.nanmin(values) if np.isfinite(values).any() else 0.0
    image = ax.imshow(values, aspect="auto", cmap="viridis", vmin=low, vmax=1)
    for (row, column), value in np.ndenumerate(values):
        if np.isfinite(value):
            ax.text(column, row, f"{value:.2f}", ha="center", va="center", fontsize=6.5,
                    color="white" if value < low + 0.5 * (1 - low) else "black")
    ax.set_xticks(range(len(methods)))
    ax.set_xticklabels(methods, rotation=20, ha="right", fontsize=8)
    ax.set_yticks(range(len(groups)))
    ax.set_yticklabels(groups, fontsize=7)
    more = f", first {len(shown)} of {len(table['groups'])} groups" if len(shown) < len(table["groups"]) else ""
    ax.set_title(f"{setting}: accuracy per combination group ({table['evaluation'].replace('_', '-')}{more})", fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.04)
    fig.tight_layout()
    return fig


def reliability_figure(setting: str, table: dict):
    """Observed outcome rate against predicted confidence per method, head (solid) and tail (dashed) groups."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8)
    for k, (method, parts) in enumerate(table.items()):
        for part, style in (("head", "-"), ("tail", "--")):
            bins = parts.get(part)
            if not bins:
                continue
            points = [(c, o) for c, o, n in zip(bins["confidence"], bins["outcome"], bins["count"]) if n]
            if points:
                ax.plot(*zip(*points), style, marker=".", color=f"C{k}", label=f"{method} ({part})")
    ax.set_xlabel("predicted confidence (binary: P(positive); multi-class: top label)")
    ax.set_ylabel("observed rate")
    ax.set_title(f"{setting}: reliability, head vs tail groups", fontsize=9)
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    return fig


def bars_figure(rows: list[dict], prefix: str = ""):
    """Overall, head, tail and worst-group accuracy per method and setting (error bars: std over seeds)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    parts = [("accuracy", "overall"), ("head_accuracy", "head"), ("tail_accuracy", "tail"), ("worst_group_accuracy", "worst group")]
    labels = [f"{r['scenario']}\n{r['method']}" for r in rows]
    fig, ax = plt.subplots(figsize=(max(7, 0.9 * len(rows) + 2), 4))
    width = 0.2
    for k, (key, label) in enumerate(parts):
        stats = [r[prefix + key] for r in rows]
        ax.bar(np.arange(len(rows)) + k * width, [s["mean"] if s["mean"] is not None else np.nan for s in stats], width,
               yerr=[s["std"] or 0 for s in stats], label=label, capsize=2)
    ax.set_xticks(np.arange(len(rows)) + 1.5 * width)
    ax.set_xticklabels(labels, fontsize=7)
    ax.set_ylabel("accuracy")
    zoom_to_data(ax, (r[prefix + key]["mean"] for r in rows for key, _ in parts))
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def report(page, summary: dict, cells: list[dict]) -> None:
    page.heading("4. Training for every combination: models and losses compared")
    page.paragraph("Each model is trained on the training split with early stopping on the validation split. 'Head' groups are "
                   "the most frequent training groups covering 80% of training samples; 'tail' the rest; 'worst group' the "
                   "lowest-accuracy group with enough test samples. The all-combinations evaluation masks the complete test "
                   "samples under every non-empty combination of modalities.")
    if summary["rows"]:
        page.figure(bars_figure(summary["rows"]), "Overall, head, tail and worst-group accuracy on the test split")
        if any(r["allcomb_accuracy"]["mean"] is not None for r in summary["rows"]):
            page.figure(bars_figure(summary["rows"], "allcomb_"), "The same under all combinations of modalities")
    for setting, table in summary["group_accuracy"].items():
        page.figure(heatmap_figure(setting, table), f"Model x group accuracy, {setting}")
    for setting, table in summary.get("reliability", {}).items():
        page.figure(reliability_figure(setting, table), f"Reliability of the calibrated test predictions, head and tail groups, {setting}")
    page.table([{"dataset / scenario": f"{r['dataset']}/{r['scenario']}", "model+loss": r["method"], "accuracy": fmt(r["accuracy"]),
                 "AUROC": fmt(r["auroc"]), "Brier": fmt(r["brier"]), "F1-macro": fmt(r["f1_macro"]), "head": fmt(r["head_accuracy"]), "tail": fmt(r["tail_accuracy"]),
                 "worst group": fmt(r["worst_group_accuracy"]), "all-comb.": fmt(r["allcomb_accuracy"]),
                 "all-comb. tail": fmt(r["allcomb_tail_accuracy"]), "all-comb. worst": fmt(r["allcomb_worst_group_accuracy"])}
                for r in summary["rows"]])
