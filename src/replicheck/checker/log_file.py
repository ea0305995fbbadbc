"""Check a history file for log anomalies in constant memory, with file:line errors."""

from __future__ import annotations

import io
from pathlib import Path

from replicheck.checker import jepsen_lines
from replicheck.checker.history import HistoryError, iter_ops
from replicheck.checker.jepsen_kafka import JepsenKafka
from replicheck.checker.log_anomalies import MAX_EVIDENCE, LogVerdict, check_micro_ops
from replicheck.checker.log_check import check_any_log, jepsen_verdict, with_allowed
from replicheck.checker.log_input import LogInputError


def line_of_position(path: str | Path, position: int | None, data: bytes | None = None) -> int:
    """The 1-based line of the `position`-th operation (the reader skips blank lines).

    Only used on the error path: re-reading the file is cheaper than carrying a line
    number on every operation of a million-op history. 0 if unknown.
    """
    if position is None:
        return 0
    seen = -1
    with io.BytesIO(data) if data is not None else Path(path).open("rb") as handle:
        for line_number, raw in enumerate(handle, start=1):
            if raw.strip():
                seen += 1
                if seen == position:
                    return line_number
    return 0


def check_log_file(
    path: str | Path,
    max_evidence: int = MAX_EVIDENCE,
    allow: frozenset[str] | None = None,
    with_defaults: bool = True,
    data: bytes | None = None,
    *,
    fast: bool = True,
) -> LogVerdict:
    """The log verdict of a JSON Lines / EDN file of either history shape (replicheck's or
    Jepsen's micro-op vectors), streamed: memory follows the log, not the history, and the
    first bad line stops the read.

    Raises `HistoryError` ("path:line: reason") for unreadable, malformed or
    uninterpretable input, whether the generic reader or the log checker found it.
    `allow` / `with_defaults`: see `replicheck.checker.log_check.check_any_log`; `data`:
    the file's bytes (standard input), see `history.iter_ops`. A Jepsen-shape file is
    read by `jepsen_lines` (the same verdict and errors, faster); `fast=False` reads it
    through `iter_ops` and the translator's op feed instead (what tests compare with).
    """
    try:
        if fast and jepsen_lines.applies(path, data):
            translator = JepsenKafka()
            lines = jepsen_lines.JepsenLines(path, data, translator)
            verdict = jepsen_verdict(
                translator, lambda: check_micro_ops(lines.feed, max_evidence), max_evidence
            )
            return with_allowed(verdict, allow, with_defaults)
        return check_any_log(iter_ops(path, data), max_evidence, allow, with_defaults)
    except LogInputError as exc:
        line = line_of_position(path, exc.position, data)
        raise HistoryError(str(path), line, exc.reason) from None
