"""Sweep of damaged model folders: every field of ``model.json``, for nine kinds of model, set to each of
23 odd values or deleted, then ``missmodal evaluate`` run in-process on the folder.

Counts per model: runs, exit code 2 (one-line refusal), exit code 0 with the field's value unchanged (the
edit was a no-op), exit code 0 with a changed value (a damaged folder that still gave numbers: should be
0), and anything else (a traceback or an internal error: should be 0). Deterministic (no random step).

    OMP_NUM_THREADS=1 python benchmarks/model_folder_sweep.py --out benchmarks/results/model_folder_sweep
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "cli"))

import torch  # noqa: E402
from click.testing import CliRunner  # noqa: E402
from malformed_cases import good, labelled  # noqa: E402

from missmodal.cli import main  # noqa: E402

TINY = ["--epochs", "1", "--width", "8", "--hidden", "8", "--no-diagnostics"]
MODELS = [("attention", "binary", []), ("remind", "multiclass", ["--model", "remind"]),
          ("late", "multilabel", ["--model", "late"]), ("concat", "regression", ["--model", "concat"]),
          ("logistic", "multiclass", ["--model", "logistic"]), ("gbdt", "binary", ["--model", "gbdt"]),
          ("auto", "binary", ["--model", "auto", "--candidates", "logistic,late"]),
          ("flexmoe", "binary", ["--model", "flexmoe"]), ("missing-token", "binary", ["--model", "missing-token"])]
VALUES = [None, 0, -1, 1, 2, 3, 1.5, -0.5, 1e30, math.nan, math.inf, "x", "", True, False, [], [1], ["a"], {},
          {"a": 1}, [[0, 1]], 10**40]
DELETE = "<deleted>"


def leaves(node, path=()):
    """Every path into ``node`` (the first three entries of each list)."""
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node[:3]):
            yield from leaves(value, path + (i,))


def edited(config: dict, path: tuple, value) -> dict:
    config = json.loads(json.dumps(config))
    node = config
    for key in path[:-1]:
        node = node[key]
    if value == DELETE:
        node.pop(path[-1])
    else:
        node[path[-1]] = value
    return config


def value_at(config, path):
    for key in path:
        config = config[key]
    return config


def same(a, b) -> bool:
    return type(a) is type(b) and json.dumps(a) == json.dumps(b)


def sweep(root: Path) -> dict:
    files = {"binary": good(root), **{t: labelled(root, t) for t in ("multiclass", "multilabel", "regression")}}
    results = {}
    for name, task, extra in MODELS:
        folder = root / f"model-{name}"
        trained = CliRunner().invoke(main, ["train", str(files[task]), "-o", str(folder), *TINY, *extra])
        assert trained.exit_code == 0, trained.output
        config = json.loads((folder / "model.json").read_text())
        paths = [p for p in leaves(config) if p and not (p[0] == "info" and len(p) > 1
                                                          and p[1] not in ("calibration", "data_schema"))]
        counts = {"runs": 0, "refused": 0, "unchanged_ok": 0, "changed_ok": [], "other": []}
        for path in paths:
            for value in VALUES + [DELETE]:
                copy = root / "copy"
                shutil.rmtree(copy, ignore_errors=True)
                shutil.copytree(folder, copy)
                (copy / "model.json").write_text(json.dumps(edited(config, path, value)))
                result = CliRunner().invoke(main, ["evaluate", str(copy), str(files[task])])
                counts["runs"] += 1
                where = ".".join(map(str, path))
                if result.exit_code == 2 and sum(line.startswith("error: ") for line in result.stderr.splitlines()) == 1:
                    counts["refused"] += 1
                elif result.exit_code == 0 and value != DELETE and same(value_at(config, path), value):
                    counts["unchanged_ok"] += 1
                elif result.exit_code == 0:
                    counts["changed_ok"].append(f"{where} = {value!r}")
                else:
                    counts["other"].append(f"{where} = {value!r}: exit {result.exit_code} {result.stderr[-200:]!r}")
        results[name] = {"task": task, "fields": len(paths), **counts}
    return results


def markdown(report: dict) -> str:
    lines = ["# Damaged model folders", "", f"Command: `{report['command']}` (at commit {report['commit']}, plus uncommitted changes if any)  ", f"Machine load: {report['load']}  ",
             f"Run time: {report['seconds']:.0f} s", "",
             "Every field of `model.json` set to each of 23 odd values or deleted; `missmodal evaluate` on the folder.",
             "", "| model | task | fields | runs | refused in one line (exit 2) | exit 0, value unchanged | "
             "exit 0, value changed | traceback or internal error |", "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, row in report["models"].items():
        lines.append(f"| {name} | {row['task']} | {row['fields']} | {row['runs']} | {row['refused']} | "
                     f"{row['unchanged_ok']} | {len(row['changed_ok'])} | {len(row['other'])} |")
    return "\n".join(lines) + "\n"


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="Output path without suffix (.json and .md are written).")
    args = parser.parse_args()
    torch.set_num_threads(1)
    started, load = time.perf_counter(), os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["MISSMODAL_CRASH_DIR"] = str(Path(folder) / "crashes")
        models = sweep(Path(folder))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    report = {"command": " ".join(["python", *sys.argv]), "commit": commit or "unknown", "load": f"1-min load average {load[0]:.2f} at the start, {os.getloadavg()[0]:.2f} at the end (2 cores)",
              "seconds": time.perf_counter() - started, "models": models}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(f"{args.out}.json").write_text(json.dumps(report, indent=1) + "\n")
    Path(f"{args.out}.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main_()
