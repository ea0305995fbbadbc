"""Regression case files (`case.json`): the format of docs/internals.md section 4.

A case is everything needed to replay one minimized failure without Hypothesis's
example database: the cluster configuration, the flaw it was recorded against (or
`null` for the correct configuration), the seed and the step list, plus what the
recording run saw (`expected`). Loading validates every field and raises `CaseError`
naming the file and the offending field, so the CLI can exit 2 with a readable message
instead of a traceback.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import orjson

from replicheck.checker.json_values import MAX_NESTING, nesting_problem
from replicheck.impl import ClusterConfig
from replicheck.impl.zoo import FLAWS
from replicheck.report.case_fields import config_problem, steps_problem
from replicheck.stateful.result import LIVENESS, REPLICA_INVARIANT, RunResult
from replicheck.stateful.steps import Step

CASE_FORMAT = "replicheck-case"
CASE_VERSION = 1

__all__ = ["LIVENESS", "REPLICA_INVARIANT"]  # re-exported: the names live with the run


class CaseError(ValueError):
    """A case file that cannot be used: says which file and what is wrong with it."""

    def __init__(self, path: Path | str | None, message: str) -> None:
        self.path = None if path is None else Path(path)
        self.message = message
        where = "<case>" if path is None else str(path)
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Expected:
    """What the recording run saw. `history_sha256` pins the exact history (optional)."""

    violation: bool
    anomalies: tuple[str, ...]
    history_sha256: str | None = None


@dataclass(frozen=True)
class Case:
    """One regression case. `config` stays the raw `ClusterConfig.to_dict()` mapping."""

    flaw: str | None
    config: Mapping[str, Any]
    seed: int
    steps: tuple[dict[str, Any], ...]
    expected: Expected
    path: Path | None = field(default=None, compare=False)
    # The engine versions that recorded the case ({"hypothesis": "6.155.2"}); informative
    # only: a case replays by its steps, independent of Hypothesis.
    engine: Mapping[str, str] | None = field(default=None, compare=False)

    # -- what `stateful.replay.replay_case` needs (the `Replayable` protocol) ------------
    @property
    def expected_anomalies(self) -> tuple[str, ...]:
        return self.expected.anomalies

    def cluster_config(self) -> ClusterConfig:
        """The validated configuration (a `CaseError` if it cannot be used)."""
        return case_config(self)

    def scenario_steps(self, config: ClusterConfig) -> list[Step]:
        """The validated steps, checked against `config` (a `CaseError` if one is bad)."""
        return case_steps(self, config)

    def to_dict(self) -> dict[str, Any]:
        expected: dict[str, Any] = {
            "violation": self.expected.violation,
            "anomalies": list(self.expected.anomalies),
        }
        if self.expected.history_sha256 is not None:
            expected["history_sha256"] = self.expected.history_sha256
        return {
            "format": CASE_FORMAT,
            "version": CASE_VERSION,
            "flaw": self.flaw,
            "seed": self.seed,
            "expected": expected,
            "config": dict(self.config),
            "steps": [dict(step) for step in self.steps],
        } | ({"engine": dict(self.engine)} if self.engine else {})

    def to_json(self) -> str:
        """Canonical text: fixed field order, sorted nested keys, one step per line."""
        data = _sorted_keys(self.to_dict())
        steps = data.pop("steps")
        head = json.dumps(data, indent=2, ensure_ascii=False)
        assert head.endswith("\n}")
        step_lines = ",\n".join("    " + json.dumps(step, ensure_ascii=False) for step in steps)
        steps_text = f'  "steps": [\n{step_lines}\n  ]' if steps else '  "steps": []'
        return head[: -len("\n}")] + ",\n" + steps_text + "\n}\n"

    def short_hash(self) -> str:
        """Eight hex digits identifying the case (config, flaw, seed, steps)."""
        data = self.to_dict()
        del data["expected"]
        data.pop("engine", None)  # which engine found it does not change the scenario
        digest = hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()
        return digest[:8]


def _sorted_keys(value: Any, top: bool = True) -> Any:
    """Nested dicts with sorted keys; the top level keeps the documented field order."""
    if isinstance(value, dict):
        keys = value if top else sorted(value)
        return {key: _sorted_keys(value[key], top=False) for key in keys}
    if isinstance(value, list | tuple):
        return [_sorted_keys(item, top=False) for item in value]
    return value


def history_sha256(history: Sequence[Mapping[str, Any]]) -> str:
    """Hash of a history as canonical JSON Lines: equal iff the histories are bit-for-bit equal."""
    hasher = hashlib.sha256()
    for op in history:
        hasher.update(orjson.dumps(op, option=orjson.OPT_SORT_KEYS))
        hasher.update(b"\n")
    return hasher.hexdigest()


def flaw_name(flaws: Iterable[str] | None) -> str | None:
    """The case's `flaw` field from `ClusterConfig.flaws`: `None`, one name, or `a+b`."""
    names = sorted(flaws or ())
    return "+".join(names) if names else None


