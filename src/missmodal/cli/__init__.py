"""The ``missmodal`` command: one sub-command per module of this package."""

from __future__ import annotations

import importlib

import click

from .. import __version__
from ._common import MissmodalGroup

# Sub-command modules; each defines a click command named ``command``.
COMMAND_MODULES = ["datasets", "convert", "simulate", "audit", "informativeness", "impute", "bench", "train", "evaluate", "predict", "encode"]


@click.group(cls=MissmodalGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.version_option(__version__, prog_name="missmodal")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """missmodal: multimodal learning with missing modalities.

    DATA arguments are a bundled or synthetic dataset name (see `missmodal datasets`; options as
    `logic:gate=xor,n_samples=5000`), a missmodal Parquet/NPZ file, or a flat table (CSV, TSV or Parquet,
    one row per sample) read with --schema FILE or --modality/--target/--id; the roles are printed first.
    """
    ctx.ensure_object(dict)["debug"] = debug


for _module in COMMAND_MODULES:
    main.add_command(importlib.import_module(f"{__name__}.{_module}").command)
