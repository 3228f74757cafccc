"""Audit section: the group structure and mechanism evidence of each (dataset, scenario); for a survival
target also the Kaplan–Meier curves overall and per combination group."""

from __future__ import annotations

from typing import Any

from ...audit import audit as run_audit
from ...audit.plots import kaplan_meier_figure, kaplan_meier_groups, mechanism_figure, upset_figure
from ..scenarios import Prepared, prepare
from ...report.text import fmt_interval, fmt_number, fmt_percent, markdown_table
from .common import by_setting, cell_spec


def cells(config, dataset: Any, scenario: dict, seed: int) -> list[dict]:
    # The group structure does not depend on models; one audit per (dataset, scenario) and first seed.
    if seed != config.seeds[0]:
        return []
    return [cell_spec("audit", dataset, scenario, seed, head_coverage=config.head_coverage)]


def run(spec: dict, prepared: Prepared) -> dict:
    result = run_audit(prepared.data, head_coverage=spec["head_coverage"], seed=spec["seed"]).to_dict()
    result["groups"] = result["groups"][:64]  # the full list can be 2^M - 1 long; the top 64 are reported
    if prepared.data.task == "survival":
        result["kaplan_meier"] = kaplan_meier_groups(prepared.data)
    return result


def summarise(cells: list[dict]) -> dict:
    return {f"{dataset}/{scenario}": cell["result"] | {"dataset": dataset, "scenario": scenario}
            for (dataset, scenario), (cell, *_) in by_setting(cells).items()}


def findings(summary: dict) -> list[str]:
    """One sentence per (dataset, scenario): group structure and which modalities' missingness is predictable."""
    lines = []
    for key, row in summary.items():
        mechanism = row.get("mechanism") or []
        flagged = [m["name"] for m in mechanism if m.get("verdict") == "evidence against MCAR"]
        unclear = [m["name"] for m in mechanism if m.get("verdict") == "too few to tell" and m.get("missing_rate")]
        evidence = (f"evidence against MCAR for {', '.join(flagged)} (presence predictable from the always-observed variables)"
                    if flagged else "no evidence against MCAR")
        if unclear:
            evidence += f"; too few to tell for {', '.join(unclear)}"
        lines.append(f"{key}: {row['n_groups']} combination groups (effective {row['effective_n_groups']:.1f}), "
                     f"{row['complete_share']:.1%} complete, {row['n_tail_groups']} tail groups hold {row['tail_share']:.1%}; {evidence}.")
    return lines


def markdown(summary: dict) -> list[str]:
    header = ["dataset / scenario", "groups", "effective groups", "complete", "tail groups", "tail share"]
    cells = [[key, row["n_groups"], fmt_number(row["effective_n_groups"], 1), fmt_percent(row["complete_share"]),
              row["n_tail_groups"], fmt_percent(row["tail_share"])] for key, row in summary.items()]
    return ["## Audit", ""] + markdown_table(header, cells) + [""]


def report(page, summary: dict, cells: list[dict]) -> None:
    page.heading("1. What is missing, and how")
    for (dataset, scenario), (cell, *_) in by_setting(cells).items():
        row = summary[f"{dataset}/{scenario}"]
        page.heading(f"{dataset} — {scenario}", level=3)
        page.paragraph(f"{row['n_samples']} samples, {row['n_groups']} combination groups (effective {row['effective_n_groups']:.1f}), "
                       f"{row['complete_share']:.1%} complete; {row['n_tail_groups']} tail groups hold {row['tail_share']:.1%} of samples.")
        spec = cell["spec"]
        prepared = prepare(spec["dataset"], spec["scenario"], spec["seed"])
        page.figure(upset_figure(prepared.data, max_groups=30, head_coverage=row["head_coverage"]),
                    f"Combination groups of {dataset} under {scenario}")
        if row.get("kaplan_meier"):
            page.figure(kaplan_meier_figure(row["kaplan_meier"], f"{dataset} under {scenario}: survival by combination group"),
                        f"Kaplan–Meier curves overall and in the largest combination groups, {dataset} under {scenario}")
        if row.get("mechanism"):
            if any(r["auroc"] is not None for r in row["mechanism"]):
                page.figure(mechanism_figure(row["mechanism"]), f"Mechanism evidence, {dataset} under {scenario}")
            else:
                page.paragraph("No mechanism chart: no modality's absence could be modelled (each is always or never "
                               "observed, or nothing else is observed to predict it from).", note=True)
            page.table([{"modality": r["name"], "missing rate": fmt_percent(r["missing_rate"]),
                         "CV AUROC of absence": fmt_number(r["auroc"]), "95% interval": fmt_interval(r.get("interval")),
                         "verdict": r["verdict"]} for r in row["mechanism"]])
