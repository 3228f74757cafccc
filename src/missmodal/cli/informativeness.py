"""`missmodal informativeness`: which modality is informative, naive vs corrected for missingness (ICYM2I)."""

import click

from ._common import load_data_argument, status, write_json, schema_options


@click.command("informativeness")
@click.argument("data")
@schema_options
@click.option("--pair", nargs=2, default=None, metavar="A B",
              help="Decompose I(Y; A, B) into unique, redundant and synergistic parts; A and B are modalities or sets like fou+fac.")
@click.option("--modalities", default=None, help="Modalities under study, comma-separated (default: all).")
@click.option("--subset", "subsets", multiple=True, help="An extra subset to score, like fou+fac (repeatable).")
@click.option("--propensity-features", default=None,
              help="Always-observed modalities/covariates for the propensity, comma-separated (default: all of them).")
@click.option("--propensity", type=click.Choice(["logistic", "boosting"]), default="logistic", show_default=True)
@click.option("--clip", nargs=2, type=float, default=(0.05, 0.95), show_default=True, help="Propensity clipping bounds.")
@click.option("--predictor", type=click.Choice(["logistic", "mlp", "frequency"]), default="logistic", show_default=True,
              help="frequency: smoothed class frequencies per distinct value (discrete modalities only; fast).")
@click.option("--folds", type=int, default=3, show_default=True,
              help="Cross-fitting folds (lowered, to at least 2, where a subset's smallest class is smaller).")
@click.option("--repeats", type=int, default=3, show_default=True,
              help="Cross-fitting repeated on this many seeded splits, out-of-fold probabilities averaged.")
@click.option("--bootstrap", type=int, default=200, show_default=True, help="Bootstrap resamples for the intervals (0: none).")
@click.option("--interval", type=click.Choice(["refit", "fixed"]), default="refit", show_default=True,
              help="refit: propensities and predictors refitted in every bootstrap resample; fixed: models held fixed (faster, under-covers).")
@click.option("--jobs", type=int, default=-1, show_default=True, help="Processes for the refitted resamples (-1: all cores).")
@click.option("--sensitivity", is_flag=True, help="Re-estimate under MNAR departures and report the tipping point of the ranking.")
@click.option("--pid-method", type=click.Choice(["auto", "exact", "batch"]), default="auto", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the results as JSON.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), help="Write a self-contained HTML report.")
def command(data, data_options, pair, modalities, subsets, propensity_features, propensity, clip, predictor, folds, repeats,
            bootstrap, interval, jobs, sensitivity, pid_method, seed, json_path, html_path) -> None:
    """Naive (complete-case), corrected (IPW) and dr (available-case, doubly robust) informativeness of each
    modality of DATA, with intervals and the assumptions they rest on."""
    from .._paths import guard_outputs
    from ..informativeness import informativeness_html, informativeness_report, summary_lines

    guard_outputs({"--json": json_path, "--html": html_path}, inputs=[data, data_options.schema_path])

    def names(text):
        return [n.strip() for n in text.split(",") if n.strip()] if text else None

    dataset = load_data_argument(data, data_options)
    report = informativeness_report(
        dataset, pair=pair, predictor=predictor, bootstrap=bootstrap, seed=seed, modalities=names(modalities),
        subsets=list(subsets), propensity=propensity, propensity_features=names(propensity_features), clip=tuple(clip),
        n_folds=folds, n_repeats=repeats, interval=interval, n_jobs=jobs, sensitivity=sensitivity, pid_method=pid_method, progress=status)
    for line in summary_lines(report):
        click.echo(line)
    if json_path:
        write_json(json_path, {"data": data, **report})
    if html_path:
        informativeness_html(report, title=f"missmodal informativeness: {data}").write(html_path)
