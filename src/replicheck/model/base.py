"""The sequential-specification interface that the linearizability checker searches against.

A model is a plain record of functions in the spirit of Porcupine: an initial state, a step
function, a partition of the history into independent sub-histories, and two descriptions for
humans. States must be hashable, and equal states must compare equal: the checker caches
(linearized set, state) pairs, so a state that hashes by accident of construction (for example
a mutable list) would silently disable pruning or, worse, merge different states.

The checker calls `compile(call)` once per completed operation and then applies the returned
function many times during the search; built-in models do all parsing and validation there so
that the hot loop is a single call per attempted step.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum, EnumMeta
from typing import Any, Final, Generic, TypeAlias, TypeVar

#: a search state: any hashable value whose equality is the model's notion of "same state"
State: TypeAlias = Hashable
#: the state type of one model (kv's pending appends, log's trie nodes, a frozen JSON value)
S = TypeVar("S", bound=Hashable)
#: a history record as read: a JSON object (Jepsen's fields plus whatever a model defines)
Record: TypeAlias = dict[str, Any]


class _OneValue(EnumMeta):
    """`Reject()` is the one value, as it was when the sentinel was a plain singleton class."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if not args and not kwargs:
            return cls.__members__["REJECT"]
        return super().__call__(*args, **kwargs)


class Reject(Enum, metaclass=_OneValue):
    """The one value a step function returns when the operation is not allowed in that state.

    A sentinel (rather than `None` or a `(bool, state)` tuple) because `None` is a legitimate
    state (an unwritten register) and a tuple per attempted step costs an allocation in the
    checker's hot loop. An enum of one member so that `x is REJECT` narrows `S | Reject` to
    `S` for the type checker at the cost of a plain identity test.
    """

    REJECT = "REJECT"

    def __repr__(self) -> str:
        return "REJECT"


REJECT: Final = Reject.REJECT

#: what a model compiles a call to: state -> next state, or REJECT
StepFn: TypeAlias = Callable[[S], S | Reject]


class ModelInputError(ValueError):
    """An operation the model cannot interpret (wrong `f`, ill-typed value, missing offset).

    Carries the position in the history of the offending record (invocation or completion)
    so that the caller can name file and line.
    """

    def __init__(self, position: int | None, reason: str) -> None:
        super().__init__(reason)
        self.position = position
        self.reason = reason


@dataclass(slots=True, eq=False)
class Call:
    """One operation as the linearizability checker sees it: an invocation and its outcome.

    `status` is `"ok"` (it happened, between `call_pos` and `return_pos`) or `"info"` (it may
    have happened at any time after `call_pos`, or never; `return_pos` is `None`, meaning
    +infinity). Failed operations never become calls: they definitely did not happen.
    Positions are places in the history (0-based); `index` fields, where the history has
    them, are what reports show.
    `invoke` and `completion` are the original history records, so a model can read any extra
    field it defines (for example `offset` in the log model). Treat calls as read-only; they
    compare by identity (not frozen only because a frozen dataclass costs four times as much
    to build, which shows on million-operation histories).
    """

    process: Any
    f: str
    key: Any
    status: str
    call_pos: int
    return_pos: int | None
    invoke: Record = field(repr=False)
    completion: Record | None = field(repr=False)

    @property
    def invoke_value(self) -> Any:
        return self.invoke.get("value")

    @property
    def value(self) -> Any:
        """The completion's value (what a read saw); the invocation's when there is none."""
        if self.completion is not None and self.status == "ok":
            return self.completion.get("value")
        return self.invoke.get("value")

    @property
    def invoke_index(self) -> int:
        return int(self.invoke.get("index", self.call_pos))

    @property
    def completion_index(self) -> int | None:
        if self.completion is None:
            return None
        index = self.completion.get("index", self.return_pos)
        return None if index is None else int(index)


