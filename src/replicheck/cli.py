"""The `replicheck` command line: a thin dispatcher.

Each subcommand lives in its own module under `replicheck.commands` so that the
packages it drives (impl, checker, stateful, report) stay independent of each other.
Exit codes are a public contract: 0 ok, 1 violation found, 2 bad input or usage,
3 unknown (a checker timed out).
"""

from __future__ import annotations

import click

from replicheck import __version__
from replicheck.commands.check import check
from replicheck.commands.describe import describe
from replicheck.commands.hunt import hunt
from replicheck.commands.replay import replay
from replicheck.commands.zoo import zoo


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="replicheck")
def cli() -> None:
    """Hunt for lost acknowledged writes in Kafka-style replicated logs."""


cli.add_command(hunt)
cli.add_command(check)
cli.add_command(replay)
cli.add_command(describe)
cli.add_command(zoo)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="replicheck")