def ranked_violation_names(result: RunResult) -> list[str]:
    """Anomaly names in the checker's order (durability first), then `replica-invariant`
    and `liveness` (`RunResult.ranked_anomaly_names`)."""
    return result.ranked_anomaly_names


def violation_names(result: RunResult) -> tuple[str, ...]:
    """Sorted anomaly names a run produced, plus `replica-invariant` if an invariant broke."""
    return tuple(result.anomaly_names)


def has_violation(result: RunResult) -> bool:
    return result.violation


def case_from_result(result: RunResult) -> Case:
    """The regression case for a finished run (section 3's `RunResult`)."""
    steps = tuple({"kind": step.kind, "args": dict(step.args)} for step in result.steps)
    return Case(
        flaw=flaw_name(result.config.flaws),
        config=result.config.to_dict(),
        seed=result.seed,
        steps=steps,
        expected=Expected(
            violation=has_violation(result),
            anomalies=violation_names(result),
            history_sha256=history_sha256(result.history),
        ),
        engine=engine_versions(),
    )


def engine_versions() -> dict[str, str]:
    """The search engine's version: a campaign seed re-explores the same way only under it."""
    return {"hypothesis": hypothesis.__version__}


def save_case(case: Case, path: Path | str) -> Path:
    path = Path(path)
    path.write_text(case.to_json(), encoding="utf-8")
    return path


def load_case(path: Path | str) -> Case:
    """Read and validate a case file; every problem is a `CaseError` naming the field."""
    path = Path(path)
    if path.is_dir():
        path = path / "case.json"
    try:
        text = path.read_text(encoding="utf-8-sig")  # a leading byte-order mark is skipped
    except FileNotFoundError:
        raise CaseError(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CaseError(path, f"cannot read: {error}") from None
    return parse_case(text, path)


def parse_case(text: str, path: Path | str | None = None) -> Case:
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise CaseError(
            path, f"line {error.lineno}, column {error.colno}: invalid JSON: {error.msg}"
        ) from None
    except RecursionError:
        raise CaseError(path, f"nested deeper than {MAX_NESTING} levels") from None
    except ValueError as error:  # NaN/Infinity, or an integer beyond the digit limit
        raise CaseError(path, f"invalid JSON: {error}") from None
    problem = nesting_problem(data)
    if problem:
        raise CaseError(path, problem)
    return case_from_dict(data, path)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


_CASE_FIELDS = ("format", "version", "flaw", "config", "seed", "steps", "expected", "engine")
_REQUIRED_FIELDS = ("flaw", "config", "seed", "steps", "expected")


def case_from_dict(data: Any, path: Path | str | None = None) -> Case:
    """A validated `Case` from parsed JSON; the first problem is a `CaseError`, checked in
    the order a reader fixes them: the envelope, then flaw, config, seed, steps, expected."""
    _check_envelope(data, path)
    flaw = data["flaw"]
    if flaw is not None and (not isinstance(flaw, str) or not flaw):
        raise CaseError(path, f'"flaw" must be a flaw name or null, got {flaw!r}')
    config = data["config"]
    if not isinstance(config, dict):
        raise CaseError(path, f'"config" must be an object, got {_json_type(config)}')
    seed = data["seed"]
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise CaseError(path, f'"seed" must be an integer, got {seed!r}')
    if seed < 0 or seed >= 2**64:
        raise CaseError(path, f'"seed" must be an integer between 0 and 2**64 - 1, got {seed}')
    steps = _steps_from(data["steps"], path)
    expected = _expected_from(data["expected"], path)
    engine = data.get("engine")
    if engine is not None and (
        not isinstance(engine, dict)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in engine.items())
    ):
        raise CaseError(path, f'"engine" must be an object of version strings, got {engine!r}')
    return Case(
        flaw=flaw,
        config=config,
        seed=seed,
        steps=steps,
        expected=expected,
        path=None if path is None else Path(path),
        engine=engine,
    )


