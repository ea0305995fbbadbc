"""Histories: the contract between a system under test and every checker.

A history is a sequence of operations with Jepsen's field names (`process`, `type`, `f`,
`key`, `value`, `time`, `index`, plus any extra fields such as `offset`). It is read from
JSON Lines or from Jepsen EDN (one op map per line), validated as it streams, and handed
to checkers as plain dicts so that a million-op history costs one dict per line and no
more. Anything malformed is a `HistoryError` naming the file, the line and what was
expected: users feed us files from their own systems, and a traceback helps nobody.

Process discipline (Jepsen's): a process has at most one outstanding invocation; `ok`,
`fail` or `info` completes it. Processes that are not integers (Jepsen's `nemesis`) are
passed through unpaired: they describe faults, not client operations.
"""

from __future__ import annotations

import io
import sys
from array import array
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from replicheck.checker.edn import EdnError, parse_edn_op
from replicheck.checker.edn_fast import parse_fast_block
from replicheck.checker.json_values import (
    DIGITS_TABLE,
    LONG_RUN,
    MAX_NESTING,
    JsonValueError,
    deeper_than,
    long_digit_runs,
    recheck,
)
from replicheck.checker.json_values import dumps as json_dumps

OP_TYPES = frozenset(("invoke", "ok", "fail", "info"))
COMPLETION_TYPES = frozenset(("ok", "fail", "info"))

# A return position for operations that never returned (info, or invoked and never
# completed): they may take effect at any time after their invocation.
NEVER_RETURNED = float("inf")


