"""Minimize a failing scenario by editing its step list directly (no Hypothesis involved).

Hypothesis's own shrinker works on the choices behind the rules; on this state machine it
needs hundreds of full cluster runs (10-70 s per failure, measured), far more than finding
the failure took. Steps are plain data, so here we edit them directly and judge each
candidate with `run_scenario`:

1. delete chunks of steps, halving the chunk size (delta debugging), to a fixpoint;
2. delete a fault together with the step that undoes it (crash … restart, partition … heal);
3. simplify single steps: a send that waits instead of leaving the write in flight, a
   shorter tick;
then renumber the messages m1, m2, … in order of sending. A candidate is kept when its
replay still shows one of the original anomalies. Steps the executor would have to skip
(restarting a running broker after its crash was deleted) are dropped from candidates.
Because every candidate is a replay, the result is by construction a scenario that
reproduces the reported verdict, and the whole procedure is deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence

from replicheck.stateful.machine import tick_sizes_ms
from replicheck.stateful.result import RunResult
from replicheck.stateful.scenario import run_scenario
from replicheck.stateful.steps import VOCABULARY, Step

# What undoes a fault, for pair deletion: fault kind → (undo kind, the arg that must match).
_UNDO = {name: kind.undo for name, kind in VOCABULARY.items() if kind.undo is not None}


def renumber_messages(steps: Sequence[Step]) -> list[Step]:
    """m7, m9, m12 → m1, m2, m3 (messages are opaque unique tokens to the cluster)."""
    renamed: list[Step] = []
    counter = 0
    for step in steps:
        if step.kind == "send":
            counter += 1
            renamed.append(Step("send", {**step.args, "message": f"m{counter}"}))
        else:
            renamed.append(step)
    return renamed


def _reference_step(step: object) -> Step:
    assert isinstance(step, Step), f"not a reference-cluster step: {step!r}"
    return step


class _Minimizer:
    def __init__(self, result: RunResult, max_runs: int) -> None:
        assert result.violation, "only failing runs are minimized"
        self.target = set(result.anomaly_names)
        self.config = result.config
        self.seed = result.seed
        self.best = result
        # The minimizer edits reference steps (it builds new `Step`s from them).
        self.steps: list[Step] = [_reference_step(step) for step in result.steps]
        self.runs = 0
        self.max_runs = max_runs

    @property
    def exhausted(self) -> bool:
        return self.runs >= self.max_runs

    def _fails(self, candidate: RunResult) -> bool:
        return candidate.violation and bool(set(candidate.anomaly_names) & self.target)

    def attempt(self, steps: list[Step]) -> bool:
        """Adopt `steps` (minus any step the replay skipped) if they still fail."""
        if not steps or self.exhausted:
            return False
        self.runs += 1
        candidate = run_scenario(self.config, self.seed, steps)
        skipped = [o.startswith("→ skipped") for o in candidate.step_outcomes]
        if any(skipped):
            steps = [s for s, skip in zip(steps, skipped, strict=True) if not skip]
            if not steps or self.exhausted:
                return False
            self.runs += 1
            candidate = run_scenario(self.config, self.seed, steps)
        if not self._fails(candidate) or len(steps) > len(self.steps):
            return False
        self.steps, self.best = steps, candidate
        return True

    def delete_chunks(self) -> bool:
        changed = False
        chunk = max(1, len(self.steps) // 2)
        while chunk >= 1 and not self.exhausted:
            start = 0
            removed = False
            while start < len(self.steps) and not self.exhausted:
                if self.attempt(self.steps[:start] + self.steps[start + chunk :]):
                    removed = changed = True
                else:
                    start += chunk
            if not removed:
                chunk //= 2
        return changed

    def delete_pairs(self) -> bool:
        changed = False
        index = 0
        while index < len(self.steps) and not self.exhausted:
            step = self.steps[index]
            undo = _UNDO.get(step.kind)
            partner = None
            if undo is not None:
                kind, arg = undo
                for later in range(index + 1, len(self.steps)):
                    other = self.steps[later]
                    if other.kind == kind and (arg is None or other.args[arg] == step.args[arg]):
                        partner = later
                        break
            if partner is not None:
                candidate = [s for i, s in enumerate(self.steps) if i not in (index, partner)]
                if self.attempt(candidate):
                    changed = True
                    continue
            index += 1
        return changed

    def simplify(self) -> bool:
        changed = False
        ticks = tick_sizes_ms(self.config)
        for index in range(len(self.steps)):
            if self.exhausted or index >= len(self.steps):
                break
            step = self.steps[index]
            options: list[Step] = []
            if step.kind == "send" and step.args.get("wait", True) is False:
                options.append(Step("send", {**step.args, "wait": True}))
            if step.kind == "tick":
                options.extend(Step("tick", {"ms": ms}) for ms in ticks if ms < step.args["ms"])
            for option in options:
                candidate = list(self.steps)
                candidate[index] = option
                if self.attempt(candidate):
                    changed = True
                    break
        return changed

    def run(self) -> RunResult:
        while not self.exhausted:
            changed = self.delete_chunks()
            changed = self.delete_pairs() or changed
            changed = self.simplify() or changed
            if not changed:
                break
        renamed = renumber_messages(self.steps)
        if renamed != self.steps:
            self.attempt(renamed)
        assert self.best.violation
        return self.best


def polish(result: RunResult, *, max_runs: int = 600) -> RunResult:
    """A minimized (1-minimal when `max_runs` suffices) version of a failing run."""
    return _Minimizer(result, max_runs).run()
