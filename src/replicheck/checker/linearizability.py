"""Linearizability checking: the Wing–Gong–Lowe search, as in Porcupine, in Python.

The history is split into independent partitions by the model (P-compositionality: a history
is linearizable iff each partition is), and each partition is searched alone:

- Calls and returns form a doubly linked list ordered by history position. The search
  repeatedly takes the first entry: a call is *tried* (the model step must allow it, and the
  resulting configuration must be new), which lifts the call and its return out of the list;
  reaching a return means the operation whose response came first could not be placed, so the
  search backtracks to the last choice (a linked stack, never recursion).
- A configuration is (set of linearized operations, model state). Visited configurations are
  cached; reaching one again is a dead end. The set is an int bitset, kept relative to the
  first not-yet-linearized operation (`base`) so that it stays as small as the window of
  concurrency instead of growing with the history.
- `info` operations (and invocations that never completed) may have taken effect at any time
  after their invocation, or never: they have no return entry, get their own bitset, and the
  search succeeds as soon as every *completed* operation is linearized — any `info` operation
  left over is the one that never took effect. `fail` operations never reach the checker.
- A timeout yields `unknown`, never a guess: the clock is read every few thousand steps.

On a violation the verdict carries evidence: the partition, the longest linearizable prefix
found, the operation that could not be placed after it, and the states in which the search
tried that operation and the model refused it. On success it can carry the linearization.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeAlias

from replicheck.checker.history import NEVER_RETURNED, pair_operations
from replicheck.model.base import REJECT, Call, Model, Record, S, StepFn

#: how many search steps run between two looks at the clock
CLOCK_CHECK_STEPS = 4096
#: how many refusing states are kept per operation for the evidence
REFUSED_STATES_MAX = 8
#: kinds of search frames: a forced read, a read tried as a choice, any other choice
FORCED, READ, CHOICE = "forced", "read", "choice"

#: a search frame, newest first: (op, state before it, base, rel, ilin, kind, parent frame).
#: A plain tuple, not a class: the search builds one per step (see `_search`).
Frame: TypeAlias = "tuple[int, S, int, int, int, str, Frame[S] | None]"


@dataclass
class PartitionResult(Generic[S]):
    """The outcome for one partition. `valid` is True, False, or None (timed out)."""

    label: str
    calls: list[Call]
    valid: bool | None
    #: indices into `calls`: the linearization (valid, if asked for) or the longest
    #: linearizable prefix found (violation); `states[i]` is the state after `order[i]`
    #: the model's state before any call
    initial_state: S
    order: list[int] = field(default_factory=list)
    states: list[S] = field(default_factory=list)
    #: violation only: the call that could not be placed after the prefix (index into calls)
    blocking: int | None = None
    #: violation only: states in which the model refused the blocking call
    refused_states: list[S] = field(default_factory=list)
    steps: int = 0
    configurations: int = 0
    #: False when the search stopped at another partition's failure (`first_failure`)
    searched: bool = True


@dataclass
class LinVerdict(Generic[S]):
    """The checker's answer for a whole history: `valid` is True, False, or None (unknown)."""

    model: Model[S]
    valid: bool | None
    partitions: list[PartitionResult[S]]
    dropped_calls: int = 0
    elapsed_s: float = 0.0

    @property
    def outcome(self) -> str:
        return {True: "linearizable", False: "not linearizable", None: "unknown"}[self.valid]

    def failing(self) -> list[PartitionResult[S]]:
        return [p for p in self.partitions if p.valid is False]

    def to_json(self, *, linearization: bool = False) -> dict[str, Any]:
        """A JSON-ready summary. Ops are named by their history `index`."""
        return {
            "valid": "unknown" if self.valid is None else self.valid,
            "model": self.model.name,
            "partitions": len(self.partitions),
            "ops": sum(len(p.calls) for p in self.partitions),
            "failing": [_partition_json(self.model, p) for p in self.failing()],
            "unknown": [p.label for p in self.partitions if p.valid is None and p.searched],
            **(
                {"not_searched": [p.label for p in self.partitions if not p.searched]}
                if any(not p.searched for p in self.partitions)
                else {}
            ),
            **(
                {
                    "linearization": {
                        p.label: [p.calls[i].invoke_index for i in p.order]
                        for p in self.partitions
                        if p.valid
                    }
                }
                if linearization
                else {}
            ),
        }

    def render_text(self) -> str:
        """A human summary: the verdict, then the evidence for every failing partition."""
        model = self.model
        lines = [
            f"linearizability ({model.name}): {self.outcome} — {len(self.partitions)} "
            f"partition(s), {sum(len(p.calls) for p in self.partitions)} operation(s)"
        ]
        for part in self.failing():
            lines.append(f"partition {part.label}: not linearizable")
            lines.append(
                f"  longest linearizable prefix ({len(part.order)} of {len(part.calls)} ops):"
            )
            shown = list(zip(part.order, part.states, strict=True))
            if len(shown) > 20:
                lines.append(f"    … {len(shown) - 20} earlier ops")
                shown = shown[-20:]
            for i, state in shown:
                call = part.calls[i]
                lines.append(
                    f"    [{call.invoke_index}] process {call.process}: "
                    f"{model.describe_call(call)}  ⇒ {model.describe_state(state)}"
                )
            if part.blocking is not None:
                call = part.calls[part.blocking]
                lines.append(
                    f"  cannot place [{call.invoke_index}] process {call.process}: "
                    f"{model.describe_call(call)}"
                )
                for state in part.refused_states:
                    lines.append(f"    refused in state {model.describe_state(state)}")
        unknown = [p.label for p in self.partitions if p.valid is None and p.searched]
        if unknown:
            lines.append(f"timed out (unknown) on partition(s): {', '.join(unknown)}")
        skipped = [p.label for p in self.partitions if not p.searched]
        if skipped:
            lines.append(
                f"stopped at the first failing partition: {len(skipped)} partition(s) not searched"
            )
        return "\n".join(lines)


