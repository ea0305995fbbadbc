"""The history of a node run, in replicheck's log format (docs/internals.md §1).

`send` / `poll` operations are exactly what the log checker reads (`key`, `value`,
`offset`, `final`); the kafka workload's two other operations are recorded in the same
history with their Maelstrom names, which the log checker counts and ignores:

- `commit_offsets`: `value` `{key: offset}` (the highest offset the client processed);
- `list_committed_offsets`: invocation `value` `[keys]`, `ok` completion `value`
  `{key: offset}` as the node answered (a key it omitted is absent).

The driver records an invocation before it sends the request and a completion after it has
read the reply, so the order of the history is a real-time order: each operation took
effect between its two lines. Every op also carries `node` (which node served it); `fail` / `info` carry `error` (a
Maelstrom error name, or `timeout` / `client-crash` for the client's own verdicts).
"""

from __future__ import annotations

from typing import Any


class HistoryRecorder:
    def __init__(self) -> None:
        self.ops: list[dict[str, Any]] = []

    def invoke(self, time_ms: float, process: int, f: str, **fields: Any) -> dict[str, Any]:
        op = {
            "index": len(self.ops),
            "time": int(time_ms * 1_000_000),
            "process": process,
            "type": "invoke",
            "f": f,
            **fields,
        }
        self.ops.append(op)
        return op

    def complete(
        self, time_ms: float, invoke: dict[str, Any], kind: str, **fields: Any
    ) -> dict[str, Any]:
        assert kind in ("ok", "fail", "info")
        op = {
            "index": len(self.ops),
            "time": int(time_ms * 1_000_000),
            "process": invoke["process"],
            "type": kind,
            "f": invoke["f"],
        }
        for carried in ("key", "node", "offset", "final"):
            if carried in invoke:
                op[carried] = invoke[carried]
        if invoke["f"] == "send" or invoke["f"] == "commit_offsets":
            op["value"] = invoke["value"]
        op.update(fields)
        self.ops.append(op)
        return op
