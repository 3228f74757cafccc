"""Shared pieces of the command line: error handling, DATA loading, progress, JSON output."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Any, Iterator

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


def load_data_argument(spec: str, target: str | None = None):
    """DATA: a dataset name (``mfeat``, ``logic:gate=xor``) or a Parquet/NPZ path."""
    from ..data import resolve_data

    return resolve_data(spec, target=target)


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