class HistoryError(Exception):
    """A history that cannot be read: where it is wrong and what was expected."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        # line 0: the problem is the file as a whole (cannot open, empty, ...)
        super().__init__(f"{path}:{line}: {reason}" if line else f"{path}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Validator:
    """Checks one op at a time, remembering each process's outstanding invocation."""

    __slots__ = ("outstanding", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        # process -> (line of the invocation, its f, ...: what a caller pairs by, see
        # replicheck.checker.jepsen_lines)
        self.outstanding: dict[Any, tuple[Any, ...]] = {}

    def error(self, line: int, reason: str) -> HistoryError:
        return HistoryError(self.source, line, reason)

    def check(self, op: Any, line: int) -> dict[str, Any]:
        if type(op) is not dict:
            raise self.error(line, f"expected an operation object, got {_describe(op)}")
        op_type = op.get("type")
        if type(op_type) is not str or op_type not in OP_TYPES:
            if "type" not in op:
                raise self.error(line, "missing field 'type' (invoke, ok, fail or info)")
            raise self.error(
                line, f"field 'type' must be invoke, ok, fail or info, got {_describe(op_type)}"
            )
        if "process" not in op:
            raise self.error(line, "missing field 'process'")
        process = op["process"]
        if "f" not in op:
            raise self.error(line, "missing field 'f' (the operation's function)")
        f = op["f"]
        if type(f) is not str:
            raise self.error(line, f"field 'f' must be a string, got {_describe(f)}")
        time = op.get("time")
        if time is not None and (type(time) is not int or time < 0):
            raise self.error(
                line, f"field 'time' must be a non-negative integer (ns), got {_describe(time)}"
            )
        index = op.get("index", 0)
        if type(index) is not int:
            raise self.error(line, f"field 'index' must be an integer, got {_describe(index)}")
        if type(process) is not int:
            if type(process) is not str:
                raise self.error(
                    line,
                    f"field 'process' must be an integer (or a name such as 'nemesis'), got {_describe(process)}",
                )
            return op  # a nemesis or other named actor: not paired
        if process < 0:
            raise self.error(line, f"field 'process' must be >= 0, got {process}")

        pending = self.outstanding.get(process)
        if op_type == "invoke":
            if pending is not None:
                raise self.error(
                    line,
                    f"process {process} invokes again while its invocation on line {pending[0]} "
                    "has not completed (at most one outstanding operation per process)",
                )
            self.outstanding[process] = (line, f)
        else:
            if pending is None:
                raise self.error(
                    line,
                    f"'{op_type}' completion for process {process} without an outstanding invocation",
                )
            if pending[1] != f:
                raise self.error(
                    line,
                    f"completion f {_describe(f)} does not match the invocation on line {pending[0]} "
                    f"(f {_describe(pending[1])})",
                )
            del self.outstanding[process]
        return op


_INT64_MAX = 2**63 - 1


class _Indices:
    """`index` values seen so far, to reject duplicates (an index is an identifier).

    Line order is real time; `index` only names an operation, so two operations with one
    index would make evidence ambiguous. The common case (strictly increasing indices) is
    inlined by `iter_ops` and costs two compact arrays; the first index out of order
    switches to a dict, and `last` becomes +inf so that every later index comes here.
    """

    __slots__ = ("by_index", "indices", "last", "lines", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self.indices = array("q")
        self.lines = array("q")
        self.last: float = -1  # indices above this (and within 64 bits) are new for sure
        self.by_index: dict[int, int] | None = None

    def add(self, index: int, line: int) -> float:
        """Record `index` (seen on `line`); returns the new `last` bound."""
        if self.last < index <= _INT64_MAX:
            self.indices.append(index)
            self.lines.append(line)
            self.last = index
            return index
        by_index = self.by_index
        if by_index is None:
            by_index = self.by_index = dict(zip(self.indices, self.lines, strict=True))
            self.indices = self.lines = array("q")
            self.last = float("inf")
        first = by_index.get(index)
        if first is not None:
            raise HistoryError(
                self.source, line, f"duplicate index {index} (first on line {first})"
            )
        by_index[index] = line
        return self.last


def _fast_accept(op: Any, line: int, outstanding: dict[Any, tuple[int, Any]]) -> bool:
    """Accept the common well-formed client op without the full validator (hot path).

    Returns False for anything unusual; `_Validator.check` then either accepts it or
    produces the exact error. State is only touched when the op is accepted here.
    """
    if type(op) is not dict:
        return False
    process = op.get("process")
    f = op.get("f")
    if type(process) is not int or process < 0 or type(f) is not str:
        return False
    time = op.get("time")
    if time is not None and (type(time) is not int or time < 0):
        return False
    if type(op.get("index", 0)) is not int:
        return False
    op_type = op.get("type")
    if op_type == "invoke":
        if process in outstanding:
            return False
        outstanding[process] = (line, f)
        return True
    if type(op_type) is str and op_type in COMPLETION_TYPES:
        pending = outstanding.get(process)
        if pending is None or pending[1] != f:
            return False
        del outstanding[process]
        return True
    return False


def _looks_like_edn(path: Path, first_line: str) -> bool:
    if path.suffix.lower() == ".edn":
        return True
    stripped = first_line.lstrip()
    return stripped.startswith("{:") or stripped.startswith("{ :")


STDIN = "-"
_BOM = b"\xef\xbb\xbf"


def _open(path: Path, data: bytes | None) -> IO[bytes]:
    if data is not None:
        return io.BytesIO(data)
    if str(path) == STDIN:
        return io.BytesIO(sys.stdin.buffer.read())
    try:
        return path.open("rb")
    except OSError as exc:
        raise HistoryError(str(path), 0, f"cannot open: {exc.strerror or exc}") from None


def iter_ops(path: str | Path, data: bytes | None = None) -> Generator[dict[str, Any], None, None]:
    """Stream the validated operations of a JSON Lines or EDN history file.

    Blank lines are skipped, and a UTF-8 byte-order mark at the start. The format is
    chosen by the `.edn` extension or by the first non-blank line starting with `{:`.
    `path` "-" reads standard input; `data` supplies the file's bytes directly (`path`
    then only names it). Raises `HistoryError` on the first problem.

    A documented hot loop (docs/log-checker.md): it runs once per line of a
    million-op file, so the common op's validation is inlined rather than split out.
    """
    path = Path(path) if str(path) != STDIN else Path(STDIN)
    source = "<stdin>" if str(path) == STDIN and data is None else str(path)
    validator = _Validator(source)
    check = validator.check
    outstanding = validator.outstanding
    indices = _Indices(source)
    add_index = indices.add
    append_index = indices.indices.append
    append_line = indices.lines.append
    last_index = indices.last
    handle = _open(path, data)
    loads = orjson.loads
    with handle:
        runs = long_digit_runs(handle)
        runs.append(sys.maxsize)  # a sentinel: no run beyond the end
        next_run = runs[0]
        run_at = 0
        line_end = 0  # byte offset just past the current line
        edn: bool | None = None
        line_number = 0
        hint = _FIRST_BLOCK_BYTES  # small at first: a bad early line is reported at once
        while block := handle.readlines(hint):
            hint = _BLOCK_HINT_BYTES
            if line_number == 0 and block[0].startswith(_BOM):
                block[0] = block[0][len(_BOM) :]
                line_end += len(_BOM)
            if edn is None:
                first = next((raw for raw in block if raw.strip()), None)
                if first is None:
                    line_number += len(block)
                    line_end += sum(map(len, block))
                    continue
                edn = _looks_like_edn(path, first.decode("utf-8", "replace"))
            if edn:
                # Jepsen's common shapes at C speed; None: the full reader
                parsed: list[Any] = parse_fast_block(block)
                shallow = True
            else:
                parsed = block
                # one pass over the block tells whether any line may nest too deep
                shallow = not _maybe_deep(b"".join(block))
            for raw, op in zip(block, parsed, strict=True):
                line_number += 1
                line_end += len(raw)
                if edn:
                    if op is None:
                        if not raw.strip():
                            continue
                        op = _full_edn(raw, source, line_number)
                else:
                    if not raw.strip():
                        continue
                    try:
                        op = loads(raw)
                    except orjson.JSONDecodeError as exc:
                        raise HistoryError(source, line_number, f"invalid JSON: {exc}") from None
                    long_run = next_run < line_end
                    if long_run:
                        while runs[run_at] < line_end:
                            run_at += 1
                        next_run = runs[run_at]
                    if long_run or (not shallow and len(raw) > 2 * MAX_NESTING):
                        try:
                            op = recheck(raw, op, long_run=long_run)
                        except JsonValueError as exc:
                            raise HistoryError(source, line_number, str(exc)) from None
                # the common well-formed client op, accepted inline (`_fast_accept`); anything
                # unusual goes to the full validator, which accepts it or says what is wrong
                process: Any = op.get("process") if type(op) is dict else None
                f = op.get("f") if process is not None else None
                time = op.get("time") if type(process) is int and type(f) is str else -1
                op_type = (
                    op.get("type") if time is None or (type(time) is int and time >= 0) else None
                )
                index = op.get("index", _ABSENT) if type(op_type) is str else _ABSENT
                if (
                    type(op_type) is not str
                    or process < 0
                    or (index is not _ABSENT and type(index) is not int)
                ):
                    op = check(op, line_number)
                    index = op.get("index", _ABSENT)
                elif op_type == "invoke":
                    if process in outstanding:
                        op = check(op, line_number)
                    else:
                        outstanding[process] = (line_number, f)
                else:
                    pending = outstanding.get(process)
                    if pending is None or pending[1] != f or op_type not in COMPLETION_TYPES:
                        op = check(op, line_number)
                    else:
                        del outstanding[process]
                if index is not _ABSENT:
                    if last_index < index <= _INT64_MAX:  # inline `_Indices.add`
                        last_index = index
                        append_index(index)
                        append_line(line_number)
                    else:
                        indices.last = last_index
                        last_index = add_index(index, line_number)
                yield op


_ABSENT: Any = object()  # an op without `index`

#: how much `iter_ops` reads at once (whole lines): the checks that run once per block
_BLOCK_HINT_BYTES = 1 << 20
_FIRST_BLOCK_BYTES = 1 << 14


def _full_edn(raw: bytes, source: str, line_number: int) -> Any:
    """One line through the full EDN reader (the authority), errors as `HistoryError`."""
    try:
        return parse_edn_op(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise HistoryError(source, line_number, "not valid UTF-8") from None
    except EdnError as exc:
        raise HistoryError(source, line_number, f"invalid EDN: {exc}") from None


def _maybe_deep(text: bytes) -> bool:
    """Whether some JSON line of `text` may nest deeper than the bound (then each long
    line is checked on its own, as `recheck` does).

    Without backslashes, a valid JSON line's quotes pair up as string delimiters, so the
    text between every second quote is string content: dropping it leaves the brackets
    that are structure. (A line whose quotes do not pair is invalid JSON and is rejected
    before any later line is used.)
    """
    marks = text.translate(None, _NOT_MARKS)
    if b"\\" in marks:
        return True
    return deeper_than(b"".join(marks.split(b'"')[::2]), MAX_NESTING)


_NOT_MARKS = bytes(set(range(256)) - set(b'[]{}"\\\n'))


class LineReader:
    """One line at a time through the full reader and validator: what `iter_ops` does with
    a line, for a caller that reads the file itself and hands over only the lines its own
    fast path does not take (replicheck.checker.jepsen_lines). The validation state
    (outstanding invocations, indices) is shared with that caller, which must keep it
    exactly as `iter_ops` would."""

    __slots__ = ("edn", "indices", "source", "validator")

    def __init__(self, source: str, edn: bool) -> None:
        self.source = source
        self.edn = edn
        self.validator = _Validator(source)
        self.indices = _Indices(source)

    def parse(self, raw: bytes, line_number: int) -> Any:
        """The line's value as the full reader reads it (not validated as an op)."""
        if self.edn:
            return _full_edn(raw, self.source, line_number)
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise HistoryError(self.source, line_number, f"invalid JSON: {exc}") from None
        # `iter_ops` rechecks a line with a 19-digit run, or a long line in a block that
        # may nest too deep; `recheck` changes nothing (and raises nothing) on any other
        # line, so calling it on every line read here gives the same result
        long_run = LONG_RUN in raw.translate(DIGITS_TABLE)
        try:
            return recheck(raw, value, long_run=long_run)
        except JsonValueError as exc:
            raise HistoryError(self.source, line_number, str(exc)) from None

    def read(self, raw: bytes, line_number: int, value: Any = None) -> dict[str, Any] | None:
        """The validated op on a line, or None for a blank line. `value`: the line as
        `edn_fast.parse_fast_block` already read it (None: read it here)."""
        if not raw.strip():
            return None
        if value is None:
            value = self.parse(raw, line_number)
        return self.accept(value, line_number)

    def accept(self, value: Any, line_number: int) -> dict[str, Any]:
        """`value` (a line as read) validated as the next op, as `iter_ops` does."""
        op = self.validator.check(value, line_number)
        index = op.get("index", _ABSENT)
        if index is not _ABSENT:
            self.indices.add(index, line_number)
        return op


def read_history(path: str | Path, data: bytes | None = None) -> list[dict[str, Any]]:
    """All validated operations of a history file, in order (see `iter_ops`)."""
    return list(iter_ops(path, data))


def validate_ops(ops: Iterable[Any], source: str = "<history>") -> list[dict[str, Any]]:
    """Validate in-memory operations; 'line' in errors is the 1-based position."""
    validator = _Validator(source)
    indices = _Indices(source)
    checked = []
    for position, op in enumerate(ops, start=1):
        checked.append(validator.check(op, position))
        index = op.get("index")
        if index is not None:
            indices.add(index, position)
    return checked


def dump_jsonl(ops: Iterable[dict[str, Any]], path: str | Path) -> None:
    """Write operations as JSON Lines (the interchange format), one op per line."""
    with Path(path).open("wb") as handle:
        for op in ops:
            try:
                handle.write(orjson.dumps(op))
            except TypeError:  # an integer beyond 64 bits: the exact, slower writer
                handle.write(json_dumps(op).encode())
            handle.write(b"\n")


@dataclass(slots=True)
class Operation:
    """One client operation: an invocation paired with its completion (if any).

    `call` and `ret` are positions in the history; `ret` is `NEVER_RETURNED` for `info`
    completions and for invocations that never completed, which may take effect at any
    time after `call`. `fail` operations are kept (with `type == "fail"`) so that callers
    can decide; linearizability drops them because they definitely did not happen.
    """

    process: int
    f: str
    key: Any
    call: int
    ret: float
    type: str  # "ok" | "fail" | "info" (an unmatched invocation is "info")
    invoke: dict[str, Any]
    completion: dict[str, Any] | None

    @property
    def value(self) -> Any:
        """The completion's value when it returned ok, otherwise the invocation's."""
        if self.completion is not None and self.type == "ok":
            return self.completion.get("value")
        return self.invoke.get("value")


def pair_operations(ops: Iterable[dict[str, Any]]) -> list[Operation]:
    """Pair each invocation with its completion, in invocation order.

    Expects validated ops (see `validate_ops`); named (non-integer) processes are skipped.
    """
    paired: list[Operation] = []
    open_by_process: dict[int, Operation] = {}
    for position, op in enumerate(ops):
        process = op["process"]
        if type(process) is not int:
            continue
        if op["type"] == "invoke":
            assert process not in open_by_process, (
                "validated histories have one open op per process"
            )
            operation = Operation(
                process=process,
                f=op["f"],
                key=op.get("key"),
                call=position,
                ret=NEVER_RETURNED,
                type="info",
                invoke=op,
                completion=None,
            )
            open_by_process[process] = operation
            paired.append(operation)
        else:
            operation = open_by_process.pop(process)
            operation.completion = op
            operation.type = op["type"]
            if op["type"] != "info":
                operation.ret = position
    return paired
