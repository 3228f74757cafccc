"""`missmodal bench`: the whole pipeline on one command, a benchmark grid, and an HTML report."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from ._common import console, schema_options, status


def summary_lines(results: dict) -> list[str]:
    """The imputer and model comparisons (mean ± sd over seeds) as aligned text tables, then the key
    findings, one line each (never wrapped at a fixed width)."""
    from ..bench.sections import section_module
    from ..report.text import text_table

    lines = []
    for section, title in (("imputation", "Imputers (downstream logistic regression)"),
                           ("models", "Models (all-comb. = complete test samples under every combination)")):
        if results.get(section, {}).get("rows"):
            for setting, header, cells in section_module(section).table_rows(results[section]):
                lines += ["", f"{title}: {setting}"] + text_table(cells, header)
    lines += ["", "Key findings:"] + [f"- {line}" for lines_ in results["findings"].values() for line in lines_]
    return lines


def _user_dataset(data: str, data_options, out: str) -> dict:
    """A user's file as a bench dataset; a flat table is converted once to ``OUT/data.parquet`` first."""
    from ..data import write_data
    from ._common import is_flat_table, load_data_argument

    if data_options.table_schema() is None and not is_flat_table(data):
        return {"path": data, "target": data_options.target}
    converted = Path(out) / f"{Path(data).stem}.parquet"
    converted.parent.mkdir(parents=True, exist_ok=True)
    write_data(load_data_argument(data, data_options), converted)
    status(f"converted {data} to {converted}")
    return {"path": str(converted), "target": None, "name": Path(data).name}


@click.command("bench")
@click.argument("data", required=False)
@schema_options
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Grid config (YAML or TOML).")
@click.option("--output", "-o", "--out", "out", default="missmodal-bench", show_default=True, type=click.Path(file_okay=False),
              help="Output folder: results.json, results.md, report.html and the cell cache (--out: the same).")
@click.option("--jobs", type=int, default=None,
              help="Cells run at a time, each in its own single-threaded process (default: the available cores; "
                   "1: one after another in this process). The results do not depend on it.")
@click.option("--seeds", default=None, help="Comma-separated seeds (overrides the config).")
def command(data, data_options, config_path, out, jobs, seeds) -> None:
    """Run the whole pipeline (audit, informativeness, imputation, models) and write a report.

    With no DATA and no --config: the bundled default dataset (mfeat) under MCAR 50%, MAR and Zipf
    long-tailed missingness. With DATA: that dataset (a user's file keeps its natural missingness).
    Finished cells are cached under --output, so an interrupted or extended run resumes.
    """
    from .._paths import guard_outputs
    from ..bench import BenchConfig, load_config, run_bench
    from ..errors import MissmodalError

    config = load_config(config_path) if config_path else BenchConfig()
    if data:
        config.datasets = [data if not Path(data).exists() else _user_dataset(data, data_options, out)]
    if seeds:
        try:
            config.seeds = [int(s) for s in seeds.split(",")]
        except ValueError:
            raise MissmodalError(f"--seeds must be comma-separated integers, got {seeds!r}") from None
    if jobs is not None and jobs < 1:
        raise MissmodalError(f"--jobs must be >= 1, got {jobs}")
    dataset_files = [d["path"] for d in config.datasets if isinstance(d, dict) and "path" in d]
    guard_outputs(folders={"--output": (out, ["results.json", "results.md", "report.html", "cells/"])},
                  inputs=[config_path, *dataset_files])
    from ..bench import plan

    total = len(plan(config))
    done = {"n": 0}

    def on_cell(cell: dict, from_cache: bool) -> None:
        done["n"] += 1
        spec = cell["spec"]
        what = " ".join(str(x) for x in (spec["kind"], spec["scenario"]["name"], spec.get("method", ""), f"seed {spec['seed']}"))
        outcome = "cached" if from_cache else ("FAILED: " + cell["error"] if "error" in cell else f"{cell['seconds']:.1f} s")
        console.print(f"[{done['n']}/{total}] {what}: {outcome}", markup=False, highlight=False, soft_wrap=True)

    status(f"missmodal bench: {total} cells -> {out}")
    results = run_bench(config, out, jobs=jobs, command=shlex.join(["missmodal", *sys.argv[1:]]), on_cell=on_cell)
    for line in summary_lines(results):
        click.echo(line)
    click.echo(f"wrote {out}/results.json, {out}/results.md, {out}/report.html "
               f"({results['cells']['computed']} cells computed, {results['cells']['cached']} cached, "
               f"{len(results['cells']['failed'])} failed)")
