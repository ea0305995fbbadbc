"""`replicheck check FILE --model register|kv|log`: check a recorded history.

Exit codes (public contract): 0 the history passed every check, 1 a violation was found,
2 bad input or usage, 3 unknown (the linearizability search timed out and nothing failed).

For `--model log` two independent checks run and are reported separately: the Kafka log
anomalies (durability and prefix agreement: lost writes, inconsistent offsets, ...) under
`anomalies`, and linearizability of the log under `linearizable`. Linearizable reads are
stricter than what Kafka promises (a zombie leader may serve stale reads), so
`--no-linearizability` runs the anomaly checks alone.
"""

from __future__ import annotations

import io
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from replicheck.checker.history import STDIN, HistoryError, read_history
from replicheck.checker.json_values import dumps as json_dumps
from replicheck.checker.linearizability import LinVerdict, calls_from_history, check_calls
from replicheck.model import MODELS, LogModel, ModelInputError, get_model

EXIT_OK, EXIT_VIOLATION, EXIT_BAD_INPUT, EXIT_UNKNOWN = 0, 1, 2, 3


def _log_checker() -> tuple[Callable[..., Any], Callable[..., str]] | None:
    """The Kafka log-anomaly checker (`check_log`, `render_log_html`), if this build has it.

    MERGE POINT: it is developed on branch `logcheck`; until that is merged `--model log`
    runs the linearizability check alone and says so.
    """
    try:
        from replicheck.checker.log_anomalies import check_log
    except ImportError:
        return None
    try:
        from replicheck.checker.log_report import render_log_html
    except ImportError:
        from replicheck.checker.log_anomalies import (  # type: ignore[attr-defined,no-redef]
            render_log_html,
        )
    return check_log, render_log_html


class _Seconds(click.ParamType):
    """A finite number of seconds > 0 (`nan` and `inf` are not durations)."""

    name = "seconds"

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            self.fail(f"expected a number of seconds, got {value!r}", param, ctx)
        if not math.isfinite(seconds) or seconds <= 0:
            self.fail(f"expected a finite number of seconds > 0, got {value!r}", param, ctx)
        return seconds


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
    type=_Seconds(),
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
    help="With --model log: the consumers' batch limit, for polls whose invocation does "
    "not carry max_records (a poll that returned N records may stop short of the end).",
)
@click.option(
    "--no-linearizability",
    "skip_linearizability",
    is_flag=True,
    help="With --model log: only the Kafka log-anomaly checks.",
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
    first_failure: bool,
) -> None:
    """Check recorded histories against a model.

    FILE is JSON Lines or Jepsen EDN; "-" reads standard input. Several files, or a
    directory (its *.jsonl, *.json and *.edn files): one verdict line (or JSON line) per
    file, and the worst exit code."""
    if skip_linearizability and model_name != "log":
        raise click.UsageError("--no-linearizability only applies to --model log")
    if max_poll_records is not None and model_name != "log":
        raise click.UsageError("--max-poll-records only applies to --model log")
    options = (model_name, timeout_s, html_path, as_json, want_linearization)
    options += (max_poll_records, skip_linearizability, first_failure)
    if len(history_files) == 1 and not history_files[0].is_dir():
        _check_file(history_files[0], *options, brief=False)
    if html_path is not None:
        raise click.UsageError("--html takes a single history file")
    files = _expand(history_files)
    worst = EXIT_OK
    for path in files:
        code = EXIT_OK  # _check_file always exits; this is only for the type checker
        try:
            _check_file(path, *options, brief=True)
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else EXIT_BAD_INPUT
        if code == EXIT_BAD_INPUT:  # the reason is on stderr already
            line = {"file": str(path), "valid": "error"}
            click.echo(json_dumps(line) if as_json else f"{path}: BAD INPUT")
        worst = max(worst, code, key=lambda c: _SEVERITY.get(c, len(_SEVERITY)))
    sys.exit(worst)


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


