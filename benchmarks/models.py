"""Models benchmark: a clinical-style cohort, mfeat under MCAR, the Zipf long tail, diagnostics cost, throughput.

Usage::

    python benchmarks/models.py clinical --seeds 5      # (a) clinical cohort: AUROC / Brier of every model and auto
    python benchmarks/models.py mcar --seeds 5          # (b) mfeat MCAR 50% / 70%: F1 of every model, auto, anchors
    python benchmarks/models.py longtail --seeds 5      # (c) Zipf train/val, test under all 63 combinations
    python benchmarks/models.py diagnostics             # (d) cost of the gradient diagnostics (same process)
    python benchmarks/models.py speed                   # (e) training samples/s on latent 6 x 128, n = 100k
    python benchmarks/models.py report                  # JSON parts -> benchmarks/results/models.md

Each part writes ``benchmarks/results/models_<part>.json``. Every seed draws its own data or missingness
mask, its own 70/15/15 split and its own initialisation. Every model runs with the library defaults (the
setting that won on validation, ``models_defaults.json``); epochs are selected on validation (early
stopping). ``auto`` is the library's greedy validation ensemble (:func:`missmodal.train.auto.ensemble_from`)
of exactly the single models of the same seed, so its rows pair with theirs; it never sees the test split.
Each fit runs on one torch thread; ``--workers`` fits run side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
FUSION = ["concat", "missing-token", "attention", "late", "flexmoe", "remind"]
BASELINES = ["logistic", "gbdt"]
RATES = [0.5, 0.7]
CLINICAL_N = 1000
ZIPF_EXPONENT = 1.0
REFERENCE = "reference: complete-data LR per test group"
# group DRO configurations beside the ERM candidates: name -> (model, loss params, extra settings).
# (eta, C) = (0.1, 1.0) was chosen on the complete validation samples (worst group, all combinations) of seed 0
# in the earlier long-tail run among (0.01, 1), (0.1, 1), (0.1, 0); the clinical part uses the library default.
DRO = {
    "clinical": {"attention+group-dro": ("attention", {}, {}), "remind+group-dro": ("remind", {}, {})},
    "longtail": {"remind+group-dro": ("remind", {"step_size": 0.1, "adjustment": 1.0}, {}),
                 "remind+group-dro+superset": ("remind", {"step_size": 0.1, "adjustment": 1.0}, {"superset_augmentation": True}),
                 "remind+group-dro (unpooled)": ("remind", {"step_size": 0.1, "adjustment": 1.0}, {"pool_rare_groups": False})},
}
LONGTAIL_CANDIDATES = ["logistic", "attention", "remind"]


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")


def machine() -> dict:
    import torch

    return {"python": platform.python_version(), "torch": torch.__version__, "cpu_count": os.cpu_count(),
            "torch_threads_per_fit": 1, "platform": platform.platform()}


def mcar_split(rate: float, seed: int):
    from missmodal.data import load_dataset, simulate_missingness

    data = simulate_missingness(load_dataset("mfeat"), "mcar", rate=rate, seed=seed)
    return data.split((0.7, 0.15, 0.15), seed=seed)


def splits(kind: str, rate: float | None, seed: int):
    """train, validation, and the evaluated test data (longtail: the complete test samples, all combinations)."""
    from missmodal.data import load_dataset, simulate_missingness

    if kind == "clinical":
        return load_dataset("clinical", n_samples=CLINICAL_N, seed=seed).split((0.7, 0.15, 0.15), seed=seed)
    if kind == "mcar":
        return mcar_split(rate, seed)
    full = load_dataset("mfeat")
    train, val, test = simulate_missingness(full, "zipf", exponent=ZIPF_EXPONENT, seed=seed).split((0.7, 0.15, 0.15), seed=seed)
    return train, val, full.subset(np.isin(full.ids, test.ids))


def test_metrics(model, kind: str, test) -> dict:
    """The part's test metrics of one model."""
    from missmodal.train import evaluate_model

    report = evaluate_model(model, test, all_combinations=kind == "longtail")
    overall = report["overall"]
    if kind == "clinical":
        keys = ("auroc", "brier", "auprc", "ece", "log_loss", "accuracy", "accuracy_at_threshold", "reference_accuracy", "reference_brier")
        return {k: overall.get(k) for k in keys}
    if kind == "mcar":
        return {k: overall[k] for k in ("accuracy", "f1_micro", "f1_macro")}
    return {"overall": overall["accuracy"], "head": report["head"]["accuracy"], "tail": report["tail"]["accuracy"],
            "worst_group": report["worst_group"]["accuracy"], "worst_group_name": report["worst_group"]["name"]}


