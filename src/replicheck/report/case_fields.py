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

from dataclasses import fields
from typing import Any

from replicheck.impl import ClusterConfig
from replicheck.impl.flags import KNOWN_FLAGS
from replicheck.stateful.steps import (
    MAX_RUN_MS,
    MAX_STEP_MS,
    VOCABULARY,
    Bounds,
    int_problem,
    is_int,
)
from replicheck.stateful.steps import shown as _shown

__all__ = [
    "MAX_BROKERS",
    "MAX_PARTITIONS",
    "MAX_RECORDS",
    "MAX_RUN_MS",
    "MAX_STEP_MS",
    "MAX_TIMING_MS",
    "config_problem",
    "int_problem",
    "is_int",
    "steps_problem",
]

#: the largest cluster a case may describe (the campaign uses 3 brokers)
MAX_BROKERS = 32
MAX_PARTITIONS = 64
#: per-request record limits and timings beyond these are not a Kafka configuration
MAX_RECORDS = 1_000_000
MAX_TIMING_MS = MAX_STEP_MS

_CHOICES = {"acks": ("0", "1", "all"), "flush": ("every-append", "interval", "none")}
_UPPER = {"broker_count": MAX_BROKERS, "partition_count": MAX_PARTITIONS, "retries": 2**31 - 1}
_LOWER = {"retries": 0}


def config_problem(config: dict[str, Any]) -> str | None:
    """The first problem of a case's `config` object (None if `ClusterConfig` can take it)."""
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


def steps_problem(config: ClusterConfig, steps: list[dict[str, Any]]) -> str | None:
    """The first bad step of a case (`steps[N].args.NAME: ...`), or None: the step table
    (`stateful.steps`) checks every argument against this configuration."""
    return VOCABULARY.steps_problem(steps, Bounds.of(config))


class _StepRules:
    """One step's argument check against a configuration (kept for tests that call it
    directly; `steps_problem` is the interface)."""

    def __init__(self, config: ClusterConfig, clients: int, default_wait_ms: int) -> None:
        self.bounds = Bounds(config.broker_count, config.partition_count, clients, default_wait_ms)

    def problem(self, kind: str, args: dict[str, Any]) -> tuple[str, str] | None:
        return VOCABULARY[kind].problem(args, self.bounds)
