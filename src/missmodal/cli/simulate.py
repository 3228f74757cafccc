"""`missmodal simulate`: make modalities missing and write Parquet."""

import click

from ._common import load_data_argument, status, schema_options


@click.command("simulate")
@click.argument("data")
@click.option("--mechanism", type=click.Choice(["mcar", "mar", "mnar", "zipf"]), default="mcar", show_default=True)
@click.option("--rate", type=float, default=0.5, show_default=True, help="Missing rate of modality slots (mcar/mar/mnar); 0 writes complete data.")
@click.option("--exponent", type=float, default=1.0, show_default=True, help="Zipf exponent (zipf).")
@click.option("--always-observed", multiple=True, help="Modality kept observed, driving MAR (repeatable).")
@click.option("--driver", type=click.Choice(["self", "label"]), default="self", show_default=True, help="MNAR driver.")
@click.option("--seed", type=int, default=0, show_default=True)
@schema_options
@click.option("--layout", type=click.Choice(["list", "blocks"]), default="list", show_default=True)
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False), help="Output .parquet (or .npz).")
def command(data, mechanism, rate, exponent, always_observed, driver, seed, data_options, layout, output) -> None:
    """Simulate missing modalities in DATA and write the result (rows in DATA's order, with its ids)."""
    from .._paths import guard_outputs
    from ..data import simulate_missingness, write_data

    guard_outputs({"--output": output}, inputs=[data, data_options.schema_path])

    dataset = load_data_argument(data, data_options)
    if mechanism == "zipf":
        result = simulate_missingness(dataset, "zipf", seed=seed, exponent=exponent)
    elif rate == 0:
        result = dataset
    else:
        params = {"rate": rate}
        if mechanism == "mar":
            params["always_observed"] = list(always_observed) or None
        elif always_observed:
            params["always_observed"] = list(always_observed)
        if mechanism == "mnar":
            params["driver"] = driver
        result = simulate_missingness(dataset, mechanism, seed=seed, **params)
    write_data(result, output, layout=layout)
    missing = 1 - result.observed.mean()
    status(f"wrote {output}: {result.n_samples} rows, {len(result.group_counts())} groups, {missing:.1%} of slots missing")