def member_job(kind: str, rate: float | None, seed: int, config: str, model: str, loss: str, loss_params: dict,
               extra: dict, epochs: int, patience: int) -> dict:
    """One model on one split: the fitted model (ERM candidates, for the ensemble), its validation row, test metrics."""
    from missmodal.train import fit_model
    from missmodal.train.auto import candidate_row

    train, val, test = splits(kind, rate, seed)
    started = time.perf_counter()
    fitted = fit_model(train, val, model=model, loss=loss, seed=seed, epochs=epochs, patience=patience,
                       loss_params=loss_params, **extra)
    seconds = time.perf_counter() - started
    row = candidate_row(model, fitted, val, seconds)
    result = {"kind": kind, "rate": rate, "seed": seed, "model": config, "seconds": seconds,
              "val_loss": row["val_loss"], "best_epoch": fitted.info.get("best_epoch"), **test_metrics(fitted, kind, test)}
    if "group_weights" in (fitted.history[-1] if fitted.history else {}):
        result["objective_groups"] = len(fitted.history[-1]["group_weights"])
    return {"result": result, "member": fitted if loss == "erm" else None, "row": row}


def auto_rows(kind: str, outputs: list[dict], rates) -> list[dict]:
    """The ``auto`` row of each (rate, seed): the greedy validation ensemble of that seed's ERM candidates."""
    from missmodal.train.auto import ensemble_from

    rows = []
    for rate in rates:
        for seed in sorted({o["result"]["seed"] for o in outputs}):
            mine = [o for o in outputs if o["member"] is not None and o["result"]["rate"] == rate and o["result"]["seed"] == seed]
            if not mine:
                continue
            train, val, test = splits(kind, rate, seed)
            ensemble = ensemble_from([o["member"] for o in mine], [o["row"] for o in mine], train, val)
            members = {c["name"]: round(c["weight"], 3) for c in ensemble.info["auto"]["candidates"] if c["weight"] > 0}
            rows.append({"kind": kind, "rate": rate, "seed": seed, "model": "auto", "members": members,
                         "seconds": sum(o["result"]["seconds"] for o in mine), **test_metrics(ensemble, kind, test)})
    return rows


def run_jobs(jobs, workers: int) -> list:
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker) as pool:
        futures = [pool.submit(fn, *args) for fn, args in jobs]
        return [f.result() for f in futures]


def write(part: str, payload: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"models_{part}.json").write_text(json.dumps(payload, indent=1) + "\n")


def run_suite(kind: str, seeds: int, epochs: int, patience: int, workers: int, rates, candidates) -> dict:
    """Every ERM candidate and DRO configuration on every (rate, seed), then the auto rows."""
    started = time.perf_counter()
    jobs = [(member_job, (kind, rate, seed, name, name, "erm", {}, {}, epochs, patience))
            for rate in rates for seed in range(seeds) for name in candidates]
    jobs += [(member_job, (kind, rate, seed, name, model, "group-dro", params, extra, epochs, patience))
             for rate in rates for seed in range(seeds) for name, (model, params, extra) in DRO.get(kind, {}).items()]
    outputs = run_jobs(jobs, workers)
    _init_worker()
    rows = [o["result"] for o in outputs] + auto_rows(kind, outputs, rates)
    return {"part": kind, "seeds": seeds, "epochs": epochs, "patience": patience, "rates": list(rates),
            "candidates": list(candidates), "dro": {k: [v[0], v[1], v[2]] for k, v in DRO.get(kind, {}).items()},
            "rows": rows, "seconds": time.perf_counter() - started, "machine": machine()}


