"""`replicheck check FILE --model log`: the Kafka verdict, and the strict level on request.

Default: Jepsen's Kafka anomaly taxonomy only (what Kafka promises), streamed from the
file so that memory follows the log and the first bad line stops the read. With
`--linearizable` (or `--html`, whose evidence lists raw ops) the history is read into
memory; `--linearizable` then also checks the Kafka-faithful log model
(replicheck.model.log). Returns the exit code (0 ok, 1 violation, 2 bad input, 3 unknown).

The HTML renderers are imported only with `--html`: jinja2 costs about 0.5 s of start-up.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from replicheck.checker.history import HistoryError, read_history
from replicheck.checker.jepsen_kafka import jepsen_calls
from replicheck.checker.json_values import dumps as json_dumps
from replicheck.checker.linearizability import LinVerdict, calls_from_history, check_calls
from replicheck.checker.log_anomalies import LogVerdict
from replicheck.checker.log_check import check_any_log, parse_allow
from replicheck.checker.log_file import check_log_file
from replicheck.commands.check_output import (
    EXIT_CODE,
    VERDICT_WORD,
    brief_line,
    fail_input,
    input_error,
)
from replicheck.model import LogModel, LogNode, ModelInputError, Record


def check_log_model(
    history_file: Path,
    *,
    data: bytes | None = None,
    as_json: bool,
    html_path: Path | None,
    linearizable: bool,
    allow_text: str | None,
    timeout_s: float | None,
    want_linearization: bool,
    first_failure: bool = False,
    brief: bool = False,
) -> int:
    """Run the log checks on `history_file` (`data`: its bytes, for standard input), print
    the verdict and return the exit code; bad input exits 2 with a message."""
    try:
        allow, with_defaults = parse_allow(allow_text) if allow_text is not None else (None, True)
    except ValueError as exc:
        raise click.UsageError(f"--allow: {exc}") from None
    ops: list[Record] | None = None
    try:
        if linearizable or html_path is not None:
            ops = read_history(history_file, data)
            verdict = check_any_log(ops, allow=allow, with_defaults=with_defaults)
        else:
            verdict = check_log_file(
                history_file, allow=allow, with_defaults=with_defaults, data=data
            )
    except HistoryError as exc:
        fail_input(str(exc))
    except ModelInputError as exc:  # the log checker's LogInputError is one
        fail_input(str(input_error(history_file, exc, data)))
    except OSError as exc:
        fail_input(f"{history_file}: cannot read: {exc.strerror or exc}")

    lin = None
    if linearizable:
        assert ops is not None
        lin = _strict_level(
            ops,
            verdict,
            history_file,
            data,
            timeout_s=timeout_s,
            linearization=want_linearization or html_path is not None,
            first_failure=first_failure,
        )
    verdicts = [verdict.valid] + ([] if lin is None else [lin.valid])
    valid: bool | None = False if False in verdicts else (None if None in verdicts else True)

    if as_json:
        out = _json_verdict(history_file, verdict, lin, valid, want_linearization)
        sys.stdout.write(json_dumps(out) + "\n")
    elif brief:
        click.echo(brief_line(history_file, lin, verdict, valid))
    else:
        click.echo(verdict.render_text())
        if lin is not None:
            click.echo(lin.render_text())
        click.echo(VERDICT_WORD[valid])

    if html_path is not None:
        _write_html(html_path, history_file, lin, verdict, ops, valid)
    return EXIT_CODE[valid]


def _json_verdict(
    history_file: Path,
    verdict: LogVerdict,
    lin: LinVerdict[LogNode] | None,
    valid: bool | None,
    want_linearization: bool,
) -> dict[str, Any]:
    """The `--json` object: the overall verdict, the log checks, the strict level if run."""
    log_json = verdict.to_json()
    return {
        "valid": "unknown" if valid is None else valid,
        "model": "log",
        "file": str(history_file),
        "ops": verdict.stats["ops"],
        "shape": verdict.stats.get("shape"),
        "partitions": verdict.stats["partitions"],
        "anomalies": log_json["anomalies"],
        "allowed_anomalies": log_json["allowed_anomalies"],
        "allowed": log_json["allowed"],
        "linearizable": None if lin is None else lin.to_json(linearization=want_linearization),
        "log": log_json,
    }


def _strict_level(
    ops: list[Record],
    verdict: LogVerdict,
    history_file: Path,
    data: bytes | None,
    *,
    timeout_s: float | None,
    linearization: bool,
    first_failure: bool,
) -> LinVerdict[LogNode]:
    """`--linearizable`: the Kafka-faithful log model's linearizability verdict."""
    calls = jepsen_calls(ops) if verdict.stats.get("shape") == "jepsen" else calls_from_history(ops)
    try:
        return check_calls(
            LogModel(),
            calls,
            timeout_s=timeout_s,
            linearization=linearization,
            first_failure=first_failure,
        )
    except ModelInputError as exc:
        fail_input(str(input_error(history_file, exc, data)))


def _write_html(
    html_path: Path,
    history_file: Path,
    lin: LinVerdict[LogNode] | None,
    verdict: LogVerdict,
    ops: list[Record] | None,
    valid: bool | None,
) -> None:
    from replicheck.checker.log_report import render_log_html
    from replicheck.checker.visualize import render_check_html

    shape_native = verdict.stats.get("shape") != "jepsen"
    log_page = render_log_html(verdict, ops if shape_native else None)
    page = render_check_html(lin, log_page, title=str(history_file), overall=(valid,))
    try:
        html_path.write_text(page, encoding="utf-8")
    except OSError as exc:
        fail_input(f"{html_path}: cannot write: {exc.strerror or exc}")
