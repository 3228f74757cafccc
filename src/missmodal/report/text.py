"""Text formatting shared by every printer (terminal tables, results.md, HTML cells, figure labels).

One place decides how a number, an interval, a mean ± sd over seeds, a group name and a table look, so
the CLI, the Markdown and the HTML report print the same value the same way.

Examples
--------
>>> from missmodal.report.text import fmt_number, fmt_interval, fmt_stat, text_table, group_labels
>>> fmt_number(0.123456), fmt_interval([0.1, 0.25])
('0.123', '[0.100, 0.250]')
>>> fmt_stat({"mean": 0.95, "std": 0.05, "n": 2}, of=3)
'0.950 ± 0.050 (n = 2)'
>>> text_table([["a+b", "3"]], ["group", "count"], align="<>")
['group  count', 'a+b        3']
>>> group_labels(["fourier+zernike"], ["fourier", "zernike"], max_width=8)
({'fourier+zernike': 'f+z'}, 'f = fourier, z = zernike')
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Sequence

MISSING = "–"

#: Human labels for the variable names that reach a table header, an axis or a legend.
LABELS = {
    "accuracy": "accuracy", "balanced_accuracy": "balanced accuracy", "brier": "Brier score", "auroc": "AUROC",
    "auprc": "AUPRC", "auroc_std": "AUROC sd (folds)", "f1_micro": "F1-micro", "f1_macro": "F1-macro",
    "cross_entropy": "cross-entropy", "information_bits": "I(Y; X_S), bits", "gain_bits": "gain given the rest, bits",
    "missing_rate": "missing rate", "name": "name", "verdict": "verdict", "mse": "MSE", "r2": "R²",
    "head_accuracy": "head accuracy", "tail_accuracy": "tail accuracy", "worst_group_accuracy": "worst-group accuracy",
    "all_combinations": "all combinations", "test": "test split", "reconstruction_error": "reconstruction error (σ units)",
    "cumulative_share": "cumulative share", "share": "share", "count": "count", "tail": "tail",
    "c_harrell": "C-index (Harrell)", "c_uno": "C-index (Uno)", "ibs": "integrated Brier", "events": "events",
    "head_c_harrell": "head C-index", "tail_c_harrell": "tail C-index", "worst_group_c_harrell": "worst-group C-index",
    "effective_sample_size": "effective sample size", "propensity_auroc": "propensity AUROC", "share_clipped": "share clipped",
}


def human_label(key: str) -> str:
    """A reader's label for a variable name (``gain_bits`` -> ``gain given the rest, bits``)."""
    return LABELS.get(key, key.replace("_", " "))


def fmt_number(value: Any, digits: int = 3) -> str:
    """A float rounded to ``digits`` decimals (``–`` for None or NaN); ints and text unchanged."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return MISSING
        return f"{value:.{digits}f}"
    return str(value)


def fmt_interval(interval: Sequence[float] | None, digits: int = 3) -> str:
    """``[low, high]`` rounded, or ``–``."""
    if not interval or any(v is None for v in interval):
        return MISSING
    low, high = interval
    return f"[{fmt_number(float(low), digits)}, {fmt_number(float(high), digits)}]"


def fmt_estimate(value: float | None, interval: Sequence[float] | None = None, digits: int = 3) -> str:
    """``0.312 [0.280, 0.350]``: an estimate and, when known, its interval."""
    text = fmt_number(value, digits)
    return text if value is None or not interval else f"{text} {fmt_interval(interval, digits)}"


def fmt_stat(stat: dict | None, digits: int = 3, of: int | None = None) -> str:
    """Mean ± sd over seeds, ``0.912 ± 0.004``; ``(n = k)`` is added when the statistic rests on fewer
    values ``k`` than the ``of`` seeds of the rest of the table, or on a single value of several."""
    if not stat or stat.get("mean") is None:
        return MISSING
    n = stat.get("n", 1)
    text = fmt_number(float(stat["mean"]), digits)
    if n > 1 and stat.get("std") is not None:
        text += f" ± {fmt_number(float(stat['std']), digits)}"
    if of is not None and n < of:
        text += f" (n = {n})"
    return text


def fmt_percent(value: float | None, digits: int = 1) -> str:
    """``0.265`` -> ``26.5%`` (``–`` for None)."""
    return MISSING if value is None else f"{100 * value:.{digits}f}%"


def text_table(rows: Iterable[Sequence[Any]], header: Sequence[str], align: str | None = None, gap: int = 2) -> list[str]:
    """Lines of a plain-text table whose columns are as wide as their longest cell, so long names never
    push a row out of line. ``align`` has one character per column, ``<`` (left) or ``>`` (right);
    the default is the first column left, the rest right. Cells are printed with :func:`fmt_number`."""
    cells = [[fmt_number(value) for value in row] for row in rows]
    align = align or "<" + ">" * (len(header) - 1)
    if len(align) != len(header) or any(len(row) != len(header) for row in cells):
        raise ValueError(f"text_table: {len(header)} columns in the header, align {align!r}, rows of "
                         f"{sorted({len(row) for row in cells})} cells")
    widths = [max([len(h)] + [len(row[j]) for row in cells]) for j, h in enumerate(header)]
    space = " " * gap

    def line(values: Sequence[str]) -> str:
        return space.join(f"{v:{a}{w}}" for v, a, w in zip(values, align, widths)).rstrip()

    return [line(list(header))] + [line(row) for row in cells]


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    """Lines of a Markdown table; cells are printed with :func:`fmt_number` (never ``None``)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(fmt_number(v) for v in row) + " |" for row in rows]


