"""Informativeness section: which modality is worth it, naive (complete cases) vs corrected (IPW), next to
the full-data oracle where the complete data is known (a bundled dataset with simulated missingness)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import InsufficientDataError
from ...informativeness import informativeness_report
from ..scenarios import Prepared, dataset_label
from .common import by_setting, cell_spec, fmt, mean_std

QUANTITIES = ("information_bits", "gain_bits")


def cells(config, dataset: Any, scenario: dict, seed: int) -> list[dict]:
    return [cell_spec("informativeness", dataset, scenario, seed, options=dict(config.informativeness))]


def run(spec: dict, prepared: Prepared) -> dict:
    """Naive and corrected estimates (and the full-data oracle); ``{"skipped": reason}`` when the scenario leaves
    too few complete cases to estimate anything (e.g. 6 modalities each missing at 50%: ~1.6% complete)."""
    options = dict(spec["options"])
    try:
        estimate = informativeness_report(prepared.data, seed=spec["seed"], **options)
    except InsufficientDataError as error:
        return {"skipped": str(error)}
    result = {"estimate": estimate, "oracle": None}
    if prepared.has_oracle:
        options["bootstrap"] = 0
        result["oracle"] = informativeness_report(prepared.full, seed=spec["seed"], **options)
    return result


def _values(report: dict | None, estimate: str, quantity: str) -> dict[str, float]:
    if not report or not report.get(estimate):
        return {}
    return {k: v for k, v in (report[estimate].get(quantity) or {}).items() if v is not None}


def _skipped(cells: list[dict]) -> list[dict]:
    return [{"dataset": dataset_label(c["spec"]["dataset"]), "scenario": c["spec"]["scenario"]["name"],
             "seed": c["spec"]["seed"], "reason": c["result"]["skipped"]}
            for c in cells if "skipped" in c.get("result", {})]


def _estimated(cells: list[dict]) -> list[dict]:
    return [c for c in cells if "estimate" in c.get("result", {})]


def summarise(cells: list[dict]) -> dict:
    rows = []
    for (dataset, scenario), group in by_setting(_estimated(cells)).items():
        first = group[0]["result"]["estimate"]
        row = {"dataset": dataset, "scenario": scenario, "seeds": len(group),
               "correction": first.get("correction"), "diagnostics": first.get("diagnostics"),
               "ranking": first.get("ranking"), "quantities": {}, "rmse_to_oracle": {}}
        for quantity in QUANTITIES:
            keys = list(_values(first, "naive", quantity))
            table = {}
            for key in keys:
                table[key] = {
                    estimate: mean_std(_values(c["result"]["estimate"], estimate, quantity).get(key) for c in group)
                    for estimate in ("naive", "corrected")
                }
                table[key]["oracle"] = mean_std(_values(c["result"]["oracle"], "naive", quantity).get(key) for c in group)
            row["quantities"][quantity] = table
            for estimate in ("naive", "corrected"):
                errors = [(_values(c["result"]["estimate"], estimate, quantity).get(k), _values(c["result"]["oracle"], "naive", quantity).get(k))
                          for c in group for k in keys]
                errors = [(a - b) ** 2 for a, b in errors if a is not None and b is not None]
                row["rmse_to_oracle"].setdefault(quantity, {})[estimate] = float(np.sqrt(np.mean(errors))) if errors else None
        rows.append(row)
    return {"rows": rows, "skipped": _skipped(cells)}


def findings(summary: dict) -> list[str]:
    """Per setting: the modality with the largest gain given the rest, and how close naive/corrected are to the oracle."""
    lines = []
    for row in summary["rows"]:
        applied = (row.get("correction") or {}).get("status") == "applied"
        ranking = row.get("ranking") or []
        top = ranking[0] if ranking else None
        text = f"{row['dataset']}/{row['scenario']}: "
        if top:
            low, high = top["interval"] if top.get("interval") else (None, None)
            interval = f" [{low:.3f}, {high:.3f}]" if low is not None else ""
            text += f"largest gain given the rest ({'corrected' if applied else 'naive'}): {top['modality']} {top['gain_bits']:.3f} bits{interval}"
        rmse = row["rmse_to_oracle"].get("information_bits", {})
        if rmse.get("naive") is not None:
            text += f"; RMSE of I(Y; X_S) to the full-data oracle: naive {rmse['naive']:.3f}"
            text += f", corrected {rmse['corrected']:.3f} bits" if rmse.get("corrected") is not None else " bits"
        if not applied:
            text += f" (correction {(row.get('correction') or {}).get('status', 'not applied')})"
        lines.append(text + ".")
    lines += [f"{setting}: informativeness not estimated, too few complete cases (seeds {', '.join(map(str, seeds))})."
              for setting, (seeds, _) in _not_estimated(summary).items()]
    return lines


def _not_estimated(summary: dict) -> dict[str, tuple[list[int], str]]:
    """Skipped cells by setting: the seeds, and the reason of the first."""
    settings: dict[str, tuple[list[int], str]] = {}
    for skipped in summary.get("skipped", []):
        seeds, _ = settings.setdefault(f"{skipped['dataset']}/{skipped['scenario']}", ([], skipped["reason"]))
        seeds.append(skipped["seed"])
    return settings


def markdown(summary: dict) -> list[str]:
    lines = ["## Informativeness (bits; naive = complete cases, corrected = IPW, oracle = full data)", ""]
    for row in summary["rows"]:
        lines += [f"### {row['dataset']}/{row['scenario']}", "",
                  f"RMSE to the oracle: information naive {row['rmse_to_oracle'].get('information_bits', {}).get('naive')}, "
                  f"corrected {row['rmse_to_oracle'].get('information_bits', {}).get('corrected')}; "
                  f"gains naive {row['rmse_to_oracle'].get('gain_bits', {}).get('naive')}, corrected {row['rmse_to_oracle'].get('gain_bits', {}).get('corrected')}",
                  "", "| modality | gain naive | gain corrected | gain oracle |", "|---|---|---|---|"]
        for key, stats in row["quantities"].get("gain_bits", {}).items():
            lines.append(f"| {key} | {fmt(stats['naive'])} | {fmt(stats['corrected'])} | {fmt(stats['oracle'])} |")
        lines.append("")
    lines += [f"- skipped {s['dataset']}/{s['scenario']} seed {s['seed']}: {s['reason']}" for s in summary.get("skipped", [])]
    return lines + [""] if summary.get("skipped") else lines


def figure(row: dict, quantity: str):
    """Bars of naive, corrected and oracle estimates per subset/modality (error bars: std over seeds)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = row["quantities"].get(quantity, {})
    keys = list(table)
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(keys) + 2), 3.6))
    width = 0.27
    for k, estimate in enumerate(("naive", "corrected", "oracle")):
        stats = [table[key][estimate] for key in keys]
        ax.bar(np.arange(len(keys)) + k * width, [s["mean"] if s["mean"] is not None else np.nan for s in stats], width,
               yerr=[s["std"] or 0 for s in stats], label=estimate, capsize=2)
    ax.set_xticks(np.arange(len(keys)) + width)
    ax.set_xticklabels(keys, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("bits")
    ax.set_title(f"{row['dataset']}/{row['scenario']}: {quantity.replace('_', ' ')}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def report(page, summary: dict, cells: list[dict]) -> None:
    from ...informativeness import informativeness_figure

    page.heading("2. Which modality is worth it: informativeness naive vs corrected")
    page.paragraph("Complete-case (naive) estimates measure the wrong population when missingness depends on what is observed; "
                   "inverse probability weighting (corrected) targets the full population. Where the complete data is known, "
                   "the full-data estimate (oracle) is shown beside them.")
    for setting, (seeds, reason) in _not_estimated(summary).items():
        page.paragraph(f"{setting} (seeds {', '.join(map(str, seeds))}): not estimated, {reason}.", note=True)
    for (dataset, scenario), group in by_setting(_estimated(cells)).items():
        row = next(r for r in summary["rows"] if r["dataset"] == dataset and r["scenario"] == scenario)
        page.heading(f"{dataset} — {scenario}", level=3)
        correction = row.get("correction") or {}
        if correction.get("status") != "applied" or correction.get("warning"):
            page.paragraph(f"Correction {correction.get('status')}: {correction.get('message', '')} {correction.get('warning', '')}".strip(),
                           note=True)
        page.figure(informativeness_figure(group[0]["result"]["estimate"]), "Naive vs corrected with bootstrap intervals (first seed)")
        if any(s["oracle"]["mean"] is not None for s in row["quantities"].get("gain_bits", {}).values()):
            page.figure(figure(row, "gain_bits"), "Gain of each modality given the rest: naive, corrected, oracle")
        page.table([{"modality": key, "gain naive": fmt(s["naive"]), "gain corrected": fmt(s["corrected"]), "gain oracle": fmt(s["oracle"])}
                    for key, s in row["quantities"].get("gain_bits", {}).items()])