def part_clinical(seeds: int, epochs: int, patience: int, workers: int, candidates) -> None:
    payload = run_suite("clinical", seeds, epochs, patience, workers, [None], candidates or BASELINES + FUSION)
    write("clinical", {**payload, "n_samples": CLINICAL_N})


def part_mcar(seeds: int, epochs: int, patience: int, workers: int, rates, candidates) -> None:
    payload = run_suite("mcar", seeds, epochs, patience, workers, rates, candidates or BASELINES + FUSION)
    anchors = run_jobs([(anchor_job, (rate, seed)) for rate in rates for seed in range(seeds)], workers)
    payload["rows"] += [row for result in anchors for row in result]
    previous = RESULTS / "models_mcar.json"
    if previous.exists():  # keep the other rates of an earlier run with the same settings (one rate per run)
        old = json.loads(previous.read_text())
        if all(old.get(k) == payload[k] for k in ("seeds", "epochs", "patience", "candidates")):
            kept = [r for r in old["rows"] if r["rate"] not in rates]
            payload.update(rows=kept + payload["rows"], rates=sorted(set(old["rates"]) | set(rates)),
                           seconds=old["seconds"] + payload["seconds"])
    write("mcar", payload)


def part_longtail(seeds: int, epochs: int, patience: int, workers: int, candidates, reference: bool) -> None:
    payload = run_suite("longtail", seeds, epochs, patience, workers, [None], candidates or LONGTAIL_CANDIDATES)
    if reference:
        payload["reference"] = run_jobs([(longtail_reference_job, (seed,)) for seed in range(seeds)], workers)
    write("longtail", {**payload, "zipf_exponent": ZIPF_EXPONENT})


def part_diagnostics(epochs: int, repeats: int) -> None:
    """Training time of attention on mfeat 50% MCAR with the gradient diagnostics off, every 5 epochs and every
    epoch: same process, same data, same fixed number of epochs (no early stopping), the three settings
    interleaved ``repeats`` times; CPU time of the process (robust to other jobs on the machine) and wall time."""
    from missmodal.train import fit_model

    _init_worker()
    train, val, _ = mcar_split(0.5, 0)
    settings = {"off": {"diagnostics": False}, "every 5 epochs": {"diagnostics": True, "diagnostics_every": 5},
                "every epoch": {"diagnostics": True, "diagnostics_every": 1}}
    runs = []
    for repeat in range(repeats):
        for label, options in settings.items():
            wall, cpu = time.perf_counter(), time.process_time()
            fitted = fit_model(train, val, model="attention", seed=0, epochs=epochs, patience=None, **options)
            runs.append({"diagnostics": label, "repeat": repeat, "seconds": time.perf_counter() - wall,
                         "cpu_seconds": time.process_time() - cpu,
                         "recorded_epochs": sum("gradient_cosine" in r for r in fitted.history)})
            print(runs[-1], flush=True)
    timed = [r for r in runs if r["repeat"] > 0] or runs  # the first round is a warm-up (imports, allocator)
    rows = [{"diagnostics": label, "recorded_epochs": next(r["recorded_epochs"] for r in runs if r["diagnostics"] == label),
             **{key: float(np.median([r[key] for r in timed if r["diagnostics"] == label])) for key in ("seconds", "cpu_seconds")}}
            for label in settings]
    write("diagnostics", {"part": "diagnostics", "model": "attention", "data": "mfeat MCAR 50%, seed 0", "epochs": epochs,
                          "repeats": repeats, "rows": rows, "runs": runs, "machine": machine()})


def _standardised(train, *others):
    """Per-modality standardisation on observed training rows; absent values -> 0 (the training mean)."""
    out = []
    for data in (train, *others):
        blocks = []
        for m, name in enumerate(train.modality_names):
            rows = train.modalities[name][train.observed[:, m]]
            mean, std = rows.mean(axis=0), rows.std(axis=0) + 1e-8
            values = (data.modalities[name] - mean) / std
            values[~data.observed[:, m]] = 0.0
            blocks.append(values)
        out.append(blocks)
    return out


