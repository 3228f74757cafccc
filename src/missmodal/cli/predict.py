"""`missmodal predict`: predictions of a trained model for every sample of DATA."""

import click

from ._common import load_data_argument, schema_options, status, trust_option
from .evaluate import parse_horizons, weak_group_warning


@click.command("predict")
@click.argument("model_dir", type=click.Path(exists=True))
@click.argument("data")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False), help="Output .csv or .parquet.")
@click.option("--min-group-size", type=int, default=10, show_default=True,
              help="Warn about groups with fewer training samples than this.")
@click.option("--horizons", default=None, metavar="T1,T2",
              help="Survival models: also write survival_<T> = P(event-free at T) for each time, e.g. 365,1825.")
@trust_option
@schema_options
def command(model_dir, data, output, min_group_size, horizons, trust_unhashed, data_options) -> None:
    """Write id, group, seen_in_training, train_count, prediction and class probabilities for each sample of DATA.

    Survival models write ``risk`` (the log-risk: higher means an earlier event expected) and, with
    ``--horizons``, ``survival_<T>`` for each time.

    Samples whose combination group never occurred in training get the model's fallback prediction and
    ``seen_in_training = False``; ``train_count`` is the number of training samples of the sample's group.
    """
    import numpy as np
    import pandas as pd

    from .._atomic import atomic_path
    from .._paths import guard_outputs
    from ..errors import MissmodalError
    from ..evaluate.metrics import predicted_labels
    from ..models import load_model

    if not output.endswith((".csv", ".parquet")):
        raise MissmodalError(f"--output {output}: use a .csv or .parquet file name")
    guard_outputs({"--output": output}, inputs=[data, data_options.schema_path], read_folders=[model_dir])
    model = load_model(model_dir, trust_unhashed=trust_unhashed)
    dataset = load_data_argument(data, data_options, stored_schema=model.info.get("data_schema"), model=model,
                                 require_target=False, require_all_observed=False)
    scores = model.scores(dataset)
    columns = {"id": dataset.ids, "group": dataset.group_names(), "seen_in_training": model.seen_in_training(dataset),
               "train_count": model.train_counts_of(dataset)}
    horizons = parse_horizons(horizons)
    if horizons is not None and model.task != "survival":
        raise MissmodalError(f"--horizons applies to survival models; this model's task is {model.task}")
    if model.task == "survival":
        columns["risk"] = scores
        if horizons:
            columns.update({f"survival_{h:g}": column for h, column in zip(horizons, model.survival_at(dataset, horizons).T)})
            beyond = model.baseline_hazard.beyond_follow_up(horizons)
            if beyond:
                status(f"warning: horizons {beyond} lie after the follow-up the baseline hazard was estimated on "
                       f"({model.baseline_hazard.last_follow_up:g}): survival there is extrapolated flat")
    elif model.task == "regression":
        columns["prediction"] = scores
    elif model.task == "multilabel":
        labels = predicted_labels(scores, model.task)
        columns.update({f"prediction_{j}": labels[:, j] for j in range(labels.shape[1])})
        columns.update({f"p_{j}": scores[:, j] for j in range(scores.shape[1])})
    else:
        columns["prediction"] = predicted_labels(scores, model.task, np.asarray(model.class_labels))
        columns.update({f"p_{c}": scores[:, j] for j, c in enumerate(model.class_labels)})
    frame = pd.DataFrame(columns)
    with atomic_path(output) as tmp:
        if output.endswith(".csv"):
            frame.to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)
    unseen = int((~columns["seen_in_training"]).sum())
    status(f"wrote {output}: {len(frame)} predictions" + (f", {unseen} from groups not seen in training (fallback)" if unseen else ""))
    weak = list(dict.fromkeys(frame.loc[frame["train_count"] < min_group_size, "group"]))
    warning = weak_group_warning(weak, min_group_size)
    if warning:
        click.echo(warning, err=True)