def _partition_json(model: Model[S], part: PartitionResult[S]) -> dict[str, Any]:
    blocking = None
    if part.blocking is not None:
        call = part.calls[part.blocking]
        blocking = {
            "index": call.invoke_index,
            "process": call.process,
            "op": model.describe_call(call),
            "refused_in_states": [model.describe_state(s) for s in part.refused_states],
        }
    return {
        "partition": part.label,
        "ops": len(part.calls),
        "longest_prefix": [
            {
                "index": part.calls[i].invoke_index,
                "process": part.calls[i].process,
                "op": model.describe_call(part.calls[i]),
                "state": model.describe_state(s),
            }
            for i, s in zip(part.order, part.states, strict=True)
        ],
        "cannot_place": blocking,
    }


def calls_from_history(ops: Sequence[Record]) -> list[Call]:
    """The history as calls: `fail` operations are dropped (they did not happen); `info`
    completions and invocations that never completed become `info` calls.

    `ops` must be validated (`history.read_history` / `validate_ops`); positions are places
    in `ops`, which is the real-time order of the history.
    """
    calls: list[Call] = []
    for op in pair_operations(ops):
        if op.type == "fail":
            continue
        returned = op.type == "ok"
        assert returned or op.ret == NEVER_RETURNED
        calls.append(
            Call(
                process=op.process,
                f=op.f,
                key=op.key,
                status="ok" if returned else "info",
                call_pos=op.call,
                return_pos=int(op.ret) if returned else None,
                invoke=op.invoke,
                completion=op.completion,
            )
        )
    return calls


def check_history(
    model: Model[S],
    ops: Sequence[Record],
    *,
    timeout_s: float | None = None,
    linearization: bool = False,
    first_failure: bool = False,
) -> LinVerdict[S]:
    """`check_calls` on a history of op dicts (Jepsen fields, in real-time order)."""
    with _gc_paused():
        calls = calls_from_history(ops)
    return check_calls(
        model,
        calls,
        timeout_s=timeout_s,
        linearization=linearization,
        first_failure=first_failure,
    )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: the checker allocates millions of short-lived
    objects and no cycles worth collecting before it returns, and each collection would
    rescan the whole history (measured: pairing 100k operations took 2x longer with it)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def check_calls(
    model: Model[S],
    calls: Iterable[Call],
    *,
    timeout_s: float | None = None,
    linearization: bool = False,
    first_failure: bool = False,
) -> LinVerdict[S]:
    """Decide whether `calls` (completed and `info` operations) are linearizable.

    Every partition is searched, even after a violation, so the verdict lists all failing
    partitions — unless `first_failure`: then the search stops at the first failing
    partition (the others are reported as not searched). The timeout is shared by all
    partitions. Raises `ModelInputError` for an operation the model cannot interpret.
    """
    started = time.monotonic()
    deadline = None if timeout_s is None else started + timeout_s
    with _gc_paused():
        return _check_calls(model, calls, deadline, linearization, first_failure, started)