def anchor_job(rate: float, seed: int) -> list[dict]:
    """(a) the two anchors, C of the logistic regressions chosen on validation."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    train, val, test = mcar_split(rate, seed)
    blocks_train, blocks_val, blocks_test = _standardised(train, val, test)
    results = []
    # mean imputation + logistic regression on the concatenated modalities
    best = None
    for c in (0.01, 0.1, 1.0):
        clf = LogisticRegression(C=c, max_iter=3000).fit(np.hstack(blocks_train), train.target)
        score = clf.score(np.hstack(blocks_val), val.target)
        if best is None or score > best[0]:
            best = (score, c, clf)
    predicted = best[2].predict(np.hstack(blocks_test))
    results.append({"model": "anchor: mean imputation + LR", "rate": rate, "seed": seed, "C": best[1],
                    "val_accuracy": best[0], "f1_micro": f1_score(test.target, predicted, average="micro"),
                    "f1_macro": f1_score(test.target, predicted, average="macro")})

    # late fusion: one LR per modality on its observed rows, log-probabilities summed over present modalities
    def fused(clfs, blocks, data):
        total = np.zeros((data.n_samples, len(clfs[0].classes_)))
        for m, clf in enumerate(clfs):
            present = data.observed[:, m]
            total[present] += clf.predict_log_proba(blocks[m][present])
        return clfs[0].classes_[total.argmax(axis=1)]

    best = None
    for c in (0.01, 0.1, 1.0):
        clfs = [LogisticRegression(C=c, max_iter=3000).fit(blocks_train[m][train.observed[:, m]], train.target[train.observed[:, m]])
                for m in range(train.n_modalities)]
        score = float(np.mean(fused(clfs, blocks_val, val) == val.target))
        if best is None or score > best[0]:
            best = (score, c, clfs)
    predicted = fused(best[2], blocks_test, test)
    results.append({"model": "anchor: late fusion of per-modality LR", "rate": rate, "seed": seed, "C": best[1],
                    "val_accuracy": best[0], "f1_micro": f1_score(test.target, predicted, average="micro"),
                    "f1_macro": f1_score(test.target, predicted, average="macro")})
    predicted = complete_data_reference(train, test, C=results[0]["C"])
    results.append({"model": REFERENCE, "rate": rate, "seed": seed, "C": results[0]["C"], "val_accuracy": None,
                    "f1_micro": f1_score(test.target, predicted, average="micro"),
                    "f1_macro": f1_score(test.target, predicted, average="macro")})
    return results


def _unmasked(full, data):
    """The samples of ``data`` (by id, in its order) as they are in ``full``, before masking."""
    row_of = {sample_id: row for row, sample_id in enumerate(full.ids)}
    return full.subset(np.array([row_of[i] for i in data.ids]))


def _modality_lr(blocks_train, y_train, blocks_test, present: list[int], C: float) -> np.ndarray:
    """Predictions of a logistic regression on the concatenated modalities ``present``."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=C, max_iter=3000).fit(np.hstack([blocks_train[m] for m in present]), y_train)
    return clf.predict(np.hstack([blocks_test[m] for m in present]))


def complete_data_reference(train, test, C: float) -> np.ndarray:
    """Test predictions of one logistic regression per test combination group, fitted on the training samples
    *before masking* restricted to that group's modalities. It sees 70% of mfeat complete, which no model
    under missingness does: a reference for how much a group's modalities allow, not a competitor."""
    from missmodal.data import load_dataset

    full = load_dataset("mfeat")
    train_full, test_full = _unmasked(full, train), _unmasked(full, test)
    blocks_train, blocks_test = _standardised(train_full, test_full)
    codes = test.group_codes()
    predicted = np.empty(test.n_samples, dtype=test.target.dtype)
    for code in np.unique(codes):
        rows = codes == code
        present = [m for m in range(test.n_modalities) if code >> m & 1]
        predicted[rows] = _modality_lr(blocks_train, train_full.target, [b[rows] for b in blocks_test], present, C)
    return predicted


