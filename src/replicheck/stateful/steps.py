"""The step vocabulary of the reference cluster: one table entry per kind of step.

A scenario is a list of `Step`s (plain data: a kind and JSON-ready arguments). Everything a
kind means lives in its `StepKind` entry, and every reader takes it from there:

- its arguments, typed, with ranges checked against the case's configuration (a broker,
  partition, client or node must exist; a tick lasts at least 1 ms; a delay range is
  ordered) -- read by case-file validation (`report.case_fields`);
- how it applies to the cluster and what it answers (the outcome's head) -- read by the
  scenario `Executor` through the target (`stateful.target.ClusterTarget`);
- how it reads in an incident report (`describe`) -- the user interface of a failure;
- whether it is a fault (a describe snapshot follows it; the report marks it), the swarm
  family that enables it in a campaign, the step that undoes it (the minimizer deletes the
  pair), and the cluster event it leaves behind (the report's timeline places it there);
- how much simulated time it may take (case files are bounded per step and per case).

Adding a step kind is one entry in `STEPS`: a fault without arguments joins the campaign's
menu through its `family` and `campaign_weight`; one the campaign should aim (at the
leader, a follower, a link) also gets a menu line in `stateful.machine`. The table's order
is the documented order of kinds.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from replicheck.impl import Cluster, ClusterConfig

#: JSON-ready step arguments (values are JSON scalars, or lists of lists of node names).
Args = Mapping[str, Any]

#: simulated time one step may take (a tick, or a send/poll waiting for its answer)
MAX_STEP_MS = 600_000
#: simulated time all steps of one case may take together
MAX_RUN_MS = 3_600_000
#: client processes the campaign drives (history `process` 0..CLIENT_COUNT-1); the final
#: read after healing is done by one more, fresh process so its ops never interleave
CLIENT_COUNT = 3
FINAL_READ_PROCESS = CLIENT_COUNT
#: steps without `wait_ms` (older case files) wait until the request timeout has
#: certainly fired: request_timeout_ms plus this slack
WAIT_SLACK_MS = 50


def default_wait_ms(config: ClusterConfig) -> int:
    """What a send or poll without `wait_ms` waits for its answer."""
    return config.request_timeout_ms + WAIT_SLACK_MS


# -- arguments ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bounds:
    """What step arguments are checked against: the case's cluster and its clients."""

    broker_count: int
    partition_count: int
    clients: int
    default_wait_ms: int

    @staticmethod
    def of(config: ClusterConfig, clients: int = CLIENT_COUNT) -> Bounds:
        return Bounds(config.broker_count, config.partition_count, clients, default_wait_ms(config))

    @property
    def nodes(self) -> frozenset[str]:
        """Node names a partition may list (the final-read client `c<clients>` included)."""
        names = {f"b{b}" for b in range(1, self.broker_count + 1)}
        names |= {f"c{c}" for c in range(self.clients + 1)} | {"controller"}
        return frozenset(names)


#: why a value is not acceptable for an argument (None if it is)
Check = Callable[[object, Args, Bounds], "str | None"]
#: a bound that may depend on the configuration or on the step's other arguments
Limit = int | Callable[[Bounds, Args], int]


def shown(value: object) -> str:
    """A value as the user wrote it, cut short (error messages quote it)."""
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= 60 else text[:57] + "..."


def is_int(value: object) -> bool:
    """A JSON integer (booleans are not integers, 1.0 is not an integer)."""
    return type(value) is int


def int_problem(
    value: object, lo: int, hi: int | None = None, what: str = "an integer"
) -> str | None:
    """Why `value` is not an integer in [lo, hi], or None."""
    if isinstance(value, int) and is_int(value) and value >= lo and (hi is None or value <= hi):
        return None
    if hi is None:
        return f"expected {what} ≥ {lo}, got {shown(value)}"
    return f"expected {what} between {lo} and {hi}, got {shown(value)}"


def _limit(limit: Limit | None, bounds: Bounds, args: Args) -> int | None:
    return limit(bounds, args) if callable(limit) else limit


def integer(lo: Limit, hi: Limit | None, what: str) -> Check:
    """An integer argument within [lo, hi] (either may depend on the configuration)."""

    def check(value: object, args: Args, bounds: Bounds) -> str | None:
        low = _limit(lo, bounds, args)
        assert low is not None
        return int_problem(value, low, _limit(hi, bounds, args), what)

    return check


