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
#: subcommand -> (its module under replicheck.commands, its one-line help). Modules are
#: imported only when the command runs: `hunt` pulls in Hypothesis and `replay` the report
#: templates, which `check` on a small file and `--help` should not pay for. The help lines
#: are the commands' own first sentences (tests/checker/test_lin_cli.py keeps them equal).
COMMANDS = {
    "check": ("check", "Check recorded histories against a model."),
    "describe": (
        "describe",
        "Show a simulated leader failure and recovery as kafka-topics.sh --describe lines.",
    ),
    "hunt": (
        "hunt",
        "Hunt for lost acknowledged writes: hammer the simulated cluster with faults.",
    ),
    "merge": ("merge", "Combine a campaign's shards into one verdict with one exit code."),
    "replay": (
        "replay",
        "Replay a regression case (case.json, or a report folder) and print the verdict.",
    ),
    "zoo": ("zoo", "List the flaws that can be switched on in the reference cluster."),
}


class GuardedGroup(click.Group):
    """A click group whose subcommands cannot leak a traceback or a misleading exit code.

    `lazy_commands` (name -> (module under replicheck.commands, one-line help)) are
    imported only when they run; `--help` lists them from their help lines."""

    lazy_commands: ClassVar[dict[str, tuple[str, str]]] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.lazy_commands, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_commands and cmd_name not in self.commands:
            module_name = self.lazy_commands[cmd_name][0]
            module = importlib.import_module(f"replicheck.commands.{module_name}")
            self.add_command(getattr(module, cmd_name))
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy_commands and name not in self.commands:
                rows.append((name, self.lazy_commands[name][1]))
            else:
                command = self.get_command(ctx, name)
                if command is not None and not command.hidden:
                    rows.append((name, command.get_short_help_str(formatter.width)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

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
