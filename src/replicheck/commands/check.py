"""`replicheck check FILE --model register|kv|log`: check a recorded history.

Exit codes (public contract): 0 the history passed every check, 1 a violation was found,
2 bad input or usage, 3 unknown (the linearizability search timed out and nothing failed).

For `--model log` the verdict is Kafka's guarantees: Jepsen's Kafka anomaly taxonomy
(lost writes, inconsistent offsets, poll skips, aborted reads, dependency cycles, ...),
with Jepsen's rules for which kinds invalidate a run (`--allow`). The history may have
replicheck's shape or Jepsen's (micro-op vectors), in JSON Lines or EDN; it is streamed
(replicheck.commands.check_log). `--linearizable` adds the strict level: linearizability
of a Kafka-faithful log model (stricter than Kafka promises: a deposed leader or a
follower may serve stale reads).

Start-up: `check --model register FILE` must start fast (issue 12), so the log checker
(`check_log`, which pulls in the anomaly checker) and the HTML renderer (jinja2, about
0.5 s to import) are imported inside the functions that use them, only when asked for.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click

from replicheck.checker.history import STDIN, HistoryError, read_history
from replicheck.checker.json_values import dumps as json_dumps
from replicheck.checker.linearizability import LinVerdict, calls_from_history, check_calls
from replicheck.commands.check_output import (
    EXIT_BAD_INPUT,
    EXIT_CODE,
    EXIT_OK,
    EXIT_UNKNOWN,
    EXIT_VIOLATION,
    VERDICT_WORD,
    brief_line,
    fail_input,
    input_error,
)
from replicheck.model import MODELS, ModelInputError, get_model
from replicheck.model.base import S

__all__ = ["EXIT_BAD_INPUT", "EXIT_OK", "EXIT_UNKNOWN", "EXIT_VIOLATION", "check"]


def _seconds(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """A finite number of seconds > 0 (`nan` and `inf` are not durations).

    A callback rather than a `click.ParamType` subclass: that class is generic only since
    click 8.4, and the package supports click 8.1."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        raise click.BadParameter(f"expected a number of seconds, got {value!r}") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise click.BadParameter(f"expected a finite number of seconds > 0, got {value!r}")
    return seconds


@dataclass(frozen=True)
class CheckOptions:
    """What the command line asked for: the same for every file of a batch."""

    model_name: str
    timeout_s: float | None
    html_path: Path | None
    as_json: bool
    want_linearization: bool
    linearizable: bool
    allow_text: str | None
    first_failure: bool


@click.command(name="check")
@click.argument(
    "history_files", nargs=-1, required=True, metavar="FILE...", type=click.Path(path_type=Path)
)
@click.option(
    "--model",
    "model_name",
    type=click.Choice(sorted(MODELS)),
    required=True,
    help="The sequential specification the history is checked against.",
)
@click.option(
    "--timeout",
    "timeout_s",
    callback=_seconds,
    default=None,
    metavar="SECONDS",
    help="Give up the linearizability search after this long: verdict unknown, exit 3 "
    "(default: no limit).",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    metavar="OUT.html",
    help="Write a self-contained HTML report.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@click.option(
    "--linearization",
    "want_linearization",
    is_flag=True,
    help="Include the linearization found (history indices, per partition).",
)
@click.option(
    "--max-poll-records",
    "max_poll_records",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="With --model log: accepted for compatibility and ignored (the Kafka-faithful "
    "log model already lets any poll stop short of the end).",
)
@click.option(
    "--no-linearizability",
    "skip_linearizability",
    is_flag=True,
    help="With --model log: only the Kafka log-anomaly checks (the default; kept for "
    "compatibility).",
)
@click.option(
    "--linearizable",
    "linearizable",
    is_flag=True,
    help="With --model log: also check linearizability of a Kafka-faithful log (the "
    "strict level: real-time recency of polls, which Kafka does not promise).",
)
@click.option(
    "--allow",
    "allow_text",
    default=None,
    metavar="KINDS",
    help="With --model log: anomaly kinds that are reported but do not invalidate the run, "
    "comma-separated; 'default' stands for Jepsen's defaults (int-send-skip, G0*, and "
    "poll-skip/nonmonotonic-poll with subscribe, G1c* with transactions), which apply "
    "when the option is absent.",
)
@click.option(
    "--first-failure",
    "first_failure",
    is_flag=True,
    help="Stop the linearizability search at the first partition that fails (the verdict "
    "and that partition's evidence; the others are reported as not searched).",
)
def check(
    history_files: tuple[Path, ...],
    model_name: str,
    timeout_s: float | None,
    html_path: Path | None,
    as_json: bool,
    want_linearization: bool,
    max_poll_records: int | None,
    skip_linearizability: bool,
    linearizable: bool,
    allow_text: str | None,
    first_failure: bool,
) -> None:
    """Check recorded histories against a model.

    FILE is JSON Lines or Jepsen EDN; "-" reads standard input. Several files, or a
    directory (its *.jsonl, *.json and *.edn files): one verdict line (or JSON line) per
    file, and the worst exit code."""
    _reject_contradictions(
        model_name, max_poll_records, skip_linearizability, linearizable, allow_text
    )
    options = CheckOptions(
        model_name=model_name,
        timeout_s=timeout_s,
        html_path=html_path,
        as_json=as_json,
        want_linearization=want_linearization,
        linearizable=linearizable,
        allow_text=allow_text,
        first_failure=first_failure,
    )
    if len(history_files) == 1 and not history_files[0].is_dir():
        _check_file(history_files[0], options, brief=False)
    if html_path is not None:
        raise click.UsageError("--html takes a single history file")
    sys.exit(_check_batch(_expand(history_files), options))


