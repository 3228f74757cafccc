"""The audit as one object: tables, mechanism evidence, JSON and a self-contained HTML page."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..data.multimodal import MultimodalData
from ..report.text import fmt_percent, group_labels, text_table
from .mechanism import mechanism_evidence
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
    mechanism: list[dict] | None
    head_coverage: float
    metadata: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "n_samples": self.n_samples, "n_modalities": len(self.modalities), "modalities": self.modalities,
            "n_groups": self.n_groups, "effective_n_groups": self.effective_n_groups,
            "complete_share": self.complete_share, "head_coverage": self.head_coverage,
            "n_tail_groups": sum(g["tail"] for g in self.groups),
            "tail_share": sum(g["share"] for g in self.groups if g["tail"]),
            "groups": self.groups, "co_missingness": self.co_missingness, "mechanism": self.mechanism,
            "missingness_metadata": self.metadata.get("missingness"),
        }

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


def audit(data: MultimodalData, head_coverage: float = 0.8, mechanism: bool = True, seed: int = 0) -> Audit:
    """Audit the missingness of ``data``.

    Examples
    --------
    >>> from missmodal.data import load_dataset, simulate_missingness
    >>> from missmodal.audit import audit
    >>> result = audit(simulate_missingness(load_dataset("mfeat"), "mcar", rate=0.5, seed=0), mechanism=False)
    >>> result.n_groups
    63
    """
    groups = group_table(data, head_coverage)
    return Audit(
        n_samples=data.n_samples, modalities=modality_table(data), groups=groups, n_groups=len(groups),
        effective_n_groups=effective_number_of_groups(data.group_counts()),
        complete_share=float(data.is_complete().mean()), co_missingness=co_missingness(data),
        mechanism=mechanism_evidence(data, seed=seed) if mechanism else None, head_coverage=head_coverage,
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
    page.table(result.modalities)
    page.figure(missingness_matrix_figure(data), "Missingness matrix")
    if result.mechanism is not None:
        page.heading("Missingness mechanism evidence")
        page.paragraph("Cross-validated AUROC of predicting each modality's presence from the other observed modalities "
                       "and covariates: about 0.5 under MCAR, higher when missingness depends on what is observed.")
        page.figure(mechanism_figure(result.mechanism), "Mechanism evidence per modality")
        page.table(result.mechanism)
    if data.metadata.get("missingness"):
        page.heading("Simulated missingness")
        page.code(str(data.metadata["missingness"]))
    return page