def text(value: object, args: Args, bounds: Bounds) -> str | None:
    return None if type(value) is str else f"expected a string, got {shown(value)}"


def flag(value: object, args: Args, bounds: Bounds) -> str | None:
    return None if type(value) is bool else f"expected true or false, got {shown(value)}"


def probability(value: object, args: Args, bounds: Bounds) -> str | None:
    if isinstance(value, int | float) and type(value) in (int, float) and 0 <= value <= 1:
        return None
    return f"expected a probability between 0 and 1, got {shown(value)}"


def node_groups(value: object, args: Args, bounds: Bounds) -> str | None:
    if type(value) is not list or not all(
        type(g) is list and all(type(n) is str for n in g) for g in value
    ):
        return f"expected a list of lists of node names, got {shown(value)}"
    for group in value:
        for node in group:
            if node not in bounds.nodes:
                known = f"b1..b{bounds.broker_count}, c0..c{bounds.clients}, controller"
                return f"unknown node {shown(node)} (this case has {known})"
    return None


def node(value: object, args: Args, bounds: Bounds) -> str | None:
    if type(value) is not str or value not in bounds.nodes:
        known = f"b1..b{bounds.broker_count}, c0..c{bounds.clients}, controller"
        return f"expected a node name ({known}), got {shown(value)}"
    return None


def _other_node(value: object, args: Args, bounds: Bounds) -> str | None:
    if value == args.get("src"):
        return "a slow link joins two different nodes (dst equals src)"
    return node(value, args, bounds)


@dataclass(frozen=True)
class Arg:
    """One named argument of a step kind; an unlisted argument is an error (a typo)."""

    name: str
    check: Check
    required: bool = True


def _delay_floor(bounds: Bounds, args: Args) -> int:
    lo = args.get("delay_lo_ms")
    return lo if isinstance(lo, int) and is_int(lo) and lo >= 1 else 1


PROCESS = Arg("process", integer(0, lambda b, a: b.clients - 1, "a client process"))
PARTITION = Arg("partition", integer(0, lambda b, a: b.partition_count - 1, "a partition number"))
BROKER = Arg("broker", integer(1, lambda b, a: b.broker_count, "a broker id"))
WAIT = Arg("wait", flag, required=False)
WAIT_MS = Arg("wait_ms", integer(0, MAX_STEP_MS, "a number of ms"), required=False)


# -- how steps read -------------------------------------------------------------------------
def _node_sort_key(node: str) -> tuple[int, int, str]:
    if node.startswith("b") and node[1:].isdigit():
        return (0, int(node[1:]), node)
    if node.startswith("c") and node[1:].isdigit():
        return (1, int(node[1:]), node)
    return (2, 0, node)


def format_groups(groups: Iterable[Iterable[str]]) -> str:
    """`{b1, c0} | {b2, b3, controller}`."""
    return " | ".join("{" + ", ".join(sorted(g, key=_node_sort_key)) + "}" for g in groups)


def _describe_send(a: Args, topic: str) -> str:
    key = f"{topic}-{a['partition']}"
    if a.get("wait", True):
        return f"client {a['process']} sends {a['message']} to {key}"
    return f"client {a['process']} starts sending {a['message']} to {key} (does not wait)"


def _describe_partition(a: Args, topic: str) -> str:
    described = f"network splits {format_groups(a['groups'])}"
    return described + f" ({a['note']})" if a.get("note") else described


def _describe_message_faults(a: Args, topic: str) -> str:
    loss = float(a["loss"])
    lo, hi = a["delay_lo_ms"], a["delay_hi_ms"]
    delay = f"{lo} ms" if lo == hi else f"{lo}–{hi} ms"
    if loss == 0:
        return f"network stops dropping messages; delay {delay}"
    return f"network drops {loss:.0%} of messages; delay {delay}"


def _describe_slow_link(a: Args, topic: str) -> str:
    if a["extra_ms"] == 0:
        return f"the link {a['src']} → {a['dst']} is fast again"
    return f"the link {a['src']} → {a['dst']} slows down by {a['extra_ms']} ms"


def _fixed(wording: str) -> Callable[[Args, str], str]:
    """Wording with `{broker}` (or nothing) filled in from the arguments."""
    return lambda a, topic: wording.format(**a)


