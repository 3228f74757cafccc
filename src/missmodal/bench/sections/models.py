"""Models section: every (model, loss) trained on the training split (selected on validation) and evaluated
per combination group on the test split, and, where the complete data is known, on the complete test
samples under every non-empty combination of modalities (the fair measure of tail groups). The tabular
baselines ``logistic`` and ``gbdt`` (``cox`` and ``cox-gbdt`` for a survival target) always run beside the configured models,
so that every table shows the bar a fusion model has to clear. Survival targets are compared by Harrell's C
(overall, head, tail, worst group), Uno's C and the integrated Brier score, at horizons fixed per dataset
(the quartiles of its event times), without bootstrap intervals (the spread over seeds is reported)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ...data.groups import group_name, head_groups
from ...evaluate.gradients import head_tail_cosines
from ...evaluate.metrics import calibration_view, reliability_bins
from ...train import evaluate_model, fit_model
from ..scenarios import Prepared, dataset_task
from ...report.palette import PART_COLOURS, REFERENCE_COLOUR
from ...report.text import drop_empty_columns, group_labels, human_label, markdown_table
from .common import (aggregate, by_setting, cell_spec, fmt, headline_metrics, mean_std, over_seeds, part_metric, rows_by_setting,
                     setting_label, zoom_to_data)


#: Rows of the model x group heatmap (2^M - 1 groups can occur; the first ones, in evaluation order, are shown).
MAX_HEATMAP_GROUPS = 80
#: Tabular baselines run in every benchmark beside the configured models.
BASELINES = ("logistic", "gbdt")
#: The baseline of a survival target.
SURVIVAL_BASELINES = ("cox", "cox-gbdt")


#: How far (in accuracy) below the lowest bar the majority-class line may sit and still be drawn on the axis.
MAX_REFERENCE_GAP = 0.3


def method_name(entry: dict) -> str:
    return entry["model"] if entry["model"] in BASELINES + SURVIVAL_BASELINES else f"{entry['model']}+{entry['loss']}"


def model_entries(config, task: str | None = None) -> list[dict]:
    """The configured (model, loss) entries plus each baseline of the task the configuration does not already
    hold; baselines that cannot fit the task (``logistic`` on survival, ``cox`` on classes) are left out."""
    from ...models import TABULAR

    baselines = SURVIVAL_BASELINES if task == "survival" else BASELINES
    named = {entry["model"] for entry in config.models}
    usable = [e for e in config.models if e["model"] not in TABULAR or task is None or task in TABULAR.get(e["model"]).tasks]
    return usable + [{"model": b, "loss": "erm"} for b in baselines if b not in named]


def cells(config, dataset: Any, scenario: dict, seed: int) -> list[dict]:
    return [cell_spec("models", dataset, scenario, seed, method=method_name(entry), model=entry["model"],
                      loss=entry["loss"], training=dict(config.training), min_group_size=config.min_group_size,
                      head_coverage=config.head_coverage) for entry in model_entries(config, dataset_task(dataset))]


def _brief(report: dict) -> dict:
    keep = ("accuracy", "balanced_accuracy", "f1_micro", "f1_macro", "auroc", "auprc", "brier", "ece", "log_loss", "mse", "count",
            "events", "c_harrell", "c_uno", "ibs")
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


def majority_accuracy(train_target: np.ndarray, test_target: np.ndarray) -> float | None:
    """Accuracy of always predicting the most frequent training class (the reference a model must beat);
    None for regression or multi-label targets."""
    if train_target.ndim != 1 or train_target.dtype.kind == "f" or len(test_target) == 0:
        return None
    classes, counts = np.unique(train_target, return_counts=True)
    return float(np.mean(test_target == classes[np.argmax(counts)]))


def bayes_beside(report: dict, bayes: dict[str, float]) -> dict:
    """The exact Bayes accuracy beside a test report: each group's (written into its row), the count-weighted
    overall one, the lowest over groups, and that of the model's worst group."""
    for group in report["groups"]:
        group["bayes_accuracy"] = bayes.get(group["name"])
    known = [(g["bayes_accuracy"], g["count"]) for g in report["groups"] if g["bayes_accuracy"] is not None]
    worst = report.get("worst_group") or {}
    return {"overall": sum(b * n for b, n in known) / sum(n for _, n in known) if known else None,
            "lowest_group": min((b for b, _ in known), default=None), "of_worst_group": bayes.get(worst.get("name"))}


