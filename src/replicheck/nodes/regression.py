"""Node cases as regression tests: what the pytest plugin calls for a node case file.

A node case promises one of two things (`expect` in the case, see case.py):

- `clean`: the node was fixed -- every one of `replay_runs` re-runs must be clean. (A
  single clean run proves little for a non-deterministic node; a case that reproduced
  9/10 when found and now passes 10/10 re-runs is evidence.)
- `violation`: a known-wrong node kept to prove the checker still catches it -- some re-run
  must show one of the expected anomalies (the runs stop at the first that does).

The commands run from the pytest rootdir, so a committed case's command is relative to the
repository. A failure raises the plugin's `CaseFailed` with the whole story (the steps with
their outcomes and the verdict), so the test report shows what went wrong, not a traceback.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from replicheck.nodes.artifacts import story_text
from replicheck.nodes.case import NodeCase, NodeCaseError, is_node_case, load_case
from replicheck.nodes.errors import NodeError
from replicheck.nodes.search import Runner
from replicheck.nodes.target import NodeRun

__all__ = ["check_node_case", "is_node_case", "node_case_failure"]


def _header(case: NodeCase, problem: str, now: str) -> str:
    recorded = ", ".join(case.expected_anomalies) or "a violation"
    return "\n".join(
        [
            f"regression node case {case.path}: {problem}",
            f"  node:     {case.node_count} × {shlex.join(case.command)}",
            f"  recorded: {recorded}",
            f"  now:      {now}",
            f"  replay:   replicheck replay {case.path}",
            "",
        ]
    )


def _expected(case: NodeCase, run: NodeRun) -> bool:
    wanted = set(case.expected_anomalies)
    return run.violation and (not wanted or bool(wanted & set(run.verdict.anomaly_names)))


def node_case_failure(case: NodeCase, *, cwd: str | None = None) -> str | None:
    """Re-run `case` as its promise says; the failure story, or None when it holds.
    A `NodeError` propagates (the node cannot take part)."""
    with Runner(case.command, case.node_count, case.seed, case.config, cwd=cwd) as runner:
        last: NodeRun | None = None
        for number in range(1, case.replay_runs + 1):
            run = last = runner.run(case.steps)
            if case.expect == "violation" and _expected(case, run):
                return None
            if case.expect == "clean" and run.violation:
                now = f"{', '.join(run.verdict.anomaly_names)} on re-run {number}"
                return _header(case, "the node still violates", now) + story_text(run)
    if case.expect == "clean":
        return None
    assert last is not None
    runs = case.replay_runs
    now = f"none of {runs} re-runs showed it ({', '.join(last.verdict.anomaly_names) or 'clean'})"
    problem = "the recorded violation is no longer detected"
    return _header(case, problem, now) + "the last re-run:\n" + story_text(last)


def check_node_case(path: Path, rootdir: Path | None = None) -> None:
    """The plugin's entry point: raise its `CaseFailed` unless the case's promise holds."""
    from replicheck.pytest_plugin import CaseFailed

    try:
        case = load_case(path)
        failure = node_case_failure(case, cwd=None if rootdir is None else str(rootdir))
    except NodeCaseError as exc:
        raise CaseFailed(f"unusable regression case: {exc}") from None
    except NodeError as exc:
        text = f"regression node case {path}: the node cannot take part: {exc.render()}"
        if exc.stderr_tail:
            text += "\nits stderr (last lines):\n" + exc.stderr_tail
        raise CaseFailed(text) from None
    if failure is not None:
        raise CaseFailed(failure)