def longtail_reference_job(seed: int, C: float = 1.0) -> dict:
    """(b) reference: for each of the 63 combinations, a logistic regression on the training samples *before
    masking* restricted to that combination, scored on the complete test samples: what each group's
    modalities allow a linear model that never saw a gap (not a competitor)."""
    from missmodal.data import load_dataset, simulate_missingness

    full = load_dataset("mfeat")
    masked = simulate_missingness(full, "zipf", exponent=ZIPF_EXPONENT, seed=seed)
    train, _, test = masked.split((0.7, 0.15, 0.15), seed=seed)
    train_full, test_full = _unmasked(full, train), _unmasked(full, test)
    blocks_train, blocks_test = _standardised(train_full, test_full)
    accuracy = {}
    for code in range(1, 2 ** full.n_modalities):
        present = [m for m in range(full.n_modalities) if code >> m & 1]
        predicted = _modality_lr(blocks_train, train_full.target, blocks_test, present, C)
        accuracy["+".join(full.modality_names[m] for m in present)] = float(np.mean(predicted == test_full.target))
    worst = min(accuracy, key=accuracy.get)
    return {"seed": seed, "C": C, "overall": float(np.mean(list(accuracy.values()))), "worst_group": accuracy[worst],
            "worst_group_name": worst}


def part_speed(n_samples: int, batch_size: int, steps: int) -> None:
    """Training throughput (forward, backward, AdamW step) of each model on latent 6 x 128 with 30% MCAR."""
    import torch

    from missmodal.data import load_dataset, simulate_missingness
    from missmodal.models import MODELS as REGISTRY, Preprocessing
    from missmodal.train import ERM, per_sample_loss

    _init_worker()
    data = simulate_missingness(load_dataset("latent", n_samples=n_samples, n_modalities=6, dim=128), "mcar", rate=0.3, seed=0)
    preprocessing = Preprocessing.fit(data)
    inputs, observed = preprocessing.inputs(data)
    target = preprocessing.encode_target(data.target)
    codes = data.group_codes()
    group_codes = np.unique(codes)
    groups = torch.from_numpy(np.searchsorted(group_codes, codes))
    counts = np.bincount(groups.numpy())
    loss_fn = per_sample_loss(data.task)
    rows = []
    for name in FUSION:
        torch.manual_seed(0)
        module = REGISTRY.build(name, dims=preprocessing.dims, out_dim=preprocessing.out_dim, task=data.task,
                                groups=group_codes.tolist())
        optimizer = torch.optim.AdamW(module.parameters(), lr=1e-3)
        objective = ERM(counts.tolist())
        order = np.random.default_rng(0).permutation(n_samples)
        timings = []
        for step in range(steps + 5):
            batch = torch.from_numpy(order[(step * batch_size) % n_samples:][:batch_size])
            started = time.perf_counter()
            output = module([x[batch] for x in inputs], observed[batch])
            loss, _ = objective(loss_fn(output.logits, target[batch]), groups[batch])
            optimizer.zero_grad()
            (loss + output.aux_loss).backward()
            optimizer.step()
            if step >= 5:
                timings.append(time.perf_counter() - started)
        seconds = float(np.median(timings))
        rows.append({"model": name, "samples_per_second": batch_size / seconds, "median_step_ms": seconds * 1000,
                     "parameters": sum(p.numel() for p in module.parameters())})
        print(f"{name:<14} {batch_size / seconds:>9.0f} samples/s", flush=True)
    write("speed", {"part": "speed", "n_samples": n_samples, "batch_size": batch_size, "timed_steps": steps,
                    "missingness": "MCAR 30%", "groups": int(len(group_codes)), "rows": rows, "machine": machine()})


def _spread(values) -> str:
    values = np.asarray(values, dtype=float)
    return f"{values.mean():.3f} ± {values.std(ddof=1) if len(values) > 1 else 0:.3f}"