def run(spec: dict, prepared: Prepared) -> dict:
    train_counts = prepared.train.group_counts()
    start = time.perf_counter()
    fitted = fit_model(prepared.train, prepared.val, model=spec["model"], loss=spec["loss"], seed=spec["seed"],
                       **spec["training"])
    options = dict(train_group_counts=train_counts, min_group_size=spec["min_group_size"], head_coverage=spec["head_coverage"],
                   n_boot=0)  # the spread over seeds replaces the intervals
    if fitted.task == "survival":  # horizons fixed per dataset, so that seeds agree
        data = prepared.data
        options.update(horizons=np.unique(np.quantile(data.time[data.event], [0.25, 0.5, 0.75]).round()))
    result = {"test": _brief(evaluate_model(fitted, prepared.test, **options)), "all_combinations": None,
              "train_seconds": time.perf_counter() - start, "task": prepared.test.task,
              "reliability": reliability(fitted, prepared.test, train_counts, spec["head_coverage"]),
              "majority_accuracy": {"test": majority_accuracy(prepared.train.target, prepared.test.target), "all_combinations": None}}
    if prepared.bayes is not None:
        result["bayes"] = bayes_beside(result["test"], prepared.bayes)
    recorded = [r for r in getattr(fitted, "history", None) or [] if "gradient_cosine" in r]
    if recorded:  # training: {diagnostics: true}: the last recorded epoch, head vs tail groups
        head = {group_name(code, prepared.train.modality_names) for code in head_groups(train_counts, spec["head_coverage"])}
        result["gradient_cosine"] = {"epoch": recorded[-1]["epoch"], **head_tail_cosines(recorded[-1]["gradient_cosine"], head)}
    complete_test = prepared.test_full if prepared.has_oracle else prepared.test.subset(prepared.test.is_complete())
    if complete_test.n_samples and not prepared.group_concepts:
        result["all_combinations"] = _brief(evaluate_model(fitted, complete_test, all_combinations=True, **options))
        result["all_combinations"]["n_samples"] = int(complete_test.n_samples)
        result["majority_accuracy"]["all_combinations"] = majority_accuracy(prepared.train.target, complete_test.target)
    return result


def _get(report: dict | None, part: str, metric: str = "accuracy"):
    if not report or not report.get(part):
        return None
    return report[part].get(metric)


#: The overall metrics summarised per (setting, method) besides the accuracy of each part.
OVERALL_METRICS = ("auroc", "balanced_accuracy", "brier", "f1_micro", "f1_macro")
SURVIVAL_METRICS = ("c_uno", "ibs")
PARTS = (("accuracy", "overall"), ("head_accuracy", "head"), ("tail_accuracy", "tail"), ("worst_group_accuracy", "worst group"))


