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

Two further sections, run alone with ``--only coverage`` / ``--only dr`` (results in
informativeness_coverage_n{N}.* / informativeness_dr.*):

(d) coverage: many small simulated MAR cohorts with a known population (x1 in {0,1,2} always observed, x2 in
    {0,1} observed with P = 0.3 + 0.25 x1, y ~ Bernoulli(table)); the share of 95% intervals (refitted
    bootstrap) that hold the population value of I(Y; X1), I(Y; X2), I(Y; X1, X2), both gains and each PID term, for
    naive, corrected and dr; and the old fixed-model bootstrap on the same cohorts for comparison.
(e) dr: RMSE of I(Y; X_m) per single modality to the full-data value, naive vs corrected vs dr, on logic
    (x2 observed with P = 0.2 + 0.6 x1), blobs (x2 MAR at 50% driven by x1) and mfeat (four modalities MAR at
    20% each, driven by pix and mor), over seeds; paired per-seed differences with their sd.

Usage: python benchmarks/informativeness.py [--output benchmarks/results] [--seeds 5] [--blobs-seeds 2] [--markdown-only]
       python benchmarks/informativeness.py --only coverage [--cohorts 200] [--cohort-n 300] [--coverage-bootstrap 100] [--jobs 2]
       python benchmarks/informativeness.py --only dr [--dr-seeds 3]
