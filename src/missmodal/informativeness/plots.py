"""Presenting an informativeness report: a text table, a naive-vs-corrected figure, an HTML page.

All three take the dict of :func:`~missmodal.informativeness.informativeness_report` (or the JSON the CLI
writes), so they can be drawn again from saved results.
"""

from __future__ import annotations

import numpy as np

from ..report.html import HtmlReport
from ..report.palette import REFERENCE_COLOUR, VARIANT_COLOURS, VARIANT_LABELS
from ..report.text import fmt_estimate, group_labels, human_label


def _variants(report: dict) -> list[str]:
    return [v for v in ("naive", "corrected", "dr") if report.get(v) is not None]


def _pid_variants(report: dict) -> list[str]:
    return [v for v in _variants(report) if report[v].get("pid") is not None]


def sensitivity_lines(report: dict) -> list[str]:
    """The sensitivity analysis as text: the tipping point and the top modality per δ."""
    sensitivity = report.get("sensitivity")
    if not sensitivity:
        return []
    if sensitivity.get("note"):
        return [f"sensitivity: {sensitivity['note']}"]
    tipping = sensitivity["tipping_point"]
    lines = [f"sensitivity to MNAR departures: {sensitivity['model']}",
             f"tipping point: {'none within the grid' if tipping is None else f'|delta| = {tipping:.3f}'} "
             f"(top at MAR: {sensitivity['top_at_mar']}"
             + (f", then {sensitivity['top_after']} ({sensitivity['direction']} delta))" if tipping is not None else ")")]
    for row in sensitivity["grid"]:
        gains = ", ".join(f"{m} {row['gain_bits'][m]:.3f}" for m in row["ranking"])
        lines.append(f"  delta {row['delta']:+.2f}: gains {gains}")
    return lines


