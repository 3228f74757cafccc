"""`missmodal datasets`: list the bundled and synthetic datasets."""

import click


@click.command("datasets")
def command() -> None:
    """List the bundled and synthetic datasets (usable as DATA everywhere)."""
    from ..data import list_datasets

    for name, description in list_datasets():
        click.echo(f"{name:<8} {description}")
