"""Speed benchmark of the main job (issue 21): where `missmodal bench` spends its time, and what the cheaper
defaults cost in quality, on the bench's own data (mfeat under its three default scenarios, seeds 0-2).

Usage::

    python benchmarks/speed.py gbdt        # boosting settings for wide data: fit + evaluation CPU, accuracy
    python benchmarks/speed.py stopping    # early-stopping rules replayed on full 60-epoch validation histories
    python benchmarks/speed.py threads     # CPU time of one thread vs torch's default threads, each fusion model
    python benchmarks/speed.py sections    # CPU time of every bench cell of one seed (old vs new code via PYTHONPATH)
    python benchmarks/speed.py report      # JSON parts -> benchmarks/results/speed.md

Times are CPU seconds of the process that did the work (``time.process_time``), which a busy machine
inflates far less than wall-clock time; the load average (``uptime``) at the start and end of each part is
recorded beside them. Each configuration runs in its own single-threaded worker process
(:func:`missmodal._parallel.ordered_map`, ``--jobs``), except in ``threads``, which measures threads.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
SCENARIOS = [{"name": "mcar50", "mechanism": "mcar", "rate": 0.5},
             {"name": "mar30", "mechanism": "mar", "rate": 0.3, "strength": 2.0},
             {"name": "zipf", "mechanism": "zipf", "exponent": 1.0}]
SEEDS = [0, 1, 2]


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def write(part: str, payload: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    payload = {"command": "python " + " ".join(sys.argv), "platform": platform.platform(), "cores": os.cpu_count(), **payload}
    (RESULTS / f"speed_{part}.json").write_text(json.dumps(payload, indent=1, default=float) + "\n")
    print(f"wrote {RESULTS / f'speed_{part}.json'}")


def mean_sd(values) -> dict:
    values = np.asarray([v for v in values if v is not None], dtype=float)
    return {"mean": float(values.mean()), "sd": float(values.std(ddof=1)) if values.size > 1 else None, "n": int(values.size)}


# --- gbdt on wide data -------------------------------------------------------------------------------------
GBDT_SETTINGS = {
    "before (lr 0.1, 200 iter, patience 20, 63 bins, 50/F features)":
        {"learning_rate": 0.1, "max_iter": 200, "n_iter_no_change": 20, "max_bins": 63},
    "lr 0.2, 100 iter, patience 10, 63 bins":
        {"learning_rate": 0.2, "max_iter": 100, "n_iter_no_change": 10, "max_bins": 63},
    "lr 0.2, 100 iter, patience 10, 31 bins, 25/F features":
        {"learning_rate": 0.2, "max_iter": 100, "n_iter_no_change": 10, "max_bins": 31, "max_features": "25/F"},
}


def gbdt_job(job: tuple) -> dict:
    from missmodal.bench.scenarios import prepare
    from missmodal.models import fit_tabular
    from missmodal.train import evaluate_model

    name, params, scenario, seed = job
    prepared = prepare("mfeat", scenario, seed)
    params = dict(params)
    if params.get("max_features") == "25/F":
        params["max_features"] = 25 / sum(x.shape[1] for x in prepared.train.modalities.values())
    start = time.process_time()
    fitted = fit_tabular("gbdt", prepared.train, prepared.val, seed=seed, **params)
    fit_cpu = time.process_time() - start
    start = time.process_time()
    test = evaluate_model(fitted, prepared.test)["overall"]["accuracy"]
    allcomb = evaluate_model(fitted, prepared.test_full, all_combinations=True)["overall"]["accuracy"]
    return {"setting": name, "scenario": scenario["name"], "seed": seed, "fit_cpu_s": fit_cpu,
            "evaluate_cpu_s": time.process_time() - start, "n_iter": fitted.info.get("n_iter"),
            "test_accuracy": test, "allcomb_accuracy": allcomb}


def part_gbdt(jobs: int) -> None:
    from missmodal._parallel import ordered_map

    before = load()
    grid = [(name, params, scenario, seed) for name, params in GBDT_SETTINGS.items() for scenario in SCENARIOS for seed in SEEDS]
    rows = ordered_map(gbdt_job, grid, jobs)
    write("gbdt", {"load_before": before, "load_after": load(), "rows": rows})


# --- early stopping ------------------------------------------------------------------------------------------
STOP_MODELS = [("late", "erm"), ("attention", "erm"), ("attention", "group-dro"), ("remind", "group-dro")]
PATIENCES = [20, 10, 8, 5]
MIN_DELTAS = [0.0, 0.005, 0.01]
STOP_DATA = {"mfeat": None, "clinical:n_samples=400": "natural"}


def history_job(job: tuple) -> dict:
    """One full run (every epoch, no early stopping) with the test accuracy of every epoch's weights recorded."""
    from missmodal.bench.scenarios import prepare
    from missmodal.train.trainer import TrainConfig, Trainer, TrainingData, selection_metrics

    dataset, (model, loss), scenario, seed, epochs = job
    prepared = prepare(dataset, scenario, seed)

    class Recording(Trainer):
        def _validate(self, module, val, preprocessing, val_data, loss_fn, context):
            record = super()._validate(module, val, preprocessing, val_data, loss_fn, context)
            if not hasattr(self, "_test"):
                self._test = TrainingData.build(prepared.test, preprocessing, np.array([0]), "test")
            scores = preprocessing.scores(self._test.logits(module, context.device))
            record["test_mean"] = selection_metrics(scores, self._test.labels, self._test.codes, preprocessing.task,
                                                    preprocessing.classes, 10)["mean"]
            return record

    config = TrainConfig(epochs=epochs, loss=loss, patience=None, seed=seed, calibrate=False)
    start = time.process_time()
    trainer = Recording(model, config)
    trainer.fit(prepared.train, prepared.val)
    return {"dataset": dataset, "model": f"{model}+{loss}", "scenario": scenario["name"], "seed": seed,
            "erm_epochs": config.erm_epochs, "cpu_s": time.process_time() - start, "n_train": prepared.train.n_samples,
            "val": [r["val_mean"] for r in trainer.history_], "test": [r["test_mean"] for r in trainer.history_]}