def _check_file(
    history_file: Path,
    model_name: str,
    timeout_s: float | None,
    html_path: Path | None,
    as_json: bool,
    want_linearization: bool,
    max_poll_records: int | None,
    skip_linearizability: bool,
    first_failure: bool,
    *,
    brief: bool,
) -> None:
    """Check one history, print its verdict (one line if `brief`) and exit with its code."""
    data: bytes | None = None
    if str(history_file) == STDIN:
        data = sys.stdin.buffer.read()
        history_file = Path("<stdin>")
    try:
        ops = read_history(history_file, data)
        calls = calls_from_history(ops)
    except HistoryError as exc:
        _fail_input(str(exc))
    except OSError as exc:
        _fail_input(f"{history_file}: cannot read: {exc.strerror or exc}")

    model = LogModel(max_poll_records) if model_name == "log" else get_model(model_name)
    lin: LinVerdict | None = None
    if not skip_linearizability:
        try:
            lin = check_calls(
                model,
                calls,
                timeout_s=timeout_s,
                linearization=want_linearization or html_path is not None,
                first_failure=first_failure,
            )
        except ModelInputError as exc:
            _fail_input(str(_input_error(history_file, exc, data)))

    log_result: Any = None
    log_checker = _log_checker() if model_name == "log" else None
    if log_checker is not None:
        try:
            log_result = log_checker[0](ops)
        except ModelInputError as exc:  # the log checker's LogInputError is one
            _fail_input(str(_input_error(history_file, exc, data)))

    verdicts = [] if lin is None else [lin.valid]
    if log_result is not None:
        verdicts.append(bool(log_result.valid))
    if False in verdicts:
        valid: bool | None = False
    elif None in verdicts:
        valid = None
    else:
        valid = True

    if as_json:
        out: dict[str, Any] = {
            "valid": "unknown" if valid is None else valid,
            "model": model_name,
            "file": str(history_file),
            "ops": len(ops),
            "partitions": len(lin.partitions) if lin is not None else None,
            "anomalies": _anomalies_json(model_name, log_result),
            "linearizable": None if lin is None else lin.to_json(linearization=want_linearization),
        }
        if model_name == "log":
            out["log"] = None if log_result is None else log_result.to_json()
        sys.stdout.write(json_dumps(out) + "\n")
    elif brief:
        click.echo(_brief_line(history_file, lin, log_result, valid))
    else:
        _print_text(model_name, lin, log_result, log_checker is not None, valid)

    if html_path is not None:
        _write_html(html_path, history_file, lin, log_result, log_checker, valid)
    sys.exit({True: EXIT_OK, False: EXIT_VIOLATION, None: EXIT_UNKNOWN}[valid])


def _brief_line(path: Path, lin: LinVerdict | None, log_result: Any, valid: bool | None) -> str:
    """`FILE: VERDICT — what failed`, for a batch."""
    word = {True: "OK", False: "VIOLATION", None: "UNKNOWN (timed out)"}[valid]
    details = []
    if log_result is not None and not log_result.valid:
        names = sorted(log_result.to_json().get("anomalies", {}))
        details.append("log anomalies: " + ", ".join(names))
    if lin is not None and lin.valid is False:
        failing = [p.label for p in lin.failing()]
        shown = ", ".join(failing[:5]) + (", …" if len(failing) > 5 else "")
        where = f" in partition(s) {shown}" if failing else ""
        details.append(f"linearizability: {lin.outcome}{where}")
    return f"{path}: {word}" + (" — " + "; ".join(details) if details else "")


def _anomalies_json(model_name: str, log_result: Any) -> dict | None:
    """The Kafka anomalies by name (log model only; `null` if that checker is absent)."""
    if model_name != "log":
        return {}
    if log_result is None:
        return None
    return log_result.to_json().get("anomalies", {})


def _print_text(
    model_name: str, lin: LinVerdict | None, log_result: Any, has_log: bool, valid: bool | None
) -> None:
    if model_name == "log":
        if log_result is not None:
            click.echo(log_result.render_text())
        elif not has_log:
            click.echo("log anomalies: not checked (this build has no log-anomaly checker)")
    if lin is not None:
        click.echo(lin.render_text())
    click.echo({True: "OK", False: "VIOLATION", None: "UNKNOWN (timed out)"}[valid])


def _write_html(
    html_path: Path,
    history_file: Path,
    lin: LinVerdict | None,
    log_result: Any,
    log_checker: tuple[Callable[..., Any], Callable[..., str]] | None,
    valid: bool | None,
) -> None:
    from replicheck.checker.visualize import render_check_html

    log_page = None
    if log_result is not None and log_checker is not None:
        log_page = log_checker[1](log_result)
    page = render_check_html(lin, log_page, title=str(history_file), overall=(valid,))
    try:
        html_path.write_text(page, encoding="utf-8")
    except OSError as exc:
        _fail_input(f"{html_path}: cannot write: {exc.strerror or exc}")


def _input_error(path: Path, exc: ModelInputError, data: bytes | None) -> HistoryError:
    """Name the file and line of the record a model could not interpret."""
    line = 0 if exc.position is None else _line_of_position(path, exc.position, data)
    return HistoryError(str(path), line, exc.reason)


def _line_of_position(path: Path, position: int, data: bytes | None = None) -> int:
    """The 1-based line of the `position`-th operation (the reader skips blank lines).

    Only called on the error path, so re-reading the file is cheaper than carrying a line
    number on every operation of a million-op history.
    """
    seen = -1
    with io.BytesIO(data) if data is not None else path.open("rb") as handle:
        for line_number, raw in enumerate(handle, start=1):
            if raw.strip():
                seen += 1
                if seen == position:
                    return line_number
    return 0


def _fail_input(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)
