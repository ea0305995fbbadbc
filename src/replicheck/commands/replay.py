"""`replicheck replay` (being built; see the issue tracker)."""

from __future__ import annotations

import click


@click.command(name="replay")
def replay() -> None:
    """Not available yet."""
    raise click.UsageError("'replicheck replay' is not built yet")