def replay(run: dict, patience: int | None, min_delta: float) -> dict:
    """The trainer's rule on a recorded history: the best validation epoch after the warm-up is selected; the
    patience counter restarts only on an improvement of more than ``min_delta``."""
    best, best_epoch, reference, bad, epochs = -np.inf, None, -np.inf, 0, 0
    for epoch, score in enumerate(run["val"]):
        epochs = epoch + 1
        if epoch < run["erm_epochs"]:
            continue
        if score > best:
            best, best_epoch = score, epoch
        if score > reference + min_delta:
            reference, bad = score, 0
        else:
            bad += 1
        if patience is not None and bad >= patience:
            break
    return {"epochs": epochs, "val": run["val"][best_epoch], "test": run["test"][best_epoch]}


def part_stopping(jobs: int, epochs: int) -> None:
    from missmodal._parallel import ordered_map

    before = load()
    grid = [(dataset, entry, scenario, seed, epochs) for dataset, natural in STOP_DATA.items()
            for scenario in ([{"name": "natural", "mechanism": "none"}] if natural else SCENARIOS)
            for entry in STOP_MODELS for seed in SEEDS]
    runs = ordered_map(history_job, grid, jobs)
    rules = []
    for patience in [None] + PATIENCES:
        for min_delta in MIN_DELTAS if patience else [0.0]:
            for dataset in STOP_DATA:
                replayed = [replay(r, patience, min_delta) for r in runs if r["dataset"] == dataset]
                rules.append({"dataset": dataset, "patience": patience, "min_delta": min_delta,
                              **{k: mean_sd(x[k] for x in replayed) for k in ("epochs", "val", "test")}})
    write("stopping", {"load_before": before, "load_after": load(), "epochs": epochs, "runs": runs, "rules": rules})


