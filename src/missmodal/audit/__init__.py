"""What is missing and how: group tables, long-tail statistics, mechanism evidence, plots."""

from .mechanism import mechanism_evidence
from .plots import mechanism_figure, missingness_matrix_figure, upset_figure
from .report import Audit, audit, audit_html
from .tables import co_missingness, effective_number_of_groups, group_table, modality_table

__all__ = ["Audit", "audit", "audit_html", "co_missingness", "effective_number_of_groups", "group_table",
           "mechanism_evidence", "mechanism_figure", "missingness_matrix_figure", "modality_table", "upset_figure"]
