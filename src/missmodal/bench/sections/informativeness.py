"""Informativeness section: which modality is worth it, naive (complete cases) vs corrected (IPW), next to
the full-data oracle where the complete data is known (a bundled dataset with simulated missingness)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import InsufficientDataError
from ...informativeness import informativeness_report
from ...informativeness.estimate import SEPARATOR
from ..scenarios import Prepared, dataset_label
from ...report.palette import REFERENCE_COLOUR, VARIANT_COLOURS, VARIANT_LABELS
from ...report.text import fmt_number, human_label, markdown_table
from .common import by_setting, cell_spec, fmt, mean_std, over_seeds

QUANTITIES = ("information_bits", "gain_bits")
SURVIVAL_SKIP = "survival (time-to-event) targets are not supported by informativeness yet"


#: The scenario of the oracle cells: the dataset without simulated gaps.
FULL_DATA = {"name": "full data", "mechanism": "none"}


def cells(config, dataset: Any, scenario: dict, seed: int) -> list[dict]:
    """The estimate on ``scenario``, and the full-data oracle of ``(dataset, seed)``: one cell shared by every
    scenario of that seed (the plan keeps one of identical specs), since it does not depend on the gaps."""
    options = dict(config.informativeness)
    specs = [cell_spec("informativeness", dataset, scenario, seed, options=options)]
    if scenario.get("mechanism", "none") != "none":
        specs.append(cell_spec("informativeness", dataset, FULL_DATA, seed, method="oracle", options=options))
    return specs


def run(spec: dict, prepared: Prepared) -> dict:
    """Naive, corrected and dr estimates (and the full-data oracle); with too few complete cases for naive and
    corrected (e.g. 6 modalities each missing at 50%: ~1.6% complete) the dr estimates on each subset's own
    samples, the rest named in ``refused``; ``{"skipped": reason}`` only when nothing can be estimated."""
    if prepared.data.task == "survival":
        return {"skipped": SURVIVAL_SKIP}
    options = {"interval": "fixed", **spec["options"]}  # the bench is an overview: refitted intervals cost one fit per resample
    if spec.get("method") == "oracle":  # the full data (scenario FULL_DATA: no gaps), point estimates only
        return {"oracle": informativeness_report(prepared.data, seed=spec["seed"], **{**options, "bootstrap": 0})}
    try:
        estimate = informativeness_report(prepared.data, seed=spec["seed"], **options)
    except InsufficientDataError as error:
        return {"skipped": str(error)}
    return {"estimate": estimate}


def _oracles(cells: list[dict]) -> dict[tuple[str, int], dict]:
    """The full-data report of each (dataset label, seed), from its oracle cell (or, in a cell cached by an
    older version, from the estimate cell itself)."""
    found = {}
    for cell in cells:
        result, spec = cell.get("result") or {}, cell["spec"]
        if result.get("oracle"):
            found.setdefault((dataset_label(spec["dataset"]), spec["seed"]), result["oracle"])
    return found


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
    rows, oracles = [], _oracles(cells)
    oracle_of = lambda c: oracles.get((dataset_label(c["spec"]["dataset"]), c["spec"]["seed"]))  # noqa: E731
    for (dataset, scenario), group in by_setting(_estimated(cells)).items():
        first = group[0]["result"]["estimate"]
        row = {"dataset": dataset, "scenario": scenario, "seeds": len(group),
               "correction": first.get("correction"), "warnings": first.get("warnings"), "diagnostics": first.get("diagnostics"),
               "ranking": first.get("ranking"), "refused": first.get("refused") or {}, "quantities": {}, "rmse_to_oracle": {}}
        for quantity in QUANTITIES:
            keys = list(dict.fromkeys(k for v in ("naive", "corrected", "dr") for k in _values(first, v, quantity)))
            table = {}
            for key in keys:
                table[key] = {
                    estimate: mean_std(_values(c["result"]["estimate"], estimate, quantity).get(key) for c in group)
                    for estimate in ("naive", "corrected", "dr")
                }
                table[key]["oracle"] = mean_std(_values(oracle_of(c), "naive", quantity).get(key) for c in group)
            row["quantities"][quantity] = table
            for estimate in ("naive", "corrected", "dr"):
                errors = [(_values(c["result"]["estimate"], estimate, quantity).get(k), _values(oracle_of(c), "naive", quantity).get(k))
                          for c in group for k in keys]
                errors = [(a - b) ** 2 for a, b in errors if a is not None and b is not None]
                row["rmse_to_oracle"].setdefault(quantity, {})[estimate] = float(np.sqrt(np.mean(errors))) if errors else None
        rows.append(row)
    return {"rows": rows, "skipped": _skipped(cells)}


#: Estimates a table or chart may show, in this order; one colour each (``report.palette``).
VARIANTS = ("naive", "corrected", "dr", "oracle")


def _shown(table: dict) -> list[str]:
    """The variants of a quantity's table that have at least one value."""
    return [v for v in VARIANTS if any((stats.get(v) or {}).get("mean") is not None for stats in table.values())]


