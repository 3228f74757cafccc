"""`missmodal train`: fit a missing-aware fusion model on DATA (also under `torchrun` for DDP)."""

import contextlib
import json

import click

from ._common import load_data_argument, progress, status, write_json, schema_options


# Files a run writes into its folder (an input at one of these paths is refused before training).
RUN_FILES = ["model.json", "model.safetensors", "checkpoint.pt", "history.json"]


@click.command("train")
@click.argument("data")
@click.option("--model", "model_name", default="attention", show_default=True,
              help="concat, missing-token, attention, late, flexmoe or remind.")
@click.option("--loss", default="erm", show_default=True, help="erm, reweight or group-dro.")
@click.option("--output", "-o", required=True, type=click.Path(file_okay=False), help="Run folder: model files, checkpoint, history.")
@click.option("--epochs", type=int, default=60, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--modality-dropout", type=float, default=0.0, show_default=True, help="Training probability of hiding each observed modality.")
@click.option("--val-fraction", type=float, default=0.15, show_default=True, help="Seeded group-stratified validation share of DATA.")
@click.option("--selection", type=click.Choice(["mean", "worst"]), default="mean", show_default=True,
              help="Select the epoch by mean or worst-group validation accuracy.")
@click.option("--patience", type=int, default=20, show_default=True, help="Early-stopping patience in epochs (0: never stop early).")
@click.option("--warmup-epochs", type=int, default=None, help="ERM epochs before the loss (default: a quarter for group-dro).")
@click.option("--step-size", type=float, default=0.01, show_default=True, help="Group DRO step eta.")
@click.option("--adjustment", type=float, default=0.0, show_default=True, help="Group DRO generalisation adjustment C.")
@click.option("--batch-size", type=int, default=128, show_default=True, help="Global batch size.")
@click.option("--lr", type=float, default=2e-3, show_default=True)
@click.option("--width", type=int, default=64, show_default=True, help="Common width of the modality encoders.")
@click.option("--dropout", type=float, default=0.1, show_default=True, help="Dropout inside the networks.")
@click.option("--diagnostics/--no-diagnostics", default=True, show_default=True,
              help="Record per-epoch gradient cosines of each group vs the overall gradient.")
@click.option("--resume", is_flag=True, help="Continue from OUTPUT/checkpoint.pt.")
@schema_options
def command(data, model_name, loss, output, epochs, seed, modality_dropout, val_fraction, selection, patience,
            warmup_epochs, step_size, adjustment, batch_size, lr, width, dropout, diagnostics, resume, data_options) -> None:
    """Train a model on DATA, select it on a held-out validation split, and save it to OUTPUT."""
    from pathlib import Path

    from .._atomic import folder_lock
    from .._paths import guard_outputs
    from ..errors import MissmodalError
    from ..models import MODELS
    from ..data.task_inference import task_lines
    from ..train import LOSSES, fit_model, setup_distributed

    MODELS.get(model_name)
    LOSSES.get(loss)
    if patience < 0:
        raise MissmodalError(f"--patience must be >= 0 (0: never stop early), got {patience}")
    guard_outputs(folders={"--output": (output, RUN_FILES)}, inputs=[data, data_options.schema_path])
    context = setup_distributed()
    dataset = load_data_argument(data, data_options)
    if dataset.target is None:
        raise MissmodalError(f"{data} has no target: give DATA with a target column (--target COLUMN)")
    loss_params = {"step_size": step_size, "adjustment": adjustment} if loss == "group-dro" else {}
    if context.is_main:
        status(f"training {model_name} with {loss} on {data}: {dataset.n_samples} samples, "
               f"{len(dataset.group_counts())} groups, {context.world_size} process(es)")
    for line in task_lines(dataset):
        if context.is_main:
            status(line)
    if resume and not (Path(output) / "checkpoint.pt").is_file():
        resume = False
        if context.is_main:
            status(f"--resume: no checkpoint in {output}; training starts from scratch")
    lock = folder_lock(output, "train run") if context.is_main else contextlib.nullcontext()
    with lock, progress("epochs", total=epochs) as advance:
        def report(record: dict) -> None:
            advance()
            if context.is_main:
                status(f"epoch {record['epoch']:>3}/{epochs}  {record['objective']:<9} loss {record['train_loss']:.4f}  "
                       f"val {record['val_mean']:.4f} (worst group {record['val_worst']:.4f})")

        fitted = fit_model(dataset, None, model=model_name, loss=loss, val_fraction=val_fraction,
                           model_params={"width": width, "dropout": dropout, "modality_dropout": modality_dropout},
                           checkpoint_dir=output, resume=resume, callback=report, epochs=epochs, seed=seed,
                           selection=selection, patience=patience or None, warmup_epochs=warmup_epochs,
                           loss_params=loss_params, batch_size=batch_size, lr=lr, diagnostics=diagnostics)
        if context.is_main:
            if dataset.metadata.get("schema"):
                fitted.info["data_schema"] = dataset.metadata["schema"]  # evaluate/predict read flat tables the same way
            fitted.save(output)
            write_json(Path(output) / "history.json", {"data": data, "info": fitted.info, "epochs": fitted.history})
    if not context.is_main:
        return
    click.echo(f"model saved to {output} (selected epoch {fitted.info['best_epoch']}, "
               f"validation {selection} {fitted.info['best_val_score']:.4f})")
    click.echo(json.dumps({"model": model_name, "loss": loss, "best_epoch": fitted.info["best_epoch"],
                           "best_val_score": round(fitted.info["best_val_score"], 6)}))