def summary_lines(report: dict) -> list[str]:
    """A naive-vs-corrected text table: per subset AUROC and information (bits), gains, PID."""
    variants = _variants(report)
    intervals = report["intervals"]
    lines = [f"correction: {report['correction']['status']} - {report['correction']['message']}"]
    lines += [f"warning: {message}" for message in report.get("warnings", [])]
    diagnostics = report["diagnostics"]
    lines.append(f"complete cases: {diagnostics['n_complete']} of {diagnostics['n_samples']}")
    propensity = diagnostics.get("propensity")
    if propensity:
        auroc = ("propensity AUROC not cross-validated (too few complete or incomplete samples per fold)"
                 if propensity["propensity_auroc"] is None else
                 f"propensity AUROC {fmt_estimate(propensity['propensity_auroc'], propensity['propensity_auroc_interval'])} (cross-validated)")
        verdict = f" ({propensity['complete_verdict']})" if propensity.get("complete_verdict") else ""
        lines.append(f"{auroc}{verdict}, effective sample size {propensity['effective_sample_size']:.0f}, "
                     f"clipped {propensity['share_clipped']:.1%}")
    if diagnostics.get("mechanism"):
        lines.append("mechanism (CV AUROC of each modality being observed from the always-observed variables, as in "
                     "the audit): " + "; ".join(f"{r['name']} {fmt_estimate(r['auroc'], r['interval'])} {r['verdict']}"
                                                for r in diagnostics["mechanism"]))
    with_intervals = bool(intervals["n_bootstrap"])
    lines.append(f"intervals: {intervals['level']:.0%} {intervals['type']} ({intervals['n_bootstrap']} resamples)"
                 if with_intervals else "intervals: none (no bootstrap resamples); plug-in estimates")
    for variant, reasons in (report.get("refused") or {}).items():
        for reason in dict.fromkeys(reasons.values()):
            subsets = [name for name, why in reasons.items() if why == reason]
            lines.append(f"not estimated ({variant}): {', '.join(subsets)}: {reason}")
    ci = " [95% CI]" if with_intervals else ""
    width = max([24] + [len(name) + 2 for name in report["subsets"]])  # the name column fits the longest subset
    header = f"{'subset':<{width}}" + "".join(f"{v + ' AUROC':>17}{v + ' I(Y;X) bits' + ci:>36}" for v in variants)
    lines += ["", header]
    for name in report["subsets"]:
        row = f"{name:<{width}}"
        for v in variants:
            row += f"{fmt_estimate(report[v]['auroc'][name]):>17}"
            row += f"{fmt_estimate(report[v]['information_bits'][name], intervals[v]['information_bits'][name]):>36}"
        lines.append(row)
    if report["ranking"]:
        lines += ["", f"{'gain given the rest':<{width}}" + "".join(f"{v + ' bits' + ci:>36}" for v in variants)]
        crossing = False
        for row in report["ranking"]:
            m = row["modality"]
            cells = []
            for v in variants:
                interval = intervals[v]["gain_bits"][m]
                holds_zero = bool(interval) and interval[0] <= 0 <= interval[1]
                crossing |= holds_zero
                cells.append(f"{fmt_estimate(report[v]['gain_bits'][m], interval) + (' ~0' if holds_zero else ''):>36}")
            lines.append(f"{m:<{width}}" + "".join(cells))
        if crossing:
            lines.append("~0: the interval holds 0, so this gain is not distinguishable from zero")
    if report.get("pair"):
        a, b = report["pair"]
        variants = _pid_variants(report)
        title = f"PID of I(Y; {a}, {b}) ({diagnostics['pid_estimator']})"
        pid_width = max(40, len(title) + 2, len(f"unique {a}") + 2, len(f"unique {b}") + 2)
        lines += ["", f"{title:<{pid_width}}" + "".join(f"{v + ' bits [95% CI]':>36}" for v in variants)]
        terms = [(f"unique {a}", ("unique", a)), (f"unique {b}", ("unique", b)), ("redundancy", ("redundancy",)),
                 ("synergy", ("synergy",)), ("total", ("total",))]
        for label, path in terms:
            cells = []
            for v in variants:
                value, interval = report[v]["pid"], intervals[v]["pid"]
                for key in path:
                    value, interval = value[key], interval[key]
                cells.append(f"{fmt_estimate(value, interval):>36}")
            lines.append(f"{label:<{pid_width}}" + "".join(cells))
    sensitivity = sensitivity_lines(report)
    return lines + ([""] + sensitivity if sensitivity else [])


def _bars(axis, labels: list[str], report: dict, key: str, getter, title: str, variants: list[str]) -> None:
    x = np.arange(len(labels))
    width = 0.8 / len(variants)
    for k, v in enumerate(variants):
        values, bounds = [], []
        for label in labels:
            value, interval = getter(report[v], report["intervals"][v], label)
            values.append(value)
            bounds.append(interval if interval else [value, value])
        values = np.array(values, dtype=float)
        bounds = np.array(bounds, dtype=float)
        errors = np.abs(np.vstack([values - bounds[:, 0], bounds[:, 1] - values]))
        axis.bar(x + (k - (len(variants) - 1) / 2) * width, values, width, yerr=errors, capsize=3,
                 color=VARIANT_COLOURS[v], label=VARIANT_LABELS[v])
    axis.set_xticks(x)
    axis.set_xticklabels(labels, rotation=30, ha="right")
    axis.axhline(0, color=REFERENCE_COLOUR, lw=0.8)
    axis.set_ylabel(human_label(key))
    axis.set_title(title)