# -- how steps apply ------------------------------------------------------------------------
def render_records(records: Sequence[Sequence[Any]], limit: int = 6) -> str:
    listed = ", ".join(f"{message}@{offset}" for offset, message in records[:limit])
    if len(records) > limit:
        listed += f", … ({len(records)} records)"
    return listed or "nothing"


def render_completion(op: Mapping[str, Any]) -> str:
    """`ok at offset 3`, `ok: m1@0, m2@1`, `fail NOT_LEADER`, `info timeout (outcome unknown)`."""
    if op["type"] == "ok":
        if op["f"] == "send":
            return f"ok at offset {op.get('offset')}"
        return f"ok: {render_records(op.get('value') or [])}"
    if op["type"] == "fail":
        return f"fail {op.get('error', '')}".rstrip()
    return f"info {op.get('error', '')} (outcome unknown)".rstrip()


def _completion_of(cluster: Cluster, process: int, since_index: int) -> Mapping[str, Any] | None:
    op: Mapping[str, Any]
    for op in reversed(cluster.history[since_index:]):
        if op["process"] == process and op["type"] != "invoke":
            return op
    return None


def _client_op(cluster: Cluster, a: Args, start: Callable[[int, str], None]) -> str:
    """Start client `process`'s operation, wait for it (bounded by `wait_ms`), say how it
    ended; a client with an operation in flight skips the step."""
    own = a["process"]
    if not cluster.is_idle(own):
        return f"skipped: client {own} is busy"
    history_from = len(cluster.history)
    start(own, cluster.config.partition_key(a["partition"]))
    head = "ok"
    bound_ms = int(a.get("wait_ms", default_wait_ms(cluster.config)))
    if a.get("wait", True) and not cluster.run_until_idle(own, bound_ms):
        head = f"still in flight after {bound_ms} ms"
    op = _completion_of(cluster, own, history_from)
    if op is not None:
        return render_completion(op)
    return "in flight" if head == "ok" else head


def _apply_send(cluster: Cluster, a: Args) -> str:
    return _client_op(cluster, a, lambda own, key: cluster.send(own, key, a["message"]))


def _apply_poll(cluster: Cluster, a: Args) -> str:
    return _client_op(cluster, a, lambda own, key: cluster.poll(own, key, a["offset"]))


def _apply_tick(cluster: Cluster, a: Args) -> str:
    assert a["ms"] > 0
    cluster.tick(a["ms"])
    return "ok"


def _apply_crash(cluster: Cluster, a: Args) -> str:
    if not cluster.is_live(a["broker"]):
        return f"skipped: broker {a['broker']} is already down"
    cluster.crash(a["broker"])
    return "ok"


def _apply_restart(cluster: Cluster, a: Args) -> str:
    if cluster.is_live(a["broker"]):
        return f"skipped: broker {a['broker']} is running"
    cluster.restart(a["broker"])
    return "ok"


def _apply_message_faults(cluster: Cluster, a: Args) -> str:
    cluster.set_message_loss(float(a["loss"]))
    cluster.set_message_delay_ms(a["delay_lo_ms"], a["delay_hi_ms"])
    return "ok"


def _always(action: Callable[[Cluster, Args], object]) -> Callable[[Cluster, Args], str]:
    """A step that always applies and answers `ok`."""

    def apply(cluster: Cluster, a: Args) -> str:
        action(cluster, a)
        return "ok"

    return apply


def _waited_ms(a: Args, bounds: Bounds) -> int:
    if not a.get("wait", True):
        return 0
    waited = a.get("wait_ms", bounds.default_wait_ms)
    assert isinstance(waited, int)
    return waited


def _ticked_ms(a: Args, bounds: Bounds) -> int:
    ticked = a["ms"]
    assert isinstance(ticked, int)
    return ticked


