"""`replicheck check` (being built; see the issue tracker)."""

from __future__ import annotations

import click


@click.command(name="check")
def check() -> None:
    """Not available yet."""
    raise click.UsageError("'replicheck check' is not built yet")
