"""Readable at any width: the shared text helpers and the printers that use them (issue 10, item 5)."""

import itertools

import numpy as np
import pytest

from missmodal import MultimodalData
from missmodal.audit import audit
from missmodal.bench.sections.common import mean_std, zoom_to_data
from missmodal.cli.evaluate import report_lines
from missmodal.report.html import HtmlReport
from missmodal.report.text import (drop_empty_columns, fmt_estimate, fmt_interval, fmt_number, fmt_stat, group_labels,
                                   markdown_table, text_table, unique_prefixes)

LONG = ["laboratory_results_first_panel", "laboratory_results_second_panel", "imaging"]


def long_named_data() -> MultimodalData:
    """Three modalities whose names share a 28-character prefix; every one of the 7 groups occurs."""
    combos = [c for k in (1, 2, 3) for c in itertools.combinations(range(3), k)]
    observed = np.zeros((len(combos) * 3, 3), dtype=bool)
    for i, combo in enumerate(combos * 3):
        observed[i, list(combo)] = True
    rng = np.random.default_rng(0)
    arrays = {name: np.where(observed[:, [m]], rng.normal(size=(len(observed), 2)), np.nan).astype(np.float32)
              for m, name in enumerate(LONG)}
    return MultimodalData(arrays, observed=observed, target=np.arange(len(observed)) % 2)


def test_mean_std_is_the_sample_sd_over_seeds():
    assert mean_std([1.0, 2.0, 3.0]) == {"mean": 2.0, "std": 1.0, "n": 3}  # ddof=1: sqrt(2/2)
    assert mean_std([0.5, None]) == {"mean": 0.5, "std": None, "n": 1}
    assert mean_std([None]) == {"mean": None, "std": None, "n": 0}


def test_numbers_and_intervals_are_rounded():
    assert fmt_number(0.30956341953870103) == "0.310"
    assert fmt_number(None) == fmt_number(float("nan")) == "–"
    assert fmt_interval([0.27912345, 0.4109876]) == "[0.279, 0.411]"
    assert fmt_estimate(0.3341, [0.279, 0.411]) == "0.334 [0.279, 0.411]"


def test_a_statistic_over_fewer_seeds_says_how_many():
    assert fmt_stat({"mean": 0.95, "std": 0.05, "n": 2}, of=3) == "0.950 ± 0.050 (n = 2)"
    assert fmt_stat({"mean": 0.95, "std": 0.05, "n": 3}, of=3) == "0.950 ± 0.050"
    assert fmt_stat({"mean": 0.9, "std": None, "n": 1}, of=3) == "0.900 (n = 1)"
    assert fmt_stat({"mean": None, "std": None, "n": 0}) == "–"


def test_modality_codes_never_collide():
    rng = np.random.default_rng(0)
    for _ in range(200):
        names = list({"".join(rng.choice(list("ab_"), size=rng.integers(1, 6))) for _ in range(rng.integers(2, 8))})
        short = unique_prefixes(names)
        assert len(set(short.values())) == len(names)
        assert all(name.startswith(short[name]) for name in names)
        for width in (3, 6):
            groups = ["+".join(c) for k in (1, 2) for c in itertools.combinations(names, k)]
            labels, _ = group_labels(groups, names, max_width=width)
            assert len(set(labels.values())) == len(groups)


def test_long_group_names_are_abbreviated_uniquely_with_a_legend():
    groups = ["+".join(c) for k in (1, 2, 3) for c in itertools.combinations(LONG, k)]
    labels, legend = group_labels(groups, LONG, max_width=20)
    assert len(set(labels.values())) == len(groups)
    assert all(len(label) <= 20 for label in labels.values())
    assert "LRFP = laboratory_results_first_panel" in legend
    labels, legend = group_labels(groups, LONG, max_width=9)
    assert len(set(labels.values())) == len(groups) and labels["+".join(LONG)] == "A+B+C"
    assert group_labels(["a+b"], ["a", "b"]) == ({"a+b": "a+b"}, None)