# -- the table ------------------------------------------------------------------------------
@dataclass(frozen=True)
class StepKind:
    """Everything one kind of step means (see the module docstring for who reads what)."""

    name: str
    args: tuple[Arg, ...]
    apply: Callable[[Cluster, Args], str]  # run it; the outcome's head ("ok", "skipped: …")
    describe: Callable[[Args, str], str]  # (args, topic) → a line of an incident report
    fault: bool = False  # a describe snapshot follows it; reports mark it as a fault
    family: str | None = None  # the campaign's swarm family that enables it (None: always)
    event: str | None = None  # the cluster event one applied step leaves (the timeline)
    undo: tuple[str, str | None] | None = None  # (undoing kind, the argument that must match)
    client: bool = False  # client `process`'s own operation (not a side effect of the step)
    #: base weight in the campaign's menu for a fault without arguments that no aimed menu
    #: action injects: it joins the menu as a plain action (0: the campaign does not use it)
    campaign_weight: int = 0
    time_ms: Callable[[Args, Bounds], int] = field(default=lambda a, b: 0)

    def __post_init__(self) -> None:
        names = [arg.name for arg in self.args]
        assert len(set(names)) == len(names), f"{self.name}: an argument is listed twice"
        assert not self.client or "process" in names, f"{self.name}: a client step names it"
        assert not self.campaign_weight or (self.fault and self.family and not self.args), (
            f"{self.name}: only a fault of a swarm family without arguments joins the menu plainly"
        )

    def problem(self, args: Args, bounds: Bounds) -> tuple[str, str] | None:
        """(argument name, problem) for the first bad argument, or None."""
        allowed = {arg.name: arg for arg in self.args}
        for name in args:
            if name not in allowed:
                expected = ", ".join(allowed) or "none"
                return name, f"unknown argument for a {self.name} step (expected: {expected})"
        for arg in self.args:
            if arg.required and arg.name not in args:
                return arg.name, f"missing: a {self.name} step needs it"
        for name, value in args.items():
            problem = allowed[name].check(value, args, bounds)
            if problem:
                return name, problem
        return None


STEPS: tuple[StepKind, ...] = (
    StepKind(
        "send",
        (PROCESS, PARTITION, Arg("message", text), WAIT, WAIT_MS),
        _apply_send,
        _describe_send,
        client=True,
        time_ms=_waited_ms,
    ),
    StepKind(
        "poll",
        (PROCESS, PARTITION, Arg("offset", integer(0, None, "an offset")), WAIT, WAIT_MS),
        _apply_poll,
        lambda a, topic: (
            f"client {a['process']} polls {topic}-{a['partition']} from offset {a['offset']}"
        ),
        client=True,
        time_ms=_waited_ms,
    ),
    StepKind(
        "tick",
        (Arg("ms", integer(1, MAX_STEP_MS, "a number of ms")),),
        _apply_tick,
        _fixed("time passes {ms} ms"),
        time_ms=_ticked_ms,
    ),
    StepKind(
        "crash",
        (BROKER,),
        _apply_crash,
        _fixed("broker {broker} crashes (process killed; page cache survives)"),
        fault=True,
        family="crash",
        event="crash",
        undo=("restart", "broker"),
    ),
    StepKind(  # also valid for a crashed broker: its page cache goes
        "power-loss",
        (BROKER,),
        _always(lambda c, a: c.power_loss(a["broker"])),
        _fixed("broker {broker} loses power (unflushed writes are gone)"),
        fault=True,
        family="power",
        event="power-loss",
        undo=("restart", "broker"),
    ),
    StepKind(  # like a power loss, and fsynced data goes too
        "replace-disk",
        (BROKER,),
        _always(lambda c, a: c.replace_disk(a["broker"])),
        _fixed("broker {broker} stops and its disk is replaced (empty logs)"),
        fault=True,
        family="power",
        event="replace-disk",
        undo=("restart", "broker"),
    ),
    StepKind(
        "restart",
        (BROKER,),
        _apply_restart,
        _fixed("broker {broker} restarts"),
        fault=True,
        event="restart",
    ),
    StepKind(
        "partition",
        (Arg("groups", node_groups), Arg("note", text, required=False)),
        _always(lambda c, a: c.partition([list(g) for g in a["groups"]])),
        _describe_partition,
        fault=True,
        family="partition",
        event="partition",
        undo=("heal", None),
    ),
    StepKind(
        "heal",
        (),
        _always(lambda c, a: c.heal()),
        _fixed("network heals"),
        fault=True,
        event="heal",
    ),
    StepKind(
        "message-faults",
        (
            Arg("loss", probability),
            Arg("delay_lo_ms", integer(1, MAX_STEP_MS, "a delay in ms")),
            Arg("delay_hi_ms", integer(_delay_floor, MAX_STEP_MS, "a delay in ms (≥ delay_lo_ms)")),
        ),
        _apply_message_faults,
        _describe_message_faults,
        fault=True,
        family="network",
        event="message-faults",
        undo=("message-faults", None),
    ),
    StepKind(
        "controller-failover",
        (),
        _always(lambda c, a: c.controller_failover()),
        _fixed("controller fails over (a new controller takes over)"),
        fault=True,
        family="controller",
        event="controller-failover",
    ),
    StepKind(
        "elect-preferred",
        (),
        _always(lambda c, a: c.elect_preferred_leaders()),
        _fixed("preferred-leader election runs"),
        fault=True,
        family="preferred",
    ),
    StepKind(  # one direction of one link; extra_ms 0 makes it fast again
        "slow-link",
        (
            Arg("src", node),
            Arg("dst", _other_node),
            Arg("extra_ms", integer(0, MAX_STEP_MS, "a delay in ms")),
        ),
        _always(lambda c, a: c.set_link_delay_ms(a["src"], a["dst"], a["extra_ms"])),
        _describe_slow_link,
        fault=True,
        family="network",
        event="slow-link",
        undo=("slow-link", "src"),
    ),
)