def _check_envelope(data: Any, path: Path | str | None) -> None:
    """An object of the known format and version, with every required field, no other."""
    if not isinstance(data, dict):
        raise CaseError(path, f"expected a JSON object at the top level, got {_json_type(data)}")
    if data.get("format") != CASE_FORMAT:
        raise CaseError(path, f'"format" must be "{CASE_FORMAT}", got {data.get("format")!r}')
    version = data.get("version")
    if type(version) is not int or version != CASE_VERSION:
        raise CaseError(
            path, f'unsupported "version" {version!r} (this replicheck reads version 1)'
        )
    unknown = set(data) - set(_CASE_FIELDS)
    if unknown:
        raise CaseError(path, f"unknown field(s): {', '.join(sorted(unknown))}")
    for name in _REQUIRED_FIELDS:
        if name not in data:
            raise CaseError(path, f'missing field "{name}"')


def _steps_from(steps_data: Any, path: Path | str | None) -> tuple[dict[str, Any], ...]:
    """The `{"kind", "args"}` shape of every step (the step table checks the arguments
    later, against the configuration: `case_steps`)."""
    if not isinstance(steps_data, list):
        raise CaseError(path, f'"steps" must be a list, got {_json_type(steps_data)}')
    steps = []
    for number, step in enumerate(steps_data):
        where = f"steps[{number}]"
        if not isinstance(step, dict):
            raise CaseError(path, f"{where}: expected an object, got {_json_type(step)}")
        if set(step) != {"kind", "args"}:
            raise CaseError(
                path, f'{where}: expected the fields "kind" and "args", got {sorted(step)}'
            )
        if not isinstance(step["kind"], str) or not step["kind"]:
            raise CaseError(path, f"{where}.kind: expected a step name, got {step['kind']!r}")
        if not isinstance(step["args"], dict):
            raise CaseError(
                path, f"{where}.args: expected an object, got {_json_type(step['args'])}"
            )
        steps.append({"kind": step["kind"], "args": step["args"]})
    return tuple(steps)


def _expected_from(expected: Any, path: Path | str | None) -> Expected:
    def fail(message: str) -> CaseError:
        return CaseError(path, message)

    if not isinstance(expected, dict):
        raise fail(f'"expected" must be an object, got {_json_type(expected)}')
    violation = expected.get("violation")
    if not isinstance(violation, bool):
        raise fail(f'"expected.violation" must be true or false, got {violation!r}')
    anomalies = expected.get("anomalies", [])
    if not isinstance(anomalies, list) or not all(isinstance(a, str) for a in anomalies):
        raise fail(f'"expected.anomalies" must be a list of anomaly names, got {anomalies!r}')
    if violation != bool(anomalies):
        raise fail('"expected.violation" is true exactly when "expected.anomalies" is non-empty')
    digest = expected.get("history_sha256")
    if digest is not None and (
        not isinstance(digest, str)
        or len(digest) != 64
        or any(c not in "0123456789abcdef" for c in digest)
    ):
        raise fail(f'"expected.history_sha256" must be 64 lowercase hex digits, got {digest!r}')
    unknown = set(expected) - {"violation", "anomalies", "history_sha256"}
    if unknown:
        raise fail(f'unknown field(s) in "expected": {", ".join(sorted(unknown))}')
    return Expected(violation, tuple(sorted(set(anomalies))), digest)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def case_config(case: Case) -> ClusterConfig:
    """The case's `ClusterConfig`; an unusable config or unknown flaw is a `CaseError`."""
    for name in (case.flaw or "").split("+"):
        if name and name not in FLAWS:
            known = ", ".join(sorted(FLAWS))
            raise CaseError(case.path, f'unknown flaw "{name}" (known flaws: {known})')
    problem = config_problem(dict(case.config))
    if problem:
        raise CaseError(case.path, problem)
    try:
        config = ClusterConfig.from_dict(dict(case.config))
    except (TypeError, ValueError, KeyError) as error:
        message = f'"config" is not a valid cluster configuration: {error}'
        raise CaseError(case.path, message) from None
    if flaw_name(config.flaws) != case.flaw:
        raise CaseError(
            case.path,
            f'"flaw" is {case.flaw!r} but "config.flaws" says {sorted(config.flaws)}',
        )
    return config


def case_steps(case: Case, config: ClusterConfig | None = None) -> list[Step]:
    """The case's steps as `Step`s; an unknown kind, a missing or bad argument (checked
    against the case's `config` by the step table), or too much simulated time is a
    `CaseError`."""
    problem = steps_problem(case_config(case) if config is None else config, list(case.steps))
    if problem:
        raise CaseError(case.path, problem)
    return [Step(kind=data["kind"], args=dict(data["args"])) for data in case.steps]


def reproduces(case: Case, result: RunResult) -> bool:
    """Did `result` show the recorded violation again (every recorded anomaly, at least)?"""
    if not has_violation(result):
        return False
    return set(case.expected.anomalies) <= set(violation_names(result))
