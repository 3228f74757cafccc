"""`missmodal convert`: a flat table (CSV/TSV/flat Parquet) with a schema to the missmodal Parquet layout."""

import click

from ._common import load_data_argument, schema_options, status


@click.command("convert")
@click.argument("data")
@schema_options
@click.option("--layout", type=click.Choice(["list", "blocks"]), default="list", show_default=True)
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False), help="Output .parquet (or .npz).")
def command(data, data_options, layout, output) -> None:
    """Read DATA with its schema and write it as a missmodal Parquet file, so later commands need no schema.

    Every column needs a role: --modality NAME=COLS (repeatable), --target, --id, --covariates, --ignore,
    or --schema FILE.yaml. The file keeps the resolved schema (codings, fill values, class names) and the
    field-level mask of partly observed blocks.
    """
    from pathlib import Path

    from .._paths import guard_outputs
    from ..data import write_data
    from ..data.io import PARQUET_SUFFIXES, check_output_suffix

    check_output_suffix(Path(output), PARQUET_SUFFIXES + (".npz",))
    guard_outputs({"--output": output}, inputs=[data, data_options.schema_path])
    dataset = load_data_argument(data, data_options)
    write_data(dataset, output, layout=layout)
    partial = dataset.metadata.get("schema_report", {}).get("partial_rows", {})
    groups = len(dataset.group_counts())
    click.echo(f"wrote {output}: {dataset.n_samples} rows, {dataset.n_modalities} modalities, {groups} groups"
               + (", partly observed rows: " + ", ".join(f"{m} {k}" for m, k in partial.items()) if any(partial.values()) else ""))
    if not any(partial.values()):
        status("no partly observed blocks")