# --- threads -------------------------------------------------------------------------------------------------
def part_threads(epochs: int) -> None:
    """Each fusion model of the bench trained at the bench's size (mfeat mcar50, seed 0) with torch's default
    threads and with one thread, in this process, one after the other."""
    import torch

    from missmodal.bench.scenarios import prepare
    from missmodal.train import fit_model

    prepared = prepare("mfeat", SCENARIOS[0], 0)
    default_threads = torch.get_num_threads()
    rows, before = [], load()
    for model, loss in STOP_MODELS:
        row = {"model": f"{model}+{loss}", "epochs": epochs}
        for label, threads in (("default", default_threads), ("one", 1)):
            torch.set_num_threads(threads)
            start, wall = time.process_time(), time.perf_counter()
            fit_model(prepared.train, prepared.val, model=model, loss=loss, epochs=epochs, patience=None, seed=0)
            row[f"{label}_threads_cpu_s"] = time.process_time() - start
            row[f"{label}_threads_wall_s"] = time.perf_counter() - wall
        row["cpu_ratio_default_over_one"] = row["default_threads_cpu_s"] / row["one_threads_cpu_s"]
        rows.append(row)
        print(row, flush=True)
    write("threads", {"load_before": before, "load_after": load(), "default_threads": default_threads, "rows": rows})


# --- sections ------------------------------------------------------------------------------------------------
def part_sections(label: str, seed: int) -> None:
    """CPU time of every cell of the default grid for one seed (all three scenarios), one cell at a time in
    this process; run it with ``PYTHONPATH`` pointing at the code to measure and a ``label`` for it."""
    from missmodal.bench import BenchConfig, plan, run_cell

    config = BenchConfig(seeds=[seed])
    before, rows = load(), []
    for spec in plan(config):
        start = time.process_time()
        outcome = run_cell(spec)
        rows.append({"section": spec["kind"], "scenario": spec["scenario"]["name"], "method": spec.get("method", ""),
                     "cpu_s": time.process_time() - start, "error": outcome.get("error")})
        print(rows[-1], flush=True)
    path = RESULTS / "speed_sections.json"
    payload = json.loads(path.read_text()) if path.exists() else {"runs": {}}
    payload["runs"][label] = {"load_before": before, "load_after": load(), "seed": seed, "threads_env": os.environ.get("OMP_NUM_THREADS"),
                              "rows": rows, "command": "python " + " ".join(sys.argv)}
    RESULTS.mkdir(exist_ok=True)
    path.write_text(json.dumps(payload, indent=1) + "\n")


# --- compare: quality and time of two full default runs ---------------------------------------------------
COMPARED_MODEL_METRICS = ("accuracy", "worst_group_accuracy", "allcomb_worst_group_accuracy")


def _extract(results: dict) -> dict:
    """The headline numbers of one ``missmodal bench`` results.json: per model row accuracy, worst-group and
    all-combinations worst-group accuracy; per imputer downstream accuracy and reconstruction error; the
    informativeness RMSE to the full-data oracle; cell and run seconds."""
    numbers = {}
    for row in results["models"]["rows"]:
        for metric in COMPARED_MODEL_METRICS:
            numbers[f"models {row['scenario']} {row['method']} {metric}"] = row[metric]
    for row in results["imputation"]["rows"]:
        for metric in ("accuracy", "reconstruction_error"):
            numbers[f"imputation {row['scenario']} {row['method']} {metric}"] = row[metric]
    for row in results["informativeness"]["rows"]:
        for variant, value in row["rmse_to_oracle"].get("information_bits", {}).items():
            numbers[f"informativeness {row['scenario']} RMSE of I(Y; X_S) to the oracle, {variant}"] = {"mean": value, "std": None}
    return {"numbers": numbers, "seconds": results["seconds"], "cell_seconds": results["timings"]["cell_seconds"]
            if "timings" in results else None, "jobs": results.get("timings", {}).get("jobs")}


def part_compare(before: str, after: str, before_label: str, after_label: str, before_wall: str, after_wall: str) -> None:
    """Headline numbers of two runs' results.json side by side (the runs themselves: their commands)."""
    runs = {before_label: {**_extract(json.loads(Path(before).read_text())), "wall": before_wall},
            after_label: {**_extract(json.loads(Path(after).read_text())), "wall": after_wall}}
    write("compare", {"runs": runs})


