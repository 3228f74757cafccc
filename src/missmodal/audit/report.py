"""The audit as one object: tables, mechanism evidence, JSON and a self-contained HTML page."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..data.multimodal import MultimodalData
from ..report.text import fmt_estimate, fmt_percent, group_labels, text_table
from ..informativeness.predictability import DETECTABLE_AUROC, mechanism_table
from .blocks import BLOCK_PHI as BLOCK_CUT, block_line, missingness_blocks
from .little import little_mcar
from .tables import co_missingness, effective_number_of_groups, group_table, modality_table


@dataclass
class Audit:
    """What is missing and how. Build with :func:`audit`."""

    n_samples: int
    modalities: list[dict]
    groups: list[dict]
    n_groups: int
    effective_n_groups: float
    complete_share: float
    co_missingness: dict
    blocks: list[dict]
    mechanism: list[dict] | None
    little_mcar: dict | None
    head_coverage: float
    metadata: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "n_samples": self.n_samples, "n_modalities": len(self.modalities), "modalities": self.modalities,
            "n_groups": self.n_groups, "effective_n_groups": self.effective_n_groups,
            "complete_share": self.complete_share, "head_coverage": self.head_coverage,
            "n_tail_groups": sum(g["tail"] for g in self.groups),
            "tail_share": sum(g["share"] for g in self.groups if g["tail"]),
            "groups": self.groups, "co_missingness": self.co_missingness, "blocks": self.blocks,
            "mechanism": self.mechanism, "little_mcar": self.little_mcar,
            "missingness_metadata": self.metadata.get("missingness"),
            "partial_blocks": self.partial_blocks(),
        }

    def partial_blocks(self) -> dict | None:
        """The partial-block rule a flat table was read with and the rows it moved (None for other data)."""
        schema, report = self.metadata.get("schema") or {}, self.metadata.get("schema_report") or {}
        if "partial_rows" not in report:
            return None
        return {"policy": schema.get("partial", "observed"), "min_share": report.get("partial_min_share"),
                "partial_rows": report["partial_rows"], "moved_rows": report.get("moved_rows", {})}

    def modality_lines(self) -> list[str]:
        """Per modality the shares of rows fully, partly and not observed (field level), the partial-block rule
        and the field-level missing rates."""
        lines = ["modalities (field level: rows with every, some or no field present; 'missing' counts blocks):"]
        table = [[m["name"], m["dim"], fmt_percent(m["missing_rate"]), fmt_percent(m["fully_observed"]),
                  fmt_percent(m["partly_observed"]), fmt_percent(m["not_observed"])] for m in self.modalities]
        lines += [f"  {line}" for line in text_table(table, ["modality", "fields", "missing", "fully", "partly", "none"],
                                                     align="<>>>>>")]
        return lines + self.field_lines()

    def field_lines(self) -> list[str]:
        """The partial-block rule with the rows it moved, and the field-level missing rates."""
        lines = []
        rule = self.partial_blocks()
        if rule and rule["policy"] != "error":
            moved = {m: k for m, k in rule["moved_rows"].items() if k}
            text = (f"a block counts as observed when at least {rule['min_share']:.0%} of its fields are present"
                    if rule["policy"] == "observed" else "a block counts as observed only when all its fields are present")
            lines.append(f"partial-block rule: {text}; rows with some fields present counted missing: "
                         + (", ".join(f"{m} {k}" for m, k in moved.items()) or "none"))
        for m in self.modalities:
            if m.get("field_missing_rates"):
                rates = ", ".join(f"{f} {fmt_percent(r)}" for f, r in m["field_missing_rates"].items())
                lines.append(f"field missing rates, {m['name']}: {rates}")
        return lines

    def summary_lines(self, max_groups: int = 20) -> list[str]:
        """A plain-text group table for the terminal."""
        lines = [f"{self.n_samples} samples, {len(self.modalities)} modalities, {self.n_groups} groups "
                 f"(effective {self.effective_n_groups:.1f}), {self.complete_share:.1%} complete"]
        shown = self.groups[:max_groups]
        labels, legend = group_labels([g["name"] for g in shown], [m["name"] for m in self.modalities])
        lines += text_table([[labels[g["name"]], g["count"], fmt_percent(g["share"]), fmt_percent(g["cumulative_share"]),
                              "yes" if g["tail"] else ""] for g in shown], ["group", "count", "share", "cum", "tail"], align="<>>><")
        if legend:
            lines.append(f"modalities: {legend}")
        if len(self.groups) > max_groups:
            lines.append(f"... {len(self.groups) - max_groups} more groups")
        return lines

    def evidence_lines(self) -> list[str]:
        """Blocks, the per-modality mechanism verdicts and Little's test, as plain text."""
        lines = [block_line(block) for block in self.blocks]
        if not self.blocks:
            lines.append("blocks: no fields of two modalities go missing together (average-linkage phi below "
                         f"{BLOCK_CUT:.2f})")
        if self.mechanism:
            given = self.mechanism[0]["conditioning"]
            lines.append("mechanism evidence (CV AUROC of predicting whether each modality is observed from the variables "
                         f"observed in every row: {', '.join(given) or 'none'}; 0.5 under MCAR; power at AUROC "
                         f"{DETECTABLE_AUROC}):")
            table = [[row["name"], fmt_percent(row["missing_rate"]), row["n_missing"], fmt_estimate(row["auroc"], row["interval"]),
                      "-" if row["power"] is None else f"{row['power']:.2f}", row["verdict"]] for row in self.mechanism]
            lines += [f"  {line}" for line in text_table(table, ["modality", "missing", "rows", "AUROC [95% CI]", "power",
                                                                 "verdict"], align="<>>>><")]
        if self.little_mcar:
            test = self.little_mcar
            p_value = "-" if test["p_value"] is None else f"{test['p_value']:.3g}"
            effect = "-" if test["effect_size"] is None else f"{test['effect_size']:.3f}"
            lines.append(f"Little's MCAR test: chi2 {test['statistic']:.1f}, df {test['df']}, p {p_value}, effect size {effect}")
        return lines