def _reject_contradictions(
    model_name: str,
    max_poll_records: int | None,
    skip_linearizability: bool,
    linearizable: bool,
    allow_text: str | None,
) -> None:
    """Usage errors (exit 2) for options that do not apply or contradict each other."""
    for given, name in (
        (skip_linearizability, "--no-linearizability"),
        (max_poll_records is not None, "--max-poll-records"),
        (linearizable, "--linearizable"),
        (allow_text is not None, "--allow"),
    ):
        if given and model_name != "log":
            raise click.UsageError(f"{name} only applies to --model log")
    if skip_linearizability and linearizable:
        raise click.UsageError("--no-linearizability and --linearizable contradict each other")
    if allow_text is not None:
        from replicheck.checker.log_check import parse_allow  # only with --model log

        try:
            parse_allow(allow_text)
        except ValueError as exc:
            raise click.UsageError(f"--allow: {exc}") from None


def _check_batch(files: list[Path], options: CheckOptions) -> int:
    """Check every file (one line each) and return the worst exit code."""
    worst = EXIT_OK
    for path in files:
        code = EXIT_OK  # _check_file always exits; this is only for the type checker
        try:
            _check_file(path, options, brief=True)
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else EXIT_BAD_INPUT
        if code == EXIT_BAD_INPUT:  # the reason is on stderr already
            line = {"file": str(path), "valid": "error"}
            click.echo(json_dumps(line) if options.as_json else f"{path}: BAD INPUT")
        worst = max(worst, code, key=lambda c: _SEVERITY.get(c, len(_SEVERITY)))
    return worst


#: exit codes from the least to the most severe, for the worst of a batch
_SEVERITY = {EXIT_OK: 0, EXIT_UNKNOWN: 1, EXIT_VIOLATION: 2, EXIT_BAD_INPUT: 3}
HISTORY_SUFFIXES = (".jsonl", ".json", ".edn")


def _expand(paths: tuple[Path, ...]) -> list[Path]:
    """The files named, with each directory replaced by its history files (sorted)."""
    files: list[Path] = []
    for path in paths:
        if str(path) == STDIN:
            raise click.UsageError('"-" (standard input) cannot be one of several histories')
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in HISTORY_SUFFIXES)
            if not found:
                raise click.UsageError(f"{path}: no *.jsonl, *.json or *.edn history in it")
            files += found
        else:
            files.append(path)
    return files


def _check_file(history_file: Path, options: CheckOptions, *, brief: bool) -> NoReturn:
    """Check one history, print its verdict (one line if `brief`) and exit with its code."""
    data: bytes | None = None
    if str(history_file) == STDIN:
        data = sys.stdin.buffer.read()
        history_file = Path("<stdin>")
    if options.model_name == "log":
        from replicheck.commands.check_log import check_log_model  # only with --model log

        sys.exit(
            check_log_model(
                history_file,
                data=data,
                as_json=options.as_json,
                html_path=options.html_path,
                linearizable=options.linearizable,
                allow_text=options.allow_text,
                timeout_s=options.timeout_s,
                want_linearization=options.want_linearization,
                first_failure=options.first_failure,
                brief=brief,
            )
        )
    sys.exit(_check_linearizability(history_file, data, options, brief=brief))


def _check_linearizability(
    history_file: Path, data: bytes | None, options: CheckOptions, *, brief: bool
) -> int:
    """The linearizability verdict for `--model register|kv`: printed, and its exit code."""
    try:
        ops = read_history(history_file, data)
        calls = calls_from_history(ops)
    except HistoryError as exc:
        fail_input(str(exc))
    except OSError as exc:
        fail_input(f"{history_file}: cannot read: {exc.strerror or exc}")
    try:
        lin = check_calls(
            get_model(options.model_name),
            calls,
            timeout_s=options.timeout_s,
            linearization=options.want_linearization or options.html_path is not None,
            first_failure=options.first_failure,
        )
    except ModelInputError as exc:
        fail_input(str(input_error(history_file, exc, data)))
    valid = lin.valid
    if options.as_json:
        out: dict[str, Any] = {
            "valid": "unknown" if valid is None else valid,
            "model": options.model_name,
            "file": str(history_file),
            "ops": len(ops),
            "partitions": len(lin.partitions),
            "anomalies": {},
            "linearizable": lin.to_json(linearization=options.want_linearization),
        }
        sys.stdout.write(json_dumps(out) + "\n")
    elif brief:
        click.echo(brief_line(history_file, lin, None, valid))
    else:
        click.echo(lin.render_text())
        click.echo(VERDICT_WORD[valid])
    if options.html_path is not None:
        _write_html(options.html_path, history_file, lin)
    return EXIT_CODE[valid]


def _write_html(html_path: Path, history_file: Path, lin: LinVerdict[S]) -> None:
    from replicheck.checker.visualize import render_check_html  # jinja2: only with --html

    page = render_check_html(lin, None, title=str(history_file), overall=(lin.valid,))
    try:
        html_path.write_text(page, encoding="utf-8")
    except OSError as exc:
        fail_input(f"{html_path}: cannot write: {exc.strerror or exc}")
