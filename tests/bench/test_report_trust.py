"""A report a reader can trust (issue 10, item 6): one test per defect found in the bench report."""

import re

import numpy as np
import pytest

from missmodal.audit.plots import upset_title
from missmodal.bench import BenchConfig, run_bench, run_grid
from missmodal.bench.sections import imputation, informativeness, models
from missmodal.report.palette import VARIANT_COLOURS, VARIANT_LABELS


@pytest.fixture(scope="module")
def natural_run(tmp_path_factory):
    """A user file with natural MAR missingness (binary target), benchmarked over two seeds."""
    from missmodal.data import load_dataset, simulate_missingness, write_data

    folder = tmp_path_factory.mktemp("natural")
    path = folder / "cohort.parquet"
    data = simulate_missingness(load_dataset("blobs", n_samples=300, seed=0), "mar", rate=0.3, always_observed=["x1"], seed=0)
    write_data(data, path)
    config = BenchConfig(datasets=[{"path": str(path), "target": "target"}], seeds=[0, 1], imputers=["mean"],
                         models=[{"model": "late", "loss": "erm"}], training={"epochs": 2}, informativeness={"bootstrap": 0})
    results = run_bench(config, folder / "out")
    return results, folder / "out", config


def test_results_md_has_no_none(natural_run):
    results, out, _ = natural_run
    assert "None" not in (out / "results.md").read_text()


def test_header_lists_the_scenarios_that_ran(natural_run):
    results, out, _ = natural_run
    text = (out / "results.md").read_text()
    assert "under natural" in text
    assert "mcar50" not in text  # the config's default scenarios did not run on a natural file


def test_natural_banner_does_not_contradict_the_all_combinations_results(natural_run):
    results, out, _ = natural_run
    row = results["models"]["rows"][0]
    assert row["allcomb_accuracy"]["mean"] is not None  # all-combinations results are in the table ...
    page = (out / "report.html").read_text()
    banner = next(p for p in re.findall(r'<p class="note">(.*?)</p>', page) if "natural missingness" in p)
    assert "skipped" not in banner and "all-combinations evaluation uses only the test samples that have every modality" in banner


def test_binary_tasks_lead_with_auroc(natural_run):
    results, out, _ = natural_run
    (setting, header, cells), = models.table_rows(results["models"])
    assert header[:4] == ["model+loss", "AUROC", "accuracy", "balanced accuracy"]
    assert "best overall AUROC" in results["findings"]["models"][0]
    imputers = imputation.table_rows(results["imputation"])[0][1]
    assert imputers[1] == "downstream AUROC" and "F1-micro" not in " ".join(imputers)


def test_findings_quote_the_tables_mean_and_sd(natural_run):
    results, out, _ = natural_run
    header, cells = informativeness.gain_table(results["informativeness"]["rows"][0])
    column = header.index("gain corrected")
    finding = results["findings"]["informativeness"][0]
    modality = re.search(r"\(corrected\): (\S+) ", finding).group(1)
    cell = next(row[column] for row in cells if row[0] == modality)
    assert "±" in cell and f"{modality} {cell} bits" in finding
    (_, model_header, model_cells), = models.table_rows(results["models"])
    assert f"({model_cells[0][model_header.index('AUROC')]})" in results["findings"]["models"][0]


def test_a_finding_without_complete_cases_quotes_the_available_case_estimate():
    """mfeat/mcar50: nothing always observed, 1.6% complete: no gain, dr informations of single modalities."""
    none, stat = {"mean": None, "std": None, "n": 0}, lambda m: {"mean": m, "std": 0.01, "n": 3}
    information = {m: {"naive": none, "corrected": none, "dr": stat(v), "oracle": stat(v + 0.05)}
                   for m, v in (("fou", 2.5), ("fac", 3.1), ("fou+fac", 2.0))}
    row = {"dataset": "mfeat", "scenario": "mcar50", "seeds": 3, "correction": {"status": "not applicable"},
           "quantities": {"information_bits": information, "gain_bits": {}},
           "rmse_to_oracle": {"information_bits": {"naive": None, "corrected": None, "dr": 0.53}}}
    finding, = informativeness.findings({"rows": [row]})
    assert finding == ("mfeat/mcar50: no gain given the rest estimated (too few samples with the other modalities); "
                       "most informative alone (dr): fac 3.100 ± 0.010 bits; RMSE to the full-data oracle (bits): "
                       "I(Y; X_S) dr 0.530 (correction not applicable).")