def _check_calls(
    model: Model[S],
    calls: Iterable[Call],
    deadline: float | None,
    linearization: bool,
    first_failure: bool,
    started: float,
) -> LinVerdict[S]:
    compiled: dict[int, StepFn[S]] = {}
    kept: list[Call] = []
    dropped = 0
    for call in calls:
        assert call.status in ("ok", "info"), f"{call.status} calls never reach the search"
        fn = model.compile(call)
        if fn is None:
            dropped += 1
            continue
        compiled[id(call)] = fn
        kept.append(call)
    prepared: list[tuple[str, list[Call], list[StepFn[S]], S]] = []
    for label, group in model.partition(kept):
        group = sorted(group, key=lambda c: c.call_pos)
        given = [compiled[id(c)] for c in group]
        narrowed = model.narrow(group, given)
        assert len(narrowed) == len(group)
        assert all(
            f is g for f, g, c in zip(narrowed, given, group, strict=True) if c.status == "ok"
        )
        fns = [f for f in narrowed if f is not None]
        if len(fns) != len(group):
            dropped += len(group) - len(fns)
            group = [c for c, f in zip(group, narrowed, strict=True) if f is not None]
        prepared.append((label, group, fns, model.init()))
    outcomes = _run_searches(model, prepared, deadline, first_failure)
    results = [
        _partition_result(model, label, group, init, outcome, linearization)
        for (label, group, _, init), outcome in zip(prepared, outcomes, strict=True)
    ]
    if any(r.valid is False for r in results):
        valid: bool | None = False
    elif any(r.valid is None for r in results):
        valid = None
    else:
        valid = True
    return LinVerdict(
        model=model,
        valid=valid,
        partitions=results,
        dropped_calls=dropped,
        elapsed_s=time.monotonic() - started,
    )


def _run_searches(
    model: Model[S],
    prepared: Sequence[tuple[str, list[Call], list[StepFn[S]], S]],
    deadline: float | None,
    first_failure: bool,
) -> list[_Outcome[S]]:
    """Run every partition's search. Without a deadline or `first_failure` they run one
    after the other (one cache alive at a time); otherwise they take turns, a slice of
    CLOCK_CHECK_STEPS steps each, so that a cheap failing partition is found even when
    another one is hard — as Porcupine runs its partitions in parallel."""
    searches = [
        _search(
            init,
            group,
            fns,
            [bool(model.is_read_only(c)) for c in group],
            [bool(model.is_blind(c)) for c in group],
            model.is_exact,
        )
        for _, group, fns, init in prepared
    ]
    outcomes: list[_Outcome[S] | None] = [None] * len(searches)
    steps = [0] * len(searches)
    interleave = deadline is not None or first_failure
    active = list(range(len(searches)))
    while active:
        for i in list(active) if interleave else active[:1]:
            try:
                steps[i] = next(searches[i])
                continue
            except StopIteration as done:
                finished: _Outcome[S] = done.value
            outcomes[i] = finished
            active.remove(i)
            if first_failure and finished.valid is False:
                for k in active:
                    outcomes[k] = _Outcome(None, steps[k], 0, searched=False)
                active.clear()
                break
        if deadline is not None and time.monotonic() > deadline:
            for k in active:
                outcomes[k] = _Outcome(None, steps[k], 0)
            break
    found = [o for o in outcomes if o is not None]
    assert len(found) == len(outcomes), "every search ended, timed out or was skipped"
    return found


def _partition_result(
    model: Model[S],
    label: str,
    calls: Sequence[Call],
    init: S,
    outcome: _Outcome[S],
    want_order: bool,
) -> PartitionResult[S]:
    result = PartitionResult(
        label=label,
        calls=list(calls),
        valid=outcome.valid,
        initial_state=init,
        steps=outcome.steps,
        configurations=outcome.configurations,
        searched=outcome.searched,
    )
    if outcome.valid is True and want_order:
        assert outcome.path is not None
        result.order, result.states = model.linearization(calls, *_unwind(*outcome.path))
    elif outcome.valid is False:
        assert outcome.path is not None
        result.order, result.states = model.linearization(calls, *_unwind(*outcome.path))
        placed = set(result.order)
        pending = [i for i, c in enumerate(calls) if i not in placed and c.return_pos is not None]
        assert pending, "a failed search leaves a completed operation unplaced"
        # The first response among the unplaced calls is the one that blocked the search.
        result.blocking = min(pending, key=lambda i: calls[i].return_pos or 0)
        result.refused_states = list(outcome.refused[result.blocking] or ())
    return result


