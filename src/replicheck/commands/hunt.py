"""`replicheck hunt` (being built; see the issue tracker)."""

from __future__ import annotations

import click


@click.command(name="hunt")
def hunt() -> None:
    """Not available yet."""
    raise click.UsageError("'replicheck hunt' is not built yet")
