"""Shared pieces of the command line: error handling, DATA loading, progress, JSON output."""

from __future__ import annotations

import functools
import os
import re
import sys
import tempfile
import traceback
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from .._json import to_jsonable, write_json  # noqa: F401  (re-exported for the commands)
from ..errors import MissmodalError

console = Console(stderr=True)
#: Problems with the input (files, values, names, resources): one ``error:`` line, exit code 2.
INPUT_ERRORS = (MissmodalError, OSError, ValueError, MemoryError)
INTERNAL_EXIT = 3  # a bug: "internal error, please report", the traceback saved to a file
_NUMPY_SCALAR = re.compile(r"\bnp\.(?:int|uint|float|bool|str|complex)\w*\((.*?)\)")


def one_line(text: str) -> str:
    """The first line of a message, with numpy scalar reprs (``np.int64(0)``) shown as their values."""
    first = text.splitlines()[0] if text.strip() else ""
    return _NUMPY_SCALAR.sub(r"\1", first)


def input_error_line(error: BaseException) -> str:
    """The ``error:`` line for a known problem (its message; the class name for an empty one)."""
    if isinstance(error, MemoryError):
        return "error: out of memory (the input is too large for this machine, or a size in it is absurd)"
    return f"error: {one_line(str(error)) or type(error).__name__}"


def save_traceback(error: BaseException) -> str:
    """Write the traceback of ``error`` to a new file (``$MISSMODAL_CRASH_DIR``, else the temporary folder)
    and return its path."""
    folder = os.environ.get("MISSMODAL_CRASH_DIR") or tempfile.gettempdir()
    os.makedirs(folder, exist_ok=True)
    fd, path = tempfile.mkstemp(prefix="missmodal-internal-error-", suffix=".txt", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"missmodal {' '.join(sys.argv[1:])}\n\n")
        handle.write("".join(traceback.format_exception(type(error), error, error.__traceback__)))
    return path


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings (numpy, scikit-learn, ...) as one ``warning:`` line each, without source paths."""
    click.echo(f"warning: {one_line(str(message)) or category.__name__}", err=True)


class MissmodalGroup(click.Group):
    """A click group that is the command line's last line of defence.

    Input errors (:data:`INPUT_ERRORS`) become one ``error:`` line on stderr and exit code 2; any other
    exception is a bug: one ``error: internal error, please report`` line naming the file that holds its
    traceback, exit code 3. ``--debug`` shows the traceback instead. Python warnings print as one
    ``warning:`` line each (repeats once).
    """

    def invoke(self, ctx: click.Context) -> Any:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            try:
                return super().invoke(ctx)
            except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
                raise
            except INPUT_ERRORS as error:
                if ctx.obj and ctx.obj.get("debug"):
                    raise
                click.echo(input_error_line(error), err=True)
                ctx.exit(2)
            except Exception as error:  # noqa: BLE001  (the last line of defence: a bug, reported as one)
                if ctx.obj and ctx.obj.get("debug"):
                    raise
                try:
                    saved = f"; the traceback is in {save_traceback(error)}"
                except OSError:
                    saved = " (the traceback could not be saved; rerun with --debug to see it)"
                click.echo(f"error: internal error, please report it{saved} ({type(error).__name__}: "
                           f"{one_line(str(error))[:200]})", err=True)
                ctx.exit(INTERNAL_EXIT)


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
    partial_min_share: float | None = None
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
                           ("partial_min_share", self.partial_min_share), ("time", self.time), ("event", self.event)):
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
                        "partial_min_share", "time", "event")


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
                     help="Partly observed blocks of a flat table: observed (default; a block counts as observed when "
                          "at least --partial-min-share of its fields are present, missing fields filled with the field "
                          "mean), missing (only complete blocks count), or error; the field mask is kept either way."),
        click.option("--partial-min-share", "partial_min_share", type=click.FloatRange(0, 1, min_open=True), default=None,
                     help="With --partial observed: share of a block's fields that must be present for the block to "
                          "count as observed (default 0.5)."),
        click.option("--task", type=click.Choice(TASKS), default=None, help="Override the task inferred from the target."),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


trust_option = click.option(
    "--trust-unhashed", is_flag=True,
    help="Load a model folder whose model.json has no weights_sha256 (written before weights were hashed): only "
         "for folders you trust, since their weights cannot be checked against model.json.")


def load_data_argument(spec: str, options: DataOptions | str | None = None, stored_schema: dict | None = None,
                       require_target: bool = True, require_all_observed: bool = True, model=None):
    """DATA: a dataset name (``mfeat``, ``logic:gate=xor``), a missmodal Parquet/NPZ file, or a flat table.

    A flat table is read with the schema the options give, else with ``stored_schema`` (the one a model
    was trained with, so that its codings and fill values are reused). ``require_target=False`` lets a
    table without its target column through (prediction); ``require_all_observed=False`` a batch in
    which some modality never occurs (one new patient); a ``model`` gives the widths of such modalities.
    The roles in force are printed on stderr.
    """
    from ..data import resolve_data
    from ..data.schema import describe_roles
    from ..data.task_inference import task_lines

    if not isinstance(options, DataOptions):
        options = DataOptions(target=options)
    schema = options.table_schema()
    if schema is None and stored_schema and is_flat_table(spec):
        schema = stored_schema
    read = {} if schema is not None else options.read_options()
    if not require_all_observed and schema is None:
        read["require_all_observed"] = False
        if model is not None:
            read["dims"] = dict(zip(model.preprocessing.modality_names, model.preprocessing.dims))
    data = resolve_data(spec, schema=schema, require_target=require_target, **read)
    console.print(describe_roles(data), style="dim", markup=False, highlight=False, soft_wrap=True)
    for line in task_lines(data) + duplicate_id_lines(data, spec):
        status(line)
    return data


def duplicate_id_lines(data, spec: str) -> list[str]:
    """A warning when some id occurs more than once: the rows are kept as separate samples, in DATA's order."""
    import numpy as np

    ids, counts = np.unique(np.asarray(data.ids).astype(str), return_counts=True)
    if not (counts > 1).any():
        return []
    return [f"warning: {int((counts > 1).sum())} id(s) occur more than once in {spec} (first: {str(ids[counts > 1][0])!r}); "
            "the rows are kept as separate samples and every output follows DATA's row order, so match by position"]


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
    """A progress line on stderr, never wrapped (one message, one line) and never read as markup."""
    console.print(message, style="dim", markup=False, highlight=False, soft_wrap=True)
