"""Jepsen's common op lines read, validated, translated and fed in one loop.

`check_log_file` on a Jepsen-shape file would otherwise pay, per line, for a parse into a
dict, the reader's validation, a generator step and the translator's dict lookups before
the checker sees a micro-op. Most lines Jepsen writes have one of a few exact shapes:

    {:type :invoke, :process 6, :f :poll, :value [[:poll]], :index 12, :time 12000}
    {:process 8, :f :send, :type :ok, :value [[:send 0 [0 1]]], :index 20, :time 20000}
    {:process 7, :f :poll, :type :ok, :value [[:poll {0 [[0 1] [1 2]]}]], :index 9, ...}
    {:type :invoke, :process 2, :f :assign, :value [2], :seek-to-beginning? true, ...}

(and the same as JSON Lines as orjson writes them; the type before or after the process;
sends, polls, assign, subscribe, crash). One regex `findall` per block of lines captures
every line's fields, or the whole line when it has another shape. A line of these shapes
is validated and translated inline (the translator's and the checker's common cases,
`feed_poll`'s dense case included); consumer ops are rebuilt as the dicts the reader gives
and handed to the translator. The poll results, the only nested part, go to `orjson`,
one call for all of a block's results (`_block_results`; EDN after `{` `}` → `[` `]` and
spaces → commas: a map becomes an array of alternating keys and values).

Why it is exact (docs/log-checker.md, "Fourth round"): the full reader
(`history.LineReader`) reads every other line, and every line that would fail
validation, before any state is touched, so errors are the reader's own; captured numbers
are canonical decimals of at most 18 digits; a poll result is used only if `orjson` takes
its text (commas in every gap change no EDN value; a map needs distinct, paired keys);
a block with a 19-digit run, or whose poll results may nest too deep, goes to the full
reader line by line. tests/checker/test_jepsen_lines.py compares verdicts, evidence and
errors with the `iter_ops` + `JepsenKafka.feed` path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

import orjson

from replicheck.checker.edn_fast import parse_fast_block
from replicheck.checker.history import (
    STDIN,
    HistoryError,
    LineReader,
    _looks_like_edn,
    _open,
    iter_ops,
)
from replicheck.checker.jepsen_kafka import (
    INF,
    JepsenKafka,
    OpFacts,
    bad_records,
    pairs_shape,
)
from replicheck.checker.json_values import DIGITS_TABLE, LONG_RUN, MAX_NESTING, deeper_than
from replicheck.checker.log_anomalies import _Checker
from replicheck.checker.log_input import LogInputError

_N = rb"(0|[1-9][0-9]{0,17})"  # a canonical non-negative integer that fits in 64 bits
_M = rb"(?:0|[1-9][0-9]{0,17})"
_TYPE = rb"(invoke|ok|info|fail)"
_F = rb"(send|poll|assign|subscribe|crash)"
# groups: 0 type, 1 process, 2 f (type first) | 3 process, 4 f, 5 type (type after f);
# value (`[[:poll]]` when none of these): 6 key with 7 message (no offset) or 8 offset
# and 9 message, 10 a poll's result, 11 a vector of keys or nil; 12 seek-to-beginning?;
# 13 index; 14 any other line. (An alternation of the two headers costs the matcher less
# than optional type groups; every group costs it, so only what is read is captured.)
EDN_LINE = re.compile(
    rb"\{(?::type :"
    + _TYPE
    + rb", :process "
    + _N
    + rb", :f :"
    + _F
    + rb"|:process "
    + _N
    + rb", :f :"
    + _F
    + rb", :type :"
    + _TYPE
    + rb")"
    rb", :value (?:\[\[:(?:poll\]\]"
    rb"|send " + _N + rb" (?:" + _N + rb"|\[" + _N + rb" " + _N + rb"\])\]\]"
    rb"|poll (\{[0-9 \[\],]*\})\]\])"
    rb"|(\[(?:" + _M + rb"(?: " + _M + rb")*)?\]|nil))"
    rb"(?:, :seek-to-beginning\? (true|false))?"
    rb", :index " + _N + rb", :time " + _M + rb"\}\n|(.*\n)"
)
JSON_LINE = re.compile(
    rb'\{(?:"type":"' + _TYPE + rb'","process":' + _N + rb',"f":"' + _F + rb'"'
    rb'|"process":' + _N + rb',"f":"' + _F + rb'","type":"' + _TYPE + rb'")'
    rb',"value":(?:\[\["(?:poll"\]\]'
    rb'|send",' + _N + rb",(?:" + _N + rb"|\[" + _N + rb"," + _N + rb"\])\]\]"
    rb'|poll",(\{(?:"[0-9]*":[0-9\[\],]*)*\})\]\])'
    rb"|(\[(?:" + _M + rb"(?:," + _M + rb")*)?\]|null))"
    rb'(?:,"seek-to-beginning\?":(true|false))?'
    rb',"index":' + _N + rb',"time":' + _M + rb"\}\n|(.*\n)"
)
_EDN_RESULT = bytes.maketrans(b"{} ", b"[],")
_TEXT = {b"invoke": "invoke", b"ok": "ok", b"info": "info", b"fail": "fail"}
_TEXT.update({b"send": "send", b"poll": "poll", b"assign": "assign"})
_TEXT.update({b"subscribe": "subscribe", b"crash": "crash"})
_RESULT_GROUP, _OTHER_GROUP = itemgetter(10), itemgetter(14)


class _Ints(dict[bytes, int]):
    """Canonical decimals to ints, each parsed once (processes repeat on every line)."""

    def __missing__(self, text: bytes) -> int:
        value = self[text] = int(text)
        return value


class _Names(dict[Any, str]):
    """Keys as the checker names them (strings), each converted once and shared, so
    that every dict keyed by them hashes one string object."""

    def __missing__(self, raw: Any) -> str:
        name = self[raw] = raw.decode() if type(raw) is bytes else str(raw)
        return name


_PEEK_BYTES = 1 << 16
_RESULT_NESTING = MAX_NESTING - 3  # the bound for a poll result inside a fast line
_FIRST_BLOCK_BYTES = 1 << 14  # as `iter_ops`: a bad early line is reported at once
_BLOCK_BYTES = 1 << 20


def _row_op(row: tuple[bytes, ...], polled: Any) -> dict[str, Any]:
    """The op dict the full reader gives for a fast row (for the translator's own code)."""
    value: Any
    if row[6]:
        sent = int(row[7]) if row[7] else [int(row[8]), int(row[9])]
        value = [["send", int(row[6]), sent]]
    elif row[10]:
        value = [["poll", polled]]
    elif row[11] in (b"nil", b"null"):
        value = None
    elif row[11]:
        value = orjson.loads(row[11].replace(b" ", b","))  # canonical integers only
    else:
        value = [["poll"]]
    if row[1]:
        kind, process, f = row[0], row[1], row[2]
    else:
        kind, process, f = row[5], row[3], row[4]
    op = {"type": _TEXT[kind], "process": int(process), "f": _TEXT[f], "value": value}
    if row[12]:
        op["seek-to-beginning?"] = row[12] == b"true"
    op["index"] = int(row[13])
    return op


def _balanced(results: list[bytes]) -> bool:
    """Whether every EDN poll result has as many `[` as `]` (two C-level passes). With
    `{` and `}` only at its ends (`EDN_LINE`), such a result cannot merge with the next
    one when the results of a block are read as one array, so that array has one item
    per result exactly when each item is what the result reads as on its own."""
    return list(map(bytes.count, results, repeat(b"["))) == list(
        map(bytes.count, results, repeat(b"]"))
    )


def _block_results(results: list[bytes], edn: bool) -> list[Any]:
    """The poll results of one block, parsed: a dict per JSON result, the flat list of
    keys and values per EDN map (`[k1, v1, k2, v2 ...]`), None where the text is not
    one. One `orjson` call for the whole block when every result parses (JSON: braces
    pair only at each result's ends; EDN: see `_balanced`), else one per result."""
    if not results:
        return []
    joined = b"[" + b",".join(results) + b"]"
    if edn:
        joined = joined.translate(_EDN_RESULT).replace(b",,", b",")
    try:
        parsed: list[Any] = orjson.loads(joined)
    except orjson.JSONDecodeError:
        parsed = []
    if len(parsed) == len(results) and (not edn or _balanced(results)):
        return parsed
    return [_one_result(text, edn) for text in results]


def _one_result(text: bytes, edn: bool) -> Any:
    try:
        if edn:
            return orjson.loads(text.translate(_EDN_RESULT).replace(b",,", b","))
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return None


def _edn_result(text: bytes) -> dict[Any, Any] | None:
    """An EDN poll result `{0 [[5 7] ...], ...}` (screened by `EDN_LINE`), or None."""
    return _edn_map(_one_result(text, True))


def _edn_map(items: Any) -> dict[Any, Any] | None:
    """The map of a flat EDN `[k1, v1, ...]`, or None if it is not one (an odd count, an
    unhashable or repeated key: the full reader says what it is)."""
    if type(items) is not list:
        return None
    try:
        polled = dict(zip(items[::2], items[1::2], strict=False))
    except TypeError:
        return None
    if len(polled) * 2 != len(items):
        return None
    return polled


def _json_result(text: bytes) -> dict[Any, Any] | None:
    polled = _one_result(text, False)
    return polled if type(polled) is dict else None


def _blocks(handle: IO[bytes]) -> Iterator[bytes]:
    """The file in blocks of whole lines, each ending with a newline (one is added to a
    last line without it: no reader's value depends on it)."""
    size = _FIRST_BLOCK_BYTES
    carry: list[bytes] = []
    while chunk := handle.read(size):
        size = _BLOCK_BYTES
        cut = chunk.rfind(b"\n") + 1
        if not cut:
            carry.append(chunk)
            continue
        yield b"".join([*carry, chunk[:cut]]) if carry else chunk[:cut]
        carry = [chunk[cut:]] if cut < len(chunk) else []
    rest = b"".join(carry)
    if rest:
        yield rest + b"\n"


def applies(path: str | Path, data: bytes | None) -> bool:
    """Whether the file is Jepsen-shaped (judged as `check_any_log` judges it, by its
    first send/poll/txn/consumer op) and can be read twice. A file the reader rejects
    before that op is left to the normal path, which reports it."""
    from replicheck.checker.log_check import shape_of

    if str(path) == STDIN and data is None:
        return False
    # the file's start is enough unless no such op is there (`iter_ops` on the whole file
    # would first scan all of it for long digit runs)
    if data is not None:
        head = data[:_PEEK_BYTES]
    else:
        try:
            with Path(path).open("rb") as handle:
                head = handle.read(_PEEK_BYTES)
        except OSError:
            return False
    whole = len(head) < _PEEK_BYTES
    if not whole:
        head = head[: head.rfind(b"\n") + 1]
    for source in (head,) if whole else (head, data):
        ops = iter_ops(path, source)  # (the second time: the whole file)
        try:
            for op in ops:
                shape = shape_of(op)
                if shape is not None:
                    return shape
        except HistoryError:
            return False
        finally:
            ops.close()
    return False


class JepsenLines:
    """One pass over a Jepsen-shape file into `translator` and its checker (`feed`)."""

    def __init__(self, path: str | Path, data: bytes | None, translator: JepsenKafka) -> None:
        self.path = Path(path)
        self.data = data
        self.source = str(path)
        self.translator = translator
        self.reader = LineReader(self.source, edn=False)
        self.position = -1
        self.slow_lines = 0
        self.ints = _Ints()
        self.names = _Names()

    def feed(self, sink: _Checker) -> None:
        with _open(self.path, self.data) as handle:
            self._feed(handle, sink)
        # (on an error, the translator's position is already the failing op's)
        self.translator.position = self.position
        self.translator.ops = self.position + 1

    def _feed(self, handle: IO[bytes], sink: _Checker) -> None:
        line_number = 0
        pattern: re.Pattern[bytes] | None = None
        for block in _blocks(handle):
            if line_number == 0 and block.startswith(b"\xef\xbb\xbf"):
                block = block[3:]
            if pattern is None:
                first = next((raw for raw in block.split(b"\n") if raw.strip()), None)
                if first is None:
                    line_number += block.count(b"\n")
                    continue
                edn = _looks_like_edn(self.path, first.decode("utf-8", "replace"))
                self.reader.edn = edn
                pattern = EDN_LINE if edn else JSON_LINE
            rows = pattern.findall(block)
            # digit runs in a fast row are its ≤ 18-digit fields, but for its poll result
            results = list(filter(None, map(_RESULT_GROUP, rows)))
            others = list(filter(None, map(_OTHER_GROUP, rows)))
            screened = b"".join([*results, *others]).translate(DIGITS_TABLE)
            # a fast line nests 3 levels around its poll result (line, value, micro-op);
            # each accepted result is balanced text, and a balanced run of brackets
            # empties in as many rounds as it is deep whatever surrounds it
            if LONG_RUN in screened or deeper_than(b"".join(results), _RESULT_NESTING):
                for raw in block.split(b"\n")[:-1]:
                    line_number += 1
                    self._slow(raw + b"\n", line_number, sink)
                continue
            parsed = _block_results(results, pattern is EDN_LINE)
            line_number = self._rows(block, rows, parsed, others, line_number, sink)

    def _slow(self, raw: bytes, line_number: int, sink: _Checker, value: Any = None) -> None:
        """One line through the full reader (`value`: as the EDN fast reader read it),
        then as `JepsenKafka.feed` takes an op."""
        reader = self.reader
        if not raw.strip():
            return
        if value is None:
            value = reader.parse(raw, line_number)
        process = value.get("process") if type(value) is dict else None
        outstanding = reader.validator.outstanding
        entry = outstanding.get(process) if type(process) is int else None
        op = reader.accept(value, line_number)
        self.slow_lines += 1
        self.position += 1
        position = self.position
        ident = op.get("index", position)
        if ident != position + sink.ids_base:
            if position == 0 and type(ident) is int:
                sink.ids_base = ident
            else:
                sink.ids[position] = ident
        if type(process) is not int:
            return  # the nemesis: faults, not client operations
        if op["type"] == "invoke":
            # the validator's entry, extended with what the translator pairs by
            outstanding[process] = (line_number, op["f"], position, op, ident)
            return
        self._complete(position, op, entry, sink)

    def _complete(
        self, position: int, op: dict[str, Any], entry: tuple[Any, ...] | None, sink: _Checker
    ) -> None:
        """A completion the loop does not unroll, through the translator's own code;
        `entry`: its invocation's entry in the validator's map."""
        if entry is None:
            invoked = (position, op)
        else:
            invoke = entry[3]
            if type(invoke) is tuple:  # a fast row: rebuilt as the full reader reads it
                invoke = _row_op(invoke, self._result(invoke[10]) if invoke[10] else None)
            invoked = (entry[2], invoke)
        self.translator.feed_completion(position, invoked, op, sink)

    def _result(self, text: bytes) -> dict[Any, Any] | None:
        return _edn_result(text) if self.reader.edn else _json_result(text)

    def _rows(
        self,
        block: bytes,
        rows: list[tuple[bytes, ...]],
        parsed: list[Any],
        others: list[bytes],
        line_number: int,
        sink: _Checker,
    ) -> int:
        """The lines of one block, matched by `EDN_LINE` / `JSON_LINE`; `parsed`: the
        block's poll results (`_block_results`), `others`: its other lines.

        A documented hot loop (once per line of a million-op history): the reader's
        validation (`iter_ops`), the translator's common case (`JepsenKafka._feed_op` and
        `_feed_single_poll`) and the checker's common cases (`feed_send`, and
        `feed_poll` for a poll whose records are exactly the known ones at their offsets)
        inlined, without a dict per op. A row that is not one of the fast shapes, or
        that would fail validation, goes to `_slow` before any state is touched; a poll
        the inlined case does not cover goes to `feed_poll` whole. The validator's map
        of outstanding invocations doubles as the translator's: (line, f, position, op or
        fast row, index) per process. Counters are added up at the end of the block."""
        translator = self.translator
        reader = self.reader
        outstanding = reader.validator.outstanding
        indices = reader.indices
        last_index = indices.last
        append_index = indices.indices.append
        append_line = indices.lines.append
        writers = translator.writers
        first_readers = translator.first_readers
        translator_positions = translator.positions
        feed_send = sink.feed_send
        feed_poll = sink.feed_poll
        send_ok = sink.send_ok
        partitions = sink.partitions
        ids = sink.ids
        base = sink.ids_base
        text = _TEXT
        ints = self.ints
        names = self.names
        edn = reader.edn
        new_facts = tuple.__new__
        position = self.position
        sends_ok = polls_fed = records_read = unknown = 0
        first_line = line_number
        lines: list[bytes] | None = None
        results = iter(parsed)
        # the other lines of an EDN block, read by the EDN fast reader at once (as
        # `iter_ops` reads every line; None where the full reader must)
        others_read = iter(parse_fast_block(others) if edn else ())
        for row in rows:
            line_number += 1
            (
                kind_text,
                process_text,
                f_text,
                process_b,
                f_b,
                type_b,
                key_text,
                message_text,
                offset_text,
                message2_text,
                result_text,
                keys_text,
                seek_text,
                index_text,
                other,
            ) = row
            polled = next(results) if result_text else None
            if not index_text or (index := int(index_text)) <= last_index:
                pass  # not a fast row, or an index the reader's dict must judge
            elif (kind_text or type_b) == b"invoke":
                process = ints[process_text or process_b]
                if process not in outstanding and not result_text:
                    # the common invocation: validated, numbered and remembered
                    last_index = index
                    append_index(index)
                    append_line(line_number)
                    position += 1
                    if index != position + base:
                        if position == 0:
                            base = sink.ids_base = index
                        else:
                            ids[position] = index
                    outstanding[process] = (line_number, text[f_text or f_b], position, row, index)
                    continue
            else:
                if process_text:
                    kind = text[kind_text]
                else:
                    kind, process_text, f_text = text[type_b], process_b, f_b
                process = ints[process_text]
                waiting = outstanding.get(process)
                f = text[f_text]
                if edn and polled is not None:  # `_edn_map`, with one key inlined
                    if len(polled) == 2:
                        try:
                            polled = {polled[0]: polled[1]}
                        except TypeError:
                            polled = None
                    else:
                        polled = _edn_map(polled)
                if (
                    waiting is not None
                    and waiting[1] == f
                    and (polled is not None or not result_text)
                ):
                    del outstanding[process]
                    last_index = index
                    append_index(index)
                    append_line(line_number)
                    position += 1
                    if index != position + base:
                        if position == 0:
                            base = sink.ids_base = index
                        else:
                            ids[position] = index
                    invoked_at = waiting[2]
                    translator.position = position
                    if keys_text or seek_text:
                        f = ""  # a consumer op (or one with another value): the general path
                    if f == "send" and key_text:
                        key = names[key_text]
                        if message_text:
                            offset = None
                            message = int(message_text)
                        else:
                            offset = int(offset_text)
                            message = int(message2_text)
                        if kind != "fail":
                            by_message = writers.get(key)
                            if by_message is None:
                                by_message = writers[key] = {}
                            if message not in by_message:
                                by_message[message] = new_facts(
                                    OpFacts,
                                    (
                                        index,
                                        waiting[4],
                                        process,
                                        invoked_at,
                                        INF if kind == "info" else position,
                                        "send",
                                    ),
                                )
                        if kind == "ok" and offset is not None:
                            # `feed_send`, inlined (its counters are added up below)
                            sends_ok += 1
                            part = partitions.get(key)
                            if part is None:
                                part = sink.partition(key)
                            send_ok(
                                part, ("send", invoked_at, position, process, key, offset, message)
                            )
                        else:
                            done = kind if kind != "ok" else "info"
                            feed_send(done, invoked_at, position, process, key, offset, message)
                    elif f == "poll" and not key_text:
                        if polled and kind == "ok":
                            # `JepsenKafka._feed_single_poll`, inlined; the op's facts are
                            # built when some record is read for the first time
                            facts = None
                            positions = translator_positions.get(process)
                            if positions is None:
                                positions = translator_positions[process] = {}
                            for raw_key, records in polled.items():
                                if type(records) is not list:  # the translator says why
                                    facts = new_facts(
                                        OpFacts,
                                        (index, waiting[4], process, invoked_at, position, "poll"),
                                    )
                                    translator.feed_poll_map({raw_key: records}, facts, sink)
                                    raise AssertionError("a poll result the translator took")
                                key = raw_key if type(raw_key) is str else names[raw_key]
                                readers = first_readers.get(key)
                                if readers is None:
                                    readers = first_readers[key] = {}
                                last = positions.get(key)
                                if last is None:
                                    unknown += 1
                                    start = None
                                else:
                                    start = last + 1
                                part = partitions.get(key)
                                count = len(records)
                                if (
                                    part is not None
                                    and count
                                    and not part.conflicted
                                    and (start is None or (type(start) is int and start >= 0))
                                    and type(head := records[0]) is list
                                    and head
                                    # (no minus sign in a fast result: first >= 0)
                                    and type(first := head[0]) is int
                                    and records == part.known[first : first + count]
                                ):
                                    # `feed_poll`'s dense case: nothing new in the log
                                    polls_fed += 1
                                    records_read += count
                                    part.readers = readers
                                    last = first + count - 1
                                    poll = (
                                        "poll",
                                        invoked_at,
                                        position,
                                        process,
                                        key,
                                        start,
                                        False,
                                        first,
                                        last,
                                        count,
                                    )
                                    last_polls = part.last_poll
                                    state = last_polls.get(process)
                                    last_polls[process] = (last, poll)
                                    if (
                                        state is not None
                                        and start is not None
                                        and first != start  # (both of its verdicts need it)
                                        and start >= state[0]
                                    ):
                                        sink.judge_order(part, poll, state, start, first)
                                    read = part.read
                                    unread = read.find(0, first, last + 1)
                                    if unread >= 0:
                                        if facts is None:
                                            facts = new_facts(
                                                OpFacts,
                                                (
                                                    index,
                                                    waiting[4],
                                                    process,
                                                    invoked_at,
                                                    position,
                                                    "poll",
                                                ),
                                            )
                                        for _, message in records[unread - first :]:
                                            if message not in readers:
                                                readers[message] = facts
                                        read[first : last + 1] = b"\x01" * count
                                    positions[key] = last
                                    continue
                                if facts is None:
                                    facts = new_facts(
                                        OpFacts,
                                        (index, waiting[4], process, invoked_at, position, "poll"),
                                    )
                                try:
                                    feed_poll(
                                        invoked_at,
                                        position,
                                        process,
                                        key,
                                        start,
                                        records,
                                        False,
                                        readers,
                                        facts,
                                    )
                                except (LogInputError, TypeError, ValueError, IndexError):
                                    if pairs_shape(records):
                                        raise
                                    raise bad_records(position, records) from None
                                if records:
                                    positions[key] = records[-1][0]
                    else:  # a send op polling or a poll op sending: the general path
                        self.position = position
                        sink.ids_base = base
                        self._complete(position, _row_op(row, polled), waiting, sink)
                        continue
                    if kind == "info":
                        translator_positions.pop(process, None)
                    continue
            # the full reader's turn (it validates the line again, from scratch)
            raw = other
            value = next(others_read, None) if raw else None
            if not raw:  # a fast row that failed validation: its line, as the block has it
                if lines is None:
                    lines = block.split(b"\n")
                raw = lines[line_number - first_line - 1] + b"\n"
            indices.last = last_index
            self.position = position
            sink.ids_base = base
            self._slow(raw, line_number, sink, value)
            last_index = indices.last
            position = self.position
            base = sink.ids_base
            append_index = indices.indices.append
            append_line = indices.lines.append
        indices.last = last_index
        self.position = position
        sink.fed += 2 * (sends_ok + polls_fed)
        sink.fed_polls += polls_fed
        sink.records_read += records_read
        sink.stats["sends"]["ok"] += sends_ok
        translator.unknown_positions += unknown
        return line_number
