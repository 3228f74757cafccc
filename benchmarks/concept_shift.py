"""Models benchmark, part (g): a long tail with concept shift, where every group has its own fusion function.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/concept_shift.py run --seeds 3 --workers 1   # -> models_concept_shift.json
    python benchmarks/models.py report                                               # includes part (g)

Data: :func:`missmodal.data.concept_shift.concept_shift_cohort` with its defaults (5 modalities of 8 features,
3000 training and 1000 validation samples with Zipf(1.2) groups, 3 fusion functions, label noise 0.6, 300
test samples in every one of the 31 groups), one cohort per seed. The exact Bayes accuracy of each group is
known (0.828 with one modality to 0.917 with five), so every result stands beside its limit.

Every model runs with the library defaults (``missmodal train``'s: 60 epochs, patience 8, modality dropout
0.3, ...). ``auto --selection worst`` is what ``fit_model(model="auto", selection="worst")`` runs: the
default candidates fitted with worst-group epoch selection, the ensemble weighted by the worst-group
validation accuracy (rare validation groups pooled); the loss-weighted ensemble of the same members is
its ablation. ``logistic`` and ``gbdt`` rows are those members. The gradient diagnostics (cosine of each group's gradient with the overall one, shared
parameters) are recorded every 10 epochs for attention+erm, remind+group-dro and film+erm; the table gives
the last recorded epoch, head groups (80% of the training samples) vs tail.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from pathlib import Path

import numpy as np

from models import RESULTS, machine, paired, run_jobs, verdict, write

PART = "concept_shift"
#: name -> (model, loss, settings, model params) of the single models beside auto's candidates.
SINGLES = {
    "attention": ("attention", "erm", {"diagnostics": True, "diagnostics_every": 10}, {}),
    "attention+group-dro": ("attention", "group-dro", {}, {}),
    "remind+group-dro": ("remind", "group-dro", {"diagnostics": True, "diagnostics_every": 10}, {}),
    "film": ("film", "erm", {"diagnostics": True, "diagnostics_every": 10}, {}),
    "film+group-dro-excess": ("film", "group-dro-excess", {}, {}),
    "film, no per-group heads": ("film", "erm", {}, {"shrinkage": 1e3}),
}
AUTO_WORST = "auto --selection worst"
AUTO_LOSS = "auto, loss-weighted (same members)"
#: auto's members shown as single rows (tabular baselines do not depend on the epoch selection).
MEMBER_ROWS = ("logistic", "gbdt")


def evaluate(fitted, cohort) -> dict:
    """Overall, per-group (each of the 31 test groups), worst-group, head and tail accuracy, and the Bayes
    accuracies beside them."""
    from missmodal.train import evaluate_model

    report = evaluate_model(fitted, cohort.test, min_group_size=1)
    bayes = cohort.bayes_by_name()
    groups = {g["name"]: g["accuracy"] for g in report["groups"]}
    worst = min(groups, key=groups.get)
    return {"overall": report["overall"]["accuracy"], "worst_group": groups[worst], "worst_group_name": worst,
            "head": report["head"]["accuracy"], "tail": report["tail"]["accuracy"], "groups": groups,
            "bayes_overall": cohort.bayes_of(cohort.test), "bayes_lowest_group": min(bayes.values()),
            "bayes_of_worst_group": bayes[worst]}


def cosines(fitted, cohort) -> dict | None:
    from missmodal.data.groups import group_name, head_groups
    from missmodal.evaluate.gradients import head_tail_cosines

    recorded = [r for r in getattr(fitted, "history", None) or [] if "gradient_cosine" in r]
    if not recorded:
        return None
    head = {group_name(c, cohort.train.modality_names) for c in head_groups(cohort.train.group_counts(), 0.8)}
    return {"epoch": recorded[-1]["epoch"], **head_tail_cosines(recorded[-1]["gradient_cosine"], head)}


def single_job(name: str, seed: int) -> list[dict]:
    from missmodal.data.concept_shift import concept_shift_cohort
    from missmodal.train import fit_model

    warnings.filterwarnings("ignore")
    cohort = concept_shift_cohort(seed=seed)
    model, loss, settings, params = SINGLES[name]
    start = time.perf_counter()
    fitted = fit_model(cohort.train, cohort.val, model=model, loss=loss, seed=seed, model_params=params or None, **settings)
    return [{"model": name, "seed": seed, "seconds": time.perf_counter() - start, **evaluate(fitted, cohort),
             "gradient_cosine": cosines(fitted, cohort)}]


def auto_job(seed: int) -> list[dict]:
    """``--model auto --selection worst`` as :func:`missmodal.train.auto.fit_auto` runs it (candidates fitted with
    worst-group epoch selection, ensemble by worst-group validation accuracy over pooled validation groups),
    and the loss-weighted ensemble of the same members."""
    from missmodal.data.concept_shift import concept_shift_cohort
    from missmodal.train import TrainConfig
    from missmodal.train.auto import candidate_row, candidates_for, ensemble_from, fit_candidate, pooled_validation_groups

    warnings.filterwarnings("ignore")
    cohort = concept_shift_cohort(seed=seed)
    config = TrainConfig(seed=seed, selection="worst")
    groups = pooled_validation_groups(cohort.val, config.min_group_size)
    members, rows, out = [], [], []
    start = time.perf_counter()
    for name in candidates_for(cohort.train.task, None, config.selection)[0]:
        begun = time.perf_counter()
        members.append(fit_candidate(name, cohort.train, cohort.val, config, {}, None))
        rows.append(candidate_row(name, members[-1], cohort.val, time.perf_counter() - begun, groups))
        if name in MEMBER_ROWS:
            out.append({"model": name, "seed": seed, "seconds": rows[-1]["seconds"], **evaluate(members[-1], cohort)})
    seconds = time.perf_counter() - start
    for label, grouping in ((AUTO_WORST, groups), (AUTO_LOSS, None)):
        ensemble = ensemble_from(members, rows, cohort.train, cohort.val, extra=None, groups=grouping,
                                 min_group_size=config.min_group_size)
        out.append({"model": label, "seed": seed, "seconds": seconds, **evaluate(ensemble, cohort),
                    "members": {r["name"]: r["weight"] for r in ensemble.info["auto"]["candidates"] if r["weight"] > 0},
                    "selection": ensemble.info["auto"]["selection"]})
    return out


def part_run(seeds: int, workers: int) -> None:
    from missmodal.train.auto import candidates_for

    wall, load = time.perf_counter(), os.getloadavg()
    jobs = [(auto_job, (seed,)) for seed in range(seeds)] + [(single_job, (name, seed)) for seed in range(seeds) for name in SINGLES]
    rows = [row for output in run_jobs(jobs, workers) for row in output]
    write(PART, {"part": PART, "seeds": seeds, "data": "concept_shift_cohort(seed=s) defaults", "candidates": candidates_for("binary", None, "worst")[0],
                 "rows": rows, "wall_minutes": (time.perf_counter() - wall) / 60, "workers": workers, "machine": machine(),
                 "command": f"OMP_NUM_THREADS=1 python benchmarks/concept_shift.py run --seeds {seeds} --workers {workers}",
                 "load_average_1_5_15": {"start": load, "end": os.getloadavg()}})


def _mean_sd(values) -> str:
    values = np.asarray([v for v in values if v is not None], dtype=float)
    return f"{values.mean():.3f} ± {values.std(ddof=1) if len(values) > 1 else 0:.3f}" if len(values) else "–"


def markdown_lines() -> list[str]:
    """Part (g) of models.md from models_concept_shift.json ([] when it has not been run)."""
    path = RESULTS / f"models_{PART}.json"
    if not path.exists():
        return []
    part = json.loads(path.read_text())
    rows = part["rows"]
    names = [*MEMBER_ROWS, *SINGLES, AUTO_LOSS, AUTO_WORST]
    of = lambda name: sorted((r for r in rows if r["model"] == name), key=lambda r: r["seed"])  # noqa: E731
    bayes = of("attention")
    lines = [f"## (g) Long tail with concept shift (`concept_shift_cohort(seed=s)`, {part['seeds']} seeds, test accuracy; "
             "300 test samples in each of the 31 groups)", "",
             "Each of 3 fusion functions (sign patterns over the 5 modality signals) is assigned to combination groups in "
             "turn along the Zipf ranking, so neighbouring groups, head included, disagree; the label is the group's function "
             "plus Gaussian noise, and the exact Bayes accuracy of each group is known. Library defaults for every model "
             f"(modality dropout 0.3 included). Bayes accuracy: overall {_mean_sd(r['bayes_overall'] for r in bayes)}, lowest "
             f"group {bayes[0]['bayes_lowest_group']:.3f} (one modality). `worst − its Bayes` is the model's worst group "
             "minus that group's Bayes accuracy.", "",
             "| model | overall | worst group | head | tail | worst − its Bayes | grad. cos. head | grad. cos. tail |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name in names:
        chosen = of(name)
        if not chosen:
            continue
        cos = [r.get("gradient_cosine") or {} for r in chosen]
        lines.append(f"| {name} | " + " | ".join([
            _mean_sd(r["overall"] for r in chosen), _mean_sd(r["worst_group"] for r in chosen), _mean_sd(r["head"] for r in chosen),
            _mean_sd(r["tail"] for r in chosen), _mean_sd(r["worst_group"] - r["bayes_of_worst_group"] for r in chosen),
            _mean_sd((c.get("head") or {}).get("mean_cosine") for c in cos),
            _mean_sd((c.get("tail") or {}).get("mean_cosine") for c in cos)]) + " |")
    lines += ["", f"Bayes accuracy per seed: " + ", ".join(f"{r['bayes_overall']:.3f}" for r in bayes)
              + f" overall; 0.828 (1 modality), 0.872 (2), 0.894 (3), 0.907 (4), 0.917 (5) per group.", ""]
    comparisons = [(AUTO_WORST, "attention", "worst_group", "beats", " (auto --selection worst vs attention+erm)"),
                   ("film", "attention", "worst_group", "beats", " (film+erm vs attention+erm)"),
                   ("film", "remind+group-dro", "worst_group", "beats", ""),
                   ("film", "film, no per-group heads", "worst_group", "beats", " (what the per-group heads add)"),
                   ("film+group-dro-excess", "film", "worst_group", "not worse", " (excess-loss group DRO)"),
                   ("remind+group-dro", "attention", "worst_group", "beats", ""),
                   (AUTO_WORST, AUTO_LOSS, "worst_group", "beats", " (worst-group vs loss weighting)"),
                   (AUTO_WORST, AUTO_LOSS, "overall", "not worse", "")]
    present = {r["model"] for r in rows}
    lines += [f"- {verdict(rows, a, b, key, rule)}{note}." for a, b, key, rule, note in comparisons if {a, b} <= present]
    worst = of(AUTO_WORST)
    if worst:
        targets = (np.mean([r["worst_group"] for r in worst]) >= 0.70, np.mean([r["overall"] for r in worst]) >= 0.82)
        lines.append(f"- Targets for {AUTO_WORST}: worst group ≥ 0.70 {'met' if targets[0] else '**missed**'}, overall ≥ 0.82 "
                     f"{'met' if targets[1] else '**missed**'}; members (weights): "
                     + "; ".join(f"seed {r['seed']}: " + ", ".join(f"{k} {v:.2f}" for k, v in r["members"].items()) for r in worst) + ".")
        lines.append(f"- Worst groups of {AUTO_WORST}: " + ", ".join(f"{r['worst_group_name']} ({r['worst_group']:.3f}, Bayes "
                                                                 f"{r['bayes_of_worst_group']:.3f})" for r in worst) + ".")
    lines += ["", f"Wall time {part['wall_minutes']:.1f} min with {part['workers']} worker processes, one torch thread each, "
              f"on a {part['machine']['cpu_count']}-core machine shared with other jobs"
              + (" (load average over 1/5/15 min: start {}, end {})".format(
                  *("/".join(f"{v:.1f}" for v in part["load_average_1_5_15"][k]) for k in ("start", "end")))
                 if "load_average_1_5_15" in part else "") + "."
              + (f" Command: `{part['command']}`." if "command" in part else ""), ""]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", choices=["run", "report"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if args.part == "run":
        part_run(args.seeds, args.workers)
    print("\n".join(markdown_lines()))


if __name__ == "__main__":
    main()