def test_text_table_aligns_columns_to_the_longest_cell():
    lines = text_table([["a" * 50, 3], ["b", 12345]], ["group", "count"])
    assert len({len(line) for line in lines}) == 1
    assert lines[1].endswith("    3") and lines[2].endswith("12345")
    with pytest.raises(ValueError, match="2 columns"):
        text_table([["only one"]], ["group", "count"])


def test_audit_text_table_keeps_long_group_names_apart_and_aligned():
    lines = audit(long_named_data(), mechanism=False).summary_lines()
    rows = lines[2:9]  # header line 1, then the 7 groups
    names = [row.split("  ")[0] for row in rows]
    assert len(set(names)) == 7  # the old printer cut them to 40 characters: identical strings
    assert len({row.index("%") for row in rows}) == 1  # the share column is aligned
    assert lines[-1].startswith("modalities: ")


def test_evaluate_text_table_stays_aligned_with_long_group_names():
    group = {"count": 10, "head": True, "seen_in_training": True, "accuracy": 0.5, "f1_macro": 0.4}
    names = ["+".join(LONG), LONG[0], "imaging"]
    report = {"task": "binary", "overall": {"count": 30, "accuracy": 0.5, "f1_macro": 0.4}, "head": {"count": 30},
              "tail": {"count": 0}, "complete": {"count": 10}, "incomplete": {"count": 20}, "worst_group": None,
              "min_group_size": 10, "groups": [dict(group, name=n, modalities=n.split("+")) for n in names]}
    lines = report_lines(report)
    table = lines[lines.index(next(line for line in lines if line.startswith("group"))):][:4]
    assert len({len(line) for line in table}) == 1
    assert len({line.split("  ")[0] for line in table[1:]}) == 3


def test_markdown_and_html_never_print_none_or_long_floats():
    lines = markdown_table(["a", "b"], [[None, 0.123456789]])
    assert "None" not in "\n".join(lines) and "0.123 |" in lines[-1]
    page = HtmlReport("t")
    page.table([{"x": 0.30956341953870103, "ci": [0.1234567, 0.456789], "y": None}])
    html = page.render()
    assert "0.310" in html and "[0.123, 0.457]" in html and "0.3095" not in html and "None" not in html
    page.table([{"missing_rate": 0.5, "gain_bits": 0.1}])
    assert "<th>missing rate</th>" in page.render() and "<th>gain given the rest, bits</th>" in page.render()


def test_empty_columns_are_dropped():
    header, rows = drop_empty_columns(["m", "AUROC", "Brier"], [["a", "0.9", "–"], ["b", "0.8", "–"]])
    assert header == ["m", "AUROC"] and rows == [["a", "0.9"], ["b", "0.8"]]


def test_error_bars_are_not_cut_by_the_axis():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    zoom_to_data(ax, [{"mean": 0.95, "std": 0.1}, {"mean": 0.6, "std": 0.2}], floor=[0.3])
    low, high = ax.get_ylim()
    plt.close(fig)
    assert high >= 1.05 and low <= 0.3


def test_informativeness_text_table_stays_aligned_with_long_subset_names():
    from missmodal.data import load_dataset, simulate_missingness
    from missmodal.informativeness import informativeness_report, summary_lines

    logic = load_dataset("logic", n_samples=400, seed=0)
    names = {"x1": "first_very_long_modality_name", "x2": "second_very_long_modality_name"}
    data = simulate_missingness(MultimodalData({names[k]: v for k, v in logic.modalities.items()}, target=logic.target,
                                               task="binary"), "mcar", rate=0.3, seed=0)
    lines = summary_lines(informativeness_report(data, bootstrap=0, seed=0))
    start = next(i for i, line in enumerate(lines) if line.startswith("subset"))
    table = lines[start:start + 4]  # header and the three subsets
    assert table[-1].startswith("first_very_long_modality_name+second_very_long_modality_name ")
    assert len({len(line) for line in table}) == 1
