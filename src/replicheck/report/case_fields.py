"""Field-by-field validation of a case file's `config` and `steps`, before anything runs.

A case file comes from a user's disk, possibly hand-edited, so every field is checked for
its JSON type (a JSON boolean is not the string "no", an integer is not 3.5), its range,
and — for step arguments — against the case's own configuration (the broker, partition
or node a step names must exist). Simulated time is bounded per step and per run: a
`tick` of 10**9 ms would otherwise run for hours, which looks like a hang. Each problem
is one message naming the field, e.g. `config.broker_count: expected an integer ≥ 1,
got 3.5`; `report.case` wraps it in a `CaseError` with the file name.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

#: simulated time one step may take (a tick, or a send/poll waiting for its answer)
MAX_STEP_MS = 600_000
#: simulated time all steps of one case may take together
MAX_RUN_MS = 3_600_000
#: the largest cluster a case may describe (the campaign uses 3 brokers)
MAX_BROKERS = 32
MAX_PARTITIONS = 64
#: per-request record limits and timings beyond these are not a Kafka configuration
MAX_RECORDS = 1_000_000
MAX_TIMING_MS = MAX_STEP_MS

_CHOICES = {"acks": ("0", "1", "all"), "flush": ("every-append", "interval", "none")}
_UPPER = {"broker_count": MAX_BROKERS, "partition_count": MAX_PARTITIONS,
          "retries": 2**31 - 1}
_LOWER = {"retries": 0}


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= 60 else text[:57] + "..."


def is_int(value: Any) -> bool:
    """A JSON integer (booleans are not integers, 1.0 is not an integer)."""
    return type(value) is int


def int_problem(value: Any, lo: int, hi: int | None = None, what: str = "an integer") -> str | None:
    """Why `value` is not an integer in [lo, hi], or None."""
    if is_int(value) and value >= lo and (hi is None or value <= hi):
        return None
    if hi is None:
        return f"expected {what} ≥ {lo}, got {_shown(value)}"
    return f"expected {what} between {lo} and {hi}, got {_shown(value)}"


def config_problem(config: dict[str, Any]) -> str | None:
    """The first problem of a case's `config` object (None if `ClusterConfig` can take it)."""
    from replicheck.impl import ClusterConfig
    from replicheck.impl.flags import KNOWN_FLAGS

    known = {f.name: str(f.type) for f in fields(ClusterConfig)}
    unknown = sorted(set(config) - set(known))
    if unknown:
        return f"config: unknown field(s): {', '.join(unknown)}"
    for name, kind in known.items():
        if name not in config:
            continue
        value = config[name]
        where = f"config.{name}"
        if kind == "int":
            upper = _UPPER.get(name, MAX_RECORDS if "records" in name else MAX_TIMING_MS)
            if name == "replication_factor":
                upper = config.get("broker_count", ClusterConfig.broker_count)
                upper = upper if is_int(upper) else MAX_BROKERS
            problem = int_problem(value, _LOWER.get(name, 1), upper)
        elif kind == "bool":
            problem = (
                None if type(value) is bool else f"expected true or false, got {_shown(value)}"
            )
        elif name in _CHOICES:
            choices = _CHOICES[name]
            problem = (
                None
                if value in choices and type(value) is str
                else f"expected one of {', '.join(choices)}, got {_shown(value)}"
            )
        elif kind == "str":
            problem = (
                None
                if type(value) is str and value and not any(c.isspace() for c in value)
                else f"expected a non-empty name without spaces, got {_shown(value)}"
            )
        elif name == "flaws":
            if type(value) is not list or not all(type(v) is str for v in value):
                problem = f"expected a list of flaw flag names, got {_shown(value)}"
            else:
                bad = sorted(set(value) - KNOWN_FLAGS)
                problem = f"unknown flaw flag(s): {', '.join(bad)}" if bad else None
        else:  # pragma: no cover - a new ClusterConfig field needs a rule here
            raise AssertionError(f"no validation rule for ClusterConfig.{name} ({kind})")
        if problem:
            return f"{where}: {problem}"
    return None


# argument name -> required? for every step kind (others are an error: likely a typo)
_STEP_ARGS: dict[str, dict[str, bool]] = {
    "send": {"process": True, "partition": True, "message": True, "wait": False, "wait_ms": False},
    "poll": {"process": True, "partition": True, "offset": True, "wait": False, "wait_ms": False},
    "tick": {"ms": True},
    "crash": {"broker": True},
    "power-loss": {"broker": True},
    "replace-disk": {"broker": True},
    "restart": {"broker": True},
    "partition": {"groups": True, "note": False},
    "heal": {},
    "message-faults": {"loss": True, "delay_lo_ms": True, "delay_hi_ms": True},
    "controller-failover": {},
    "elect-preferred": {},
}


