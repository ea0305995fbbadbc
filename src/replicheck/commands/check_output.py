"""What `replicheck check` prints and exits with, shared by its two verdict paths.

`check.py` (any model) and `check_log.py` (`--model log`, the Kafka verdict) both end in a
batch line, an input error naming file and line, or an exit code; defining those once keeps
the public contract (exit codes, `FILE: VERDICT — what failed`) the same for both.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from replicheck.checker.history import HistoryError
from replicheck.checker.linearizability import LinVerdict
from replicheck.model import ModelInputError
from replicheck.model.base import S

# For annotations only: the log checker costs start-up time that `check --model register`
# must not pay (see cli.py's lazy commands).
if TYPE_CHECKING:
    from replicheck.checker.log_anomalies import LogVerdict

EXIT_OK, EXIT_VIOLATION, EXIT_BAD_INPUT, EXIT_UNKNOWN = 0, 1, 2, 3
#: a verdict (True, False, or None for unknown) as its exit code and its word
EXIT_CODE = {True: EXIT_OK, False: EXIT_VIOLATION, None: EXIT_UNKNOWN}
VERDICT_WORD = {True: "OK", False: "VIOLATION", None: "UNKNOWN (timed out)"}


def brief_line(
    path: Path, lin: LinVerdict[S] | None, log_result: LogVerdict | None, valid: bool | None
) -> str:
    """`FILE: VERDICT — what failed`, for a batch."""
    details = []
    if log_result is not None and not log_result.valid:
        details.append("log anomalies: " + ", ".join(log_result.invalidating))
    if lin is not None and lin.valid is False:
        failing = [p.label for p in lin.failing()]
        shown = ", ".join(failing[:5]) + (", …" if len(failing) > 5 else "")
        where = f" in partition(s) {shown}" if failing else ""
        details.append(f"linearizability: {lin.outcome}{where}")
    return f"{path}: {VERDICT_WORD[valid]}" + (" — " + "; ".join(details) if details else "")


def input_error(path: Path, exc: ModelInputError, data: bytes | None) -> HistoryError:
    """Name the file and line of the record a model could not interpret."""
    line = 0 if exc.position is None else line_of_position(path, exc.position, data)
    return HistoryError(str(path), line, exc.reason)


def line_of_position(path: Path, position: int, data: bytes | None = None) -> int:
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


def fail_input(message: str) -> NoReturn:
    """Bad input: the reason on stderr, exit 2 (never a traceback)."""
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)
