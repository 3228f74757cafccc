"""One palette for every figure: a variant, a part of the evaluation or a method keeps its colour everywhere.

Colours are the Okabe-Ito set (readable with the common colour-vision deficiencies).

Examples
--------
>>> from missmodal.report.palette import VARIANT_COLOURS, method_colours
>>> VARIANT_COLOURS["corrected"]
'#0072B2'
>>> method_colours(["late+erm", "remind+group-dro"])["remind+group-dro"]
'#56B4E9'
"""

from __future__ import annotations

from typing import Sequence

#: Informativeness estimates: complete cases, IPW-corrected, doubly robust available-case, full data.
VARIANT_COLOURS = {"naive": "#D55E00", "corrected": "#0072B2", "dr": "#009E73", "oracle": "#555555"}

#: Human names of the variants, for legends.
VARIANT_LABELS = {"naive": "naive (complete cases)", "corrected": "corrected (IPW)", "dr": "doubly robust (available cases)",
                  "oracle": "oracle (full data)"}

#: Parts of a group-stratified evaluation.
PART_COLOURS = {"overall": "#0072B2", "head": "#56B4E9", "tail": "#E69F00", "worst group": "#CC79A7"}

#: A reference that is not a method (majority class, chance, MCAR level).
REFERENCE_COLOUR = "#222222"

#: Head vs tail groups in the group charts.
HEAD_COLOUR, TAIL_COLOUR = "#0072B2", "#9bc4e2"

#: Flagged (evidence against MCAR) vs not flagged.
FLAGGED_COLOUR, UNFLAGGED_COLOUR = "#882255", "#999999"

#: Methods (imputers, models): hues apart from the variant colours, so a method never reads as a variant.
_CYCLE = ("#E69F00", "#56B4E9", "#CC79A7", "#8c564b", "#332288", "#88CCEE", "#999933", "#AA4499", "#44AA99", "#DDCC77")


def method_colours(methods: Sequence[str]) -> dict[str, str]:
    """A colour per method, by its position in ``methods``: pass the full list of a report's methods to every
    figure, so that a method keeps its colour whatever subset a figure shows."""
    return {m: _CYCLE[k % len(_CYCLE)] for k, m in enumerate(dict.fromkeys(methods))}