def _values(rows, model: str, key: str, rate=None) -> np.ndarray:
    chosen = sorted((r for r in rows if r["model"] == model and (rate is None or r.get("rate") == rate)), key=lambda r: r["seed"])
    return np.array([np.nan if r.get(key) is None else r[key] for r in chosen], dtype=float)


def paired(rows, a: str, b: str, key: str, rate=None) -> tuple[np.ndarray, float]:
    """Per-seed differences ``a - b`` of ``key`` and the spread (the larger of the two seed sds, ddof=1)."""
    va, vb = _values(rows, a, key, rate), _values(rows, b, key, rate)
    return va - vb, float(max(np.nanstd(va, ddof=1), np.nanstd(vb, ddof=1)))


def verdict(rows, a: str, b: str, key: str, rule: str, rate=None) -> str:
    """One line: mean and per-seed paired differences, the spread, and whether ``rule`` holds.

    rule ``beats``: mean difference > spread; ``not worse``: mean difference >= -spread; ``at least``: mean >= 0.
    """
    diff, spread = paired(rows, a, b, key, rate)
    mean = float(np.nanmean(diff))
    holds = {"beats": mean > spread, "not worse": mean >= -spread, "at least": mean >= 0}[rule]
    return (f"{a} − {b} on {key}: {mean:+.3f} (per seed {', '.join(f'{d:+.3f}' for d in diff)}; spread {spread:.3f}) → "
            f"{rule.replace('at least', 'at least as good').replace('not worse', 'not worse by more than the spread')}: "
            f"{'met' if holds else '**missed**'}")


def best_single(rows, models, key: str, rate=None, lower_is_better: bool = False) -> str:
    means = {m: np.nanmean(_values(rows, m, key, rate)) for m in models if len(_values(rows, m, key, rate))}
    return (min if lower_is_better else max)(means, key=means.get)


def table(rows, models, keys, rate=None) -> list[str]:
    lines = ["| model | " + " | ".join(keys) + " |", "| --- | " + " | ".join("---" for _ in keys) + " |"]
    for model in models:
        if len(_values(rows, model, keys[0], rate)):
            lines.append(f"| {model} | " + " | ".join(_spread(_values(rows, model, k, rate)) for k in keys) + " |")
    return lines


def _members(rows, rate=None) -> str:
    picks = [r["members"] for r in rows if r["model"] == "auto" and (rate is None or r.get("rate") == rate)]
    return "; ".join(f"seed {i}: " + ", ".join(f"{k} {v:.2f}" for k, v in p.items()) for i, p in enumerate(picks))


def _load(path: Path) -> tuple[dict, list[dict], list[str]]:
    """A part's JSON, its rows and its single-model names."""
    part = json.loads(path.read_text())
    return part, part["rows"], part["candidates"]