def test_a_cell_over_fewer_seeds_than_its_row_says_how_many():
    stat = {"mean": 0.9, "std": 0.1, "n": 3}
    row = {"dataset": "d", "scenario": "s", "method": "late+erm", "seeds": 3, "task": "multiclass",
           **{k: stat for k in ("accuracy", "balanced_accuracy", "f1_macro", "head_accuracy", "tail_accuracy",
                                "allcomb_accuracy", "allcomb_tail_accuracy", "allcomb_worst_group_accuracy", "majority_accuracy")},
           "worst_group_accuracy": {"mean": 0.95, "std": 0.05, "n": 2}}
    (_, header, cells), = models.table_rows({"rows": [row]})
    assert cells[0][header.index("worst-group acc.")] == "0.950 ± 0.050 (n = 2)"
    assert cells[0][header.index("accuracy")] == "0.900 ± 0.100"
    assert "(n = 2)" in models.findings({"rows": [dict(row, allcomb_worst_group_accuracy={"mean": None, "std": None, "n": 0})]})[0]


def test_model_charts_carry_a_majority_class_reference(natural_run):
    import matplotlib.pyplot as plt

    results, out, _ = natural_run
    fig = models.bars_figure(results["models"]["rows"])
    lines = {line.get_label(): line.get_ydata()[0] for ax in fig.axes for line in ax.get_lines()}
    plt.close(fig)
    assert lines["majority class"] == pytest.approx(results["models"]["rows"][0]["majority_accuracy"]["mean"])
    far = dict(results["models"]["rows"][0], majority_accuracy={"mean": 0.01, "std": None, "n": 2})
    fig = models.bars_figure([far])
    labels = [line.get_label() for ax in fig.axes for line in ax.get_lines()]
    low = fig.axes[-1].get_ylim()[0]
    plt.close(fig)
    assert "majority class (0.010, below the axis)" in labels, labels
    assert low > 0.01
    assert models.majority_accuracy(np.array([0, 0, 1]), np.array([0, 1, 1, 1])) == 0.25


def test_an_empty_chart_is_not_drawn_and_the_report_says_why(natural_run):
    results, out, _ = natural_run
    fig = imputation.figure(results["imputation"]["rows"], ["mean"])
    assert len(fig.axes) == 1  # no reconstruction-error panel: the hidden values are unknown
    assert "No reconstruction-error chart" in (out / "report.html").read_text()
    empty = {"dataset": "d", "scenario": "s", "seeds": 1,
             "quantities": {"gain_bits": {"m0": {v: {"mean": None, "std": None, "n": 0} for v in ("naive", "corrected", "oracle")}}}}
    assert informativeness.figure(empty, "gain_bits") is None


def test_a_chart_that_shows_a_subset_says_so():
    table = [{"share": 0.1, "tail": k >= 20} for k in range(63)]
    assert "the 30 largest of 63 shown" in upset_title(table, 30)
    assert "33 smaller groups (33 of them tail)" in upset_title(table, 30)
    assert upset_title(table, 63).startswith("Combination groups: 63 occur")


def _bar_colours(fig) -> dict[str, str]:
    from matplotlib.colors import to_hex

    names = {label: variant for variant, label in VARIANT_LABELS.items()}
    return {names[c.get_label()]: to_hex(c.patches[0].get_facecolor()) for ax in fig.axes for c in ax.containers
            if c.get_label() in names}


def test_one_colour_per_variant_across_figures(natural_run):
    import matplotlib.pyplot as plt

    from missmodal.informativeness import informativeness_figure

    results, out, config = natural_run
    cell = run_grid(config, out).of_kind("informativeness")[0]
    for fig in (informativeness.figure(results["informativeness"]["rows"][0], "gain_bits"),
                informativeness_figure(cell["result"]["estimate"])):
        colours = _bar_colours(fig)
        plt.close(fig)
        assert {"naive", "corrected"} <= set(colours)
        assert colours == {v: VARIANT_COLOURS[v].lower() for v in colours}
