"""The step vocabulary of a node run: plain data that a driver (a fixed list today, the
Hypothesis search later) chooses, that prints like an incident, and that a case file can
hold (`to_dict` / `from_dict`, the same `{"kind", "args"}` shape as the reference
cluster's scenarios).

| kind | args | effect |
|---|---|---|
| `send` | client, node, key, msg, wait? | the client sends `msg` to `key` via `node` |
| `poll` | client, node, key, wait? | the client polls `key` from its position (assigning it first if new) |
| `commit` | client, node, key, wait? | the client commits the highest offset it polled of `key` |
| `list` | client, node, keys, wait? | the client lists committed offsets |
| `partition` | groups | nodes in different groups cannot talk (unlisted nodes reach all) |
| `heal` | — | remove every network fault |
| `faults` | loss?, duplicate?, delay_lo_ms?, delay_hi_ms? | message loss / duplication probabilities, delay range |
| `drop` | src?, dest?, type?, count? | drop the next `count` matching messages |
| `crash` | node | kill -9 the node and start a fresh process (init again) |
| `pause` / `resume` | node | SIGSTOP / SIGCONT |
| `client-crash` | client | the client dies (its outstanding op → `info`) and comes back as a new process |
| `quiesce` | window_ms? | wait until no message for the window (bounded) |
| `wait` | ms | let time pass (for timers and delayed messages) |

`client` is the campaign's client slot (0, 1, …); its history `process` changes when it
crashes. `wait` (default true) makes a client step wait for the completion (bounded by the
request timeout); with `wait: false` the operation stays in flight for the next steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CLIENT_KINDS = ("send", "poll", "commit", "list")
FAULT_KINDS = ("partition", "heal", "faults", "drop", "crash", "pause", "resume", "client-crash")
STEP_KINDS = (*CLIENT_KINDS, *FAULT_KINDS, "quiesce", "wait")


@dataclass(frozen=True)
class NodeStep:
    kind: str
    args: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in STEP_KINDS:
            raise ValueError(f"unknown step kind {self.kind!r} (one of {', '.join(STEP_KINDS)})")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "args": dict(self.args)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NodeStep:
        if not isinstance(data, dict) or set(data) - {"kind", "args"} or "kind" not in data:
            raise ValueError(f"a step is {{'kind', 'args'}}, got {data!r}")
        return cls(data["kind"], dict(data.get("args", {})))

    def describe(self, topic: str = "") -> str:
        """The step as a line of an incident report (`topic` is unused: keys name
        themselves; it is there for the campaign's step protocol)."""
        a = self.args
        via = f" via {a.get('node')}" if "node" in a else ""
        if self.kind == "send":
            text = f"client {a['client']} sends {a['msg']!r} to {a['key']}{via}"
        elif self.kind == "poll":
            text = f"client {a['client']} polls {a['key']}{via}"
        elif self.kind == "commit":
            text = f"client {a['client']} commits what it polled of {a['key']}{via}"
        elif self.kind == "list":
            text = f"client {a['client']} lists committed offsets of {', '.join(a['keys'])}{via}"
        elif self.kind == "partition":
            groups = " | ".join("{" + ",".join(sorted(g)) + "}" for g in a["groups"])
            text = f"network splits {groups}"
        elif self.kind == "heal":
            text = "network heals"
        elif self.kind == "faults":
            parts = [f"{name} {a[name]}" for name in ("loss", "duplicate") if name in a]
            if "delay_lo_ms" in a or "delay_hi_ms" in a:
                parts.append(
                    f"delay {a.get('delay_lo_ms', 0)}–{a.get('delay_hi_ms', a.get('delay_lo_ms', 0))} ms"
                )
            text = "network faults: " + (", ".join(parts) or "none")
        elif self.kind == "drop":
            src, dest = a.get("src", "*"), a.get("dest", "*")
            kind = f" `{a['type']}`" if "type" in a else ""
            count = a.get("count", 1)
            text = f"{src} → {dest}{kind} dropped" + (f" ×{count}" if count != 1 else "")
        elif self.kind == "crash":
            text = f"{a['node']} crashes (kill -9) and restarts empty"
        elif self.kind == "pause":
            text = f"{a['node']} pauses (SIGSTOP)"
        elif self.kind == "resume":
            text = f"{a['node']} resumes (SIGCONT)"
        elif self.kind == "client-crash":
            text = f"client {a['client']} crashes"
        elif self.kind == "quiesce":
            text = "wait until the network is quiet"
        else:
            text = f"wait {a['ms']} ms"
        if self.kind in CLIENT_KINDS and a.get("wait") is False:
            text += " (not waiting)"
        return text