def report(command: str) -> None:
    lines = ["# Models benchmark", "", f"Command: `{command}`", "",
             "Every model runs with the library defaults (`lr` 1e-3, weight decay 1e-2, dropout 0.3, modality dropout 0.3; "
             "see (f) for how they were chosen), calibrated on validation (temperature; binary threshold). `auto` is the "
             "greedy validation ensemble of the same seed's single models. Cells are mean ± sd over seeds (ddof = 1); "
             "verdicts state the paired per-seed differences and the spread (the larger of the two seed sds).", ""]
    path = {p: RESULTS / f"models_{p}.json" for p in ("clinical", "mcar", "longtail", "diagnostics", "speed", "defaults")}
    if path["clinical"].exists():
        part, rows, singles = _load(path["clinical"])
        lines += [f"## (a) Clinical-style cohort (`load_dataset('clinical', n_samples={part['n_samples']}, seed=s)`, 70/15/15, "
                  f"{part['seeds']} seeds, binary death outcome, covariates age/sex/site)", "",
                  f"Up to {part['epochs']} epochs, patience {part['patience']}. Group DRO with the library default "
                  "(η = 0.01, C = 0), rare groups pooled.", ""]
        lines += table(rows, singles + list(part["dro"]) + ["auto"],
                       ["auroc", "brier", "auprc", "ece", "accuracy_at_threshold"]) + [""]
        lines += [f"Majority-class reference: accuracy {_spread(_values(rows, 'logistic', 'reference_accuracy'))}, "
                  f"Brier {_spread(_values(rows, 'logistic', 'reference_brier'))}. Wall time {part['seconds'] / 60:.1f} min.", ""]
        best = best_single(rows, singles, "auroc")
        lines += [f"- {verdict(rows, 'auto', 'logistic', 'auroc', 'at least')}.",
                  f"- {verdict(rows, 'auto', best, 'auroc', 'not worse')} ({best}: best single model by mean test AUROC).",
                  f"- {verdict(rows, best_single(rows, FUSION, 'auroc'), 'logistic', 'auroc', 'beats')} (best fusion model).",
                  f"- {verdict(rows, 'remind+group-dro', 'remind', 'auroc', 'not worse')}.",
                  f"- {verdict(rows, 'attention+group-dro', 'attention', 'auroc', 'not worse')}.",
                  f"- auto members (weights): {_members(rows)}.", ""]
    if path["mcar"].exists():
        part, rows, singles = _load(path["mcar"])
        anchors = ["anchor: mean imputation + LR", "anchor: late fusion of per-modality LR", REFERENCE]
        lines += [f"## (b) mfeat, MCAR ({part['seeds']} seeds, test F1-micro)", "",
                  f"Up to {part['epochs']} epochs, patience {part['patience']}. Single models: {', '.join(singles)}. Anchors: the benchmark's own logistic "
                  "regressions, C on validation.", ""]
        for rate in part["rates"]:
            lines += [f"### {rate:.0%} MCAR", ""] + table(rows, singles + ["auto"] + anchors, ["f1_micro", "f1_macro"], rate) + [""]
            best = best_single(rows, singles, "f1_micro", rate)
            lines += [f"- {verdict(rows, 'auto', best, 'f1_micro', 'not worse', rate)} ({best}: best single model by mean test F1).",
                      f"- {verdict(rows, 'attention', 'logistic', 'f1_micro', 'at least', rate)} (`missmodal train` defaults vs the logistic baseline).",
                      f"- {verdict(rows, 'auto', 'anchor: late fusion of per-modality LR', 'f1_micro', 'at least', rate)}.",
                      f"- auto members (weights): {_members(rows, rate)}.", ""]
        lines += [f"Wall time {part['seconds'] / 60:.1f} min.", ""]
    if path["longtail"].exists():
        part, rows, singles = _load(path["longtail"])
        lines += [f"## (c) Long tail: Zipf (exponent {part['zipf_exponent']}) groups in train/validation, complete test samples "
                  f"under all 63 combinations ({part['seeds']} seeds, accuracy)", "",
                  f"Up to {part['epochs']} epochs, patience {part['patience']}. Single models: {', '.join(singles)} (the others "
                  "left out to fit the CPU time of this run). Group DRO η = 0.1, C = 1 (chosen on validation in the earlier "
                  "run), first quarter of the epochs ERM; rare groups (< 10 training samples) pooled into their nearest frequent "
                  "superset unless marked unpooled.", ""]
        lines += table(rows, singles + list(part["dro"]) + ["auto"], ["overall", "head", "tail", "worst_group"]) + [""]
        best = best_single(rows, singles, "overall")
        lines += [f"- {verdict(rows, 'remind+group-dro', 'attention', 'worst_group', 'beats')}.",
                  f"- {verdict(rows, 'remind+group-dro', 'attention', 'tail', 'beats')}.",
                  f"- {verdict(rows, 'remind+group-dro+superset', 'attention', 'worst_group', 'beats')}.",
                  f"- {verdict(rows, 'remind+group-dro', 'remind+group-dro (unpooled)', 'worst_group', 'beats')} (pooling).",
                  f"- {verdict(rows, 'auto', best, 'overall', 'not worse')} ({best}: best single model by mean overall accuracy).",
                  f"- auto members (weights): {_members(rows)}."]
        if part.get("reference"):
            reference = part["reference"]
            lines.append(f"- Reference: a logistic regression per combination trained without missingness: "
                         f"{_spread([r['overall'] for r in reference])} overall, {_spread([r['worst_group'] for r in reference])} "
                         f"worst group ({', '.join(sorted({r['worst_group_name'] for r in reference}))}).")
        lines += ["", f"Wall time {part['seconds'] / 60:.1f} min.", ""]
    if path["diagnostics"].exists():
        part = json.loads(path["diagnostics"].read_text())
        off = next(r["cpu_seconds"] for r in part["rows"] if r["diagnostics"] == "off")
        lines += [f"## (d) Cost of the gradient diagnostics ({part['model']}, {part['data']}, {part['epochs']} epochs, one process, "
                  f"{part['repeats']} interleaved rounds, the first a warm-up, median of the others)", "",
                  "| diagnostics | CPU seconds | wall seconds | epochs recorded | CPU × off |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| {r['diagnostics']} | {r['cpu_seconds']:.1f} | {r['seconds']:.1f} | {r['recorded_epochs']} | "
                  f"{r['cpu_seconds'] / off:.2f} |" for r in part["rows"]]
        lines += ["", "The diagnostics are off by default (`--diagnostics` turns them on, every `--diagnostics-every` = 5 epochs).", ""]
    if path["speed"].exists():
        speed = json.loads(path["speed"].read_text())
        lines += [f"## (e) Training throughput: latent, 6 modalities x 128 dims, n = {speed['n_samples']:,}, "
                  f"{speed['missingness']}, batch {speed['batch_size']}, one CPU thread (earlier run)", "",
                  "| model | samples/s | parameters |", "| --- | --- | --- |"]
        lines += [f"| {row['model']} | {row['samples_per_second']:.0f} | {row['parameters']:,} |" for row in speed["rows"]] + [""]
    if path["defaults"].exists():
        part = json.loads(path["defaults"].read_text())
        lines += ["## (f) How the defaults were chosen", "", f"Validation accuracy, {part['source']}; candidates "
                  + "; ".join(f"`{k}` {v}" for k, v in part["candidates"].items()) + ".", "",
                  "| model | " + " | ".join(part["candidates"]) + " | chosen |", "| --- | " + " | ".join("---" for _ in part["candidates"]) + " | --- |"]
        for model, chosen in part["chosen"].items():
            cells = [next(f"{r['val_accuracy']:.4f}" for r in part["tuning"] if r["model"] == model and r["setting"] == c) for c in part["candidates"]]
            lines.append(f"| {model} | " + " | ".join(cells) + f" | {chosen} |")
        lines.append("")
    (RESULTS / "models.md").write_text("\n".join(lines))
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", choices=["clinical", "mcar", "longtail", "diagnostics", "speed", "report"])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--patience", type=int, default=15)
    parser.add_argument("--rates", type=float, nargs="+", default=RATES)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--candidates", nargs="+", default=None, help="Single models of the part (default: all).")
    parser.add_argument("--no-reference", action="store_true", help="longtail: skip the complete-data reference.")
    parser.add_argument("--repeats", type=int, default=2, help="diagnostics: interleaved repeats of the three settings.")
    parser.add_argument("--n-samples", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--command", default="see the usage in benchmarks/models.py", help="Command line recorded by report.")
    args = parser.parse_args()
    if args.part == "clinical":
        part_clinical(args.seeds, args.epochs, args.patience, args.workers, args.candidates)
    elif args.part == "mcar":
        part_mcar(args.seeds, args.epochs, args.patience, args.workers, args.rates, args.candidates)
    elif args.part == "longtail":
        part_longtail(args.seeds, args.epochs, args.patience, args.workers, args.candidates, not args.no_reference)
    elif args.part == "diagnostics":
        part_diagnostics(args.epochs, args.repeats)
    elif args.part == "speed":
        part_speed(args.n_samples, args.batch_size, args.steps)
    else:
        report(args.command)


if __name__ == "__main__":
    main()
