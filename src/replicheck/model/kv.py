"""A key-value store of strings with `get`, `put` and `append`, partitioned by key.

Conventions (public, see docs/history-format.md): every key starts as `""`; `put` sets the
key to its `value`; `append` concatenates its `value`; `get`'s completion carries the value
read (`null` is read as `""`, for stores that report a missing key as nil).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from replicheck.model.base import (
    REJECT,
    Call,
    Model,
    ModelInputError,
    State,
    StepFn,
    check_f,
    describe_value,
)


class KvModel(Model):
    """Per-key state: the key's current string (partitioning makes keys independent)."""

    name = "kv"

    def init(self) -> State:
        return ""

    def compile(self, call: Call) -> StepFn | None:
        check_f(call, ("get", "put", "append"), self.name)
        if call.f == "get":
            if call.status != "ok":
                return None
            seen = _string(call, call.value, "get's completion value", allow_null=True)

            def get(state: str) -> Any:
                return state if state == seen else REJECT

            return get
        value = _string(call, call.invoke_value, f"{call.f} value", allow_null=False)
        if call.f == "put":

            def put(state: str) -> Any:
                return value

            return put

        def append(state: str) -> Any:
            return state + value

        return append

    def unobservable(self, calls: Sequence[Call]) -> set[int]:
        """Info puts whose value starts no value read, info appends whose value occurs in
        no value read.

        Sound: after such an op, every state until the next put contains (starts with, for a
        put) that string, so no get can have taken effect in between; removing the op
        changes only states that nothing read.
        """
        # One string holding every value read, each preceded by a NUL: a substring search
        # in C instead of a scan per (info op, get). Values containing NUL are never dropped.
        reads = "".join(
            "\0" + ("" if call.value is None else call.value)
            for call in calls
            if call.f == "get" and call.status == "ok" and isinstance(call.value, str | None)
        )
        drop = set()
        for i, call in enumerate(calls):
            value = call.invoke_value
            if call.status != "info" or not isinstance(value, str) or "\0" in value:
                continue
            pattern = "\0" + value if call.f == "put" else value
            if pattern not in reads:
                drop.add(i)
        return drop

    def is_read_only(self, call: Call) -> bool:
        return call.f == "get"

    def is_blind(self, call: Call) -> bool:
        return call.f == "put"

    def describe_call(self, call: Call) -> str:
        if call.f == "get":
            if call.status == "ok":
                return f"get → {describe_value(call.value)}"
            return "get (info)"
        suffix = "" if call.status == "ok" else " (info)"
        return f"{call.f} {describe_value(call.invoke_value)}{suffix}"

    def describe_state(self, state: State) -> str:
        return describe_value(state)


def _string(call: Call, value: Any, what: str, *, allow_null: bool) -> str:
    if value is None and allow_null:
        return ""
    if not isinstance(value, str):
        position = call.return_pos if what.startswith("get") else call.call_pos
        raise ModelInputError(position, f"{what} must be a string, got {describe_value(value)}")
    return value
