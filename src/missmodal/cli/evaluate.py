"""`missmodal evaluate`: a trained model on DATA, overall and per combination group."""

import click

from ..report.text import fmt_number, group_labels, text_table
from ._common import load_data_argument, schema_options, status, trust_option, write_json


def _value(metrics: dict | None, key: str) -> str:
    return fmt_number(None if metrics is None else metrics.get(key), 4)


def metric_columns(task: str) -> list[str]:
    """The metrics shown in the table: MSE and R² (regression); accuracy, AUROC, Brier, ECE (binary);
    accuracy, macro F1, AUROC, log loss (multi-class); accuracy and macro F1 (multi-label)."""
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
    keys = metric_columns(report["task"])
    key = keys[0]
    lines = text_table([[label, report[label].get("count", 0), *(_value(report[label], k) for k in keys)]
                        for label in ("overall", "head", "tail", "complete", "incomplete")], ["", "count", *keys])
    overall = report["overall"]
    if overall.get("accuracy_at_threshold") is not None:
        lines.append(f"accuracy at the validation threshold {overall['threshold']:.3f}: {overall['accuracy_at_threshold']:.4f}")
    if overall.get("reference_accuracy") is not None:
        lines.append(f"majority-class reference: accuracy {overall['reference_accuracy']:.4f}, Brier {overall['reference_brier']:.4f}")
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
                          *(_value(group, k) for k in keys)]
                         for group in report["groups"]], ["group", "count", "train", "part", "seen", *keys])
    if legend:
        lines.append(f"modalities: {legend}")
    return lines


@click.command("evaluate")
@click.argument("model_dir", type=click.Path(exists=True))
@click.argument("data")
@click.option("--all-combinations", is_flag=True, help="Evaluate the complete samples under every non-empty combination of modalities.")
@click.option("--max-combinations", type=int, default=1024, show_default=True,
              help="With --all-combinations: evaluate at most this many combinations (a seeded sample beyond it).")
@click.option("--combination-seed", type=int, default=0, show_default=True, help="Seed of that sample.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the evaluation as JSON.")
@click.option("--min-group-size", type=int, default=10, show_default=True,
              help="Smallest group eligible as worst group; groups with fewer training samples are flagged.")
@click.option("--unseen-labels", type=click.Choice(["error", "wrong"]), default="error", show_default=True,
              help="A label the model never saw: an error, or scored as a wrong prediction and counted.")
@trust_option
@schema_options
def command(model_dir, data, all_combinations, max_combinations, combination_seed, json_path, min_group_size,
            unseen_labels, trust_unhashed, data_options) -> None:
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
    report = evaluate_model(model, dataset, all_combinations=all_combinations, min_group_size=min_group_size,
                            max_combinations=max_combinations, combination_seed=combination_seed,
                            unseen_labels=unseen_labels, source=data)
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
    warning = weak_group_warning(report["weak_groups"], min_group_size)
    if warning:
        click.echo(warning, err=True)
    if json_path:
        write_json(json_path, {"model_dir": str(model_dir), "data": data, **report})
