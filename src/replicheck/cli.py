"""The `replicheck` command line: a thin dispatcher with one top-level guard.

Each subcommand lives in its own module under `replicheck.commands` so that the
packages it drives (impl, checker, stateful, report) stay independent of each other.
Exit codes are a public contract shared by every command (README, "Exit codes"):
0 ok, 1 violation found, 2 bad input or usage, 3 unknown (a checker timed out),
4 internal error (a bug in replicheck), 130 interrupted. An error must never exit 1,
which tells scripts a violation was found, so every exception that escapes a command is
turned into 2 (the user can fix it) or 4 (we must) here, in one place.
"""

from __future__ import annotations

import errno
import sys
import traceback
from typing import Any

import click

from replicheck import __version__
from replicheck.commands.check import check
from replicheck.commands.describe import describe
from replicheck.commands.hunt import hunt
from replicheck.commands.replay import replay
from replicheck.commands.zoo import zoo

EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 2, 4, 130
DEBUG_ENV = "REPLICHECK_DEBUG"


class GuardedGroup(click.Group):
    """A click group whose subcommands cannot leak a traceback or a misleading exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, SystemExit):
            raise  # click's own usage errors (exit 2) and deliberate exits
        except (KeyboardInterrupt, click.exceptions.Abort):
            click.echo("interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except OSError as error:
            if error.errno == errno.EPIPE:
                raise  # `replicheck … | head`: click exits quietly
            # an output or input the user named cannot be used (disk full, permissions)
            _debug_traceback(ctx)
            where = f"{error.filename}: " if error.filename else ""
            click.echo(f"error: {where}{error.strerror or error}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except Exception as error:
            _debug_traceback(ctx)
            name = type(error).__name__
            text = str(error).splitlines()[0][:200] if str(error) else ""
            click.echo(
                f"internal error: {name}{': ' + text if text else ''}\n"
                "This is a bug in replicheck; please report it with the command line "
                "(rerun with --debug for the traceback).",
                err=True,
            )
            sys.exit(EXIT_INTERNAL)


def _debug_traceback(ctx: click.Context) -> None:
    if (ctx.obj or {}).get("debug"):
        traceback.print_exc(file=sys.stderr)


@click.group(cls=GuardedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="replicheck")
@click.option(
    "--debug",
    is_flag=True,
    envvar=DEBUG_ENV,
    help=f"Print the traceback of an internal error (also: {DEBUG_ENV}=1).",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Hunt for lost acknowledged writes in Kafka-style replicated logs."""
    ctx.obj = {"debug": debug}


cli.add_command(hunt)
cli.add_command(check)
cli.add_command(replay)
cli.add_command(describe)
cli.add_command(zoo)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="replicheck")


__all__ = ["EXIT_BAD_INPUT", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "cli", "main"]