def findings(summary: dict) -> list[str]:
    """Per setting: the modality with the largest gain given the rest, quoted as the table shows it (mean ±
    sd over seeds, of the corrected estimate where the correction applied and complete cases allowed it, else
    dr, else naive); where no gain could be estimated, the best modality alone; and how close each estimate
    comes to the full-data oracle."""
    lines = []
    for row in summary["rows"]:
        applied = (row.get("correction") or {}).get("status") == "applied"
        table = row["quantities"].get("gain_bits", {})
        # the corrected estimate where the correction applied and complete cases allowed it, else dr (available
        # cases: each subset on its own samples), else naive
        order = ("corrected", "dr", "naive") if applied else ("naive", "dr")
        text = f"{row['dataset']}/{row['scenario']}: "
        estimate, top = _top(table, order)
        if top is not None:
            text += f"largest gain given the rest ({estimate}): {top} {fmt(table[top][estimate], of=row['seeds'])} bits"
        else:  # leave-one-out sets too rarely observed for a gain: the best modality alone
            alone = {k: v for k, v in row["quantities"].get("information_bits", {}).items() if SEPARATOR not in k}
            estimate, top = _top(alone, order)
            text += "no gain given the rest estimated (too few samples with the other modalities)"
            if top is not None:
                text += f"; most informative alone ({estimate}): {top} {fmt(alone[top][estimate], of=row['seeds'])} bits"
        rmse = _rmse_line(row)
        if rmse:
            text += f"; {rmse}"
        if not applied:
            text += f" (correction {(row.get('correction') or {}).get('status', 'not applied')})"
        lines.append(text + ".")
    lines += [f"{setting}: informativeness not estimated, "
              f"{reason if reason.startswith(SURVIVAL_SKIP) else 'too few complete cases'} (seeds {', '.join(map(str, seeds))})."
              for setting, (seeds, reason) in _not_estimated(summary).items()]
    return lines


def _top(table: dict, order: tuple[str, ...]) -> tuple[str, str | None]:
    """The first estimate in ``order`` with a value in ``table`` (key -> estimate -> mean/sd), and the key of
    its largest mean (None when no estimate has one)."""
    for estimate in order:
        values = {key: stats[estimate]["mean"] for key, stats in table.items() if stats[estimate]["mean"] is not None}
        if values:
            return estimate, max(values, key=values.get)
    return order[0], None


def _not_estimated(summary: dict) -> dict[str, tuple[list[int], str]]:
    """Skipped cells by setting: the seeds, and the reason of the first."""
    settings: dict[str, tuple[list[int], str]] = {}
    for skipped in summary.get("skipped", []):
        seeds, _ = settings.setdefault(f"{skipped['dataset']}/{skipped['scenario']}", ([], skipped["reason"]))
        seeds.append(skipped["seed"])
    return settings