class Model(ABC, Generic[S]):
    """A sequential specification: what a single, atomic copy of the system would do.

    Generic in its state type `S`; the checker never looks inside a state (it hashes,
    compares and describes states only through the model)."""

    #: the name used on the command line (`--model NAME`)
    name: str = ""

    @abstractmethod
    def init(self) -> S:
        """The state before any operation (called once per partition)."""

    def step(self, state: S, call: Call) -> tuple[bool, S]:
        """Apply `call` to `state`: (allowed, next state). Defined via `compile` by default."""
        fn = self.compile(call)
        if fn is None:
            return True, state
        new_state = fn(state)
        if new_state is REJECT:
            return False, state
        return True, new_state

    def compile(self, call: Call) -> StepFn[S] | None:
        """A function state -> next state (or `REJECT`) for this call; `None` if the call
        cannot constrain anything (an `info` read) and may be dropped.

        Subclasses that implement `step` directly get this default; built-in models override
        it because a closure per call keeps the search loop free of dispatch on `f`.
        """
        if type(self).step is Model.step:
            raise NotImplementedError(f"model {self.name!r} must implement step() or compile()")

        def apply(state: S) -> S | Reject:
            allowed, new_state = self.step(state, call)
            return new_state if allowed else REJECT

        return apply

    def partition(self, calls: Sequence[Call]) -> list[tuple[str, list[Call]]]:
        """Independent sub-histories (P-compositionality): by default one per `key`.

        Labels are strings (for reports); the order is the order of first appearance, so
        the result is deterministic.
        """
        groups: dict[Any, list[Call]] = {}
        for call in calls:
            groups.setdefault(_hashable_key(call.key), []).append(call)
        return [(_label(key), group) for key, group in groups.items()]

    def is_read_only(self, call: Call) -> bool:
        """True if `call` never changes the state: its step returns the state it was given
        (or `REJECT`). The search places such a call as soon as the state fits it, without
        trying alternatives first — sound only if this is true in *every* state. Default:
        False (always correct, sometimes much slower)."""
        return False

    def is_exact(self, state: S) -> bool:
        """False if `state` is symbolic and stands for several plain states (kv's unordered
        pending appends): a read that accepts it then picks one of them, so the search
        cannot place that read at once without trying the alternatives. Default: True."""
        return True

    def is_blind(self, call: Call) -> bool:
        """True if `call` overwrites the state without looking at it: its step accepts every
        state and returns the same state for all of them (a register write, a kv put). An
        `info` call placed just before a blind call has no visible effect, so the search never
        places one there — sound only if this is true in *every* state. Default: False."""
        return False

    def unobservable(self, calls: Sequence[Call]) -> set[int]:
        """Indices of `info` calls in `calls` (one partition) whose effect no completed
        operation could ever observe, so the search may leave them out.

        Soundness requirement: removing such a call from any legal sequential order must leave
        it legal. The search is correct without this hook (the default drops nothing); it
        exists because a pending `info` call is a candidate at every later step, which makes
        histories with many timed-out writes quadratic.
        """
        return set()

    def narrow(self, calls: Sequence[Call], fns: Sequence[StepFn[S]]) -> list[StepFn[S] | None]:
        """The step functions to search one partition with (`fns[i]` belongs to `calls[i]`):
        `None` leaves an `info` call out; a replacement may refuse more states.

        The same soundness requirement as `unobservable`, which the default applies: only an
        `info` call may be changed, and only where placing it can never be needed for a
        legal order. Completed calls must keep their functions.
        """
        drop = self.unobservable(calls)
        return [None if i in drop else fn for i, fn in enumerate(fns)]

    def linearization(
        self, calls: Sequence[Call], order: Sequence[int], states: Sequence[S]
    ) -> tuple[list[int], list[S]]:
        """The order to report for a linearization (or longest prefix) the search found:
        `order` (indices into `calls`) and `states[i]`, the search's state after `order[i]`.

        A model whose search states are symbolic (kv's unordered pending appends) turns them
        back into plain states here, after the verdict; the default reports them as found.
        """
        return list(order), list(states)

    def describe_call(self, call: Call) -> str:
        """One line for humans, e.g. `write 3` or `read -> 3`."""
        if call.status == "ok" and call.completion is not None:
            return f"{call.f} {call.invoke_value!r} -> {call.value!r}"
        return f"{call.f} {call.invoke_value!r} (info)"

    def describe_state(self, state: S) -> str:
        """One line for humans."""
        return repr(state)


def _hashable_key(key: Any) -> Hashable:
    return freeze(key)


def _label(key: Any) -> str:
    if key is None:
        return "(no key)"
    if isinstance(key, str):
        return key
    return describe_value(key)


class JsonBool:
    """A JSON boolean that does not compare equal to 1 or 0 (Python's `True == 1`)."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JsonBool) and other.value == self.value

    def __hash__(self) -> int:
        return hash(("json-bool", self.value))

    def __repr__(self) -> str:
        return "true" if self.value else "false"


def freeze(value: Any) -> Hashable:
    """A hashable, equality-faithful form of a JSON value: lists become tuples, objects become
    sorted item tuples, booleans stop being equal to 1 and 0."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return JsonBool(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    if isinstance(value, dict):
        return ("{}", *sorted((str(k), freeze(v)) for k, v in value.items()))
    if isinstance(value, Hashable):
        return value
    raise TypeError(f"cannot use {type(value).__name__} as a model value")


def describe_value(value: Any, limit: int = 80) -> str:
    """Short JSON-ish rendering of a (possibly frozen) value for messages and reports."""
    if value is None:
        text = "null"
    elif isinstance(value, str):
        text = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    elif isinstance(value, tuple):
        if value and value[0] == "{}":
            text = "{" + ", ".join(f"{k}: {describe_value(v, limit)}" for k, v in value[1:]) + "}"
        else:
            text = "[" + ", ".join(describe_value(v, limit) for v in value) + "]"
    elif isinstance(value, list):
        text = "[" + ", ".join(describe_value(v, limit) for v in value) + "]"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = repr(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def check_f(call: Call, allowed: Iterable[str], model: str) -> None:
    """Reject an `f` the model does not define, naming the op's history index."""
    if call.f not in allowed:
        allowed = tuple(allowed)
        raise ModelInputError(
            call.call_pos,
            f"model {model!r} has no operation {call.f!r} (expected one of {', '.join(allowed)})",
        )