def report_compare(data: dict) -> list[str]:
    (before_label, before), (after_label, after) = data["runs"].items()
    def timing(label: str, run: dict) -> str:
        cells = "" if run["cell_seconds"] is None else f"; cells {run['cell_seconds']:.0f} s on {run['jobs']} process(es)"
        return f"- `{label}`: wall time {run['wall']}{cells}"

    lines = ["## The default `missmodal bench`, before and after (3 seeds, every section)", "",
             timing(before_label, before), timing(after_label, after), "", "Mean ± sd over the 3 seeds; `within` is `yes` when the change is no larger than the larger of the two "
             "sds (RMSE rows have no sd: 0.02 bits), else `better` or `worse` (lower is better for RMSE and "
             "reconstruction error, higher for accuracies).", ""]
    rows, inside, better = [], 0, 0
    for key, old in before["numbers"].items():
        new = after["numbers"].get(key)
        if new is None or old.get("mean") is None or new.get("mean") is None:
            continue
        spread = max(old.get("std") or 0.0, new.get("std") or 0.0) if old.get("std") is not None else 0.02
        change = new["mean"] - old["mean"]
        ok = abs(change) <= spread + 1e-12
        lower_is_better = "RMSE" in key or "error" in key
        verdict = "yes" if ok else ("better" if (change < 0) == lower_is_better else "**worse**")
        inside += ok
        better += verdict == "better"
        cell = lambda v: f"{v['mean']:.3f}" + (f" ± {v['std']:.3f}" if v.get("std") is not None else "")  # noqa: E731
        rows.append([key, cell(old), cell(new), f"{change:+.3f}", verdict])
    lines += [f"{inside} of {len(rows)} numbers within the spread, {better} better by more, "
              f"{len(rows) - inside - better} worse by more.", ""]
    return lines + markdown_table(["quantity", before_label, after_label, "change", "within"], rows) + [""]


def markdown_table(header: list[str], rows: list[list]) -> list[str]:
    from missmodal.report.text import markdown_table as table

    return table(header, rows)


def _stat(value: dict, digits: int = 3) -> str:
    return f"{value['mean']:.{digits}f} ± {value['sd']:.{digits}f}" if value.get("sd") is not None else f"{value['mean']:.{digits}f}"


def _part(name: str) -> dict | None:
    path = RESULTS / f"speed_{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def report_gbdt(data: dict) -> list[str]:
    lines = ["## gbdt on mfeat (649 fields): settings", "", f"`{data['command']}`; load {data['load_before']} -> {data['load_after']}.",
             "Mean ± sd over 3 scenarios x 3 seeds (9 cells); CPU seconds per cell.", ""]
    table = []
    for setting in dict.fromkeys(r["setting"] for r in data["rows"]):
        rows = [r for r in data["rows"] if r["setting"] == setting]
        stat = {k: mean_sd(r[k] for r in rows) for k in ("fit_cpu_s", "evaluate_cpu_s", "n_iter", "test_accuracy", "allcomb_accuracy")}
        table.append([setting, _stat(stat["fit_cpu_s"], 1), _stat(stat["evaluate_cpu_s"], 1), f"{stat['n_iter']['mean']:.0f}",
                      _stat(stat["test_accuracy"]), _stat(stat["allcomb_accuracy"])])
    header = ["setting", "fit CPU s", "evaluation CPU s", "rounds", "test accuracy", "all-comb. accuracy"]
    return lines + markdown_table(header, table) + ["", "Chosen first: `lr 0.2, 100 iter, patience 10, 63 bins`; reverted to `lr 0.1, 200 iter, patience 20` when "
                    "the full before/after run below showed the worst all-combinations group of mfeat/mar30 falling "
                    "0.330 ± 0.023 -> 0.221 ± 0.040 (the mean accuracies above hide it).", ""]


