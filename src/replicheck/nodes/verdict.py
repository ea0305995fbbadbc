"""The verdict on a node run: the log checker on sends and polls, plus committed offsets.

Committed offsets, which Maelstrom's kafka checker does not judge, are read as one
register per key: `commit_offsets {k: o}` writes `o`, `list_committed_offsets` reads the
value listed for `k` (`null` when the node omitted it). The register history is checked by
replicheck's linearizability checker (`model: register`). Kafka's contract is that an
acknowledged offset commit is stored: "the committed position is the last offset that has
been stored securely; should the process fail and restart, this is the offset that the
consumer will recover to" (KafkaConsumer javadoc). So a listing that returns an offset older
than a commit acknowledged before the listing began -- or no offset at all for a key
committed and acknowledged -- is a violation, `stale-committed-offset`.

Why this is sound for a correct node: the harness only invokes a commit of key k whose
offset is above every commit of k invoked before (`NodeTarget` skips the others). With
commits increasing in invocation order, a node that keeps the *last* commit and one that
keeps the *highest* both behave as a linearizable register: concurrent commits may be
ordered either way, sequential ones agree. (Maelstrom's docs allow a fresh assign to start
"at offset 3 (or lower)" -- redelivery is safe for at-least-once processing; replicheck is
stricter, on purpose, and says so in docs/nodes.md.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from replicheck.checker.linearizability import LinVerdict, check_history
from replicheck.checker.log_anomalies import LogVerdict, check_log
from replicheck.model import get_model

COMMITTED_ANOMALY = "stale-committed-offset"
LIN_TIMEOUT_S = 10.0


@dataclass
class NodeVerdict:
    log: LogVerdict
    committed: dict[str, LinVerdict[Any]]
    #: direct witnesses of the committed-offsets property, one per listing that broke it
    stale_listings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def committed_valid(self) -> bool | None:
        values = [v.valid for v in self.committed.values()]
        if False in values:
            return False
        return None if None in values else True

    @property
    def valid(self) -> bool:
        """False on any finding; an unknown (timed-out) register check is not a finding."""
        return self.log.valid and self.committed_valid is not False

    @property
    def anomalies(self) -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = dict(self.log.anomalies)
        if self.committed_valid is False:
            failing = [k for k, v in self.committed.items() if v.valid is False]
            found[COMMITTED_ANOMALY] = self.stale_listings or [{"key": k} for k in failing]
        return found

    @property
    def anomaly_names(self) -> list[str]:
        return sorted(self.anomalies)

    @property
    def ranked_anomaly_names(self) -> list[str]:
        """The log checker's kinds in its own order (durability first), then committed
        offsets: the first one names a report folder, as for the reference cluster."""
        return list(self.anomalies)

    def render_text(self) -> str:
        overall = "VALID" if self.valid else "INVALID: " + ", ".join(self.anomaly_names)
        committed = {True: "linearizable", False: "NOT linearizable", None: "unknown (timed out)"}
        lines = [
            overall,
            f"committed offsets ({len(self.committed)} key(s)): {committed[self.committed_valid]}",
            self.log.render_text(max_examples=3),
        ]
        for key, verdict in sorted(self.committed.items()):
            if verdict.valid is False:
                lines.append(f"{COMMITTED_ANOMALY} on key {key}:")
                lines.append(verdict.render_text())
        for witness in self.stale_listings:
            lines.append(
                f"  listing op {witness['listing']} of {witness['key']} returned "
                f"{'nothing' if witness['listed'] is None else witness['listed']} after commit op {witness['commit']} of "
                f"{witness['committed']} was acknowledged"
            )
        return "\n".join(lines)


def register_histories(history: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The committed-offset ops of `history` as one register history per key."""
    per_key: dict[str, list[dict[str, Any]]] = {}
    open_keys: dict[int, list[str]] = {}  # process -> keys of its outstanding op
    for op in history:
        f = op.get("f")
        if f not in ("commit_offsets", "list_committed_offsets"):
            continue
        process, kind = op["process"], op["type"]
        if kind == "invoke":
            keys = list(op["value"])  # the keys of a commit map, or the listed keys
            open_keys[process] = keys
        else:
            keys = open_keys.pop(process, [])
        for key in keys:
            reg = {
                "index": op["index"],
                "process": process,
                "type": kind,
                "key": key,
                "f": "write" if f == "commit_offsets" else "read",
            }
            if f == "commit_offsets":
                reg["value"] = op["value"][key]
            else:
                reg["value"] = op["value"].get(key) if kind == "ok" else None
            per_key.setdefault(key, []).append(reg)
    return per_key


def stale_listings(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Listings that returned less than (or omitted) a commit acknowledged before they began."""
    acked: dict[str, tuple[int, int]] = {}  # key -> (highest acknowledged offset, its op index)
    started: dict[int, tuple[dict[str, Any], dict[str, tuple[int, int]]]] = {}
    pending_commit: dict[int, dict[str, Any]] = {}
    found = []
    for op in history:
        f, process, kind = op.get("f"), op["process"], op["type"]
        if f == "commit_offsets":
            if kind == "invoke":
                pending_commit[process] = op
            elif kind == "ok":
                for key, offset in pending_commit.pop(process)["value"].items():
                    if key not in acked or offset > acked[key][0]:
                        acked[key] = (offset, op["index"])
            else:
                pending_commit.pop(process, None)
        elif f == "list_committed_offsets":
            if kind == "invoke":
                started[process] = (op, dict(acked))
            else:
                invoke, before = started.pop(process)
                if kind != "ok":
                    continue
                for key in invoke["value"]:
                    if key in before and (
                        op["value"].get(key) is None or op["value"][key] < before[key][0]
                    ):
                        found.append(
                            {
                                "key": key,
                                "listing": op["index"],
                                "listed": op["value"].get(key),
                                "committed": before[key][0],
                                "commit": before[key][1],
                            }
                        )
    return found


def check_run(history: list[dict[str, Any]]) -> NodeVerdict:
    # Only sends and polls go to the log checker: it is documented to ignore other `f`s, but
    # an `ok` of another `f` without a `key` makes it raise KeyError (and one with a key
    # opens a phantom partition) -- reported, not patched here (checker/ is not ours).
    log = check_log(op for op in history if op.get("f") in ("send", "poll"))
    model = get_model("register")
    committed = {
        key: check_history(model, ops, timeout_s=LIN_TIMEOUT_S)
        for key, ops in sorted(register_histories(history).items())
    }
    return NodeVerdict(log, committed, stale_listings(history))
