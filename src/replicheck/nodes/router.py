"""replicheck as the network: every node→node and node↔service message passes through here.

The driver states the faults (a partition, loss / duplication probabilities, a delay range,
targeted drops); the router applies them to each message as it is sent, with the run's
seeded `random.Random`, and records every message and its fate for the message-sequence
view. Client↔node messages are recorded but never faulted: clients stand for the outside
world, and what the search explores is the cluster's own network.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class MessageRecord:
    """One message as the network saw it. `delivered_ms` grows as copies arrive."""

    seq: int
    sent_ms: float
    src: str
    dest: str
    type: str
    msg_id: int | None
    in_reply_to: int | None
    fate: str  # "sent" (in flight or delivered) | "dropped: <why>"
    delivered_ms: list[float] = field(default_factory=list)
    #: the message body as sent (not copied: nobody mutates a body once it is routed)
    body: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "sent_ms": round(self.sent_ms, 3),
            "src": self.src,
            "dest": self.dest,
            "type": self.type,
            "msg_id": self.msg_id,
            "in_reply_to": self.in_reply_to,
            "fate": self.fate,
            "delivered_ms": [round(t, 3) for t in self.delivered_ms],
            "body": self.body,
        }


@dataclass
class DropRule:
    """Drop the next `count` messages matching src/dest/type (None = any)."""

    count: int
    src: str | None = None
    dest: str | None = None
    type: str | None = None

    def matches(self, src: str, dest: str, kind: str) -> bool:
        return (
            self.count > 0
            and self.src in (None, src)
            and self.dest in (None, dest)
            and self.type in (None, kind)
        )


class Router:
    def __init__(self, rng: random.Random, faultable: Collection[str]) -> None:
        self.rng = rng
        self.faultable = frozenset(faultable)  # nodes and services; clients are not
        self.groups: list[frozenset[str]] = []
        self.loss = 0.0
        self.duplicate = 0.0
        self.delay_ms = (0.0, 0.0)
        self.rules: list[DropRule] = []
        self.log: list[MessageRecord] = []

    # -- the driver's decisions ---------------------------------------------------------------

    def partition(self, groups: Iterable[Iterable[str]]) -> None:
        """Nodes in different groups cannot talk; nodes in no group reach everyone."""
        chosen = [frozenset(g) for g in groups]
        seen: set[str] = set()
        for group in chosen:
            if group & seen:
                raise ValueError(f"{sorted(group & seen)[0]} is in two partition groups")
            if group - self.faultable:
                raise ValueError(
                    f"no node or service {sorted(group - self.faultable)[0]!r} to partition"
                )
            seen |= group
        self.groups = chosen

    def heal(self) -> None:
        """Remove every network fault (the final read runs on a healthy network)."""
        self.groups, self.loss, self.duplicate, self.delay_ms, self.rules = (
            [],
            0.0,
            0.0,
            (0.0, 0.0),
            [],
        )

    def set_faults(
        self,
        *,
        loss: float | None = None,
        duplicate: float | None = None,
        delay_ms: tuple[float, float] | None = None,
    ) -> None:
        for name, p in (("loss", loss), ("duplicate", duplicate)):
            if p is not None and not 0.0 <= p <= 1.0:
                raise ValueError(f"{name} must be a probability in [0, 1], got {p}")
        if delay_ms is not None and not 0.0 <= delay_ms[0] <= delay_ms[1]:
            raise ValueError(f"delay needs 0 <= lo <= hi ms, got {delay_ms}")
        if loss is not None:
            self.loss = loss
        if duplicate is not None:
            self.duplicate = duplicate
        if delay_ms is not None:
            self.delay_ms = delay_ms

    def drop_next(self, rule: DropRule) -> None:
        self.rules.append(rule)

    def describe(self) -> str:
        """The faults in force, in words ("healthy" when there are none)."""
        parts = []
        if self.groups:
            parts.append(
                "partition " + " | ".join("{" + ",".join(sorted(g)) + "}" for g in self.groups)
            )
        if self.loss:
            parts.append(f"loss {self.loss:g}")
        if self.duplicate:
            parts.append(f"duplicate {self.duplicate:g}")
        if self.delay_ms != (0.0, 0.0):
            parts.append(f"delay {self.delay_ms[0]:g}–{self.delay_ms[1]:g} ms")
        armed = sum(rule.count for rule in self.rules)
        if armed:
            parts.append(f"{armed} targeted drop(s) armed")
        return "; ".join(parts) or "healthy"

    # -- routing -------------------------------------------------------------------------------

    def separated(self, a: str, b: str) -> bool:
        group_a = next((g for g in self.groups if a in g), None)
        group_b = next((g for g in self.groups if b in g), None)
        return group_a is not None and group_b is not None and group_a is not group_b

    def route(
        self, now_ms: float, src: str, dest: str, body: dict[str, Any]
    ) -> tuple[MessageRecord, list[float]]:
        """Record a message; return it and the delays (ms) of the copies to deliver."""
        kind = str(body.get("type"))
        record = MessageRecord(
            len(self.log),
            now_ms,
            src,
            dest,
            kind,
            body.get("msg_id"),
            body.get("in_reply_to"),
            "sent",
            body=body,
        )
        self.log.append(record)
        if src not in self.faultable or dest not in self.faultable:
            return record, [0.0]
        if self.separated(src, dest):
            record.fate = "dropped: partition"
            return record, []
        for rule in self.rules:
            if rule.matches(src, dest, kind):
                rule.count -= 1
                record.fate = "dropped: targeted"
                return record, []
        if self.loss and self.rng.random() < self.loss:
            record.fate = "dropped: loss"
            return record, []
        copies = 2 if self.duplicate and self.rng.random() < self.duplicate else 1
        return record, [self._delay() for _ in range(copies)]

    def _delay(self) -> float:
        lo, hi = self.delay_ms
        return lo if lo == hi else self.rng.uniform(lo, hi)
