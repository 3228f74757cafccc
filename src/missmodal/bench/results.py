"""Turn a grid run into results.json, results.md and a self-contained report.html."""

from __future__ import annotations

import platform
import sys
from pathlib import Path
from typing import Any

from .._atomic import write_text_atomic
from .._json import write_json
from ..report import HtmlReport
from .config import BenchConfig
from .runner import GridRun
from .scenarios import dataset_label, is_natural
from .sections import section_module
from .sections.common import failed_cells
from . import timings


def versions() -> dict[str, str]:
    """Versions of Python, missmodal and the libraries that compute the results."""
    import numpy
    import pyarrow
    import scipy
    import sklearn
    import torch

    from .. import __version__

    return {"python": sys.version.split()[0], "missmodal": __version__, "numpy": numpy.__version__,
            "scipy": scipy.__version__, "scikit-learn": sklearn.__version__, "torch": torch.__version__,
            "pyarrow": pyarrow.__version__, "platform": platform.platform()}


def build_results(config: BenchConfig, run: GridRun, command: str, seconds: float) -> dict[str, Any]:
    """The results.json payload: one section per benchmark part, plus provenance."""
    natural = [dataset_label(d) for d in config.datasets if is_natural(d)]
    results: dict[str, Any] = {
        "command": command, "versions": versions(), "seeds": list(config.seeds), "config": config.to_dict(),
        "seconds": seconds, "cells": {"total": len(run.cells), "computed": run.computed, "cached": run.cached,
                                      "failed": failed_cells(run.cells)},
        "oracle": {dataset_label(d): dataset_label(d) not in natural for d in config.datasets},
    }
    for section in config.sections:
        results[section] = section_module(section).summarise(run.of_kind(section))
    results["findings"] = {section: section_module(section).findings(results[section]) for section in config.sections}
    results["timings"] = timings.summarise(run.cells, run.jobs)
    return results


def settings_run(run: GridRun) -> dict[str, list[str]]:
    """Per dataset label, the scenarios that ran (``natural`` for a file with its own missingness), in run order;
    the full-data oracle cells are a reference, not a scenario."""
    settings: dict[str, list[str]] = {}
    for cell in run.cells:
        if cell["spec"].get("method") == "oracle":
            settings.setdefault(dataset_label(cell["spec"]["dataset"]), [])
            continue
        scenarios = settings.setdefault(dataset_label(cell["spec"]["dataset"]), [])
        if cell["spec"]["scenario"]["name"] not in scenarios:
            scenarios.append(cell["spec"]["scenario"]["name"])
    return settings


def header_line(results: dict[str, Any], run: GridRun) -> str:
    """What ran: each dataset with its scenarios, the seeds, and the cells."""
    ran = "; ".join(f"{label} under {', '.join(scenarios)}" for label, scenarios in settings_run(run).items())
    cells = results["cells"]
    return (f"Ran {ran or 'nothing'}; seeds {', '.join(map(str, results['seeds']))}; {cells['total']} cells "
            f"({cells['computed']} computed, {cells['cached']} from cache, {len(cells['failed'])} failed) in "
            f"{results['seconds']:.0f} s.")


def natural_note(label: str, results: dict[str, Any]) -> str:
    """What a dataset without complete data can and cannot show, as its results do show it."""
    rows = [r for r in results.get("models", {}).get("rows", []) if r["dataset"] == label]
    complete = [r["allcomb_samples"]["mean"] for r in rows if r.get("allcomb_samples", {}).get("mean") is not None]
    if complete:
        all_combinations = (f"the all-combinations evaluation uses only the test samples that have every modality "
                            f"(at least {min(complete):.0f} per seed), masked under every combination")
    else:
        all_combinations = "the all-combinations evaluation is not run (no test sample has every modality)"
    return (f"{label} has natural missingness: there is no complete data to compare with, so the full-data (oracle) "
            f"informativeness and the reconstruction error of imputers are not computed, and {all_combinations}.")


def write_outputs(out: str | Path, config: BenchConfig, run: GridRun, results: dict[str, Any]) -> None:
    """Write ``results.json``, ``results.md`` and ``report.html`` under ``out`` (atomically)."""
    out = Path(out)
    write_json(out / "results.json", results)
    notes = [natural_note(label, results) for label, has_oracle in results["oracle"].items() if not has_oracle]
    lines = ["# missmodal bench results", "", f"Command: `{results['command']}`", "", header_line(results, run), ""]
    lines += [f"> {note}" for note in notes] + ([""] if notes else []) + ["## Key findings", ""]
    lines += [f"- {line}" for section in config.sections for line in results["findings"][section]] + [""]
    for section in config.sections:
        lines += section_module(section).markdown(results[section])
    if results["cells"]["failed"]:
        lines += ["## Failed cells", ""] + [f"- {f['section']}: {f['cell']}: {f['error']}" for f in results["cells"]["failed"]] + [""]
    lines += timings.markdown(results["timings"], results["seconds"])
    write_text_atomic(out / "results.md", "\n".join(lines))
    page = HtmlReport("missmodal benchmark report")
    page.paragraph(header_line(results, run))
    for note in notes:
        page.paragraph(note, note=True)
    page.heading("Key findings")
    page.bullets([line for section in config.sections for line in results["findings"][section]])
    for section in config.sections:
        section_module(section).report(page, results[section], run.of_kind(section))
    if results["cells"]["failed"]:
        page.heading("Failed cells")
        page.table(results["cells"]["failed"])
    timings.report(page, results["timings"], results["seconds"])
    page.heading("Provenance")
    page.paragraph("Produced by this exact command, with these versions:")
    page.code(results["command"])
    page.table([{"package": k, "version": v} for k, v in results["versions"].items()])
    page.write(out / "report.html")
