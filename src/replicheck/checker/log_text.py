"""Plain-text rendering of a log verdict: a one-line verdict, then evidence per kind."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
}


def _op(ref: dict) -> str:
    """`op 41 (process 3)`, with final marked."""
    text = f"op {ref['index']} (process {ref['process']}"
    if ref.get("final"):
        text += ", final read"
    return text + ")"


def _poll(ref: dict) -> str:
    span = f"offsets {ref['offsets'][0]}..{ref['offsets'][1]}" if ref.get("offsets") else "empty"
    return f"poll {_op(ref)} from {ref['start_offset']} → {span}"


def _m(message: Any) -> str:
    return repr(message) if not isinstance(message, str) else message


def describe_evidence(kind: str, e: dict) -> str:
    """One line (at most a few) describing one piece of evidence."""
    key = e["key"]
    if kind == "lost-write":
        shown = (
            f"shows {_m(e['read_message'])} there"
            if e["read_message"] is not None
            else "shows nothing there"
        )
        return (
            f"{key}@{e['offset']}: {_m(e['message'])} acknowledged by {_op(e['send'])}; "
            f"later {_poll(e['read'])} {shown}"
        )
    if kind == "unseen":
        return (
            f"{key}@{e['offset']}: {_m(e['message'])} acknowledged by {_op(e['send'])}; "
            "in no final read"
        )
    if kind == "inconsistent-offsets":
        parts = [
            f"{_m(m['message'])} ({', '.join(_op(o) for o in m['ops'])})" for m in e["messages"]
        ]
        return f"{key}@{e['offset']}: " + " vs ".join(parts)
    if kind == "duplicate":
        parts = [f"@{o['offset']} ({', '.join(_op(x) for x in o['ops'])})" for o in e["offsets"]]
        return f"{key}: {_m(e['message'])} at " + ", ".join(parts)
    if kind == "nonmonotonic-send":
        prev, send = e["previous"], e["send"]
        return (
            f"{key}: process {e['process']} sent {_m(prev['message'])} → offset {prev['offset']} "
            f"(op {prev['index']}), then {_m(send['message'])} → offset {send['offset']} "
            f"(op {send['index']})"
        )
    if kind == "nonmonotonic-poll":
        if e["within_poll"]:
            return (
                f"{key}: {_poll(e['poll'])} returned offset {e['offset']} after "
                f"{e['previous_offset']}"
            )
        return (
            f"{key}: process {e['process']} read up to {e['previous_offset']} "
            f"(op {e['previous']['index']}), then {_poll(e['poll'])}"
        )
    if kind == "poll-skip":
        skipped = ", ".join(f"{s['offset']}={_m(s['message'])}" for s in e["skipped"])
        more = e["skipped_count"] - len(e["skipped"])
        if more > 0:
            skipped += f" and {more} more"
        return (
            f"{key}: process {e['process']} read up to {e['expected_offset'] - 1} "
            f"(op {e['previous']['index']}), then {_poll(e['poll'])}; skipped {skipped}"
        )
    raise AssertionError(f"unknown anomaly kind {kind!r}")


def verdict_line(verdict: LogVerdict) -> str:
    stats = verdict.stats
    scope = (
        f"{stats['ops']:,} ops, {stats['partitions']} partition(s), "
        f"{stats['acked_sends']:,} acknowledged sends, final reads: {stats['final_reads']}"
    )
    if verdict.valid:
        return f"VALID: no log anomalies ({scope})"
    counts = stats["anomaly_counts"]
    found = ", ".join(f"{kind} ×{counts[kind]:,}" for kind in verdict.anomalies)
    return f"INVALID: {found} ({scope})"


def render_verdict_text(verdict: LogVerdict, max_examples: int = 3) -> str:
    assert max_examples >= 0
    lines = [verdict_line(verdict)]
    counts = verdict.stats["anomaly_counts"]
    for kind, evidence in verdict.anomalies.items():
        lines.append("")
        lines.append(f"{kind} ({counts[kind]:,}): {KIND_MEANING[kind]}")
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
