"""A key-value store of strings with `get`, `put` and `append`, partitioned by key.

Conventions (public, see docs/history-format.md): every key starts as `""`; `put` sets the
key to its `value`; `append` concatenates its `value`; `get`'s completion carries the value
read (`null` is read as `""`, for stores that report a missing key as nil).

The search state is either a string or a *pending-append* state `(prefix, items, length)`:
the appends placed since the state was last a known string, as an unordered set. Their
order is decided only when a `get` observes them (it must read `prefix` followed by all of
them in some order that respects real time). Concurrent appends that no read has seen yet
are then one search configuration instead of one per order — k! of them for k clients
appending at once, which is what made Porcupine's kv-c50-bad history intractable. After the
verdict, `linearization` turns the order found back into one with plain string states.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any, TypeAlias

from replicheck.model.base import (
    REJECT,
    Call,
    Model,
    ModelInputError,
    Reject,
    StepFn,
    check_f,
    describe_value,
)

#: a pending append: (value, invocation position, response position or NO_RESPONSE)
Item: TypeAlias = tuple[str, int, int]
#: pending appends: (the known prefix, the appends placed since, the total length)
Pending: TypeAlias = tuple[str, frozenset[Item], int]
#: a key's search state: a plain string, or pending appends
KvState: TypeAlias = str | Pending
#: the response position of an `info` append (it may take effect at any later time)
NO_RESPONSE = 1 << 62


class KvModel(Model[KvState]):
    """Per-key state: the key's current string (partitioning makes keys independent)."""

    name = "kv"

    def init(self) -> KvState:
        return ""

    def compile(self, call: Call) -> StepFn[KvState] | None:
        check_f(call, ("get", "put", "append"), self.name)
        if call.f == "get":
            if call.status != "ok":
                return None
            seen = _string(call, call.value, "get's completion value", allow_null=True)

            def get(state: KvState) -> KvState | Reject:
                if isinstance(state, str):
                    return state if state == seen else REJECT
                prefix, items, length = state
                if length != len(seen) or not seen.startswith(prefix):
                    return REJECT
                return seen if arrange(seen, len(prefix), items) is not None else REJECT

            return get
        value = _string(call, call.invoke_value, f"{call.f} value", allow_null=False)
        if call.f == "put":

            def put(state: KvState) -> KvState:
                return value

            return put
        item = (value, call.call_pos, NO_RESPONSE if call.return_pos is None else call.return_pos)
        single = frozenset((item,))
        size = len(value)

        def append(state: KvState) -> KvState:
            if isinstance(state, str):
                return (state, single, len(state) + size)
            return (state[0], state[1] | single, state[2] + size)

        return append

    def is_exact(self, state: KvState) -> bool:
        """A string, or pending appends with only one possible order (one append, or each
        one responded before the next was invoked)."""
        if isinstance(state, str):
            return True
        items = sorted(state[1], key=lambda it: it[1])
        return all(a[2] < b[1] for a, b in pairwise(items))

    def step(self, state: KvState, call: Call) -> tuple[bool, KvState]:
        """On a plain string, the plain sequential semantics (for replaying a linearization);
        on a pending-append state, the search's own step."""
        if not isinstance(state, str):
            return super().step(state, call)
        if call.f == "get":
            seen = _string(call, call.value, "get's completion value", allow_null=True)
            return seen == state, state
        value = _string(call, call.invoke_value, f"{call.f} value", allow_null=False)
        return True, value if call.f == "put" else state + value

    def linearization(
        self, calls: Sequence[Call], order: Sequence[int], states: Sequence[KvState]
    ) -> tuple[list[int], list[KvState]]:
        """The search's order with every run of pending appends put in the order the `get`
        after it read (or kept as placed, which respects real time, when no get read them);
        states are plain strings."""
        out_order: list[int] = []
        out_states: list[KvState] = []
        current = ""
        run: list[int] = []

        def flush(indices: Sequence[int]) -> None:
            nonlocal current
            for i in indices:
                current = current + calls[i].invoke_value
                out_order.append(i)
                out_states.append(current)
            run.clear()

        for i in order:
            call = calls[i]
            if call.f == "append":
                run.append(i)
                continue
            if call.f == "get" and run:
                seen = "" if call.value is None else call.value
                by_item = {_item(calls[k]): k for k in run}
                arranged = arrange(seen, len(current), frozenset(by_item))
                assert arranged is not None, "the search placed this get, so an order exists"
                flush([by_item[it] for it in arranged])
            flush(run)
            out_order.append(i)
            if call.f == "put":
                current = call.invoke_value
            out_states.append(current)
        flush(run)
        return out_order, out_states

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
        drop: set[int] = set()
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

    def describe_state(self, state: KvState) -> str:
        if isinstance(state, str):
            return describe_value(state)
        prefix, items, _ = state
        values = [v for v, _, _ in sorted(items, key=lambda it: it[1])]
        if self.is_exact(state):  # one possible order: invocation order
            return describe_value(prefix + "".join(values))
        pending = ", ".join(describe_value(v) for v in values)
        return f"{describe_value(prefix)} then {{{pending}}} appended in some order"


def _item(call: Call) -> Item:
    ret = NO_RESPONSE if call.return_pos is None else call.return_pos
    return (call.invoke_value, call.call_pos, ret)


def arrange(seen: str, start: int, items: frozenset[Item]) -> list[Item] | None:
    """An order of `items` whose values, concatenated, are `seen[start:]` and which respects
    real time (an item that responded before another was invoked comes first); None if
    there is none. Depth-first with a memo of dead ends, so repeated values stay cheap."""
    pool = sorted(items, key=lambda it: it[1])
    dead: set[tuple[int, int]] = set()
    end = len(seen)
    chosen: list[Item] = []

    def place(pos: int, left: int) -> bool:
        if not left:
            return pos == end
        if (pos, left) in dead:
            return False
        for k, (value, call_pos, _) in enumerate(pool):
            bit = 1 << k
            if not left & bit or not seen.startswith(value, pos):
                continue
            # every item still left that responded before this one was invoked must go first
            if any(left >> m & 1 and pool[m][2] < call_pos for m in range(len(pool))):
                continue
            chosen.append(pool[k])
            if place(pos + len(value), left & ~bit):
                return True
            chosen.pop()
        dead.add((pos, left))
        return False

    return chosen if place(start, (1 << len(pool)) - 1) else None


def _string(call: Call, value: Any, what: str, *, allow_null: bool) -> str:
    if value is None and allow_null:
        return ""
    if not isinstance(value, str):
        position = call.return_pos if what.startswith("get") else call.call_pos
        raise ModelInputError(position, f"{what} must be a string, got {describe_value(value)}")
    return value
