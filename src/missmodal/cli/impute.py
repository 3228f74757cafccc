"""`missmodal impute`: fill missing modalities and write Parquet with a record of the imputed slots."""

import time
from pathlib import Path

import click

from ._common import console, is_flat_table, load_data_argument, progress, status, schema_options

METHODS = ["zero", "mean", "knn", "iterative", "generative", "cluster"]


@click.command("impute")
@click.argument("data")
@click.option("--method", type=click.Choice(METHODS), default="cluster", show_default=True, help="Imputer (registry name).")
@click.option("--n-clusters", type=int, default=None, help="Clusters k of the cluster imputer (default 8).")
@click.option("--assignment", type=click.Choice(["greedy", "soft"]), default="greedy", show_default=True,
              help="Cluster imputer: published greedy completion or soft posterior mix.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random state of seeded imputers.")
@click.option("--batch-size", type=int, default=65536, show_default=True, help="Rows per streamed batch.")
@schema_options
@click.option("--layout", type=click.Choice(["list", "blocks"]), default="list", show_default=True)
@click.option("--threads", type=int, default=None, help="Torch threads (default: torch's choice; 1 helps on a busy machine).")
@click.option("--spill-dir", type=click.Path(file_okay=False, exists=True), default=None,
              help="Streamed cluster fit: replay the Lloyd passes from a temporary raw copy in this folder "
                   "(faster; disk use about the data's float32 size).")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False), help="Output .parquet.")
def command(data, method, n_clusters, assignment, seed, batch_size, data_options, layout, threads, spill_dir, output) -> None:
    """Impute the missing modalities of DATA and write every slot filled to OUTPUT.

    The output keeps DATA's rows, ids, target and covariates, with an extra column `imputed` (one bool per
    modality, True where the value was imputed). With --method cluster and a Parquet DATA file, fitting and
    imputation stream over the file in row batches (memory bounded by --batch-size); other methods load
    DATA into memory.
    """
    from .._paths import guard_outputs
    from ..data import iter_batches
    from ..data.schema import describe_roles
    from ..data.io import PARQUET_SUFFIXES, check_output_suffix
    from ..errors import MissmodalError
    from ..impute import IMPUTERS, make_imputer
    from ..impute.parquet import impute_batches, write_imputed

    if batch_size < 1:
        raise MissmodalError(f"--batch-size must be >= 1, got {batch_size}")
    check_output_suffix(Path(output), PARQUET_SUFFIXES)
    guard_outputs({"--output": output}, inputs=[data, data_options.schema_path])
    if threads is not None:
        if threads < 1:
            raise MissmodalError(f"--threads must be >= 1, got {threads}")
        import torch

        torch.set_num_threads(threads)
    if method != "cluster" and (n_clusters is not None or assignment != "greedy" or spill_dir is not None):
        raise MissmodalError(f"--n-clusters, --assignment and --spill-dir apply to --method cluster, not {method!r}")
    params = {}
    if method == "cluster":
        params = dict(n_clusters=8 if n_clusters is None else n_clusters, assignment=assignment,
                      batch_size=min(batch_size, 16384))
    accepted = IMPUTERS.get(method)().get_params()
    if "random_state" in accepted:
        params["random_state"] = seed
    imputer = make_imputer(method, **params)
    record = {"method": method, "params": params}
    started = time.perf_counter()
    path = Path(data)
    streamed = (method == "cluster" and path.is_file() and path.suffix != ".npz"
                and data_options.table_schema() is None and not is_flat_table(data))
    if streamed:
        read = data_options.read_options()
        read.pop("task", None)
        first = next(iter_batches(path, batch_size, **read), None)  # roles (e.g. --target) checked before the long fit
        if first is None:
            raise MissmodalError(f"{data}: no rows (no samples to read)")
        console.print(describe_roles(first), style="dim", markup=False, highlight=False, soft_wrap=True)
        status(f"fitting {method} on {data} in batches of {batch_size} rows")
        imputer.fit_parquet(path, batch_size=batch_size, spill_dir=spill_dir)
        batches = iter_batches(path, batch_size, **read)
    else:
        dataset = load_data_argument(data, data_options)
        status(f"fitting {method} on {dataset.n_samples} rows")
        imputer.fit(dataset)
        batches = (dataset.subset(slice(start, start + batch_size)) for start in range(0, dataset.n_samples, batch_size))
    fitted = time.perf_counter()
    with progress("imputing") as advance:
        counts = write_imputed(impute_batches(imputer, batches, record), output, layout, progress=advance)
    done = time.perf_counter()
    if method == "cluster":
        status(f"{imputer.n_clusters} clusters, {imputer.n_iter_} Lloyd passes, "
               f"{int(imputer.centers_observed_.all(axis=1).sum())} complete centres")
    share = counts["imputed_slots"] / max(counts["slots"], 1)
    click.echo(f"wrote {output}: {counts['rows']} rows, {counts['imputed_slots']} of {counts['slots']} modality slots "
               f"imputed ({share:.1%}) by {method}; fit {fitted - started:.2f} s, impute {done - fitted:.2f} s")
