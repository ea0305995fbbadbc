"""`replicheck describe` (being built; see the issue tracker)."""

from __future__ import annotations

import click


@click.command(name="describe")
def describe() -> None:
    """Not available yet."""
    raise click.UsageError("'replicheck describe' is not built yet")
