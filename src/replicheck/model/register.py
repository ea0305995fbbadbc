"""A read/write/compare-and-set register (Jepsen's `cas-register`), one per key.

Conventions (public, see docs/history-format.md): `read` — the completion's `value` is what was
read, `null` the initial never-written value; `write` — `value` is the value written; `cas` —
`value` is `[old, new]`, `ok` if it swapped and `fail` if it did not. Values are any JSON.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from replicheck.model.base import (
    REJECT,
    Call,
    Model,
    ModelInputError,
    Reject,
    StepFn,
    check_f,
    describe_value,
    freeze,
)


class RegisterModel(Model[Hashable]):
    """The state is the frozen register value (`None` = never written)."""

    name = "register"

    def init(self) -> Hashable:
        return None

    def compile(self, call: Call) -> StepFn[Hashable] | None:
        check_f(call, ("read", "write", "cas"), self.name)
        if call.f == "read":
            if call.status != "ok":
                return None  # an unanswered read constrains nothing
            seen = _freeze(call, call.value)

            def read(state: Hashable) -> Hashable | Reject:
                return state if state == seen else REJECT

            return read
        if call.f == "write":
            written = _freeze(call, call.invoke_value)

            def write(state: Hashable) -> Hashable:
                return written

            return write
        pair = call.invoke_value
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ModelInputError(call.call_pos, "cas value must be a list [old, new]")
        old, new = _freeze(call, pair[0]), _freeze(call, pair[1])

        # An `info` cas that did not swap had no effect: the checker may omit it, so the
        # step only has to describe the swapping case.
        def cas(state: Hashable) -> Hashable | Reject:
            return new if state == old else REJECT

        return cas

    def unobservable(self, calls: Sequence[Call]) -> set[int]:
        """Info writes (and info cas) of a value that no read returned and no cas expected.

        Sound: after such an op the register holds a value nobody observes, so until the next
        write or cas overwrites it no read or cas can have taken effect; removing the op
        changes only states that nothing looked at.
        """
        observed: set[Hashable] = set()
        for call in calls:
            if call.f == "read" and call.status == "ok":
                observed.add(_freeze(call, call.value))
            elif call.f == "cas" and isinstance(call.invoke_value, list | tuple):
                observed.add(_freeze(call, call.invoke_value[0]))
        drop: set[int] = set()
        for i, call in enumerate(calls):
            if call.status != "info":
                continue
            if call.f == "write":
                written = _freeze(call, call.invoke_value)
            elif call.f == "cas":
                written = _freeze(call, call.invoke_value[1])
            else:
                continue
            if written not in observed:
                drop.add(i)
        return drop

    def is_read_only(self, call: Call) -> bool:
        return call.f == "read"

    def is_blind(self, call: Call) -> bool:
        return call.f == "write"

    def describe_call(self, call: Call) -> str:
        if call.f == "read":
            if call.status == "ok":
                return f"read → {describe_value(call.value)}"
            return "read (info)"
        suffix = "" if call.status == "ok" else " (info)"
        if call.f == "cas":
            old, new = call.invoke_value
            return f"cas {describe_value(old)} → {describe_value(new)}{suffix}"
        return f"write {describe_value(call.invoke_value)}{suffix}"

    def describe_state(self, state: Hashable) -> str:
        return describe_value(state)


def _freeze(call: Call, value: Any) -> Hashable:
    try:
        return freeze(value)
    except TypeError as exc:
        raise ModelInputError(call.call_pos, str(exc)) from None
