"""Benchmark of ICYM2I informativeness: naive (complete cases) vs corrected (IPW) vs the full-data oracle.

(a) logic AND/OR/XOR, x2 observed with P = 0.2 + 0.6 x1: oracle, naive, corrected and the exact truth
    (BROJA on the population distribution) of the unimodal AUROCs and the PID, over seeds.
(b) blobs over a grid of unique/shared label mixtures, x2 MAR-missing driven by x1 at rates 0.3-0.7:
    RMSE to the full-data oracle of naive vs corrected for every reported quantity (batch PID included),
    and to a size-matched oracle (the full data subsampled uniformly to the number of complete cases), which
    separates the bias of missingness from the effect of fitting on fewer samples.
(c) mfeat, four modalities MAR-missing driven by two always-observed ones: per-modality information and
    gains, naive vs corrected vs full data.
Plus the run time of each estimate, and one continuous (batch) PID on 10,000 samples.

Usage: python benchmarks/informativeness.py [--output benchmarks/results] [--seeds 5] [--blobs-seeds 2] [--markdown-only]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from missmodal.data import load_dataset, simulate_missingness
from missmodal.informativeness import BatchPID, Informativeness, broja_pid, cross_fitted_proba

GATES = {"and": np.logical_and, "or": np.logical_or, "xor": np.logical_xor}
PID_TERMS = ("unique_1", "unique_2", "redundancy", "synergy")
BLOBS_MIXTURES = {"unique1": (1, 0, 0), "unique2": (0, 1, 0), "shared": (0, 0, 1), "equal": (1, 1, 1)}
BLOBS_RATES = (0.3, 0.5, 0.7)
MFEAT_ALWAYS = ["pix", "mor"]


def flatten(report: dict | None, variant: str) -> dict[str, float]:
    """Every scalar quantity of one estimate: metric/subset, gain/modality, pid/term."""
    if report is None or report.get(variant) is None:
        return {}
    values = {}
    for metric in ("auroc", "auprc", "accuracy", "cross_entropy", "information_bits", "gain_bits"):
        for key, value in report[variant][metric].items():
            values[f"{metric}/{key}"] = value
    if report[variant].get("pid"):
        pid = report[variant]["pid"]
        a, b = report["pair"]
        values.update({"pid/unique_1": pid["unique"][a], "pid/unique_2": pid["unique"][b],
                       "pid/redundancy": pid["redundancy"], "pid/synergy": pid["synergy"]})
    return values


def rmse(pairs: list[tuple[float, float]]) -> float | None:
    pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
    return float(np.sqrt(np.mean([(a - b) ** 2 for a, b in pairs]))) if pairs else None


def run(data, **params) -> tuple[dict, float]:
    start = time.perf_counter()
    report = Informativeness(**params).fit(data).to_dict()
    return report, time.perf_counter() - start


def size_matched_oracle(full, n_complete: int, seed: int, **params) -> dict[str, float]:
    """The full-data estimate on a uniform random subsample of ``n_complete`` samples: the complete cases' sample
    size without their selection. Estimates of information fall with fewer training samples whatever the
    missingness, so the distance to this oracle is the missingness bias (plus noise), not the smaller sample."""
    rows = np.sort(np.random.default_rng([seed, 7]).choice(full.n_samples, n_complete, replace=False))
    report, _ = run(full.subset(rows), n_bootstrap=0, seed=seed, **params)
    return flatten(report, "naive")


def population_truth(gate: str) -> dict[str, float]:
    table = np.zeros((2, 2, 2))
    for a in (0, 1):
        for b in (0, 1):
            table[a, b, int(GATES[gate](a, b))] = 0.25
    pid = broja_pid(table)
    return {"pid/unique_1": pid.unique1, "pid/unique_2": pid.unique2, "pid/redundancy": pid.redundancy,
            "pid/synergy": pid.synergy, "auroc/x1": 5 / 6 if gate != "xor" else 0.5, "auroc/x2": 5 / 6 if gate != "xor" else 0.5}


def bench_logic(seeds: int) -> dict:
    rows = []
    for gate in GATES:
        for seed in range(seeds):
            full = load_dataset("logic", gate=gate, n_samples=10_000, seed=seed)
            p_observed = np.c_[np.ones(10_000), 0.2 + 0.6 * full.modalities["x1"][:, 0]]
            data = simulate_missingness(full, "custom", p_observed=p_observed, seed=seed + 100)
            oracle, t_oracle = run(full, pair=("x1", "x2"), n_bootstrap=0, seed=seed)
            estimate, t_estimate = run(data, pair=("x1", "x2"), n_bootstrap=0, seed=seed)
            rows.append({"gate": gate, "seed": seed, "oracle": flatten(oracle, "naive"), "naive": flatten(estimate, "naive"),
                         "corrected": flatten(estimate, "corrected"), "seconds": {"oracle": t_oracle, "estimate": t_estimate},
                         "timings_s": estimate["diagnostics"]["timings_s"]})
    summary = {}
    keys = ("auroc/x1", "auroc/x2") + tuple(f"pid/{t}" for t in PID_TERMS)
    for gate in GATES:
        group = [r for r in rows if r["gate"] == gate]
        truth = population_truth(gate)
        summary[gate] = {key: {"truth": truth[key], **{v: float(np.mean([r[v][key] for r in group]))
                                                        for v in ("oracle", "naive", "corrected")}} for key in keys}
    return {"rows": rows, "summary": summary}


def bench_blobs(n_samples: int, seeds: int) -> dict:
    rows = []
    for seed in range(seeds):
        for mixture, weights in BLOBS_MIXTURES.items():
            full = load_dataset("blobs", n_samples=n_samples, unique1=weights[0], unique2=weights[1], shared=weights[2], seed=seed)
            oracle, t_oracle = run(full, pair=("x1", "x2"), n_bootstrap=0, seed=seed)
            for rate in BLOBS_RATES:
                data = simulate_missingness(full, "mar", rate=rate, always_observed=["x1"], seed=seed + 1)
                estimate, t_estimate = run(data, pair=("x1", "x2"), n_bootstrap=0, seed=seed)
                n_complete = estimate["diagnostics"]["n_complete"]
                rows.append({"mixture": mixture, "rate": rate, "seed": seed, "oracle": flatten(oracle, "naive"),
                             "oracle_matched": size_matched_oracle(full, n_complete, seed, pair=("x1", "x2")),
                             "naive": flatten(estimate, "naive"), "corrected": flatten(estimate, "corrected"),
                             "seconds": {"oracle": t_oracle, "estimate": t_estimate}, "timings_s": estimate["diagnostics"]["timings_s"],
                             "effective_sample_size": estimate["diagnostics"]["propensity"]["effective_sample_size"],
                             "n_complete": n_complete})
    return {"rows": rows, "rmse": rmse_table(rows), "rmse_matched": rmse_table(rows, "oracle_matched")}


def rmse_table(rows: list[dict], oracle: str = "oracle") -> dict:
    """RMSE to ``oracle`` (the full-data or the size-matched oracle) per quantity family (metric), naive vs
    corrected, and over all quantities."""
    keys = sorted(rows[0][oracle])
    families = sorted({k.split("/")[0] for k in keys}) + ["all"]
    table = {}
    for family in families:
        chosen = [k for k in keys if family == "all" or k.split("/")[0] == family]
        table[family] = {v: rmse([(r[v].get(k), r[oracle].get(k)) for r in rows for k in chosen]) for v in ("naive", "corrected")}
        naive, corrected = table[family]["naive"], table[family]["corrected"]
        table[family]["ratio"] = corrected / naive if naive else None
    return table


def bench_mfeat(seeds: int) -> dict:
    rows = []
    full = load_dataset("mfeat")
    oracle, t_oracle = run(full, n_bootstrap=0, seed=0)
    for seed in range(seeds):
        data = simulate_missingness(full, "mar", rate=0.2, always_observed=MFEAT_ALWAYS, seed=seed)
        estimate, t_estimate = run(data, n_bootstrap=0, seed=seed)
        matched = size_matched_oracle(full, estimate["diagnostics"]["n_complete"], seed)
        rows.append({"seed": seed, "oracle": flatten(oracle, "naive"), "oracle_matched": matched, "naive": flatten(estimate, "naive"),
                     "corrected": flatten(estimate, "corrected"), "seconds": {"oracle": t_oracle, "estimate": t_estimate},
                     "timings_s": estimate["diagnostics"]["timings_s"], "n_complete": estimate["diagnostics"]["n_complete"],
                     "effective_sample_size": estimate["diagnostics"]["propensity"]["effective_sample_size"]})
    return {"rows": rows, "rmse": rmse_table(rows), "rmse_matched": rmse_table(rows, "oracle_matched")}


def time_batch_pid(n_samples: int) -> dict:
    data = load_dataset("blobs", n_samples=n_samples, seed=0)
    x1, x2, y = data.modalities["x1"], data.modalities["x2"], data.target
    start = time.perf_counter()
    probas = [cross_fitted_proba(x, y, None)[0] for x in (x1, x2, np.hstack([x1, x2]))]
    t_classifiers = time.perf_counter() - start
    start = time.perf_counter()
    pid = BatchPID(seed=0).fit(x1, x2, *probas).pid_
    return {"n_samples": n_samples, "classifier_seconds": t_classifiers, "batch_pid_seconds": time.perf_counter() - start,
            "pid": pid.to_dict()}


def fmt(value) -> str:
    return "–" if value is None else f"{value:.3f}"


def rmse_lines(part: dict) -> list[str]:
    """RMSE of naive and corrected to the full-data oracle and (when run) to the size-matched oracle."""
    matched = part.get("rmse_matched")
    lines = ["| quantity | naive RMSE | corrected RMSE | corrected / naive | naive RMSE, size-matched | "
             "corrected RMSE, size-matched | corrected / naive, size-matched |", "|---|---|---|---|---|---|---|"]
    for family, v in part["rmse"].items():
        m = (matched or {}).get(family, {})
        lines.append(f"| {family} | {fmt(v['naive'])} | {fmt(v['corrected'])} | {fmt(v['ratio'])} | "
                     f"{fmt(m.get('naive'))} | {fmt(m.get('corrected'))} | {fmt(m.get('ratio'))} |")
    return lines


def markdown(results: dict, command: str) -> str:
    lines = ["# Informativeness benchmark (ICYM2I: naive vs corrected vs full-data oracle)", "",
             f"Command: `{command}`", "",
             f"Machine: {results['machine']}. Timings are from one run, with other benchmark jobs possibly on the "
             "same cores: indicative only.", "", "All information quantities in bits; predictor: logistic "
             "(cross-fitted, 3 folds); propensity: logistic; clip [0.05, 0.95].", "",
             "## (a) logic gates, N = 10000, P(x2 observed) = 0.2 + 0.6 x1 "
             f"(mean over {results['settings']['seeds']} seeds)", "",
             "| gate | quantity | truth | oracle | naive | corrected |", "|---|---|---|---|---|---|"]
    for gate, table in results["logic"]["summary"].items():
        for key, v in table.items():
            lines.append(f"| {gate} | {key} | {fmt(v['truth'])} | {fmt(v['oracle'])} | {fmt(v['naive'])} | {fmt(v['corrected'])} |")
    lines += ["", f"## (b) blobs, N = {results['settings']['blobs_n']}, mixtures {list(BLOBS_MIXTURES)} x MAR rates "
              f"{list(BLOBS_RATES)} driven by x1, {results['settings'].get('blobs_seeds', 1)} seed(s): RMSE to the oracles", ""]
    lines += rmse_lines(results["blobs"])
    lines += ["", "By missing rate (RMSE naive / corrected; full-data oracle, then size-matched oracle):", "",
              "| rate | oracle | auroc | information_bits | gain_bits | pid | all |", "|---|---|---|---|---|---|---|"]
    for rate in BLOBS_RATES:
        for oracle in ("oracle", "oracle_matched"):
            if oracle not in results["blobs"]["rows"][0]:
                continue
            table = rmse_table([r for r in results["blobs"]["rows"] if r["rate"] == rate], oracle)
            cells = " | ".join(f"{fmt(table[f]['naive'])} / {fmt(table[f]['corrected'])}"
                               for f in ("auroc", "information_bits", "gain_bits", "pid", "all"))
            lines.append(f"| {rate} | {'full' if oracle == 'oracle' else 'size-matched'} | {cells} |")
    lines += ["", f"## (c) mfeat, MAR rate 0.2 on four modalities driven by {MFEAT_ALWAYS} "
              f"({results['settings']['mfeat_seeds']} seeds): RMSE to the oracles", ""]
    lines += rmse_lines(results["mfeat"])
    rows = results["mfeat"]["rows"]
    lines += ["", "Per-modality gain given the rest (mean over seeds):", "", "| modality | full data | naive | corrected |", "|---|---|---|---|"]
    for key in sorted(k for k in rows[0]["oracle"] if k.startswith("gain_bits/")):
        lines.append(f"| {key.split('/')[1]} | {fmt(rows[0]['oracle'][key])} | {fmt(np.mean([r['naive'][key] for r in rows]))} | "
                     f"{fmt(np.mean([r['corrected'][key] for r in rows]))} |")
    timing = results["batch_pid_timing"]
    lines += ["", "## Run time", "",
              f"- logic (N=10000, both estimates + exact PID): mean {np.mean([r['seconds']['estimate'] for r in results['logic']['rows']]):.1f} s per run",
              f"- blobs (N={results['settings']['blobs_n']}, both estimates + batch PID): mean "
              f"{np.mean([r['seconds']['estimate'] for r in results['blobs']['rows']]):.1f} s per run",
              f"- mfeat (2000 x 6 modalities, 13 subsets, both estimates): mean {np.mean([r['seconds']['estimate'] for r in rows]):.1f} s per run",
              f"- batch PID alone on {timing['n_samples']} blobs samples: {timing['batch_pid_seconds']:.1f} s "
              f"(its three classifiers: {timing['classifier_seconds']:.1f} s)", ""]
    return "\n".join(lines)


def write_markdown(results: dict, output: Path) -> str:
    """Write informativeness.md: the tables, then the hand-written notes of ``informativeness_notes.md`` if present."""
    text = markdown(results, results["command"]) + f"\nTotal benchmark time: {results['total_seconds']:.0f} s.\n"
    notes = output / "informativeness_notes.md"
    if notes.exists():
        text += "\n" + notes.read_text()
    (output / "informativeness.md").write_text(text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="benchmarks/results")
    parser.add_argument("--markdown-only", action="store_true",
                        help="Re-render informativeness.md from the informativeness.json already in --output.")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--blobs-n", type=int, default=4000)
    parser.add_argument("--blobs-seeds", type=int, default=2)
    parser.add_argument("--mfeat-seeds", type=int, default=2)
    args = parser.parse_args()
    output = Path(args.output)
    if args.markdown_only:
        print(write_markdown(json.loads((output / "informativeness.json").read_text()), output))
        return
    command = (f"python benchmarks/informativeness.py --output {args.output} --seeds {args.seeds} "
               f"--blobs-n {args.blobs_n} --blobs-seeds {args.blobs_seeds} --mfeat-seeds {args.mfeat_seeds}")
    start = time.perf_counter()
    results = {"settings": vars(args), "machine": f"{platform.machine()}, {platform.python_version()}, 2 CPU cores",
               "command": command}
    results["logic"] = bench_logic(args.seeds)
    print(f"logic done ({time.perf_counter() - start:.0f} s)", flush=True)
    results["blobs"] = bench_blobs(args.blobs_n, args.blobs_seeds)
    print(f"blobs done ({time.perf_counter() - start:.0f} s)", flush=True)
    results["mfeat"] = bench_mfeat(args.mfeat_seeds)
    print(f"mfeat done ({time.perf_counter() - start:.0f} s)", flush=True)
    results["batch_pid_timing"] = time_batch_pid(10_000)
    results["total_seconds"] = time.perf_counter() - start
    output.mkdir(parents=True, exist_ok=True)
    (output / "informativeness.json").write_text(json.dumps(results, indent=2) + "\n")
    print(write_markdown(results, output))


if __name__ == "__main__":
    main()
