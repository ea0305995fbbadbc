"""Data-driven protocol scenarios, in the style of etcd raft's interaction files.

Each file in `interactions/` is a sequence of blocks:

    <command>
    ----
    <what the command printed>

separated by blank lines. A reader sees a scenario and its outcome without reading test
code; a behaviour change shows up as a text diff. Regenerate the expected output after an
intended change with `REPLICHECK_REWRITE=1 pytest tests/impl/test_interactions.py` and review
the diff.

Commands: `config key=value ...` (must come first, optional), `send PROCESS MESSAGE`,
`send-async PROCESS MESSAGE`, `poll PROCESS OFFSET`, `tick MS`, `crash B`, `power-loss B`,
`restart B`, `partition b1|b2,c0` (groups separated by `|`), `heal`, `elect-preferred`,
`controller-failover`, `settle MS`, `describe`, `logs`, `invariants`, `final-read PROCESS`.

The commands that act on the cluster are scenario steps: each becomes a `Step` of the step
table (`replicheck.stateful.steps`), is validated as a case file's step would be, and runs
through the reference target -- the vocabulary of case.json, spelled for a terminal. The
others (`settle`, `describe`, `logs`, `invariants`, `final-read`) only observe or tear down.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from replicheck.impl import Cluster, ClusterConfig
from replicheck.stateful.steps import VOCABULARY, Bounds, Step
from replicheck.stateful.target import ClusterTarget

HERE = Path(__file__).resolve().parent / "interactions"
FILES = sorted(HERE.glob("*.txt"))


def _render_op(op: dict) -> str:
    if op["type"] == "ok":
        if op["f"] == "send":
            return f"ok {op['value']}@{op['offset']}"
        shown = " ".join(f"{v}@{o}" for o, v in op["value"]) or "(nothing)"
        return f"ok {shown}"
    return f"{op['type']} {op.get('error', '')}".rstrip()


def _last_op(cluster: Cluster, process: int) -> str:
    op = next(o for o in reversed(cluster.history) if o["process"] == process)
    return _render_op(op) if op["type"] != "invoke" else "pending"


def _step(verb: str, args: list[str], config: ClusterConfig) -> Step | None:
    """The scenario step a command spells (partition 0; sends and polls wait up to the
    request timeout plus 5 ms), or None for a command that is not a step."""
    wait_ms = config.request_timeout_ms + 5
    if verb in ("send", "send-async"):
        wait = {"wait": False} if verb == "send-async" else {"wait_ms": wait_ms}
        return Step("send", {"process": int(args[0]), "partition": 0, "message": args[1]} | wait)
    if verb == "poll":
        offset = {"offset": int(args[1]), "wait_ms": wait_ms}
        return Step("poll", {"process": int(args[0]), "partition": 0} | offset)
    if verb == "tick":
        return Step("tick", {"ms": int(args[0])})
    if verb in ("crash", "power-loss", "restart"):
        return Step(verb, {"broker": int(args[0])})
    if verb == "partition":
        return Step("partition", {"groups": [group.split(",") for group in args[0].split("|")]})
    if verb in ("heal", "elect-preferred", "controller-failover"):
        return Step(verb, {})
    return None


def _logs(cluster: Cluster) -> list[str]:
    lines = []
    for index in range(cluster.config.partition_count):
        for broker, entries in cluster.replica_logs(index).items():
            shown = " ".join(f"{msg}@{o}/e{epoch}" for o, (epoch, msg) in enumerate(entries))
            lines.append(f"{cluster.config.partition_key(index)} b{broker}: {shown or '(empty)'}")
    return lines


def _coerce(value: str) -> object:
    if value.isdigit():
        return int(value)
    if value in ("true", "false"):
        return value == "true"
    return value


class Interaction:
    def __init__(self) -> None:
        self.target: ClusterTarget | None = None
        self.config = ClusterConfig()

    def run(self, command: str) -> list[str]:
        words = command.split()
        verb, args = words[0], words[1:]
        if verb == "config":
            assert self.target is None, "config must come first"
            kwargs = dict(arg.split("=", 1) for arg in args)
            self.config = ClusterConfig(**{k: _coerce(v) for k, v in kwargs.items()})
            return ["ok"]
        if self.target is None:
            self.target = ClusterTarget(self.config, seed=1)
        cluster = self.target.cluster
        step = _step(verb, args, self.config)
        if step is not None:
            problem = VOCABULARY.steps_problem([step.to_dict()], Bounds.of(self.config))
            assert problem is None, f"`{command}`: {problem}"
            head = self.target.apply(step)
            assert not head.startswith("skipped"), f"`{command}`: {head}"
            if step.kind in ("send", "poll"):
                return ["sent"] if verb == "send-async" else [_last_op(cluster, int(args[0]))]
            return [f"t={cluster.now_ms}"] if verb == "tick" else ["ok"]
        if verb == "settle":
            return [f"settled={cluster.settle(int(args[0]))} t={cluster.now_ms}"]
        if verb == "describe":
            return cluster.describe()
        if verb == "logs":
            return _logs(cluster)
        if verb == "invariants":
            return cluster.invariant_violations() or ["ok"]
        if verb == "final-read":
            start = len(cluster.history)
            cluster.final_read(int(args[0]))
            return [_render_op(op) for op in cluster.history[start:] if op["type"] != "invoke"]
        raise AssertionError(f"unknown command {verb!r}")


def _parse(text: str) -> list[tuple[list[str], str, list[str]]]:
    """Blocks as (leading comment lines, command, expected output lines)."""
    blocks = []
    for chunk in text.strip().split("\n\n"):
        lines = chunk.splitlines()
        comments = []
        while lines and lines[0].startswith("#"):
            comments.append(lines.pop(0))
        if not lines:
            continue
        assert len(lines) >= 2 and lines[1] == "----", f"one command per block: {chunk!r}"
        blocks.append((comments, lines[0], lines[2:]))
    return blocks


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_interaction(path: Path) -> None:
    blocks = _parse(path.read_text())
    interaction = Interaction()
    actual = [interaction.run(command) for _, command, _ in blocks]
    if os.environ.get("REPLICHECK_REWRITE"):
        chunks = ["\n".join([*comments, command, "----", *out])
                  for (comments, command, _), out in zip(blocks, actual, strict=True)]
        path.write_text("\n\n".join(chunks) + "\n")
        return
    for (_, command, expected), got in zip(blocks, actual, strict=True):
        assert got == expected, f"{path.name}: `{command}`"


def test_there_are_interaction_files() -> None:
    assert len(FILES) >= 4
