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
import importlib
import sys
from typing import Any, ClassVar

import click

from replicheck import __version__

EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 2, 4, 130
DEBUG_ENV = "REPLICHECK_DEBUG"
#: subcommand -> its module under replicheck.commands, imported only when it runs (or for
#: --help): `hunt` pulls in Hypothesis and `replay` the report templates, which `check`
#: on a small file should not pay for
COMMANDS = {name: name for name in ("hunt", "check", "replay", "describe", "zoo")}


class GuardedGroup(click.Group):
    """A click group whose subcommands cannot leak a traceback or a misleading exit code.

    `lazy_commands` (name -> module under replicheck.commands) are imported only when
    they run or are listed."""

    lazy_commands: ClassVar[dict[str, str]] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.lazy_commands, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_commands and cmd_name not in self.commands:
            module = importlib.import_module(f"replicheck.commands.{self.lazy_commands[cmd_name]}")
            self.add_command(getattr(module, cmd_name))
        return super().get_command(ctx, cmd_name)

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


class _Cli(GuardedGroup):
    lazy_commands = COMMANDS


def _debug_traceback(ctx: click.Context) -> None:
    if (ctx.obj or {}).get("debug"):
        import traceback  # only on this error path: it costs start-up time otherwise

        traceback.print_exc(file=sys.stderr)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
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


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="replicheck")


__all__ = ["EXIT_BAD_INPUT", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "cli", "main"]
