"""`replicheck zoo`: list the flaw zoo (the historical flaws the campaign must find)."""

from __future__ import annotations

import json
import textwrap

import click

from replicheck.impl.zoo import FLAWS


@click.command(name="zoo")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print a JSON list of {name, title, description, source}.",
)
def zoo(as_json: bool) -> None:
    """List the flaws that can be switched on in the reference cluster."""
    if as_json:
        click.echo(json.dumps([flaw.to_dict() for flaw in FLAWS.values()], indent=2))
        return
    width = max(len(name) for name in FLAWS)
    for flaw in FLAWS.values():
        click.echo(f"{flaw.name.ljust(width)}  {flaw.title}")
        for line in textwrap.wrap(flaw.description, 88):
            click.echo(" " * (width + 2) + line)
        for line in textwrap.wrap(f"Source: {flaw.source}", 88):
            click.echo(" " * (width + 2) + line)
        click.echo("")
    usage = "replicheck.impl.zoo.get_flaw(NAME).apply(ClusterConfig())"
    click.echo(f"{len(FLAWS)} flaws; in Python: {usage}")
