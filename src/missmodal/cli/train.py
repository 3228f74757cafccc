"""`missmodal train`: fit a missing-aware fusion model, a tabular baseline or the `auto` ensemble on DATA
(fusion models also under `torchrun` for DDP)."""

import contextlib
import json

import click

from ._common import load_data_argument, progress, status, write_json, schema_options


def auto_lines(info: dict) -> list[str]:
    """The candidates of an `auto` run with their validation scores and ensemble weights, as text lines."""
    auto = info["auto"]
    worst = f", worst group {auto['ensemble_val_worst']:.4f}" if auto.get("ensemble_val_worst") is not None else ""
    lines = [f"auto: {auto['selection']}; ensemble validation loss {auto['ensemble_val_loss']:.4f}{worst}"]
    for row in auto["candidates"]:
        extra = "".join(f"  val {k[4:]} {row[k]:.4f}" for k in ("val_auroc", "val_accuracy", "val_c_index", "val_worst")
                        if row.get(k) is not None)
        lines.append(f"  {row['name']:<14} weight {row['weight']:.2f}  val loss {row['val_loss']:.4f}{extra}  ({row['seconds']:.1f} s)")
    if auto["skipped_by_time_budget"]:
        lines.append(f"  not fitted (time budget {auto['time_budget']} s spent): {', '.join(auto['skipped_by_time_budget'])}")
    return lines


# Files a run writes into its folder (an input at one of these paths is refused before training).
RUN_FILES = ["model.json", "model.safetensors", "checkpoint.pt", "history.json"]


@click.command("train")
@click.argument("data")
@click.option("--model", "model_name", default="attention", show_default=True,
              help="Fusion network (concat, missing-token, attention, late, flexmoe, remind), baseline (logistic, gbdt) "
                   "or auto (validation ensemble of --candidates).")
@click.option("--loss", default="erm", show_default=True, help="erm, reweight, group-dro or group-dro-excess (group DRO on the loss in excess of a per-group "
                   "reference: a cross-fitted logistic regression of the group; fusion networks).")
@click.option("--output", "-o", required=True, type=click.Path(file_okay=False), help="Run folder: model files, checkpoint, history.")
@click.option("--epochs", type=int, default=60, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--modality-dropout", type=float, default=None,
              help="Training probability of hiding each observed modality (default: the model's own, 0.3; 0 for film, "
                   "whose FiLM and heads follow the sample's own group).")
@click.option("--val-fraction", type=float, default=0.15, show_default=True, help="Seeded group-stratified validation share of DATA.")
@click.option("--selection", type=click.Choice(["mean", "worst"]), default="mean", show_default=True,
              help="Select the epoch by mean or worst-group validation accuracy; --model auto also selects and weights its "
                   "ensemble by the worst-group validation accuracy (rare validation groups pooled).")
@click.option("--patience", type=int, default=8, show_default=True, help="Early-stopping patience in epochs (0: never stop early).")
@click.option("--warmup-epochs", type=int, default=None, help="ERM epochs before the loss (default: a quarter for group-dro).")
@click.option("--step-size", type=float, default=0.01, show_default=True, help="Group DRO step eta.")
@click.option("--adjustment", type=float, default=0.0, show_default=True, help="Group DRO generalisation adjustment C.")
@click.option("--min-group-size", type=int, default=10, show_default=True,
              help="Training groups smaller than this are pooled for the loss (and topped up by --superset-augmentation); "
                   "validation groups smaller than this do not compete for the worst group.")
@click.option("--pool-rare-groups/--no-pool-rare-groups", default=True, show_default=True,
              help="Pool rare groups into their nearest frequent superset group for the loss.")
@click.option("--superset-augmentation", is_flag=True, help="Top up rare training groups with masked copies of superset samples.")
@click.option("--batch-size", type=int, default=128, show_default=True, help="Global batch size.")
@click.option("--lr", type=float, default=1e-3, show_default=True)
@click.option("--weight-decay", type=float, default=1e-2, show_default=True, help="AdamW weight decay.")
@click.option("--width", type=int, default=64, show_default=True, help="Common width of the modality encoders.")
@click.option("--hidden", type=int, default=128, show_default=True, help="Hidden width of the encoder and head MLPs.")
@click.option("--dropout", type=float, default=0.3, show_default=True, help="Dropout inside the networks.")
@click.option("--diagnostics/--no-diagnostics", default=False, show_default=True,
              help="Record gradient cosines of each group vs the overall gradient (one backward pass per group).")
@click.option("--diagnostics-every", type=int, default=5, show_default=True, help="With --diagnostics: every this many epochs.")
@click.option("--calibrate/--no-calibrate", default=True, show_default=True,
              help="Fit the temperature and the binary decision threshold on the validation split.")
@click.option("--candidates", default=None,
              help="Comma-separated models that --model auto chooses among, a network optionally as network+loss "
                   "(default logistic,gbdt,late,attention,concat,remind,film, and film+group-dro-excess with "
                   "--selection worst; for a survival target cox,cox-gbdt,late,attention,concat,remind).")