def _rmse_line(row: dict) -> str | None:
    """``RMSE to the oracle: ...`` for the estimates that have one; None without an oracle."""
    parts = []
    for quantity, label in (("information_bits", "I(Y; X_S)"), ("gain_bits", "gains")):
        known = {e: v for e, v in row["rmse_to_oracle"].get(quantity, {}).items() if v is not None}
        if known:
            parts.append(f"{label} " + ", ".join(f"{e} {fmt_number(v)}" for e, v in known.items()))
    return f"RMSE to the full-data oracle (bits): {'; '.join(parts)}" if parts else None


def refused_lines(row: dict) -> list[str]:
    """``not estimated (variant): subsets: reason``, one line per variant and reason (first seed)."""
    lines = []
    for variant, reasons in (row.get("refused") or {}).items():
        for reason in dict.fromkeys(reasons.values()):
            lines.append(f"not estimated ({variant}): {', '.join(n for n, r in reasons.items() if r == reason)}: {reason}")
    return lines


def gain_table(row: dict) -> tuple[list[str], list[list[str]]]:
    """Header and cells of the gain table (mean ± sd over seeds), with the variants that have values."""
    table = row["quantities"].get("gain_bits", {})
    shown = _shown(table)
    cells = [[key] + [fmt(stats[v], of=row["seeds"]) for v in shown] for key, stats in table.items()]
    return ["modality"] + [f"gain {v}" for v in shown], cells


def markdown(summary: dict) -> list[str]:
    lines = ["## Informativeness (bits; naive = complete cases, corrected = IPW, oracle = full data; mean ± sd over seeds)", ""]
    for row in summary["rows"]:
        lines += [f"### {row['dataset']}/{row['scenario']}", ""]
        rmse = _rmse_line(row)
        lines += [rmse, ""] if rmse else []
        lines += [f"- {line}" for line in refused_lines(row)] + ([""] if row.get("refused") else [])
        header, cells = gain_table(row)
        lines += markdown_table(header, cells) + [""]
    lines += [f"- skipped {s['dataset']}/{s['scenario']} seed {s['seed']}: {s['reason']}" for s in summary.get("skipped", [])]
    return lines + [""] if summary.get("skipped") else lines


def figure(row: dict, quantity: str):
    """Bars of each variant's estimate per subset/modality (error bars: sd over seeds), one colour per
    variant; None when no variant has a value."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = row["quantities"].get(quantity, {})
    keys, shown = list(table), _shown(table)
    if not keys or not shown:
        return None
    fig, ax = plt.subplots(figsize=(max(6, 0.5 * len(keys) * len(shown) + 3), 3.6))
    width = 0.8 / len(shown)
    x = np.arange(len(keys))
    for k, variant in enumerate(shown):
        stats = [table[key][variant] for key in keys]
        ax.bar(x + (k - (len(shown) - 1) / 2) * width, [s["mean"] if s["mean"] is not None else np.nan for s in stats], width,
               yerr=[s["std"] or 0 for s in stats], label=VARIANT_LABELS[variant], color=VARIANT_COLOURS[variant], capsize=2)
    ax.axhline(0, color=REFERENCE_COLOUR, lw=0.8)
    ax.set_xticks(x)
    ax.set_xticklabels(keys, rotation=30 if len(keys) > 6 else 0, ha="right" if len(keys) > 6 else "center", fontsize=8)
    ax.set_ylabel(human_label(quantity))
    ax.set_title(f"{row['dataset']}/{row['scenario']}: {human_label(quantity)} ({over_seeds(row['seeds'])})", fontsize=9)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
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
        rmse = _rmse_line(row)
        if rmse:
            page.paragraph(rmse + ".")
        for line in refused_lines(row):
            page.paragraph(line, note=True)
        gains = figure(row, "gain_bits")
        if gains is not None:
            page.figure(gains, f"Gain of each modality given the rest, {over_seeds(row['seeds'])} (the table below)")
        else:
            page.paragraph("No gain chart: no modality has a gain estimate in this setting.", note=True)
        header, table = gain_table(row)
        page.table([dict(zip(header, cells_row)) for cells_row in table])
        seed = group[0]["spec"]["seed"]
        page.figure(informativeness_figure(group[0]["result"]["estimate"]),
                    f"One seed only (seed {seed}): naive vs corrected with 95% bootstrap intervals")
