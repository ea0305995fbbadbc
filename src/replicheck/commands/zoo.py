"""`replicheck zoo` (being built; see the issue tracker)."""

from __future__ import annotations

import click


@click.command(name="zoo")
def zoo() -> None:
    """Not available yet."""
    raise click.UsageError("'replicheck zoo' is not built yet")
