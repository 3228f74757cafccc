"""`missmodal impute`: fill missing modalities and write Parquet with a record of the imputed slots."""

import time
from pathlib import Path

import click

from ._common import console, is_flat_table, load_data_argument, progress, status, schema_options

METHODS = ["zero", "mean", "knn", "iterative", "generative", "cluster", "auto"]


class ClusterCount(click.ParamType):
    """A positive int or ``auto``."""

    name = "K|auto"

    def convert(self, value, param, ctx):
        if value == "auto" or isinstance(value, int):
            return value
        try:
            return int(value)
        except ValueError:
            self.fail(f"{value!r} is neither an int nor 'auto'", param, ctx)


@click.command("impute")
@click.argument("data")
@click.option("--method", type=click.Choice(METHODS), default="cluster", show_default=True,
              help="Imputer (registry name); auto: the one with the lowest masked-block error.")
@click.option("--n-clusters", type=ClusterCount(), default=None,
              help="Clusters k of the cluster imputer, or auto (default: auto, chosen by masked-block validation).")
@click.option("--validate", is_flag=True,
              help="Hide a share of the observed modality blocks, refit, fill them and print the error per modality.")
@click.option("--validate-share", type=float, default=0.2, show_default=True, help="Share of observed blocks --validate hides.")
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
@click.option("--output", "-o", default=None, type=click.Path(dir_okay=False),
              help="Output .parquet (optional with --validate).")
def command(data, method, n_clusters, validate, validate_share, assignment, seed, batch_size, data_options, layout,
            threads, spill_dir, output) -> None:
    """Impute the missing modalities of DATA and write every slot filled to OUTPUT.

    The output keeps DATA's rows, ids, target and covariates, with an extra column `imputed` (one bool per
    modality, True where the value was imputed). With --method cluster and a Parquet DATA file, fitting and
    imputation stream over the file in row batches (memory bounded by --batch-size); other methods load
    DATA into memory. --method auto and --n-clusters auto (the default) choose by masked-block validation:
    observed blocks of DATA are hidden, the candidates refitted and scored on them (no label is used); the
    choice and the scores are printed. --validate prints that score for the chosen method (with auto, for
    the whole choose-then-fit procedure) and, without --output, writes nothing.
    """
    from .._paths import guard_outputs
    from ..data import iter_batches
    from ..data.schema import describe_roles
    from ..data.io import PARQUET_SUFFIXES, check_output_suffix
    from ..errors import MissmodalError
    from ..impute import IMPUTERS, make_imputer, masked_block_validation
    from ..impute.parquet import impute_batches, write_imputed

    if batch_size < 1:
        raise MissmodalError(f"--batch-size must be >= 1, got {batch_size}")
    if validate and not 0 < validate_share < 1:
        raise MissmodalError(f"--validate-share must be in (0, 1), got {validate_share}")
    if output is None and not validate:
        raise MissmodalError("--output is required (unless --validate only scores the imputer)")
    if output is not None:
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
        params = dict(assignment=assignment, batch_size=min(batch_size, 16384))
        if n_clusters is not None:
            params["n_clusters"] = n_clusters
    accepted = IMPUTERS.get(method)().get_params()
    if "random_state" in accepted:
        params["random_state"] = seed
    imputer = make_imputer(method, **params)
    record = {"method": method, "params": params}
    path = Path(data)
    streamed = (method == "cluster" and path.is_file() and path.suffix != ".npz" and not validate
                and data_options.table_schema() is None and not is_flat_table(data))
    dataset = None if streamed else load_data_argument(data, data_options)
    if validate:
        status(f"masked-block validation of {method}: hiding {validate_share:.0%} of the observed blocks")
        click.echo(masked_block_validation(imputer, dataset, share=validate_share, random_state=seed).summary())
        if output is None:
            return
    started = time.perf_counter()
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
        status(f"fitting {method} on {dataset.n_samples} rows")
        imputer.fit(dataset)
        batches = (dataset.subset(slice(start, start + batch_size)) for start in range(0, dataset.n_samples, batch_size))
    fitted = time.perf_counter()
    record.update(imputer.choices())
    if method == "auto":
        click.echo(imputer.summary())
    with progress("imputing") as advance:
        counts = write_imputed(impute_batches(imputer, batches, record), output, layout, progress=advance)
    done = time.perf_counter()
    if method == "cluster":
        scores = imputer.n_clusters_scores_
        chosen = "" if scores is None else " (chosen by masked-block validation: " + ", ".join(
            f"k={k} {score:.3f}" for k, score in scores.items()) + ")" if scores else f" ({imputer.choices()['warning']})"
        click.echo(f"{imputer.n_clusters_} clusters{chosen}, {imputer.n_iter_} Lloyd passes, "
                   f"{int(imputer.centers_observed_.all(axis=1).sum())} complete centres")
    share = counts["imputed_slots"] / max(counts["slots"], 1)
    click.echo(f"wrote {output}: {counts['rows']} rows, {counts['imputed_slots']} of {counts['slots']} modality slots "
               f"imputed ({share:.1%}) and {counts['imputed_fields']} missing fields inside partly observed blocks "
               f"by {method}; fit {fitted - started:.2f} s, impute {done - fitted:.2f} s")