def drop_empty_columns(header: Sequence[str], rows: Sequence[Sequence[str]], keep: int = 1) -> tuple[list[str], list[list[str]]]:
    """The table without the columns (after the first ``keep``) in which no row has a value (all ``–``),
    so that a metric nothing computed does not fill a column with dashes."""
    kept = [j for j in range(len(header)) if j < keep or any(row[j] != MISSING for row in rows)]
    return [header[j] for j in kept], [[row[j] for j in kept] for row in rows]


def unique_prefixes(names: Sequence[str]) -> dict[str, str]:
    """Each name's shortest prefix that no other name starts with (the full name when none is shorter).

    The map is one-to-one: two names never get the same abbreviation."""
    prefixes = {}
    for name in names:
        others = [other for other in names if other != name]
        prefixes[name] = next((name[:k] for k in range(1, len(name)) if not any(o.startswith(name[:k]) for o in others)), name)
    return prefixes


def _initials(names: Sequence[str]) -> dict[str, str]:
    """Word initials (``laboratory_results`` -> ``LR``), a number appended where two would collide."""
    codes = {n: "".join(w[0] for w in n.replace("-", "_").replace(" ", "_").split("_") if w).upper() or n for n in names}
    seen: dict[str, int] = {}
    for name in names:
        seen[codes[name]] = seen.get(codes[name], 0) + 1
    clashing = {code for code, count in seen.items() if count > 1}
    counters: dict[str, int] = {}
    for name in names:
        if codes[name] in clashing:
            counters[codes[name]] = counters.get(codes[name], 0) + 1
            codes[name] = f"{codes[name]}{counters[codes[name]]}"
    return codes


def _letters(names: Sequence[str]) -> dict[str, str]:
    """``A``, ``B``, ..., ``Z``, ``AA``, ... by position: the shortest codes there are."""
    def code(k: int) -> str:
        return code(k // 26 - 1) + chr(65 + k % 26) if k >= 26 else chr(65 + k)

    return {name: code(k) for k, name in enumerate(names)}


def group_labels(groups: Sequence[str], modality_names: Sequence[str], max_width: int = 32,
                 separator: str = "+") -> tuple[dict[str, str], str | None]:
    """Labels for combination-group names that fit in ``max_width`` characters without ever cutting two
    groups into the same string.

    When every name fits, names are kept and the legend is None. Otherwise each modality gets a short
    code, the first of these that makes every label fit: its shortest unique prefix (``fourier+zernike``
    -> ``f+z``), its word initials (``laboratory_results`` -> ``LR``), or a letter by position; the legend
    (``f = fourier, ...``) says how to read them. Codes are distinct, so a set of modalities still maps
    to exactly one label.
    """
    if all(len(g) <= max_width for g in groups):
        return {g: g for g in groups}, None
    names = list(modality_names)
    for coding in (unique_prefixes, _initials, _letters):
        short = coding(names)
        labels = {g: separator.join(short.get(m, m) for m in g.split(separator)) for g in groups}
        if len(set(short.values())) == len(short) and all(len(label) <= max_width for label in labels.values()):
            break
    used = [m for m in names if any(m in g.split(separator) for g in groups)]
    legend = ", ".join(f"{short[m]} = {m}" for m in used if short[m] != m) or None
    return labels, legend
