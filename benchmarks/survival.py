"""Survival benchmark: `auto` and a fusion network against the `cox` baseline on the seeded clinical survival cohort.

Usage::

    python benchmarks/survival.py run --seeds 0,1,2,3,4      # -> benchmarks/results/survival.json
    python benchmarks/survival.py report                     # JSON -> benchmarks/results/survival.md

Data: ``clinical-survival`` (418 patients, five field blocks with natural missingness, age/sex/site; Weibull
proportional hazards with random and administrative censoring, see :mod:`missmodal.data.clinical`), one cohort
(generator seed 0, as a real cohort is one draw), split 75/25 by each seed (stratified by event and group).
Per seed, in the same run and on the same split: ``cox`` (ridge Cox on mean imputation + missing indicators +
covariates, penalty by CV), ``cox-gbdt`` (boosted trees on the partial likelihood), ``late`` (a fusion network with the Cox partial-likelihood head) and ``auto`` (its
default survival candidates cox, cox-gbdt, late, attention, concat, remind, ensembled on validation C-index); each fits
on the training 75% (its validation split held out of it) and is scored on the test 25%: Harrell's and Uno's C,
cumulative/dynamic AUROC and Brier score at 365 and 1825 days, integrated Brier score over [0, 1825], and
Harrell's C in the worst combination group with at least 10 test patients. ``true risk`` is the generator's own
linear predictor (the ceiling of any model). Paired differences (method - cox) per seed with a t interval.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
JSON_PATH, MD_PATH = RESULTS / "survival.json", RESULTS / "survival.md"
METHODS = ("cox", "cox-gbdt", "late", "auto")
HORIZONS = (365.0, 1825.0)
METRICS = ("c_harrell", "c_uno", "auc_365", "auc_1825", "brier_365", "brier_1825", "ibs", "worst_group_c")
N_PATIENTS, COHORT_SEED = 418, 0


def one_seed(seed: int, epochs: int) -> dict:
    import torch

    from missmodal.data import load_dataset
    from missmodal.data.clinical import _cohort
    from missmodal.evaluate.survival import harrell_c, uno_c
    from missmodal.train import evaluate_model, fit_model

    torch.set_num_threads(1)
    data = load_dataset("clinical-survival", n_samples=N_PATIENTS, seed=COHORT_SEED)
    table, linear_predictor = _cohort(N_PATIENTS, COHORT_SEED)
    eta = dict(zip(table["id"], linear_predictor))
    train, test = data.split((0.75, 0.25), seed=seed)
    true_risk = np.array([eta[i] for i in test.ids])
    row = {"seed": seed, "n_train": len(train), "n_test": len(test), "test_events": int(test.event.sum()),
           "true_risk": {"c_harrell": harrell_c(test.time, test.event, true_risk), "c_uno": uno_c(test.time, test.event, true_risk)}}
    for method in METHODS:
        started = time.perf_counter()
        model = fit_model(train, model=method, epochs=epochs, seed=seed)
        seconds = time.perf_counter() - started
        report = evaluate_model(model, test, horizons=list(HORIZONS), n_boot=0)
        overall = report["overall"]
        row[method] = {k: overall.get(k) for k in METRICS if k != "worst_group_c"}
        row[method]["worst_group_c"] = (report["worst_group"] or {}).get("c_harrell")
        row[method]["worst_group"] = (report["worst_group"] or {}).get("name")
        row[method]["seconds"] = seconds
        if method == "auto":
            row[method]["members"] = {m.name: round(float(w), 3) for m, w in zip(model.members, model.weights)}
            row[method]["baseline_guard"] = model.info["auto"].get("baseline_guard")
            row[method]["validation_c"] = {c["name"]: c["val_c_index"] for c in model.info["auto"]["candidates"]}
        print(f"seed {seed} {method:<5} C {overall['c_harrell']:.4f}  Uno {overall['c_uno']:.4f}  IBS {overall['ibs']:.4f}"
              f"  ({seconds:.0f} s)", flush=True)
    return row


def paired(rows: list[dict], method: str, metric: str) -> dict:
    """Mean, sd and 95% t interval of ``method - cox`` over seeds."""
    from scipy import stats

    diffs = np.array([r[method][metric] - r["cox"][metric] for r in rows
                      if r[method].get(metric) is not None and r["cox"].get(metric) is not None])
    if diffs.size < 2:
        return {"mean": float(diffs.mean()) if diffs.size else None, "sd": None, "interval": None, "n": int(diffs.size)}
    sd = float(diffs.std(ddof=1))
    half = float(stats.t.ppf(0.975, diffs.size - 1) * sd / np.sqrt(diffs.size))
    return {"mean": float(diffs.mean()), "sd": sd, "interval": [float(diffs.mean() - half), float(diffs.mean() + half)],
            "n": int(diffs.size), "per_seed": diffs.tolist()}


def run(seeds: list[int], epochs: int) -> None:
    started = time.perf_counter()
    load = os.getloadavg()
    rows = [one_seed(s, epochs) for s in seeds]
    payload = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]), "seeds": seeds, "epochs": epochs,
        "cohort": {"dataset": "clinical-survival", "n_samples": N_PATIENTS, "seed": COHORT_SEED, "split": "75/25 by seed"},
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "threads": 1,
                    "load_average_at_start": [round(x, 2) for x in load], "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        "seconds": time.perf_counter() - started, "rows": rows,
        "paired_vs_cox": {m: {k: paired(rows, m, k) for k in METRICS} for m in METHODS if m != "cox"},
    }
    RESULTS.mkdir(exist_ok=True)
    JSON_PATH.write_text(json.dumps(payload, indent=1) + "\n")
    report()


def _fmt(value, digits=3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def report() -> None:
    payload = json.loads(JSON_PATH.read_text())
    rows = payload["rows"]
    lines = ["# Survival benchmark: auto, cox-gbdt and late vs the Cox baseline", "",
             f"Command: `{payload['command']}`; {len(rows)} seeds, {payload['epochs']} epochs for the networks, "
             f"{payload['seconds'] / 60:.1f} min on {payload['machine']['cpus']} shared cores at one thread "
             f"(load average {payload['machine']['load_average_at_start'][0]} at start, "
             f"{payload['machine']['load_average_at_end'][0]} at end).", "",
             f"Cohort: `clinical-survival` ({N_PATIENTS} patients, generator seed {COHORT_SEED}), 75/25 train/test split "
             "per seed; every model fitted on the same training part (validation held out of it) and scored on the "
             "test part. C = Harrell's C, Uno = Uno's C, AUROC and Brier at 365/1825 days, IBS over [0, 1825], worst "
             "= Harrell's C in the worst group of ≥ 10 test patients.", "",
             "## Mean ± sd over seeds", "",
             "| method | C | Uno | AUROC 365 | AUROC 1825 | Brier 365 | Brier 1825 | IBS | worst-group C |",
             "|---|---|---|---|---|---|---|---|---|"]
    for method in METHODS:
        cells = []
        for metric in METRICS:
            values = np.array([r[method][metric] for r in rows if r[method].get(metric) is not None])
            cells.append(f"{values.mean():.3f} ± {values.std(ddof=1):.3f}" if values.size > 1 else _fmt(values.mean() if values.size else None))
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    true_c = np.array([r["true_risk"]["c_harrell"] for r in rows])
    lines += [f"| true risk (generator) | {true_c.mean():.3f} ± {true_c.std(ddof=1):.3f} | – | – | – | – | – | – | – |", "",
              "## Paired differences vs cox (method − cox; mean, sd, 95% t interval over seeds)", "",
              "| method | metric | mean | sd | 95% interval | per seed |", "|---|---|---|---|---|---|"]
    for method, table in payload["paired_vs_cox"].items():
        for metric in ("c_harrell", "c_uno", "ibs", "worst_group_c"):
            d = table[metric]
            interval = "–" if not d["interval"] else f"[{d['interval'][0]:+.3f}, {d['interval'][1]:+.3f}]"
            lines.append(f"| {method} | {metric} | {d['mean']:+.4f} | {_fmt(d['sd'], 4)} | {interval} | "
                         + ", ".join(f"{x:+.3f}" for x in d.get("per_seed", [])) + " |")
    goal = payload["paired_vs_cox"]["auto"]["c_harrell"]["mean"]
    lines += ["", f"Goal `auto ≥ cox C-index − 0.01`: mean paired difference {goal:+.4f} "
              f"({'met' if goal >= -0.01 else 'NOT met'} on this cohort; goal +0.01: {'met' if goal >= 0.01 else 'not met'}).", "",
              "Reading: the generator is linear proportional hazards in three latent factors seen through noisy "
              "fields, which is `cox`'s own specification on complete data; the trees (`cox-gbdt`) and networks "
              "(`late` here) lose to it with ~270 training patients, and `auto` is `cox` alone on the seeds where its validation "
              "split shows no clear gain (the baseline guard), an ensemble where it does. The +0.01 goal would need "
              "a cohort with structure a linear model misses.", "",
              "Per seed (Harrell's C; auto's ensemble weights):", ""]
    for r in rows:
        lines.append(f"- seed {r['seed']}: true risk {r['true_risk']['c_harrell']:.3f}, cox {r['cox']['c_harrell']:.3f}, "
                     f"cox-gbdt {r['cox-gbdt']['c_harrell']:.3f}, late {r['late']['c_harrell']:.3f}, auto {r['auto']['c_harrell']:.3f} ({r['auto']['members']}); "
                     f"{r['test_events']} test events")
    MD_PATH.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    runner = sub.add_parser("run")
    runner.add_argument("--seeds", default="0,1,2,3,4")
    runner.add_argument("--epochs", type=int, default=60)
    sub.add_parser("report")
    args = parser.parse_args()
    if args.what == "run":
        run([int(s) for s in args.seeds.split(",")], args.epochs)
    else:
        report()


if __name__ == "__main__":
    main()