"""

from __future__ import annotations

import argparse
import json
import os
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


# --- (d) coverage of the intervals ----------------------------------------------------------------------

COVERAGE_P1 = np.array([0.3, 0.4, 0.3])  # P(x1 = 0, 1, 2)
COVERAGE_P_Y = np.array([[0.15, 0.6], [0.35, 0.8], [0.5, 0.9]])  # P(y = 1 | x1, x2), x2 ~ Bernoulli(0.5)
COVERAGE_QUANTITIES = ("information_bits/x1", "information_bits/x2", "information_bits/x1+x2",
                       "gain_bits/x1", "gain_bits/x2", "pid/unique_1", "pid/unique_2", "pid/redundancy", "pid/synergy")


def coverage_population() -> dict[str, float]:
    """Population values: the exact table p(x1, x2, y), its informations and its BROJA PID (bits)."""
    from missmodal.informativeness import mutual_information

    table = np.zeros((3, 2, 2))
    for a in range(3):
        for b in range(2):
            table[a, b, 1] = COVERAGE_P1[a] * 0.5 * COVERAGE_P_Y[a, b]
            table[a, b, 0] = COVERAGE_P1[a] * 0.5 * (1 - COVERAGE_P_Y[a, b])
    info, pid = mutual_information(table), broja_pid(table)
    return {"information_bits/x1": info["i1"], "information_bits/x2": info["i2"], "information_bits/x1+x2": info["i12"],
            "gain_bits/x1": info["i12"] - info["i2"], "gain_bits/x2": info["i12"] - info["i1"],
            "pid/unique_1": pid.unique1, "pid/unique_2": pid.unique2, "pid/redundancy": pid.redundancy, "pid/synergy": pid.synergy}


def coverage_cohort(n: int, seed: int):
    from missmodal import MultimodalData

    rng = np.random.default_rng(seed)
    x1 = rng.choice(3, n, p=COVERAGE_P1)
    x2 = rng.integers(0, 2, n)
    y = (rng.random(n) < COVERAGE_P_Y[x1, x2]).astype(int)
    observed = np.c_[np.ones(n, bool), rng.random(n) < 0.3 + 0.25 * x1]
    return MultimodalData({"x1": x1[:, None].astype(float), "x2": x2[:, None].astype(float)}, observed=observed, target=y)


def interval_values(report: dict, variant: str) -> dict[str, list[float] | None]:
    intervals = report["intervals"].get(variant)
    if intervals is None:
        return {}
    values = {f"information_bits/{k}": v for k, v in intervals["information_bits"].items()}
    values.update({f"gain_bits/{k}": v for k, v in intervals["gain_bits"].items()})
    if intervals.get("pid"):
        a, b = report["pair"]
        values.update({"pid/unique_1": intervals["pid"]["unique"][a], "pid/unique_2": intervals["pid"]["unique"][b],
                       "pid/redundancy": intervals["pid"]["redundancy"], "pid/synergy": intervals["pid"]["synergy"]})
    return values


def coverage_one(seed: int, n: int, n_bootstrap: int) -> dict:
    """Intervals of one cohort, refitted and fixed bootstrap (one process, one thread)."""
    data = coverage_cohort(n, seed)
    out = {"seed": seed}
    for interval in ("refit", "fixed"):
        start = time.perf_counter()
        report = Informativeness(pair=("x1", "x2"), predictor="frequency", n_bootstrap=n_bootstrap, interval=interval,
                                 propensity_params={"Cs": (1.0,)}, seed=seed).fit(data).to_dict()
        out[interval] = {v: interval_values(report, v) for v in ("naive", "corrected", "dr")}
        out[interval]["seconds"] = time.perf_counter() - start
        out[interval]["estimate"] = {v: flatten(report, v) for v in ("naive", "corrected", "dr")}
        out[interval]["n_failed"] = report["intervals"]["n_failed_resamples"]
    return out


def bench_coverage(cohorts: int, n: int, n_bootstrap: int, jobs: int) -> dict:
    from joblib import Parallel, delayed

    truth = coverage_population()
    rows = Parallel(n_jobs=jobs)(delayed(coverage_one)(seed, n, n_bootstrap) for seed in range(cohorts))
    summary = {}
    for interval in ("refit", "fixed"):
        summary[interval] = {}
        for variant in ("naive", "corrected", "dr"):
            table = {}
            for key in COVERAGE_QUANTITIES:
                bounds = [r[interval][variant].get(key) for r in rows]
                bounds = [b for b in bounds if b is not None]
                if not bounds:
                    continue
                hits = [b[0] <= truth[key] <= b[1] for b in bounds]
                estimates = [r[interval]["estimate"][variant].get(key) for r in rows]
                table[key] = {"coverage": float(np.mean(hits)), "n_cohorts": len(hits),
                              "mean_width": float(np.mean([b[1] - b[0] for b in bounds])),
                              "bias": float(np.mean([e for e in estimates if e is not None]) - truth[key])}
            summary[interval][variant] = table
    return {"truth": truth, "summary": summary, "rows": rows,
            "seconds": {k: float(np.sum([r[k]["seconds"] for r in rows])) for k in ("refit", "fixed")}}


def coverage_markdown(results: dict) -> str:
    part = results["coverage"]
    lines = ["# Informativeness: coverage of the 95% intervals", "", f"Command: `{results['command']}`", "",
             f"{results['settings']['cohorts']} simulated MAR cohorts of {results['settings']['cohort_n']} samples "
             "(x1 in {0,1,2} always observed, x2 in {0,1} observed with P = 0.3 + 0.25 x1), "
             f"{results['settings']['coverage_bootstrap']} bootstrap resamples each, predictor `frequency`, exact PID. "
             "Coverage = share of cohorts whose interval holds the population value (binomial sd at 95%: "
             f"{np.sqrt(0.95 * 0.05 / results['settings']['cohorts']):.1%}). Goal: >= 93% for I(Y; X_S), the gains and "
             f"every PID term, over >= 200 cohorts. Load average {results.get('load', '?')}; "
             f"{results.get('total_seconds', 0):.0f} s wall.", ""]
    for interval in ("refit", "fixed"):
        lines += [f"## {interval} bootstrap", "", "| quantity | truth | naive | corrected | dr | corrected bias | corrected width |",
                  "|---|---|---|---|---|---|---|"]
        for key in COVERAGE_QUANTITIES:
            cells = []
            for variant in ("naive", "corrected", "dr"):
                stats = part["summary"][interval][variant].get(key)
                cells.append("–" if stats is None else f"{stats['coverage']:.1%}")
            corrected = part["summary"][interval]["corrected"][key]
            lines.append(f"| {key} | {part['truth'][key]:.4f} | " + " | ".join(cells) +
                         f" | {corrected['bias']:+.4f} | {corrected['mean_width']:.3f} |")
        lines += ["", f"Total time: {part['seconds'][interval]:.0f} s over all cohorts.", ""]
    return "\n".join(lines) + "\n"


# --- (e) dr against the full-data values ------------------------------------------------------------------

def bench_dr(seeds: int) -> dict:
    settings = {
        "logic": lambda seed: (load_dataset("logic", gate="and", n_samples=4000, seed=seed),
                               lambda full: simulate_missingness(full, "custom", seed=seed + 100,
                                                                 p_observed=np.c_[np.ones(4000), 0.2 + 0.6 * full.modalities["x1"][:, 0]])),
        "blobs": lambda seed: (load_dataset("blobs", n_samples=3000, seed=seed),
                               lambda full: simulate_missingness(full, "mar", rate=0.5, always_observed=["x1"], seed=seed + 1)),
        "mfeat-MAR": lambda seed: (load_dataset("mfeat"),
                                   lambda full: simulate_missingness(full, "mar", rate=0.2, always_observed=MFEAT_ALWAYS, seed=seed)),
    }
    out = {}
    for name, make in settings.items():
        rows = []
        for seed in range(seeds):
            full, hide = make(seed)
            data = hide(full)
            oracle, _ = run(full, n_bootstrap=0, seed=seed)
            estimate, seconds = run(data, n_bootstrap=0, seed=seed)
            singles = [m for m in estimate["modalities"] if m not in (MFEAT_ALWAYS if name == "mfeat-MAR" else [])]
            truth = {m: oracle["naive"]["information_bits"][m] for m in singles}
            errors = {v: {m: estimate[v]["information_bits"][m] - truth[m] for m in singles} for v in ("naive", "corrected", "dr")}
            rows.append({"seed": seed, "truth": truth, "errors": errors, "seconds": seconds,
                         "n_complete": estimate["diagnostics"]["n_complete"], "n_samples": estimate["diagnostics"]["n_samples"]})
            print(f"dr {name} seed {seed} done", flush=True)
        per_seed = {v: [float(np.sqrt(np.mean(np.square(list(r["errors"][v].values()))))) for r in rows] for v in ("naive", "corrected", "dr")}
        out[name] = {"rows": rows, "rmse_per_seed": per_seed,
                     "rmse": {v: float(np.mean(per_seed[v])) for v in per_seed},
                     "rmse_sd": {v: float(np.std(per_seed[v], ddof=1)) if len(per_seed[v]) > 1 else None for v in per_seed},
                     "dr_minus_naive": {"mean": float(np.mean(np.subtract(per_seed["dr"], per_seed["naive"]))),
                                        "sd": float(np.std(np.subtract(per_seed["dr"], per_seed["naive"]), ddof=1)) if seeds > 1 else None},
                     "ratio_dr_to_naive": float(np.mean(per_seed["dr"]) / np.mean(per_seed["naive"]))}
    return out


def dr_markdown(results: dict) -> str:
    lines = ["# Informativeness: the dr variant against the full-data values", "", f"Command: `{results['command']}`", "",
             "RMSE over the single modalities that go missing of I(Y; X_m) (bits) to the same estimator on the full data, "
             "mean over seeds (sd, ddof=1); paired per-seed difference dr - naive. Target: dr RMSE <= 1/3 of naive on "
             "blobs and mfeat-MAR.", "", "| setting | naive | corrected | dr | dr / naive | dr - naive (paired) | complete / samples |",
             "|---|---|---|---|---|---|---|"]
    for name, part in results["dr"].items():
        cell = {v: f"{part['rmse'][v]:.3f} ({fmt(part['rmse_sd'][v])})" for v in ("naive", "corrected", "dr")}
        diff = part["dr_minus_naive"]
        lines.append(f"| {name} | {cell['naive']} | {cell['corrected']} | {cell['dr']} | {part['ratio_dr_to_naive']:.2f} | "
                     f"{diff['mean']:+.3f} ({fmt(diff['sd'])}) | {part['rows'][0]['n_complete']} / {part['rows'][0]['n_samples']} |")
    return "\n".join(lines) + "\n"


def section_name(args) -> str:
    """The results' file stem: one coverage file per cohort size."""
    return f"informativeness_coverage_n{args.cohort_n}" if args.only == "coverage" else f"informativeness_{args.only}"


