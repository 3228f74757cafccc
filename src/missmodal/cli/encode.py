"""`missmodal encode`: raw modality columns of a manifest (text, image files, signals) to embeddings."""

from __future__ import annotations

import click

from ._common import progress, schema_options, status


def _pairs(values: tuple[str, ...], option: str, what: str) -> dict[str, str]:
    """``("notes=hf:dir", ...)`` -> ``{"notes": "hf:dir"}``; a malformed or repeated entry is a one-line error."""
    from ..errors import MissmodalError

    pairs: dict[str, str] = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name.strip() or not rest.strip():
            raise MissmodalError(f"{option} {value!r}: expected MOD={what}")
        if name.strip() in pairs:
            raise MissmodalError(f"{option}: modality {name.strip()!r} given twice")
        pairs[name.strip()] = rest.strip()
    return pairs


def _schema_kwargs(data_options) -> dict:
    """The table-reader roles of the manifest's non-raw columns, from the schema options."""
    from ..data.schema import parse_modality_option
    from ..errors import MissmodalError

    if data_options.schema_path:
        raise MissmodalError("encode: --schema is not supported; name the roles with --target, --id, --covariates, "
                             "--ignore and --modality")
    kwargs = {"target": data_options.target, "id": data_options.id_column, "covariates": data_options.covariates,
              "ignore": data_options.ignore, "task": data_options.task,
              "modalities": dict(parse_modality_option(s) for s in data_options.modality_specs)}
    if data_options.partial:
        kwargs["partial"] = data_options.partial
    return kwargs


@click.command("encode")
@click.argument("manifest", type=click.Path(dir_okay=False))
@click.option("--encoder", "encoder_specs", multiple=True, required=True, metavar="MOD=SPEC",
              help="Encode modality MOD with SPEC: hf:DIR, torchscript:FILE, python:pkg.mod:func, tfidf:DIM, "
                   "pixels:DIM, rocket:DIM or numeric; repeatable. MOD's column is MOD unless --column says otherwise.")
@click.option("--column", "column_specs", multiple=True, metavar="MOD=COL", help="Manifest column of modality MOD.")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False), help="The .parquet file to write.")
@schema_options
@click.option("--batch-size", type=int, default=32, show_default=True, help="Items per encoder call.")
@click.option("--chunk-rows", type=int, default=1024, show_default=True,
              help="Manifest rows per cached chunk (what an interrupted run redoes at most).")
@click.option("--device", default="cpu", show_default=True, help="torch device of hf/torchscript encoders.")
@click.option("--pooling", type=click.Choice(["mean", "cls"]), default="mean", show_default=True,
              help="hf text models: mean over non-padding tokens, or the first token.")
@click.option("--max-length", type=int, default=128, show_default=True, help="hf text models: tokens kept per text.")
@click.option("--missing-files", type=click.Choice(["error", "absent"]), default="error", show_default=True,
              help="A named file that does not exist: an error, or the modality recorded as absent (counted).")
@click.option("--state", "state_path", default=None, type=click.Path(dir_okay=False),
              help="Apply the fitted encoders of an earlier run (its .encoders.safetensors) instead of fitting.")
@click.option("--fit-rows", type=int, default=10000, show_default=True,
              help="Weight-free encoders are fitted on at most this many present rows (a seeded sample).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--cache-dir", default=None, type=click.Path(file_okay=False),
              help="Chunk cache for resuming (default OUTPUT.cache); deleted after success.")
@click.option("--keep-cache", is_flag=True, help="Keep the chunk cache after success.")
def command(manifest, encoder_specs, column_specs, output, data_options, batch_size, chunk_rows, device, pooling,
            max_length, missing_files, state_path, fit_rows, seed, cache_dir, keep_cache) -> None:
    """Encode the raw modalities of MANIFEST (CSV/TSV/Parquet, one row per sample) into a missmodal Parquet file.

    A raw column holds inline text, a file path (PNG/JPEG images, .npy/.csv arrays; relative to MANIFEST's
    folder) or a list of numbers; an empty cell means the modality is absent. Every other column needs a
    role: --id, --target, --covariates, --ignore, or --modality NAME=COLS for tabular blocks.
    Run under torchrun to encode on several processes (rank 0 writes).
    """
    from .._paths import guard_outputs
    from ..encode import EncodeOptions, encode_manifest

    guard_outputs({"--output": output}, inputs=[manifest, data_options.schema_path, state_path])
    options = EncodeOptions(device=device, pooling=pooling, max_length=max_length, seed=seed, fit_rows=fit_rows)
    result = encode_manifest(manifest, _pairs(encoder_specs, "--encoder", "SPEC"), output,
                             _pairs(column_specs, "--column", "COL"), batch_size=batch_size, chunk_rows=chunk_rows,
                             options=options, missing_files=missing_files, state=state_path, cache_dir=cache_dir,
                             keep_cache=keep_cache, progress=progress, **_schema_kwargs(data_options))
    if result is None:  # a torchrun rank other than 0: rank 0 writes and reports
        return
    for modality, record in result.provenance.items():
        missing = f", {record['n_missing_files']} missing files recorded absent" if record["n_missing_files"] else ""
        click.echo(f"{modality}: {record['spec']} -> dim {record['dim']}, {record['n_present']} present, "
                   f"{record['n_absent']} absent{missing}")
    status(f"wrote {result.path}" + (f"; fitted encoder states in {result.state_path}" if result.state_path else ""))