class _StepRules:
    """Validates step arguments against one configuration, accumulating simulated time."""

    def __init__(self, config: Any, clients: int, default_wait_ms: int) -> None:
        self.config = config
        self.clients = clients
        self.default_wait_ms = default_wait_ms
        self.nodes = {f"b{b}" for b in range(1, config.broker_count + 1)}
        self.nodes |= {f"c{c}" for c in range(clients + 1)} | {"controller"}
        self.total_ms = 0

    def problem(self, kind: str, args: dict[str, Any]) -> tuple[str, str] | None:
        """(argument name or "", problem) for the first bad argument, or None."""
        allowed = _STEP_ARGS[kind]
        for name in args:
            if name not in allowed:
                return (
                    name,
                    f"unknown argument for a {kind} step (expected: {', '.join(allowed) or 'none'})",
                )
        for name, required in allowed.items():
            if required and name not in args:
                return name, f"missing: a {kind} step needs it"
        for name, value in args.items():
            problem = self.arg_problem(kind, name, value, args)
            if problem:
                return name, problem
        spent = self.step_ms(kind, args)
        self.total_ms += spent
        if self.total_ms > MAX_RUN_MS:
            return (
                "",
                f"the steps so far take {self.total_ms} simulated ms; a case may take at most {MAX_RUN_MS}",
            )
        return None

    def step_ms(self, kind: str, args: dict[str, Any]) -> int:
        if kind == "tick":
            return args["ms"]
        if kind in ("send", "poll") and args.get("wait", True):
            return args.get("wait_ms", self.default_wait_ms)
        return 0

    def arg_problem(self, kind: str, name: str, value: Any, args: dict[str, Any]) -> str | None:
        config = self.config
        if name == "process":
            return int_problem(value, 0, self.clients - 1, "a client process")
        if name == "partition" and kind != "partition":
            return int_problem(value, 0, config.partition_count - 1, "a partition number")
        if name == "broker":
            return int_problem(value, 1, config.broker_count, "a broker id")
        if name == "offset":
            return int_problem(value, 0, None, "an offset")
        if name == "ms":
            return int_problem(value, 1, MAX_STEP_MS, "a number of ms")
        if name == "wait_ms":
            return int_problem(value, 0, MAX_STEP_MS, "a number of ms")
        if name == "delay_lo_ms":
            return int_problem(value, 1, MAX_STEP_MS, "a delay in ms")
        if name == "delay_hi_ms":
            lo = args.get("delay_lo_ms")
            return int_problem(
                value,
                lo if is_int(lo) and lo >= 1 else 1,
                MAX_STEP_MS,
                "a delay in ms (≥ delay_lo_ms)",
            )
        if name == "message":
            return None if type(value) is str else f"expected a string, got {_shown(value)}"
        if name == "note":
            return None if type(value) is str else f"expected a string, got {_shown(value)}"
        if name == "wait":
            return None if type(value) is bool else f"expected true or false, got {_shown(value)}"
        if name == "loss":
            if type(value) in (int, float) and 0 <= value <= 1:
                return None
            return f"expected a probability between 0 and 1, got {_shown(value)}"
        if name == "groups":
            return self.groups_problem(value)
        raise AssertionError(f"unreachable: {kind}.{name}")

    def groups_problem(self, value: Any) -> str | None:
        if type(value) is not list or not all(
            type(g) is list and all(type(n) is str for n in g) for g in value
        ):
            return f"expected a list of lists of node names, got {_shown(value)}"
        for group in value:
            for node in group:
                if node not in self.nodes:
                    known = f"b1..b{self.config.broker_count}, c0..c{self.clients}, controller"
                    return f"unknown node {_shown(node)} (this case has {known})"
        return None


def steps_problem(config: Any, steps: list[dict[str, Any]]) -> str | None:
    """The first bad step of a case (`steps[N].args.NAME: ...`), or None."""
    from replicheck.stateful.scenario import CLIENT_COUNT, STEP_KINDS

    rules = _StepRules(config, CLIENT_COUNT, _default_wait_ms(config))
    for number, step in enumerate(steps):
        kind = step["kind"]
        if kind not in STEP_KINDS:
            return f'steps[{number}].kind: unknown step "{kind}" (known: {", ".join(STEP_KINDS)})'
        found = rules.problem(kind, step["args"])
        if found:
            name, problem = found
            where = f"steps[{number}].args.{name}" if name else f"steps[{number}]"
            return f"{where}: {problem}"
    return None


def _default_wait_ms(config: Any) -> int:
    """What a send/poll without `wait_ms` waits (see stateful.scenario: WAIT_SLACK_MS)."""
    from replicheck.stateful.scenario import WAIT_SLACK_MS

    return config.request_timeout_ms + WAIT_SLACK_MS