@click.option("--time-budget", type=float, default=None, help="--model auto: seconds after which no further candidate starts.")
@click.option("--resume", is_flag=True, help="Continue from OUTPUT/checkpoint.pt.")
@schema_options
def command(data, model_name, loss, output, epochs, seed, modality_dropout, val_fraction, selection, patience,
            warmup_epochs, step_size, adjustment, min_group_size, pool_rare_groups, superset_augmentation, batch_size,
            lr, weight_decay, width, hidden, dropout, diagnostics, diagnostics_every, calibrate, candidates, time_budget,
            resume, data_options) -> None:
    """Train a model on DATA, select it on a held-out validation split, and save it to OUTPUT."""
    from pathlib import Path

    from .._atomic import folder_lock
    from .._paths import guard_outputs
    from ..errors import MissmodalError
    from ..models import MODELS
    from ..train import LOSSES, fit_model, setup_distributed

    kind = MODELS.kind_of(model_name)  # network, tabular or ensemble; an error listing the known models otherwise
    LOSSES.get(loss)
    if patience < 0:
        raise MissmodalError(f"--patience must be >= 0 (0: never stop early), got {patience}")
    guard_outputs(folders={"--output": (output, RUN_FILES)}, inputs=[data, data_options.schema_path])
    context = setup_distributed()
    if context.active and kind != "network":
        raise MissmodalError(f"--model {model_name} runs in one process; start it without torchrun")
    dataset = load_data_argument(data, data_options)
    if dataset.target is None:
        raise MissmodalError(f"{data} has no target: give DATA with a target column (--target COLUMN)")
    loss_params = {"step_size": step_size, "adjustment": adjustment} if loss in ("group-dro", "group-dro-excess") else {}
    network = kind == "network"
    if context.is_main:
        status(f"training {model_name}{f' with {loss}' if kind != 'tabular' else ''} on {data}: {dataset.n_samples} "
               f"samples, {len(dataset.group_counts())} groups, {context.world_size} process(es)")
    if resume and not (Path(output) / "checkpoint.pt").is_file():
        resume = False
        if context.is_main:
            status(f"--resume: no checkpoint in {output}; training starts from scratch")
    lock = folder_lock(output, "train run") if context.is_main else contextlib.nullcontext()
    with lock, progress("epochs", total=epochs if network else None) as advance:
        def report(record: dict) -> None:
            advance()
            if context.is_main:
                status(f"epoch {record['epoch']:>3}/{epochs}  {record['objective']:<9} loss {record['train_loss']:.4f}  "
                       f"val {record['val_mean']:.4f} (worst group {record['val_worst']:.4f})")

        fitted = fit_model(dataset, None, model=model_name, loss=loss, val_fraction=val_fraction,
                           model_params={"width": width, "hidden": hidden, "dropout": dropout,
                                         **({} if modality_dropout is None else {"modality_dropout": modality_dropout})}
                           if kind != "tabular" else None,
                           checkpoint_dir=output if network else None, resume=resume, callback=report,
                           candidates=None if candidates is None else [c.strip() for c in candidates.split(",") if c.strip()],
                           time_budget=time_budget,
                           epochs=epochs, seed=seed, selection=selection, patience=patience or None,
                           warmup_epochs=warmup_epochs, loss_params=loss_params, batch_size=batch_size, lr=lr,
                           weight_decay=weight_decay, diagnostics=diagnostics, diagnostics_every=diagnostics_every,
                           min_group_size=min_group_size, pool_rare_groups=pool_rare_groups,
                           superset_augmentation=superset_augmentation, calibrate=calibrate)
        if context.is_main:
            if dataset.metadata.get("schema"):
                fitted.info["data_schema"] = dataset.metadata["schema"]  # evaluate/predict read flat tables the same way
            fitted.save(output)
            write_json(Path(output) / "history.json", {"data": data, "info": fitted.info, "epochs": fitted.history})
    if not context.is_main:
        return
    summary = {"model": model_name, "loss": loss if kind != "tabular" else None}
    if network:
        click.echo(f"model saved to {output} (selected epoch {fitted.info['best_epoch']}, "
                   f"validation {selection} {fitted.info['best_val_score']:.4f})")
        summary.update(best_epoch=fitted.info["best_epoch"], best_val_score=round(fitted.info["best_val_score"], 6))
    else:
        for line in auto_lines(fitted.info) if kind == "ensemble" else []:
            click.echo(line)
        click.echo(f"model saved to {output}")
        if kind == "ensemble":
            summary["members"] = {m.name: round(float(w), 4) for m, w in zip(fitted.members, fitted.weights)}
    if fitted.threshold is not None:
        summary["threshold"] = round(fitted.threshold, 6)
    summary["temperature"] = round(fitted.temperature, 6)
    click.echo(json.dumps(summary))