def main_section(args) -> None:
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    if args.markdown_only:  # re-render from the JSON already in --output
        results = json.loads((output / f"{section_name(args)}.json").read_text())
        text = coverage_markdown(results) if args.only == "coverage" else dr_markdown(results)
        (output / f"{section_name(args)}.md").write_text(text)
        print(text)
        return
    start, load = time.perf_counter(), os.getloadavg()
    if args.only == "coverage":
        command = (f"python benchmarks/informativeness.py --only coverage --cohorts {args.cohorts} --cohort-n {args.cohort_n} "
                   f"--coverage-bootstrap {args.coverage_bootstrap} --jobs {args.jobs}")
        results = {"settings": vars(args), "command": command, "coverage": bench_coverage(args.cohorts, args.cohort_n,
                                                                                      args.coverage_bootstrap, args.jobs)}
        text = coverage_markdown(results)
    else:
        command = f"python benchmarks/informativeness.py --only dr --dr-seeds {args.dr_seeds}"
        results = {"settings": vars(args), "command": command, "dr": bench_dr(args.dr_seeds)}
        text = dr_markdown(results)
    results["total_seconds"] = time.perf_counter() - start
    results["machine"] = f"{platform.machine()}, {platform.python_version()}, 2 CPU cores shared"
    results["load"] = f"{load[0]:.2f} -> {os.getloadavg()[0]:.2f}"
    text = coverage_markdown(results) if args.only == "coverage" else text
    (output / f"{section_name(args)}.json").write_text(json.dumps(results, indent=2) + "\n")
    (output / f"{section_name(args)}.md").write_text(text)
    print(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="benchmarks/results")
    parser.add_argument("--markdown-only", action="store_true",
                        help="Re-render informativeness.md from the informativeness.json already in --output.")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--blobs-n", type=int, default=4000)
    parser.add_argument("--blobs-seeds", type=int, default=2)
    parser.add_argument("--mfeat-seeds", type=int, default=2)
    parser.add_argument("--only", choices=["coverage", "dr"], default=None, help="Run one of the sections (d), (e) alone.")
    parser.add_argument("--cohorts", type=int, default=200)
    parser.add_argument("--cohort-n", type=int, default=300)
    parser.add_argument("--coverage-bootstrap", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--dr-seeds", type=int, default=3)
    args = parser.parse_args()
    if args.only:
        main_section(args)
        return
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