def report_stopping(data: dict) -> list[str]:
    lines = ["## Early stopping rules replayed on full validation histories", "",
             f"`{data['command']}`; load {data['load_before']} -> {data['load_after']}. Every (model, scenario, seed) "
             f"trained {data['epochs']} epochs without stopping, the validation and test accuracy of every epoch recorded; "
             "each rule is replayed on these histories (the selected epoch: the best validation accuracy before the stop). "
             "Mean ± sd over the runs (4 models x scenarios x 3 seeds).", ""]
    rows = [[r["dataset"], r["patience"] or "none", r["min_delta"], _stat(r["epochs"], 1), _stat(r["val"]), _stat(r["test"])]
            for r in data["rules"]]
    header = ["data", "patience", "min_delta", "epochs run", "selected val. accuracy", "its test accuracy"]
    return lines + markdown_table(header, rows) + [""]


def report_threads(data: dict) -> list[str]:
    lines = ["## CPU time of one thread vs torch's default threads", "",
             f"`{data['command']}`; torch default threads {data['default_threads']}; load {data['load_before']} -> {data['load_after']}.",
             "mfeat mcar50 seed 0 (the bench's sizes: 1,200 training rows), no early stopping.", ""]
    rows = [[r["model"], r["epochs"], f"{r['default_threads_cpu_s']:.1f} ({r['default_threads_wall_s']:.1f})",
             f"{r['one_threads_cpu_s']:.1f} ({r['one_threads_wall_s']:.1f})", f"{r['cpu_ratio_default_over_one']:.2f}"] for r in data["rows"]]
    header = ["model", "epochs", "default threads CPU s (wall s)", "one thread CPU s (wall s)", "CPU ratio default / one"]
    return lines + markdown_table(header, rows) + [""]


def report_sections(data: dict) -> list[str]:
    lines = ["## CPU seconds of the default grid's cells, one seed, by section", ""]
    labels = list(data["runs"])
    for label in labels:
        run = data["runs"][label]
        lines.append(f"- `{label}`: `{run['command']}`; load {run['load_before']} -> {run['load_after']}")
    lines += ["", "| section | method | " + " | ".join(labels) + " |", "|---|---|" + "---|" * len(labels)]
    keys = list(dict.fromkeys((r["section"], r["method"]) for label in labels for r in data["runs"][label]["rows"]))
    totals = {label: 0.0 for label in labels}
    for section, method in keys:
        cells = []
        for label in labels:
            value = sum(r["cpu_s"] for r in data["runs"][label]["rows"] if (r["section"], r["method"]) == (section, method))
            totals[label] += value
            cells.append(f"{value:.1f}")
        lines.append(f"| {section} | {method} | " + " | ".join(cells) + " |")
    lines.append("| **all** | | " + " | ".join(f"**{totals[label]:.0f}**" for label in labels) + " |")
    return lines + [""]


def write_report() -> None:
    lines = ["# Speed of the main job (issue 21)", "", "Written by `python benchmarks/speed.py report` from the `speed_*.json` files "
             "beside it. CPU seconds (`time.process_time`) of single-threaded processes unless stated; the machine was "
             "shared (2 cores), its load average is given with each part.", ""]
    for name, render in (("compare", report_compare), ("sections", report_sections), ("threads", report_threads),
                         ("gbdt", report_gbdt), ("stopping", report_stopping)):
        data = _part(name)
        if data:
            lines += render(data)
    (RESULTS / "speed.md").write_text("\n".join(lines))
    print(f"wrote {RESULTS / 'speed.md'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("part", choices=["gbdt", "stopping", "threads", "sections", "compare", "report"])
    parser.add_argument("--before", nargs=3, metavar=("RESULTS_JSON", "LABEL", "WALL"), help="compare: the earlier run")
    parser.add_argument("--after", nargs=3, metavar=("RESULTS_JSON", "LABEL", "WALL"), help="compare: the later run")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--label", default="new")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.part == "gbdt":
        part_gbdt(args.jobs)
    elif args.part == "stopping":
        part_stopping(args.jobs, args.epochs)
    elif args.part == "threads":
        part_threads(args.epochs)
    elif args.part == "sections":
        part_sections(args.label, args.seed)
    elif args.part == "compare":
        part_compare(args.before[0], args.after[0], args.before[1], args.after[1], args.before[2], args.after[2])
    else:
        write_report()


if __name__ == "__main__":
    main()
