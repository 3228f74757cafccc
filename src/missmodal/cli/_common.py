"""Shared pieces of the command line: error handling, DATA loading, progress, JSON output."""

from __future__ import annotations

import functools
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from .._json import to_jsonable, write_json  # noqa: F401  (re-exported for the commands)
from ..errors import MissmodalError

console = Console(stderr=True)
INPUT_ERRORS = (MissmodalError, OSError)


class MissmodalGroup(click.Group):
    """A click group that turns input errors into one line on stderr and exit code 2 (traceback with --debug)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except INPUT_ERRORS as error:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            click.echo(f"error: {message}", err=True)
            ctx.exit(2)


@dataclass
class DataOptions:
    """The schema options of a command that reads DATA (see :func:`schema_options`)."""

    target: str | None = None
    id_column: str | None = None
    modality_specs: tuple[str, ...] = ()
    covariates: str | None = None
    ignore: str | None = None
    schema_path: str | None = None
    partial: str | None = None
    task: str | None = None
    time: str | None = None
    event: str | None = None

    def table_schema(self):
        """The :class:`TableSchema` these options give (None when DATA needs no schema)."""
        from ..data.schema import TableSchema, parse_modality_option

        if not self.modality_specs and not self.schema_path:
            return None
        base = TableSchema.from_file(self.schema_path).to_dict() if self.schema_path else {}
        if self.modality_specs:
            base["modalities"] = dict(parse_modality_option(spec) for spec in self.modality_specs)
        for key, value in (("target", self.target), ("id", self.id_column), ("covariates", self.covariates),
                           ("ignore", self.ignore), ("partial", self.partial), ("task", self.task),
                           ("time", self.time), ("event", self.event)):
            if value is not None:
                base[key] = value
        return TableSchema(**base)

    def read_options(self) -> dict[str, Any]:
        """Keyword arguments of :func:`missmodal.data.read_data` for a missmodal Parquet/NPZ file."""
        if self.time is not None or self.event is not None:
            raise MissmodalError("--time/--event name the columns of a flat table (with --modality or --schema); a "
                                 "missmodal Parquet/NPZ file records its survival target itself")
        options: dict[str, Any] = {"target": self.target}
        if self.id_column:
            options["id_column"] = self.id_column
        if self.covariates is not None:
            options["covariates"] = [c.strip() for c in self.covariates.split(",") if c.strip()]
        if self.ignore is not None:
            options["ignore"] = [c.strip() for c in self.ignore.split(",") if c.strip()]
        if self.task:
            options["task"] = self.task
        return options


_SCHEMA_OPTION_NAMES = ("target", "id_column", "modality_specs", "covariates", "ignore", "schema_path", "partial", "task",
                        "time", "event")


def schema_options(command: Callable) -> Callable:
    """Add the table-schema options to a click command; it receives them as one ``data_options`` argument."""
    from ..data.multimodal import TASKS
    from ..data.schema import PARTIAL_POLICIES

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs["data_options"] = DataOptions(**{k: kwargs.pop(k) for k in _SCHEMA_OPTION_NAMES})
        return command(*args, **kwargs)

    options = [
        click.option("--modality", "modality_specs", multiple=True, metavar="NAME=COLS",
                     help="A modality of a flat table and its columns (globs allowed), e.g. labs=bili,alb,lab_*; repeatable."),
        click.option("--target", default=None, help="Target column."),
        click.option("--time", default=None, metavar="COL",
                     help="Survival target: the follow-up time column (with --event, instead of --target)."),
        click.option("--event", default=None, metavar="COL[=VALUE]",
                     help="Survival target: the event column, 0/1 or True/False, or COL=VALUE naming the event value."),
        click.option("--id", "id_column", default=None, help="Id column (missmodal files: 'id' when present)."),
        click.option("--covariates", default=None, metavar="COLS",
                     help="Always-observed columns, comma-separated; string columns are one-hot coded."),
        click.option("--ignore", default=None, metavar="COLS", help="Columns to leave out, comma-separated (globs allowed)."),
        click.option("--schema", "schema_path", default=None, type=click.Path(dir_okay=False),
                     help="YAML file with modalities/target/id/covariates/ignore/partial/task (options override it)."),
        click.option("--partial", type=click.Choice(PARTIAL_POLICIES), default=None,
                     help="Partly observed blocks of a flat table: observed (default; missing fields filled with the "
                          "field mean, field mask kept), missing, or error."),
        click.option("--task", type=click.Choice(TASKS), default=None, help="Override the task inferred from the target."),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


def load_data_argument(spec: str, options: DataOptions | str | None = None, stored_schema: dict | None = None,
                       require_target: bool = True, require_all_observed: bool = True):
    """DATA: a dataset name (``mfeat``, ``logic:gate=xor``), a missmodal Parquet/NPZ file, or a flat table.

    A flat table is read with the schema the options give, else with ``stored_schema`` (the one a model
    was trained with, so that its codings and fill values are reused). ``require_target=False`` lets a
    table without its target column through (prediction); ``require_all_observed=False`` a batch in
    which some modality never occurs (one new patient). The roles in force are printed on stderr.
    """
    from ..data import resolve_data
    from ..data.schema import describe_roles

    if not isinstance(options, DataOptions):
        options = DataOptions(target=options)
    schema = options.table_schema()
    if schema is None and stored_schema and is_flat_table(spec):
        schema = stored_schema
    read = {} if schema is not None else options.read_options()
    if not require_all_observed and schema is None:
        read["require_all_observed"] = False
    data = resolve_data(spec, schema=schema, require_target=require_target, **read)
    console.print(describe_roles(data), style="dim", markup=False, highlight=False, soft_wrap=True)
    return data


def is_flat_table(spec: str) -> bool:
    """A CSV/TSV file, or a Parquet file without modality columns (a flat table)."""
    from pathlib import Path

    from ..data.schema import TABLE_SUFFIXES

    path = Path(spec)
    if not path.is_file():
        return False
    if path.suffix.lower() in TABLE_SUFFIXES:
        return True
    try:
        import pyarrow.parquet as pq

        from ..data.arrow import METADATA_KEY

        schema = pq.read_schema(path)
    except (OSError, ValueError):  # an unreadable file is reported by the reader itself
        return False
    return METADATA_KEY not in (schema.metadata or {}) and not any(
        str(field.type).startswith(("list", "fixed_size_list", "large_list")) or "__" in field.name for field in schema)


@contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Any]:
    """A rich progress bar on stderr (silent when stderr is not a terminal); yields ``advance(n=1)``."""
    bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                   TimeElapsedColumn(), console=console, disable=not sys.stderr.isatty(), transient=True)
    with bar:
        task = bar.add_task(description, total=total)
        yield lambda n=1: bar.advance(task, n)


def status(message: str) -> None:
    """A progress line on stderr."""
    console.print(f"[dim]{message}[/dim]")