def audit(data: MultimodalData, head_coverage: float = 0.8, mechanism: bool = True, seed: int = 0,
          classifier: str = "logistic") -> Audit:
    """Audit the missingness of ``data``.

    ``mechanism=False`` skips the mechanism models and Little's test; ``classifier`` ("logistic" or
    "boosting") is the mechanism evidence's model
    (:func:`~missmodal.informativeness.predictability.mechanism_table`, the same diagnostic informativeness
    reports).

    Examples
    --------
    >>> from missmodal.data import load_dataset, simulate_missingness
    >>> from missmodal.audit import audit
    >>> result = audit(simulate_missingness(load_dataset("mfeat"), "mcar", rate=0.5, seed=0), mechanism=False)
    >>> result.n_groups
    63
    """
    groups = group_table(data, head_coverage)
    blocks = missingness_blocks(data)
    tested = mechanism and not data.observed.all()
    return Audit(
        n_samples=data.n_samples, modalities=modality_table(data), groups=groups, n_groups=len(groups),
        effective_n_groups=effective_number_of_groups(data.group_counts()),
        complete_share=float(data.is_complete().mean()), co_missingness=co_missingness(data), blocks=blocks,
        mechanism=mechanism_table(data, method=classifier, seed=seed) if mechanism else None,
        little_mcar=little_mcar(data, seed=seed) if tested else None, head_coverage=head_coverage,
        metadata=data.metadata,
    )


def audit_html(data: MultimodalData, result: Audit, title: str = "missmodal audit"):
    """An :class:`~missmodal.report.HtmlReport` of the audit with its figures embedded."""
    from ..report import HtmlReport
    from .plots import mechanism_figure, missingness_matrix_figure, upset_figure

    page = HtmlReport(title)
    summary = result.to_dict()
    page.paragraph(f"{result.n_samples} samples, {len(result.modalities)} modalities, {result.n_groups} combination groups "
                   f"(effective number {result.effective_n_groups:.1f}); {result.complete_share:.1%} of samples are complete; "
                   f"{summary['n_tail_groups']} tail groups hold {summary['tail_share']:.1%} of the samples.")
    page.heading("Combination groups")
    page.figure(upset_figure(data, head_coverage=result.head_coverage), "UpSet-style chart of the combination groups")
    page.table([{k: g[k] for k in ("name", "count", "share", "cumulative_share", "tail")} for g in result.groups])
    page.heading("Modalities")
    page.table([{k: v for k, v in m.items() if k != "field_missing_rates"} for m in result.modalities])
    for line in result.field_lines():
        page.paragraph(line)
    page.figure(missingness_matrix_figure(data), "Missingness matrix")
    page.heading("Blocks: modalities that go missing together")
    if result.blocks:
        for block in result.blocks:
            page.paragraph(block_line(block))
    else:
        page.paragraph(f"No fields of two modalities go missing together (average-linkage phi of the field missing "
                       f"indicators below {BLOCK_CUT:.2f}).")
    if result.mechanism is not None:
        page.heading("Missingness mechanism evidence")
        page.paragraph("Cross-validated AUROC of predicting whether each modality is observed from the variables observed "
                       "in every row (covariates and always-recorded fields): about 0.5 under MCAR, higher when missingness "
                       "depends on them. 'too few to tell' when the power to detect an AUROC of 0.6 was below 0.8. MNAR "
                       "cannot be detected from the data.")
        page.figure(mechanism_figure(result.mechanism), "Mechanism evidence per modality")
        page.table([{k: v for k, v in row.items() if k not in ("fold_aurocs", "conditioning")} for row in result.mechanism])
    if result.little_mcar is not None:
        page.heading("Little's MCAR test")
        page.table([{k: v for k, v in result.little_mcar.items() if k not in ("variables", "note")}])
        page.paragraph(result.little_mcar["note"])
    if data.metadata.get("missingness"):
        page.heading("Simulated missingness")
        page.code(str(data.metadata["missingness"]))
    return page