def _unwind(stack: Frame[S] | None, last_state: S) -> tuple[list[int], list[S]]:
    """(ops, states after each op) from a linked search stack (newest frame first)."""
    order: list[int] = []
    before: list[S] = []
    while stack is not None:
        op, state_before, _base, _rel, _ilin, _kind, stack = stack
        order.append(op)
        before.append(state_before)
    order.reverse()
    before.reverse()
    after = [*before[1:], last_state] if order else []
    return order, after


@dataclass
class _Outcome(Generic[S]):
    valid: bool | None
    steps: int
    configurations: int
    #: (newest frame, state after it): the linearization (valid) or the longest prefix
    #: found (violation); None when the search did not finish
    path: tuple[Frame[S] | None, S] | None = None
    #: per op: the states in which the model refused it (violation only)
    refused: list[list[S] | None] = field(default_factory=list)
    searched: bool = True


def _search(
    init: S,
    calls: Sequence[Call],
    fns: Sequence[StepFn[S]],
    read_only: Sequence[bool],
    blind: Sequence[bool],
    model_exact: Callable[[S], bool],
) -> Generator[int, None, _Outcome[S]]:
    """The WGL search over one partition; `calls` sorted by invocation position.

    A generator: it yields its step count every CLOCK_CHECK_STEPS steps (the caller looks
    at the clock, or lets another partition run) and returns the outcome.

    One long function on purpose: it is the checker's hot loop, with every piece of state
    in a local and no call per step but the model's step function. Frames are `Frame`
    tuples, built and unpacked whole (never indexed)."""
    n = len(calls)
    # Entries: 0 is the head sentinel, then calls and returns in history order, then a tail
    # sentinel that looks like a return (reaching it would mean a bookkeeping bug). An event
    # is encoded as one int, (position * 2 + is_call) * n + op, so that a plain int sort
    # orders them; at equal positions (impossible for distinct history records) a call
    # sorts after a return, so only strictly earlier responses order operations.
    events: list[int] = []
    for op, call in enumerate(calls):
        events.append((call.call_pos * 2 + 1) * n + op)
        if call.return_pos is not None:
            assert call.return_pos > call.call_pos, "a response follows its invocation"
            events.append(call.return_pos * 2 * n + op)
    events.sort()
    size = len(events) + 2
    tail = size - 1
    call_op = [-1] * size  # entry -> op for call entries, -1 for returns and sentinels
    call_entry = [0] * n
    ret_entry = [-1] * n  # op -> its return entry, -1 for info ops
    for e, code in enumerate(events, start=1):
        place, op = divmod(code, n)
        if place & 1:
            call_op[e] = op
            call_entry[op] = e
        else:
            ret_entry[op] = e
    nxt = list(range(1, size + 1))
    prv = list(range(-1, size - 1))
    nxt[tail] = tail
    # Required (completed) ops are numbered in invocation order for the relative bitset;
    # info ops get bits of their own (`ibit`), since they may stay unlinearized forever.
    rid = [-1] * n
    ibit = [0] * n
    required = 0
    info = 0
    for op, call in enumerate(calls):
        if call.return_pos is not None:
            rid[op] = required
            required += 1
        else:
            ibit[op] = 1 << info
            info += 1

    refused: list[list[S] | None] = [None] * n
    cache: set[tuple[int, int, int, S]] = set()
    state = init
    base = rel = ilin = 0  # linearized required ops: all ids < base, plus bits of rel << base
    # `after_info` (bit AFTER_INFO of the key's info part): the last op placed was an info
    # op, so the next one must observe its effect (see `blind` below).
    after_info = 0
    AFTER_INFO = 1 << info
    # frames (`Frame`): (op, state before, base, rel, ilin, kind, parent); kind: FORCED,
    # READ or CHOICE
    stack: Frame[S] | None = None
    depth = best_depth = 0
    best_stack: Frame[S] | None = None
    best_state = init
    remaining = required
    steps = 0
    budget = CLOCK_CHECK_STEPS
    configurations = 0
    add = cache.add
    exact = model_exact
    # Read pass: at each new configuration, first look for a read-only call the state
    # accepts unchanged (its step returns the very state object it was given). Placing it at
    # once is always safe (moving a read that sees the current state to the front of any
    # valid completion keeps it valid), so it is *forced*: the other candidates are not
    # tried, and when it fails the configuration itself is dead. Without this, concurrent
    # writes are tried in every order before the read that rules them out. A read whose step
    # returns another state from a state that is not exact (it resolves a model's symbolic
    # state that stands for several, e.g. kv's unordered appends) is an ordinary choice,
    # tried in the read pass.
    has_reads = any(read_only)
    reading = has_reads
    e = nxt[0]
    while remaining:
        budget -= 1
        if not budget:
            steps += CLOCK_CHECK_STEPS
            budget = CLOCK_CHECK_STEPS
            yield steps
        op = call_op[e]
        dead = False
        if op >= 0:
            if read_only[op] is not reading:
                e = nxt[e]  # reads are tried (only) in the read pass
                continue
            new_state = fns[op](state)
            if new_state is not REJECT:
                j = rid[op]
                if j >= 0:
                    if after_info and blind[op]:
                        e = nxt[e]  # it would hide the info op just placed: never needed
                        continue
                    r2 = rel | (1 << (j - base))
                    if j == base:
                        ones = ((r2 + 1) & ~r2).bit_length() - 1  # trailing ones of r2
                        key = (base + ones, r2 >> ones, ilin & ~AFTER_INFO, new_state)
                    else:
                        key = (base, r2, ilin & ~AFTER_INFO, new_state)
                else:
                    if (after_info and blind[op]) or new_state == state:
                        e = nxt[e]  # an info op without a visible effect is never needed
                        continue
                    # ...and it must be followed by an op that sees its effect: look for
                    # one among the candidates now, before making a configuration of it
                    x = nxt[0]
                    xo = call_op[x]
                    while xo >= 0 and (xo == op or blind[xo] or fns[xo](new_state) is REJECT):
                        x = nxt[x]
                        xo = call_op[x]
                    if xo < 0:
                        e = nxt[e]
                        continue
                    key = (base, rel, ilin | ibit[op], new_state)
                    if key in cache:
                        e = nxt[e]  # the same without the restriction was already reached
                        continue
                    key = (base, rel, ilin | ibit[op] | AFTER_INFO, new_state)
                add(key)  # one hash: a new configuration is one that grew the cache
                if reading:
                    kind = FORCED if new_state is state or exact(state) else READ
                else:
                    kind = CHOICE
                if len(cache) != configurations:
                    configurations += 1
                    stack = (op, state, base, rel, ilin, kind, stack)
                    base, rel, ilin, state = key
                    after_info = ilin & AFTER_INFO
                    p, q = prv[e], nxt[e]
                    nxt[p] = q
                    prv[q] = p
                    r = ret_entry[op]
                    if r >= 0:
                        p, q = prv[r], nxt[r]
                        nxt[p] = q
                        prv[q] = p
                        remaining -= 1
                    depth += 1
                    if depth > best_depth:
                        best_depth, best_stack, best_state = depth, stack, state
                    reading = has_reads
                    e = nxt[0]
                    continue
                if kind is not FORCED:
                    e = nxt[e]
                    continue
                # A forced read leads to a configuration already explored (and failed):
                # this configuration is dead too.
                dead = True
            else:
                seen = refused[op]
                if seen is None:
                    refused[op] = [state]
                elif len(seen) < REFUSED_STATES_MAX and state not in seen:
                    seen.append(state)
                e = nxt[e]
                continue
        elif reading:
            # The read pass reached the first return: no read is forced; now try the rest.
            reading = False
            e = nxt[0]
            continue
        assert dead or e != tail, "the first return entry always precedes the tail"
        # Backtrack: undo the last choice, and keep undoing while the choice was forced.
        kind = FORCED
        while kind is FORCED:
            if stack is None:
                return _Outcome(
                    False,
                    steps + CLOCK_CHECK_STEPS - budget,
                    configurations,
                    path=(best_stack, best_state),
                    refused=refused,
                )
            op, state, base, rel, ilin, kind, stack = stack
            depth -= 1
            r = ret_entry[op]
            if r >= 0:
                nxt[prv[r]] = r
                prv[nxt[r]] = r
                remaining += 1
            e = call_entry[op]
            nxt[prv[e]] = e
            prv[nxt[e]] = e
        after_info = ilin & AFTER_INFO
        e = nxt[e]
        reading = kind is READ  # a read choice resumes the read pass after itself
    return _Outcome(True, steps + CLOCK_CHECK_STEPS - budget, configurations, path=(stack, state))
