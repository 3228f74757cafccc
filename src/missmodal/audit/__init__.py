"""What is missing and how: group tables, long-tail statistics, mechanism evidence, plots."""

from ..informativeness.predictability import VERDICTS
from ..informativeness.predictability import mechanism_table as mechanism_evidence
from .blocks import missingness_blocks
from .little import little_mcar, little_mcar_test
from .plots import mechanism_figure, missingness_matrix_figure, upset_figure
from .report import Audit, audit, audit_html
from .tables import co_missingness, effective_number_of_groups, group_table, modality_table

__all__ = ["Audit", "VERDICTS", "audit", "audit_html", "co_missingness", "effective_number_of_groups", "group_table",
           "little_mcar", "little_mcar_test", "mechanism_evidence", "missingness_blocks", "mechanism_figure", "missingness_matrix_figure", "modality_table", "upset_figure"]
