"""`missmodal evaluate`: a trained model on DATA, overall and per combination group."""

import click

from ..report.text import fmt_number, group_labels, text_table
from ._common import load_data_argument, schema_options, status, trust_option, write_json


def _value(metrics: dict | None, key: str) -> str:
    return fmt_number(None if metrics is None else metrics.get(key), 4)


def _with_interval(metrics: dict | None, key: str) -> str:
    """``0.8123 [0.751, 0.862]`` where the metric has a bootstrap interval, the value alone otherwise."""
    ci = None if metrics is None else metrics.get(f"{key}_ci")
    return f"{_value(metrics, key)} [{fmt_number(ci[0], 3)}, {fmt_number(ci[1], 3)}]" if ci else _value(metrics, key)


def metric_columns(task: str, horizons=()) -> list[str]:
    """The metrics shown in the table: MSE and R² (regression); accuracy, AUROC, Brier, ECE (binary);
    accuracy, macro F1, AUROC, log loss (multi-class); accuracy and macro F1 (multi-label); events, Harrell's
    and Uno's C, AUROC and Brier score at each horizon, integrated Brier score (survival)."""
    if task == "survival":
        from ..evaluate.survival_report import metric_name

        return ["events", "c_harrell", "c_uno", *(metric_name("auc", h) for h in horizons),
                *(metric_name("brier", h) for h in horizons), "ibs"]
    if task == "regression":
        return ["mse", "r2"]
    if task == "binary":
        return ["accuracy", "auroc", "auprc", "brier", "ece"]
    if task == "multiclass":
        return ["accuracy", "f1_macro", "auroc", "log_loss"]
    return ["accuracy", "f1_macro"]


def weak_group_warning(weak: list[str], min_group_size: int) -> str | None:
    """The warning line for evaluated/predicted groups with fewer than ``min_group_size`` training samples."""
    if not weak:
        return None
    shown = ", ".join(weak[:8]) + (f", ... ({len(weak)} in all)" if len(weak) > 8 else "")
    return (f"warning: {len(weak)} group(s) had fewer than {min_group_size} training samples (predictions there rest "
            f"on few or no examples): {shown}")


def report_lines(report: dict) -> list[str]:
    """The evaluation as text tables aligned to their longest name: summary rows, then one row per group
    (long group names abbreviated by unique modality prefixes, with a legend)."""
    from ..evaluate.bootstrap import HEADLINE

    keys = metric_columns(report["task"], report.get("survival", {}).get("horizons", ()))
    key = "c_harrell" if report["task"] == "survival" else keys[0]
    shown = [k for k in keys if k in HEADLINE and report["task"] != "survival"]

    def cell(metrics: dict, k: str) -> str:
        return _with_interval(metrics, k) if k in shown else _value(metrics, k)

    lines = text_table([[label, report[label].get("count", 0), *(cell(report[label], k) for k in keys)]
                        for label in ("overall", "head", "tail", "complete", "incomplete")], ["", "count", *keys])
    if shown and report.get("n_boot"):
        lines.append(f"[low, high]: 95% percentile bootstrap intervals over the test samples of each row "
                     f"({report['n_boot']} resamples, seed {report.get('bootstrap_seed', 0)}) for {', '.join(shown)}")
    overall = report["overall"]
    if overall.get("accuracy_at_threshold") is not None:
        lines.append(f"accuracy at the validation threshold {overall['threshold']:.3f}: {overall['accuracy_at_threshold']:.4f}")
    if overall.get("reference_accuracy") is not None:
        lines.append(f"majority-class reference: accuracy {overall['reference_accuracy']:.4f}, Brier {overall['reference_brier']:.4f}")
    if report["task"] == "survival":
        lines += survival_lines(report)
    worst = report["worst_group"]
    if worst:
        lines.append(f"worst group: {worst['name']} ({worst['count']} samples, {key} {_value(worst, key)})")
    else:
        lines.append(f"worst group: none with at least {report['min_group_size']} samples")
    if report.get("unseen_groups"):
        lines.append(f"{len(report['unseen_groups'])} group(s) not seen in training (fallback predictions)")
    modalities = list(dict.fromkeys(m for group in report["groups"] for m in group["modalities"]))
    labels, legend = group_labels([group["name"] for group in report["groups"]], modalities)
    lines += text_table([[labels[group["name"]], group["count"], "–" if group.get("train_count") is None else group["train_count"],
                          "head" if group["head"] else "tail", "yes" if group["seen_in_training"] else "NO",
                          *(cell(group, k) for k in keys)]
                         for group in report["groups"]], ["group", "count", "train", "part", "seen", *keys])
    if legend:
        lines.append(f"modalities: {legend}")
    small = [labels[group["name"]] for group in report["groups"] if group.get("too_few")]
    if small:
        lines.append(f"{len(small)} group(s) with fewer than {report['min_group_size']} test samples get counts only, "
                     f"no metric (too few to tell): {', '.join(small[:8])}" + (", ..." if len(small) > 8 else ""))
    return lines