def summarise(cells: list[dict]) -> dict:
    rows, heatmap = [], {}
    for (dataset, scenario, method), group in by_setting(cells, "method").items():
        row = {"dataset": dataset, "scenario": scenario, "method": method, "seeds": len(group),
               "task": group[0]["result"].get("task")}
        key = part_metric(row["task"])
        for prefix, source in (("", "test"), ("allcomb_", "all_combinations")):
            for part in ("overall", "head", "tail", "worst_group"):
                name = f"{prefix}{key if part == 'overall' else part + '_' + key}"
                row[name] = aggregate(group, lambda r, s=source, p=part: _get(r[s], p, key))
            for metric in SURVIVAL_METRICS if row["task"] == "survival" else OVERALL_METRICS:
                row[prefix + metric] = aggregate(group, lambda r, s=source, m=metric: _get(r[s], "overall", m))
            row[prefix + "majority_accuracy"] = aggregate(group, lambda r, s=source: (r.get("majority_accuracy") or {}).get(s))
        for key, part in (("bayes_accuracy", "overall"), ("bayes_lowest_group", "lowest_group")):
            row[key] = aggregate(group, lambda r, p=part: (r.get("bayes") or {}).get(p))
        for part in ("head", "tail"):
            row[f"gradient_cosine_{part}"] = aggregate(group, lambda r, p=part: ((r.get("gradient_cosine") or {}).get(p) or {}).get("mean_cosine"))
        row["allcomb_samples"] = aggregate(group, lambda r: (r["all_combinations"] or {}).get("n_samples"))
        row["worst_group"] = [(c["result"]["test"]["worst_group"] or {}).get("name") for c in group]
        row["train_seconds"] = aggregate(group, lambda r: r["train_seconds"])
        rows.append(row)
        source = "all_combinations" if group[0]["result"]["all_combinations"] else "test"
        names = [g["name"] for g in group[0]["result"][source]["groups"]]
        modalities = list(dict.fromkeys(m for g in group[0]["result"][source]["groups"] for m in g["modalities"]))
        heatmap.setdefault(setting_label(dataset, scenario), {"evaluation": source, "groups": names, "modalities": modalities,
                                                              "metric": key, "methods": {}})
        heatmap[setting_label(dataset, scenario)]["methods"][method] = {
            name: mean_std(next((g.get(key) for g in c["result"][source]["groups"] if g["name"] == name), None) for c in group)["mean"]
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
            pooled.setdefault(setting_label(dataset, scenario), {}).setdefault(method, {})[part] = {"count": counts.tolist(), **means}
    return pooled


def _lead(rows: list[dict]) -> str:
    """The metric a setting's rows are ranked by: AUROC for a binary task, accuracy otherwise."""
    return headline_metrics(rows[0].get("task"))[0]


def findings(summary: dict) -> list[str]:
    """Per setting: the best model+loss on the headline metric, and the best on the worst group (all
    combinations where known), each quoted as its table shows it (mean ± sd over seeds)."""
    lines = []
    for (dataset, scenario), rows in rows_by_setting(summary["rows"]).items():
        lead = _lead(rows)
        rows = [r for r in rows if r[lead]["mean"] is not None]
        if not rows:
            continue
        best = max(rows, key=lambda r: r[lead]["mean"])
        text = f"{setting_label(dataset, scenario)}: best overall {human_label(lead)}: {best['method']} ({fmt(best[lead], of=best['seeds'])})"
        reference = best["majority_accuracy"]
        if lead == "accuracy" and reference["mean"] is not None:
            text += f", majority class {fmt(reference)}"
        if best.get("bayes_accuracy", {}).get("mean") is not None:
            text += f", Bayes accuracy {fmt(best['bayes_accuracy'])} (lowest group {fmt(best['bayes_lowest_group'])})"
        metric = part_metric(rows[0].get("task"))
        label = human_label(metric)
        for key, label in ((f"allcomb_worst_group_{metric}", f"all-combinations worst-group {label}"),
                           (f"worst_group_{metric}", f"worst-group {label}")):
            ranked = [r for r in rows if r[key]["mean"] is not None]
            if ranked:
                top = max(ranked, key=lambda r: r[key]["mean"])
                text += f"; best {label}: {top['method']} ({fmt(top[key], of=top['seeds'])})"
                break
        lines.append(text + ".")
    return lines


def _columns(rows: list[dict]) -> list[tuple[str, str]]:
    """(key, header) of a setting's table: the headline metrics of its task, then the group parts."""
    lead = [(m, human_label(m)) for m in headline_metrics(rows[0].get("task"))]
    if rows[0].get("task") == "survival":
        return lead + [(f"{p}c_harrell", f"{w} C") for p, w in (("head_", "head"), ("tail_", "tail"), ("worst_group_", "worst-group"),
                                                               ("allcomb_", "all-comb."), ("allcomb_tail_", "all-comb. tail"),
                                                               ("allcomb_worst_group_", "all-comb. worst"))]
    return lead + [("head_accuracy", "head acc."), ("tail_accuracy", "tail acc."), ("worst_group_accuracy", "worst-group acc."),
                   ("allcomb_accuracy", "all-comb. acc."), ("allcomb_tail_accuracy", "all-comb. tail"),
                   ("allcomb_worst_group_accuracy", "all-comb. worst"), ("majority_accuracy", "majority class"),
                   ("bayes_accuracy", "Bayes acc."), ("bayes_lowest_group", "Bayes, lowest group"),
                   ("gradient_cosine_head", "grad. cos. head"), ("gradient_cosine_tail", "grad. cos. tail")]


def table_rows(summary: dict) -> list[tuple[str, list[str], list[list[str]]]]:
    """Per setting: its label, the column headers and the formatted cells (model+loss first); a cell over
    fewer seeds than its row says how many."""
    tables = []
    for (dataset, scenario), rows in rows_by_setting(summary["rows"]).items():
        columns = _columns(rows)
        cells = [[r["method"]] + [fmt(r.get(key), of=r["seeds"]) for key, _ in columns] for r in rows]  # results.json of older runs lack the newer columns
        tables.append((setting_label(dataset, scenario), *drop_empty_columns(["model+loss"] + [h for _, h in columns], cells)))
    return tables


def markdown(summary: dict) -> list[str]:
    lines = ["## Models (test split; all-combinations on complete test samples; mean ± sd over seeds)", ""]
    for setting, header, cells in table_rows(summary):
        lines += [f"### {setting}", ""] + markdown_table(header, cells) + [""]
    return lines


def heatmap_figure(setting: str, table: dict):
    """Accuracy of each method (columns) on each combination group (rows, by number of modalities), annotated.

    Returns the figure and the legend of the abbreviated group names (None when names are shown whole)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = list(table["methods"])
    shown = table["groups"][:MAX_HEATMAP_GROUPS]
    groups = sorted(shown, key=lambda name: (name.count("+"), shown.index(name)))
    labels, legend = group_labels(groups, table.get("modalities") or [], max_width=28)
    values = np.array([[table["methods"][m].get(g) if table["methods"][m].get(g) is not None else np.nan for m in methods]
                       for g in groups], dtype=float)
    fig, ax = plt.subplots(figsize=(3.5 + 1.3 * len(methods), max(3.0, 1.4 + 0.22 * len(groups))))
    low = np.nanmin(values) if np.isfinite(values).any() else 0.0
    image = ax.imshow(values, aspect="auto", cmap="viridis", vmin=low, vmax=1)
    for (row, column), value in np.ndenumerate(values):
        if np.isfinite(value):
            ax.text(column, row, f"{value:.2f}", ha="center", va="center", fontsize=6.5,
                    color="white" if value < low + 0.5 * (1 - low) else "black")
    ax.set_xticks(range(len(methods)))
    ax.set_xticklabels(methods, rotation=25, ha="right", fontsize=8)
    ax.set_yticks(range(len(groups)))
    ax.set_yticklabels([labels[g] for g in groups], fontsize=7)
    ax.set_ylabel("combination group")
    where = "complete test samples under every combination" if table["evaluation"] == "all_combinations" else "test split"
    more = f"; the first {len(shown)} of {len(table['groups'])} groups shown" if len(shown) < len(table["groups"]) else ""
    metric = human_label(table.get("metric", "accuracy"))
    ax.set_title(f"{setting}\n{metric} per combination group ({where}{more})", fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.04, label=metric)
    fig.tight_layout()
    return fig, legend


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
    """One setting: overall, head, tail and worst-group accuracy per method (error bars: sd over seeds),
    with the majority-class accuracy as the reference line; for a binary task a first panel gives the
    overall AUROC (chance = 0.5). None when no bar has a value."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if rows[0].get("task") == "survival":  # survival rows hold C-indices, shown in the table and the heatmap
        return None
    stats = [r[prefix + key] for r in rows for key, _ in PARTS]
    if all(s["mean"] is None for s in stats):
        return None
    binary = rows[0].get("task") == "binary" and any(r[prefix + "auroc"]["mean"] is not None for r in rows)
    width_ratios = [1, 2.5] if binary else [1]
    fig, axes = plt.subplots(1, len(width_ratios), figsize=(max(6.5, 1.3 * len(rows) + 3) + 2.5 * binary, 3.8),
                             squeeze=False, gridspec_kw={"width_ratios": width_ratios})
    x = np.arange(len(rows))
    crowded = len(rows) * max(len(r["method"]) for r in rows) > 60  # names side by side would touch
    rotate = {"rotation": 15, "ha": "right"} if crowded else {}
    if binary:
        ax = axes[0][0]
        auroc = [r[prefix + "auroc"] for r in rows]
        ax.bar(x, [s["mean"] if s["mean"] is not None else np.nan for s in auroc], 0.6, yerr=[s["std"] or 0 for s in auroc],
               color=PART_COLOURS["overall"], capsize=2)
        ax.axhline(0.5, color=REFERENCE_COLOUR, lw=1, ls=":")
        ax.set_xticks(x)
        ax.set_xticklabels([r["method"] for r in rows], fontsize=8, **rotate)
        ax.set_ylabel("AUROC (dotted: chance)")
        zoom_to_data(ax, auroc, floor=[0.5])
    ax = axes[0][-1]
    width = 0.2
    for k, (key, label) in enumerate(PARTS):
        part = [r[prefix + key] for r in rows]
        ax.bar(x + k * width, [s["mean"] if s["mean"] is not None else np.nan for s in part], width,
               yerr=[s["std"] or 0 for s in part], label=label, color=PART_COLOURS[label], capsize=2)
    references = [r[prefix + "majority_accuracy"]["mean"] for r in rows if r[prefix + "majority_accuracy"]["mean"] is not None]
    lowest = min(s["mean"] - (s["std"] or 0) for s in stats if s["mean"] is not None)
    floor = []
    if references:
        reference = float(np.mean(references))
        # A reference far below every bar would squash the bars flat: keep the axis on the bars and say where it is.
        far = reference < lowest - MAX_REFERENCE_GAP
        floor = [] if far else [reference]
        ax.axhline(reference, color=REFERENCE_COLOUR, lw=1, ls="--",
                   label=f"majority class ({reference:.3f}, below the axis)" if far else "majority class")
    ax.set_xticks(x + 1.5 * width)
    ax.set_xticklabels([r["method"] for r in rows], fontsize=8, **rotate)
    ax.set_ylabel("accuracy")
    zoom_to_data(ax, stats, floor=floor)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    where = "complete test samples under every combination" if prefix else "test split"
    fig.suptitle(f"{rows[0]['dataset']}/{rows[0]['scenario']}: {where} ({over_seeds(max(r['seeds'] for r in rows))})", fontsize=9)
    fig.tight_layout()
    return fig


def report(page, summary: dict, cells: list[dict]) -> None:
    page.heading("4. Training for every combination: models and losses compared")
    page.paragraph("Each model is trained on the training split with early stopping on the validation split. 'Head' groups are "
                   "the most frequent training groups covering 80% of training samples; 'tail' the rest; 'worst group' the "
                   "lowest-accuracy group with enough test samples. The all-combinations evaluation masks the complete test "
                   "samples under every non-empty combination of modalities. The dashed line is the accuracy of always "
                   "predicting the most frequent training class.")
    for (dataset, scenario), rows in rows_by_setting(summary["rows"]).items():
        setting = setting_label(dataset, scenario)
        page.heading(setting, level=3)
        for prefix, caption in (("", "on the test split"), ("allcomb_", "on the complete test samples under all combinations")):
            fig = bars_figure(rows, prefix)
            if fig is not None:
                lead = "AUROC and overall" if rows[0].get("task") == "binary" else "Overall"
                page.figure(fig, f"{lead}, head, tail and worst-group accuracy {caption}, {setting}")
            elif prefix:
                page.paragraph(f"{setting}: no all-combinations evaluation, the test split has no complete sample.", note=True)
        if setting in summary["group_accuracy"]:
            fig, legend = heatmap_figure(setting, summary["group_accuracy"][setting])
            page.figure(fig, f"Model x group {human_label(summary['group_accuracy'][setting].get('metric', 'accuracy'))}, {setting}" + (f" (modalities: {legend})" if legend else ""))
        if setting in summary.get("reliability", {}):
            page.figure(reliability_figure(setting, summary["reliability"][setting]),
                        f"Reliability of the calibrated test predictions, head and tail groups, {setting}")
        for _, header, table in table_rows({"rows": rows}):
            page.table([dict(zip(header, row)) for row in table])
