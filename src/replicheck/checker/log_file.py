"""Check a history file for log anomalies in constant memory, with file:line errors."""

from __future__ import annotations

from pathlib import Path

from replicheck.checker.history import HistoryError, iter_ops
from replicheck.checker.log_anomalies import MAX_EVIDENCE, LogVerdict, check_log
from replicheck.checker.log_input import LogInputError


def line_of_position(path: str | Path, position: int | None) -> int:
    """The 1-based line of the `position`-th operation (the reader skips blank lines).

    Only used on the error path: re-reading the file is cheaper than carrying a line
    number on every operation of a million-op history. 0 if unknown.
    """
    if position is None:
        return 0
    seen = -1
    with Path(path).open("rb") as handle:
        for line_number, raw in enumerate(handle, start=1):
            if raw.strip():
                seen += 1
                if seen == position:
                    return line_number
    return 0


def check_log_file(path: str | Path, max_evidence: int = MAX_EVIDENCE) -> LogVerdict:
    """`check_log` over a JSON Lines / EDN file, streamed (about 200 MiB for 1M ops).

    Raises `HistoryError` ("path:line: reason") for unreadable, malformed or
    uninterpretable input, whether the generic reader or the log checker found it.
    """
    try:
        return check_log(iter_ops(path), max_evidence)
    except LogInputError as exc:
        raise HistoryError(str(path), line_of_position(path, exc.position), exc.reason) from None