def survival_lines(report: dict) -> list[str]:
    """Overall survival metrics with their bootstrap intervals, calibration at each horizon, the conventions."""
    from ..evaluate.survival_report import metric_name

    overall, info = report["overall"], report["survival"]
    keys = ["c_harrell", "c_uno", *(metric_name(p, h) for h in info["horizons"] for p in ("auc", "brier")), "ibs"]

    lines = [(f"overall (95% bootstrap intervals, {info['n_boot']} resamples): " if info["n_boot"] else "overall: ")
             + ", ".join(f"{k} {_with_interval(overall, k)}" for k in keys)]
    for row in report.get("calibration", []):
        shown = "; ".join(f"{fmt_number(b['predicted'], 3)} vs {fmt_number(b['observed'], 3)}" for b in row["bins"])
        lines.append(f"calibration at {row['horizon']:g}: predicted vs Kaplan-Meier risk by risk quintile: {shown} "
                     f"(mean gap {fmt_number(row['error'], 3)})")
    lines.append(f"censoring: {info['censoring']}; integrated Brier over [0, {info['ibs_interval'][1]:g}]")
    if info["horizons_beyond_follow_up"]:
        lines.append(f"warning: horizons {info['horizons_beyond_follow_up']} are at or after the last follow-up time of "
                     "the data: no metrics there")
    if info.get("baseline_hazard_beyond_follow_up"):
        lines.append(f"warning: horizons {info['baseline_hazard_beyond_follow_up']} lie after the follow-up the baseline "
                     "hazard was estimated on: their survival probabilities are extrapolated flat")
    return lines


def parse_horizons(text: str | None) -> list[float] | None:
    """``"365,1825"`` -> ``[365.0, 1825.0]`` (the ``--horizons`` option); each must be a number > 0."""
    if text is None:
        return None
    from ..errors import MissmodalError

    try:
        horizons = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise MissmodalError(f"--horizons {text!r}: expected comma-separated times, e.g. 365,1825") from None
    if not horizons or min(horizons) <= 0:
        raise MissmodalError(f"--horizons {text!r}: give one or more times > 0")
    return horizons


@click.command("evaluate")
@click.argument("model_dir", type=click.Path(exists=True))
@click.argument("data")
@click.option("--all-combinations", is_flag=True, help="Evaluate the complete samples under every non-empty combination of modalities.")
@click.option("--max-combinations", type=int, default=1024, show_default=True,
              help="With --all-combinations: evaluate at most this many combinations (a seeded sample beyond it).")
@click.option("--combination-seed", type=int, default=0, show_default=True, help="Seed of that sample.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the evaluation as JSON.")
@click.option("--min-group-size", type=int, default=10, show_default=True,
              help="Groups with fewer test samples get counts only (no metric, not eligible as worst group); "
                   "groups with fewer training samples are flagged.")
@click.option("--unseen-labels", type=click.Choice(["error", "wrong"]), default="error", show_default=True,
              help="A label the model never saw: an error, or scored as a wrong prediction and counted.")
@click.option("--horizons", default=None, metavar="T1,T2",
              help="Survival models: times of the AUROC, Brier score and calibration (default: quartiles of the event times).")
@click.option("--bootstrap", "n_boot", type=int, default=200, show_default=True,
              help="Bootstrap resamples of the 95%% intervals over test samples (accuracy, AUROC, Brier; every "
                   "survival metric); 0: no intervals.")
@trust_option
@schema_options
def command(model_dir, data, all_combinations, max_combinations, combination_seed, json_path, min_group_size,
            unseen_labels, horizons, n_boot, trust_unhashed, data_options) -> None:
    """Print overall, head, tail, worst-group and per-group metrics of the model in MODEL_DIR on DATA."""
    from .._paths import guard_outputs
    from ..errors import MissmodalError
    from ..models import load_model
    from ..train import evaluate_model

    guard_outputs({"--json": json_path}, inputs=[data, data_options.schema_path], read_folders=[model_dir])

    model = load_model(model_dir, trust_unhashed=trust_unhashed)
    if data_options.task is not None and data_options.task != model.task:
        raise MissmodalError(f"--task {data_options.task}: the model in {model_dir} is a {model.task} model (its task "
                             "was fixed at training); leave --task out")
    dataset = load_data_argument(data, data_options, stored_schema=model.info.get("data_schema"), model=model,
                                 require_all_observed=False)
    if dataset.target is None:
        raise MissmodalError(f"{data}: no target column to evaluate against (give --target, or use predict)")
    status(f"evaluating {model.name} on {data}" + (" under all combinations" if all_combinations else ""))
    if n_boot < 0:
        raise MissmodalError(f"--bootstrap must be >= 0, got {n_boot}")
    report = evaluate_model(model, dataset, all_combinations=all_combinations, min_group_size=min_group_size,
                            max_combinations=max_combinations, combination_seed=combination_seed,
                            unseen_labels=unseen_labels, source=data, horizons=parse_horizons(horizons),
                            n_boot=n_boot)
    unmatched = report["unseen_labels"]
    if unmatched["count"]:
        click.echo(f"warning: {unmatched['count']} sample(s) hold labels the model never saw "
                   f"({', '.join(map(repr, unmatched['values'][:5]))}); scored as wrong in accuracy and F1, left out "
                   "of AUROC, Brier, log loss and ECE", err=True)
    if report.get("combinations"):
        info = report["combinations"]
        click.echo(f"all combinations: {info['evaluated']} of {info['total']} evaluated"
                   + (f" (a seeded sample, --combination-seed {info['seed']}; raise --max-combinations for more)"
                      if info["sampled"] else ""))
    for line in report_lines(report):
        click.echo(line)
    seen = {"train": "the data this model was trained on (same content fingerprint): these scores are in-sample",
            "validation": "this model's validation split (same content fingerprint), on which it was selected and "
                          "calibrated: these scores are optimistic"}.get(report.get("training_data"))
    if seen:
        click.echo(f"warning: {data} is {seen} and overstate how it does on new samples; evaluate on held-out data",
                   err=True)
    warning = weak_group_warning(report["weak_groups"], min_group_size)
    if warning:
        click.echo(warning, err=True)
    if json_path:
        write_json(json_path, {"model_dir": str(model_dir), "data": data, **report})