class Vocabulary(Mapping[str, StepKind]):
    """The step kinds by name, in table order, with the sets readers derive from them."""

    def __init__(self, kinds: Sequence[StepKind]) -> None:
        self._kinds = {kind.name: kind for kind in kinds}
        assert len(self._kinds) == len(kinds), "step kind names are unique"
        self.names: tuple[str, ...] = tuple(self._kinds)
        self.fault_kinds = frozenset(k.name for k in kinds if k.fault)
        #: the swarm's fault families in table order (the campaign draws subsets of them)
        self.families: tuple[str, ...] = tuple(
            dict.fromkeys(k.family for k in kinds if k.family is not None)
        )
        #: fault step kind → the cluster event it leaves behind
        self.events = {k.name: k.event for k in kinds if k.event is not None}

    def __getitem__(self, name: str) -> StepKind:
        return self._kinds[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)

    def unknown(self, kind: str) -> str:
        return f'unknown step "{kind}" (known: {", ".join(self.names)})'

    def steps_problem(self, steps: Sequence[Mapping[str, Any]], bounds: Bounds) -> str | None:
        """The first bad step of a list (`steps[N].args.NAME: ...`), or None: unknown kinds,
        unknown, missing or out-of-range arguments, and more than MAX_RUN_MS in total."""
        total_ms = 0
        for number, step in enumerate(steps):
            kind = self._kinds.get(step["kind"])
            if kind is None:
                return f"steps[{number}].kind: {self.unknown(step['kind'])}"
            found = kind.problem(step["args"], bounds)
            if found:
                name, problem = found
                return f"steps[{number}].args.{name}: {problem}"
            total_ms += kind.time_ms(step["args"], bounds)
            if total_ms > MAX_RUN_MS:
                return (
                    f"steps[{number}]: the steps so far take {total_ms} simulated ms; "
                    f"a case may take at most {MAX_RUN_MS}"
                )
        return None


VOCABULARY = Vocabulary(STEPS)
STEP_KINDS = VOCABULARY.names
#: steps after which a describe snapshot is taken (they change who leads or who can talk)
FAULT_KINDS = VOCABULARY.fault_kinds


@dataclass(frozen=True)
class Step:
    """One thing that happens to the cluster: a client op, a fault, or time passing."""

    kind: str
    args: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        assert self.kind in VOCABULARY, f"unknown step kind {self.kind!r}"
        assert isinstance(self.args, dict)

    def describe(self, topic: str = "orders") -> str:
        """The step as a line of a Kafka incident report."""
        return describe_step(self, topic)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "args": dict(self.args)}

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Step:
        return Step(kind=data["kind"], args=dict(data.get("args", {})))

    def __repr__(self) -> str:  # Hypothesis prints machine state; keep it readable
        return f"Step({self.describe()!r})"


def describe_step(step: Step, topic: str = "orders") -> str:
    """Human wording for every step kind (the user interface of a failure)."""
    return VOCABULARY[step.kind].describe(step.args, topic)
