"""Node case files: a minimized node run that someone can re-run, count and keep as a test.

    {"format": "replicheck-node-case", "version": 1,
     "command": [...], "node_count": 3, "workload": "kafka", "seed": 7,
     "faults": ["partition", ...], "config": {NodeConfig fields},
     "steps": [{"kind", "args"}, ...],
     "expected": {"violation": true, "anomalies": [...], "reproduced": [9, 10]},
     "expect": "clean" | "violation", "replay_runs": 10, "found_by": "replicheck hunt --node …"}

A node case differs from a reference-cluster case in what "replay" can promise: node
processes are not deterministic, so a replay re-runs the steps `replay_runs` times and
counts how often one of the expected anomalies showed ("reproduced 9/10"), instead of
comparing a history hash. `expect` says what a regression test wants: `clean` (the
default for a case a hunt saved: the node is to be fixed, so every re-run must be clean)
or `violation` (a known-wrong node kept to prove the checker still catches it, like the
zoo flaws: at least one re-run must show an expected anomaly).

The command runs from the current directory (the rootdir in the pytest plugin), so keep a
committed case's command relative to the repository (`python3 nodes/mynode.py`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from replicheck.nodes.runtime import NodeConfig
from replicheck.nodes.search import SEARCH_CONFIG, HuntResult, Runner, replay
from replicheck.nodes.steps import NodeStep
from replicheck.nodes.target import NodeRun

CASE_FORMAT = "replicheck-node-case"
CASE_VERSION = 1
WORKLOADS = ("kafka",)
EXPECTS = ("clean", "violation")
DEFAULT_REPLAY_RUNS = 10


class NodeCaseError(ValueError):
    """A node case file that cannot be used; the text is `<file>: <what was expected>`."""


@dataclass
class NodeCase:
    command: list[str]
    node_count: int
    steps: list[NodeStep]
    seed: int = 0
    workload: str = "kafka"
    faults: list[str] = field(default_factory=list)
    config: NodeConfig = SEARCH_CONFIG
    expected_violation: bool = True
    expected_anomalies: list[str] = field(default_factory=list)
    expected_reproduced: tuple[int, int] = (0, 0)
    expect: str = "clean"
    replay_runs: int = DEFAULT_REPLAY_RUNS
    found_by: str | None = None
    path: Path | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "format": CASE_FORMAT,
            "version": CASE_VERSION,
            "command": self.command,
            "node_count": self.node_count,
            "workload": self.workload,
            "seed": self.seed,
            "faults": self.faults,
            "config": dataclasses.asdict(self.config),
            "steps": [s.to_dict() for s in self.steps],
            "expected": {
                "violation": self.expected_violation,
                "anomalies": self.expected_anomalies,
                "reproduced": list(self.expected_reproduced),
            },
            "expect": self.expect,
            "replay_runs": self.replay_runs,
            "found_by": self.found_by,
        }

    def short_hash(self) -> str:
        """8 hex digits over what decides the run: command, nodes, seed, config, steps."""
        data = self.to_json()
        decisive = {k: data[k] for k in ("command", "node_count", "seed", "config", "steps")}
        digest = hashlib.sha256(json.dumps(decisive, sort_keys=True).encode()).hexdigest()
        return digest[:8]

    def save(self, path: Path) -> Path:
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        return path


def case_from_hunt(result: HuntResult, *, found_by: str | None = None) -> NodeCase:
    """The minimized case of a hunt that found a violation."""
    assert result.found is not None, "only a found violation makes a case"
    return NodeCase(
        command=list(result.command),
        node_count=result.node_count,
        steps=list(result.minimized),
        seed=result.seed,
        faults=list(result.faults),
        config=result.config,
        expected_anomalies=result.minimized_anomalies,
        expected_reproduced=result.reproduced,
        found_by=found_by,
    )


def is_node_case(path: Path) -> bool:
    """True if `path` (a file, or a report folder holding case.json) is a node case.

    Cheap and silent: anything unreadable is "not a node case" and is left to whoever
    reads it next, so the reference-cluster replay keeps its own error messages."""
    if path.is_dir():
        path = path / "case.json"
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return f'"{CASE_FORMAT}"'.encode() in head


def load_case(path: Path) -> NodeCase:
    """Read a node case (a file, or a report folder holding case.json); NodeCaseError names
    the file and what was expected."""
    if path.is_dir():
        path = path / "case.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NodeCaseError(f"{path}: cannot read a node case: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != CASE_FORMAT:
        raise NodeCaseError(f"{path}: expected a {CASE_FORMAT} file")
    if data.get("version") != CASE_VERSION:
        raise NodeCaseError(f"{path}: expected version {CASE_VERSION}, got {data.get('version')!r}")
    try:
        case = _parse(data)
    except (KeyError, ValueError, TypeError) as exc:
        text = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        raise NodeCaseError(f"{path}: malformed node case: {text}") from None
    case.path = path
    return case


def _expect(ok: bool, what: str) -> None:
    if not ok:
        raise ValueError(f"expected {what}")


def _parse(data: dict[str, Any]) -> NodeCase:
    command = data["command"]
    _expect(
        isinstance(command, list) and bool(command) and all(isinstance(a, str) for a in command),
        "'command' to be a non-empty list of strings",
    )
    node_count = data["node_count"]
    _expect(isinstance(node_count, int) and 1 <= node_count <= 32, "'node_count' in 1..32")
    _expect(isinstance(data["steps"], list), "'steps' to be a list")
    steps = [NodeStep.from_dict(s) for s in data["steps"]]
    workload = data.get("workload", "kafka")
    _expect(workload in WORKLOADS, f"'workload' to be one of {', '.join(WORKLOADS)}")
    config_fields = data.get("config") or {}
    _expect(isinstance(config_fields, dict), "'config' to be an object")
    known = {f.name for f in dataclasses.fields(NodeConfig)}
    unknown = sorted(set(config_fields) - known)
    _expect(not unknown, f"'config' fields among {', '.join(sorted(known))} (got {unknown})")
    config = dataclasses.replace(SEARCH_CONFIG, **config_fields)
    expected = data.get("expected") or {}
    reproduced = expected.get("reproduced", [0, 0])
    _expect(
        isinstance(reproduced, list) and len(reproduced) == 2, "'expected.reproduced' as [k, n]"
    )
    expect = data.get("expect", "clean")
    _expect(expect in EXPECTS, "'expect' to be 'clean' or 'violation'")
    replay_runs = data.get("replay_runs", DEFAULT_REPLAY_RUNS)
    _expect(isinstance(replay_runs, int) and replay_runs >= 1, "'replay_runs' >= 1")
    seed = data.get("seed", 0)
    _expect(isinstance(seed, int), "'seed' to be an integer")
    return NodeCase(
        command=list(command),
        node_count=node_count,
        steps=steps,
        seed=seed,
        workload=workload,
        faults=[str(f) for f in data.get("faults", [])],
        config=config,
        expected_violation=bool(expected.get("violation", True)),
        expected_anomalies=[str(a) for a in expected.get("anomalies", [])],
        expected_reproduced=(int(reproduced[0]), int(reproduced[1])),
        expect=expect,
        replay_runs=replay_runs,
        found_by=data.get("found_by"),
    )


# -- replaying ---------------------------------------------------------------------------------


@dataclass
class CaseReplay:
    """How `runs` re-runs of a case went."""

    case: NodeCase
    runs: int
    reproduced: int  # runs that showed one of the expected anomalies (any, if none expected)
    violations: int  # runs with any violation
    anomaly_counts: dict[str, int]  # anomaly -> in how many runs
    first_failing: NodeRun | None
    last: NodeRun | None

    @property
    def shown(self) -> NodeRun | None:
        """The run a report shows: the first failing one, else the last."""
        return self.first_failing or self.last

    def summary_line(self) -> str:
        counts = ", ".join(f"{name} ×{n}" for name, n in sorted(self.anomaly_counts.items()))
        return f"reproduced {self.reproduced}/{self.runs}" + (f" ({counts})" if counts else "")


def replay_case(
    case: NodeCase,
    runs: int | None = None,
    *,
    cwd: str | None = None,
    on_run: Callable[[NodeRun], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> CaseReplay:
    """Re-run the case's steps `runs` times (default: the case's `replay_runs`).

    A `NodeError` propagates: a node that cannot run makes the count meaningless."""
    total = case.replay_runs if runs is None else runs
    assert total >= 1
    target = set(case.expected_anomalies) or None
    counts: dict[str, int] = {}
    failing: list[NodeRun] = []
    seen: list[NodeRun] = []
    violations = 0

    def record(run: NodeRun) -> None:
        nonlocal violations
        seen[:] = [run]
        violations += run.violation
        for name in run.verdict.anomaly_names:
            counts[name] = counts.get(name, 0) + 1
        if on_run is not None:
            on_run(run)

    runner = Runner(case.command, case.node_count, case.seed, case.config, cwd=cwd, stop=stop)
    with runner:
        reproduced, _ = replay(
            runner, case.steps, target, runs=total, failing=failing, on_run=record
        )
    return CaseReplay(
        case, total, reproduced, violations, counts, failing[0] if failing else None, seen[-1]
    )