def informativeness_figure(report: dict):
    """Naive, corrected and dr bars with 95% intervals: information per subset, gain per modality, PID terms."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("information_bits", report["subsets"], "I(Y; X_S) per subset",
               lambda est, ci, s: (est["information_bits"][s], ci["information_bits"][s]))]
    if report["ranking"]:
        modalities = [row["modality"] for row in report["ranking"]]
        panels.append(("gain_bits", modalities, "gain of each modality given the rest",
                       lambda est, ci, m: (est["gain_bits"][m], ci["gain_bits"][m])))
    if report.get("pair"):
        a, b = report["pair"]
        labels = [f"unique {a}", f"unique {b}", "redundancy", "synergy"]

        def pid_term(est, ci, label):
            if label.startswith("unique "):
                side = label[len("unique "):]
                return est["pid"]["unique"][side], ci["pid"]["unique"][side]
            return est["pid"][label], ci["pid"][label]

        panels.append(("bits", labels, f"PID of I(Y; {a}, {b})", pid_term))
    sizes = [max(3, len(labels)) for _, labels, _, _ in panels]
    fig, axes = plt.subplots(1, len(panels), figsize=(max(5.2 * len(panels), 0.45 * sum(sizes) + 2.5 * len(panels)), 4.2),
                             squeeze=False, gridspec_kw={"width_ratios": sizes})
    for axis, (key, labels, title, getter) in zip(axes[0], panels):
        _bars(axis, labels, report, key, getter, title, _pid_variants(report) if key == "bits" else _variants(report))
    modalities = list(dict.fromkeys(m for name in report["subsets"] for m in name.split("+")))
    short, legend = group_labels(report["subsets"], modalities, max_width=24)
    axes[0][0].set_xticklabels([short[name] for name in report["subsets"]], rotation=30, ha="right")
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=len(names), frameon=False, bbox_to_anchor=(0.5, -0.02))
    if legend:
        fig.text(0.01, -0.06, f"subsets: {legend}", fontsize=8)
    fig.suptitle("naive (complete cases), corrected (IPW) and dr (available cases), 95% bootstrap intervals" if "corrected" in _variants(report)
                 else "naive only: the correction cannot apply (95% bootstrap intervals)")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def informativeness_html(report: dict, title: str = "missmodal informativeness") -> HtmlReport:
    """A self-contained HTML page: correction status, diagnostics, the figure and the tables."""
    page = HtmlReport(title)
    page.paragraph(f"Correction: {report['correction']['status']}. {report['correction']['message']}.",
                   note=report["correction"]["status"] != "applied" or bool(report["correction"].get("warning")))
    for message in report.get("warnings", []):
        page.paragraph(f"Warning: {message}", note=True)
    page.paragraph(f"Intervals: {report['intervals']['level']:.0%} {report['intervals']['type']} "
                   f"({report['intervals']['n_bootstrap']} resamples).")
    page.figure(informativeness_figure(report), "naive, corrected and dr estimates with 95% bootstrap intervals")
    variants = _variants(report)
    page.heading("Predictive informativeness per subset")
    rows = []
    for name in report["subsets"]:
        row = {"subset": name}
        for v in variants:
            for metric in ("auroc", "auprc", "accuracy", "cross_entropy", "information_bits"):
                row[f"{v} {human_label(metric)}"] = report[v][metric][name]
        rows.append(row)
    page.table(rows)
    if report["ranking"]:
        page.heading("Ranking by gain given the other modalities (bits)")
        page.table([{"rank": r["rank"], "modality": r["modality"], "gain": r["gain_bits"], "95% CI": r["interval"],
                     **{f"{v} {k}": r.get(f"{v}_{key}") for v in ("naive", "dr") for k, key in (("gain", "gain_bits"), ("95% CI", "interval"))}}
                    for r in report["ranking"]])
    if report.get("pair"):
        a, b = report["pair"]
        page.heading(f"Partial information decomposition of I(Y; {a}, {b}) (bits)")
        page.table([{"estimate": v, f"unique {a}": report[v]["pid"]["unique"][a], f"unique {b}": report[v]["pid"]["unique"][b],
                     "redundancy": report[v]["pid"]["redundancy"], "synergy": report[v]["pid"]["synergy"],
                     "total": report[v]["pid"]["total"]} for v in _pid_variants(report)])
    propensity = report["diagnostics"].get("propensity")
    if propensity:
        page.heading("Propensity and weight diagnostics")
        page.table([{k: v for k, v in propensity.items() if k != "weight_quantiles"}])
        page.table([propensity["weight_quantiles"]])
    if report.get("sensitivity"):
        page.heading("Sensitivity to departures from MAR")
        page.code("\n".join(sensitivity_lines(report)))
    return page
