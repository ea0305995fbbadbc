"""Plain-text rendering of a log verdict: a one-line verdict, then evidence per kind."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

# For annotations only: log_anomalies renders its verdicts with this module, so a runtime
# import here would be a cycle.
if TYPE_CHECKING:
    from replicheck.checker.log_anomalies import LogVerdict

#: one-line explanation per kind, printed after its count
KIND_MEANING = {
    "lost-write": "acknowledged sends missing from a later read that covers their offset",
    "unseen": "acknowledged sends that no final read shows",
    "inconsistent-offsets": "offsets at which two different messages were observed",
    "duplicate": "messages observed at more than one offset",
    "nonmonotonic-send": "a process's next acknowledged send got a lower-or-equal offset",
    "nonmonotonic-poll": "a process's poll went back to offsets it had already passed",
    "poll-skip": "a process's continuing poll skipped offsets that exist in the log",
    "int-nonmonotonic-send": "one op's later send to a partition got a lower-or-equal offset",
    "int-send-skip": "one op's successive sends to a partition are not adjacent in the log",
    "int-nonmonotonic-poll": "one op's records of a partition went back or repeated an offset",
    "int-poll-skip": "one op's successive records of a partition skipped records that exist",
    "G1a": "a failed send's message was read (aborted read)",
    "precommitted-read": "an op read a message it sent itself, before it committed",
}

#: transactional dependency cycles (Elle's names), explained by the relations they use
CYCLE_MEANING = {
    "G0": "a cycle of write-write (log order) dependencies",
    "G1c": "a cycle of write-write and write-read dependencies",
}
_CYCLE_SUFFIX = {
    "": "",
    "-process": ", closed by one process's order",
    "-realtime": ", closed by real-time order",
}
for _base, _text in list(CYCLE_MEANING.items()):
    for _suffix, _extra in _CYCLE_SUFFIX.items():
        KIND_MEANING[_base + _suffix] = _text + _extra
del _base, _text, _suffix, _extra


def kind_meaning(kind: str) -> str:
    return KIND_MEANING.get(kind, kind)


def _op(ref: Mapping[str, Any]) -> str:
    """`op 41 (process 3)`, with final marked."""
    text = f"op {ref['index']} (process {ref['process']}"
    if ref.get("final"):
        text += ", final read"
    return text + ")"


def _poll(ref: Mapping[str, Any]) -> str:
    span = f"offsets {ref['offsets'][0]}..{ref['offsets'][1]}" if ref.get("offsets") else "empty"
    return f"poll {_op(ref)} from {ref['start_offset']} → {span}"


def _m(message: Any) -> str:
    return repr(message) if not isinstance(message, str) else message


def describe_evidence(kind: str, e: Mapping[str, Any]) -> str:
    """One line (at most a few) describing one piece of evidence."""
    key = e["key"]
    describe = _DESCRIBE.get(kind)
    if describe is not None:
        return describe(key, e)
    if "cycle" in e:
        steps = " → ".join(
            f"op {edge['from']['index']} -{edge['relation']}->" for edge in e["cycle"]
        )
        return f"{steps} op {e['cycle'][0]['from']['index']}"
    return f"{key}: {e!r}"[:300]


def _lost_write(key: Any, e: Mapping[str, Any]) -> str:
    shown = (
        f"shows {_m(e['read_message'])} there"
        if e["read_message"] is not None
        else "shows nothing there"
    )
    return (
        f"{key}@{e['offset']}: {_m(e['message'])} acknowledged by {_op(e['send'])}; "
        f"later {_poll(e['read'])} {shown}"
    )


def _unseen(key: Any, e: Mapping[str, Any]) -> str:
    return f"{key}@{e['offset']}: {_m(e['message'])} acknowledged by {_op(e['send'])}; " + (
        "in no final read" if e["final_reads"] else "returned by no poll"
    )


def _inconsistent_offsets(key: Any, e: Mapping[str, Any]) -> str:
    parts = [f"{_m(m['message'])} ({', '.join(_op(o) for o in m['ops'])})" for m in e["messages"]]
    return f"{key}@{e['offset']}: " + " vs ".join(parts)


def _duplicate(key: Any, e: Mapping[str, Any]) -> str:
    parts = [f"@{o['offset']} ({', '.join(_op(x) for x in o['ops'])})" for o in e["offsets"]]
    return f"{key}: {_m(e['message'])} at " + ", ".join(parts)


def _nonmonotonic_send(key: Any, e: Mapping[str, Any]) -> str:
    prev, send = e["previous"], e["send"]
    return (
        f"{key}: process {e['process']} sent {_m(prev['message'])} → offset {prev['offset']} "
        f"(op {prev['index']}), then {_m(send['message'])} → offset {send['offset']} "
        f"(op {send['index']})"
    )


def _nonmonotonic_poll(key: Any, e: Mapping[str, Any]) -> str:
    if e.get("within_poll"):
        return (
            f"{key}: {_poll(e['poll'])} returned offset {e['offset']} after {e['previous_offset']}"
        )
    return (
        f"{key}: process {e['process']} read up to {e['previous_offset']} "
        f"(op {e['previous']['index']}), then {_poll(e['poll'])}"
    )


def _skipped(e: Mapping[str, Any]) -> str:
    """The skipped records an evidence entry lists, and how many more it left out."""
    skipped = ", ".join(f"{s['offset']}={_m(s['message'])}" for s in e["skipped"])
    more = e["skipped_count"] - len(e["skipped"])
    if more > 0:
        skipped += f" and {more} more"
    return skipped


def _poll_skip(key: Any, e: Mapping[str, Any]) -> str:
    return (
        f"{key}: process {e['process']} read up to {e['expected_offset'] - 1} "
        f"(op {e['previous']['index']}), then {_poll(e['poll'])}; skipped {_skipped(e)}"
    )


def _internal_nonmonotonic(key: Any, e: Mapping[str, Any]) -> str:
    op = e.get("op") or e["poll"]
    return (
        f"{key}: {_op(op)} went from offset {e['previous_offset']} to {e['offset']} within one op"
    )


def _internal_skip(key: Any, e: Mapping[str, Any]) -> str:
    below, above = e["offsets"]
    return f"{key}: {_op(e['op'])} went from offset {below} to {above}; skipped {_skipped(e)}"


def _aborted_read(key: Any, e: Mapping[str, Any]) -> str:
    return (
        f"{key}@{e['offset']}: {_m(e['message'])} from failed {_op(e['writer'])} "
        f"was read by {_op(e['reader'])}"
    )


def _precommitted_read(key: Any, e: Mapping[str, Any]) -> str:
    return f"{key}: {_op(e['op'])} sent {_m(e['message'])} and read it back"


#: kind -> its one-line description of an evidence entry (the cycle kinds share one)
_DESCRIBE: dict[str, Callable[[Any, Mapping[str, Any]], str]] = {
    "lost-write": _lost_write,
    "unseen": _unseen,
    "inconsistent-offsets": _inconsistent_offsets,
    "duplicate": _duplicate,
    "nonmonotonic-send": _nonmonotonic_send,
    "nonmonotonic-poll": _nonmonotonic_poll,
    "poll-skip": _poll_skip,
    "int-nonmonotonic-send": _internal_nonmonotonic,
    "int-nonmonotonic-poll": _internal_nonmonotonic,
    "int-send-skip": _internal_skip,
    "int-poll-skip": _internal_skip,
    "G1a": _aborted_read,
    "precommitted-read": _precommitted_read,
}


def verdict_line(verdict: LogVerdict) -> str:
    stats = verdict.stats
    scope = (
        f"{stats['ops']:,} ops, {stats['partitions']} partition(s), "
        f"{stats['acked_sends']:,} acknowledged sends, final reads: {stats['final_reads']}"
    )
    counts = stats["anomaly_counts"]
    allowed = ", ".join(f"{kind} ×{counts[kind]:,}" for kind in verdict.allowed_present)
    allowed_text = f"; allowed: {allowed}" if allowed else ""
    if verdict.valid:
        head = "VALID: no log anomalies" if not allowed else "VALID: no disallowed log anomalies"
        return f"{head} ({scope}{allowed_text})"
    found = ", ".join(f"{kind} ×{counts[kind]:,}" for kind in verdict.invalidating)
    return f"INVALID: {found} ({scope}{allowed_text})"


def render_verdict_text(verdict: LogVerdict, max_examples: int = 3) -> str:
    assert max_examples >= 0
    lines = [verdict_line(verdict)]
    counts = verdict.stats["anomaly_counts"]
    for kind, evidence in verdict.anomalies.items():
        lines.append("")
        tag = " [allowed]" if kind in verdict.allowed else ""
        lines.append(f"{kind} ({counts[kind]:,}){tag}: {kind_meaning(kind)}")
        for e in evidence[:max_examples]:
            lines.append(f"  - {describe_evidence(kind, e)}")
        hidden = counts[kind] - min(max_examples, len(evidence))
        if hidden > 0:
            lines.append(f"  … and {hidden:,} more")
    unchecked = verdict.stats.get("unseen_unchecked_partitions") or []
    if unchecked:
        lines.append("")
        lines.append(
            "note: no final read for " + ", ".join(map(str, unchecked)) + "; unseen not checked"
        )
    return "\n".join(lines)
