"""Minimize a failing scenario by editing its step list directly (no Hypothesis involved).

Hypothesis's own shrinker works on the choices behind the rules; on this state machine it
needs hundreds of full cluster runs (10-70 s per failure, measured), far more than finding
the failure took. Steps are plain data, so here we edit them directly and judge each
candidate by replaying it (`run_timed`: the executor calls of `run_scenario`, also noting
each step's simulated duration). The candidate edits live in `stateful.shrink_moves`; this
module decides which to try when:

1. cheap passes, to a fixpoint: delete chunks of steps, halving the chunk size (delta
   debugging); merge consecutive ticks; fold a tick into the wait of the send before it;
   delete a fault with the step that undoes it, or with every later step on its broker;
   turn consecutive stops of brokers into one cut; delete single steps; simplify single
   steps (a power loss becomes a crash, a send waits, a cut leaves out a node, the
   network calms, a tick shortens); replace a send or poll that waited by a tick of the
   time it took;
2. then, only when the cheap passes are stuck, escalating ones: delete any window of 3-6
   consecutive steps (at any length: linear), also but for its writes, also with the
   ticks snapped to the campaign's sizes and later poll offsets shifted down; then, each
   only for short stories: delete any two steps; delete one step and give a tick
   another duration; delete one step and give a send or poll another bound (whether its
   request is still in flight at the next step);
   delete one step and rename the brokers of the rest; swap two adjacent steps and
   delete one; delete two and rename; delete any three; keep any steps in any order
   (renamed too; shortest first, with a replay budget of its own); replace a window of
   two or three steps by one step of a generic alphabet (`stateful.shrink_rewrite`);
   join a prefix of the story as found to a suffix of the current one or of the story as
   found, ticks floored to the campaign's sizes; then two compound moves, each for
   stories of 5-10 steps and with a replay budget of its own: keep any steps of a short
   story as found (ticks snapped, one client), delete one step and substitute a letter
   for another; last, a seeded random re-search for
   shorter stories near this one and near the story as found (a budget of its own). Any success there starts again from step 1.
3. then, while the story is longer than `MIN_LEN_ROUTES`, the same passes again on other
   *routes* (`stateful.shrink_routes`): from the story as found with delta debugging
   trying the later chunks first, on single steps only rather than halves, or both; each
   with a replay budget of its own and the replay memo shared (a route that meets an
   earlier one's story costs nothing from there). The greedy passes are route dependent:
   an early deletion can take an ingredient of a shorter mechanism while the failure
   still shows by another one. The smallest story of all routes is kept.

A candidate is kept when its replay still shows one of the original anomalies and it is
strictly smaller in (length, drasticness, size) — so the procedure ends — and, when the
story as found passes with the configuration's flaw flags cleared, the candidate must pass
there too (one more replay: a story that fails without the flaw shows a loss the fault
model allows, or a defect of the correct cluster, not the flaw). Messages are
renumbered m1, m2, … in order of sending *before* each replay, so the adopted scenario is
exactly what was replayed. Steps the executor would have to skip (restarting a running
broker after its crash was deleted) are dropped from candidates. Replays are deterministic
and memoized, and their number is bounded (per route, and `max_runs` in all), so the result
is a pure function of the failing run: a scenario that reproduces the reported verdict.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from replicheck.impl import ClusterConfig
from replicheck.stateful import shrink_moves as moves
from replicheck.stateful import shrink_rewrite as rewrite
from replicheck.stateful import shrink_routes as routes
from replicheck.stateful.machine import tick_sizes_ms
from replicheck.stateful.result import RunResult
from replicheck.stateful.scenario import Executor, run_scenario
from replicheck.stateful.steps import Step

#: replays the first route (from the story as found) may spend, and each later route
#: (`stateful.shrink_routes`); measured in bench_minimize.py
FIRST_ROUTE_MAX_RUNS = 2000
ROUTE_MAX_RUNS = 2000
#: the later routes run only when the first ends longer than this
MIN_LEN_ROUTES = 4
#: replays one minimization may spend in all (each is a few ms)
DEFAULT_MAX_RUNS = 8000
#: deleting windows of 3-6 consecutive steps (linear in the length): from this length on
MIN_LEN_WINDOWS = 4
#: the escalating passes are quadratic or cubic in the length: only for stories this short
MAX_LEN_PAIRS = 16
MAX_LEN_SWAPS = 12
MAX_LEN_TRIPLES = 8
#: deleting 1 or 2 steps and renaming brokers: only for stories this short
MAX_LEN_RELABEL = (16, 8)
#: rearranging (any steps, in any order, renamed): only for stories this short, and with
#: at most this many replays per route (the arrangements grow factorially)
MAX_LEN_REARRANGE = 6
#: deleting a step and giving a tick another duration: only for stories this short, and
#: with at most this many replays per route (n × ticks × sizes candidates, again
#: after every adoption: uncapped, it spent up to 960 replays on a failure for nothing
#: and left the passes after it none of the 2,000)
MAX_LEN_RETIME = 16
RETIME_MAX_RUNS = 300
#: deleting a step and giving a client step's bound another value: only for stories this
#: short (the candidates grow with the length times the bounded client steps)
MAX_LEN_REWAIT = 20
REARRANGE_MAX_RUNS = 500
#: substituting one alphabet step for a window of 2 or 3 steps: only for stories this short
MAX_LEN_SUBSTITUTE = 12
#: joining a prefix of the story as found to a suffix (quadratic): only for stories this short
MAX_LEN_SPLICE = 12
#: the compound moves, tried once every pass above is stuck, each only for stories of
#: these lengths (a shorter one reads at a glance) and with at most this many replays per
#: route (their candidates grow as C(origin, n - 1) and n² × letters): any steps
#: of the story as found (snapped, by one client), when it was this short at most; one
#: step deleted and a letter substituted for another
LEN_ORIGIN_SUBSETS = (5, 10)
MAX_ORIGIN_SUBSETS = 12
ORIGIN_SUBSETS_MAX_RUNS = 250
LEN_SUBSTITUTE_1 = (5, 10)
SUBSTITUTE_1_MAX_RUNS = 300
#: the random re-search: replays per route, candidates drawn per replay at most
#: (drawn candidates that were replayed before cost no replay), shortest story it runs on
RESEARCH_MAX_RUNS = 400
RESEARCH_MAX_DRAWS_PER_RUN = 20
MIN_LEN_RESEARCH = 3

Candidates = Callable[[list[Step]], Iterable[list[Step]]]


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


def _size_key(steps: Sequence[Step]) -> tuple[int, int, int]:
    """What every adopted candidate lowers: length, then total drasticness and size."""
    ranks = [moves.simplicity_rank(step) for step in steps]
    return len(steps), sum(r[0] for r in ranks), sum(r[1] for r in ranks)


def run_timed(
    config: ClusterConfig, seed: int, steps: Sequence[Step]
) -> tuple[RunResult, list[int]]:
    """`run_scenario(config, seed, steps)` (the same executor calls), and how much simulated
    time each step took (the minimizer replaces a waiting client step by a tick that long)."""
    executor = Executor(config, seed)
    durations_ms: list[int] = []
    for step in steps:
        before_ms = executor.cluster.now_ms
        executor.apply(step)
        durations_ms.append(executor.cluster.now_ms - before_ms)
    return executor.finish(), durations_ms


def _fingerprint(steps: Sequence[Step]) -> str:
    return json.dumps([s.to_dict() for s in steps], sort_keys=True)


@dataclass(frozen=True)
class MinimizeStats:
    """What one minimization cost: replays run, and candidates answered from memory."""

    runs: int
    cached: int
    #: whether the first route stopped at its replay bound (later routes always have one)
    exhausted: bool
    #: candidates adopted per pass on the route whose story was kept (which passes made it)
    adopted: dict[str, int]
    #: replays run per pass over all routes (what each pass costs; "contrast": replays
    #: without the flaws; "start": replays of the later routes' starts)
    spent: dict[str, int]
    #: whether candidates had to pass without the configuration's flaws (None: it has
    #: none; False: the story as found fails without them too, so nothing could)
    flaw_needed: bool | None = None
    #: per route, in the order run: what it started from and ended at, and its cost
    routes: tuple[RouteStats, ...] = ()
    #: the route whose story was kept
    chosen: str = "found"


@dataclass(frozen=True)
class RouteStats:
    """One route of a minimization: its start, its end, its replays and adoptions."""

    name: str
    start_steps: int
    #: None when the start did not fail as the story as found does (the route never ran)
    end_steps: int | None
    runs: int
    adopted: dict[str, int]
    spent: dict[str, int]


@dataclass(frozen=True)
class _Verdict:
    """A replayed candidate, remembered: does it fail, and which steps it skipped (and,
    when it fails cleanly, its run and step durations: a later route may adopt it)."""

    fails: bool
    skipped: tuple[bool, ...]
    run: RunResult | None = None
    durations_ms: tuple[int, ...] = ()


class _Minimizer:
    def __init__(self, result: RunResult, max_runs: int) -> None:
        assert result.violation, "only failing runs are minimized"
        self.target = set(result.anomaly_names)
        self.config = result.config
        self.seed = result.seed
        self.original = result
        # The minimizer edits reference steps (it builds new `Step`s from them). The
        # current steps are always renumbered; `best` is their replay once one was adopted.
        self.steps = renumber_messages([_reference_step(step) for step in result.steps])
        self.origin = list(self.steps)  # the story as found (the re-search draws on it)
        self.best: RunResult | None = None
        self.runs = 0
        self.cached = 0
        self.max_runs = max_runs
        # the replays the current route may reach (`run` sets it per route)
        self.limit = min(max_runs, FIRST_ROUTE_MAX_RUNS)
        self.routes: list[RouteStats] = []
        self.chunks_from_end = False
        self.singles_first = False
        self.chosen = "found"
        self.seen: dict[str, _Verdict] = {}
        self.ticks = tick_sizes_ms(self.config)
        self.adopted: Counter[str] = Counter()
        self.spent: Counter[str] = Counter()
        # simulated time each current step took (None until the current steps are replayed)
        self.durations_ms: list[int] | None = None
        self.last_durations_ms: list[int] = []
        # the pass whose candidates are being replayed: each replay counts against it
        # (the rearranging and re-search passes stop at a budget of their own)
        self.active_pass = "original"
        # the configuration without its flaws: an adopted story must pass there (it is
        # evidence of the flaw, not of a loss the fault model allows), once the story as
        # found does (`check_contrast`)
        self.contrast: ClusterConfig | None = (
            replace(self.config, flaws=frozenset()) if self.config.flaws else None
        )
        self.flaw_needed: bool | None = None

    @property
    def exhausted(self) -> bool:
        return self.runs >= self.limit

    def _fails(self, candidate: RunResult) -> bool:
        return candidate.violation and bool(set(candidate.anomaly_names) & self.target)

    def _replay(self, steps: list[Step]) -> tuple[_Verdict, RunResult | None]:
        """Whether `steps` still fail (memoized), with the run when it was just made."""
        key = _fingerprint(steps)
        if key in self.seen:
            self.cached += 1
            return self.seen[key], None
        self.runs += 1
        self.spent[self.active_pass] += 1
        run, self.last_durations_ms = run_timed(self.config, self.seed, steps)
        skipped = tuple(o.startswith("→ skipped") for o in run.step_outcomes)
        fails = self._fails(run)
        if fails and not any(skipped) and self.contrast is not None:
            fails = not self._fails_without_flaws(steps)
        if fails and not any(skipped):
            self.seen[key] = _Verdict(fails, skipped, run, tuple(self.last_durations_ms))
        else:
            self.seen[key] = _Verdict(fails, skipped)
        return self.seen[key], run

    def _fails_without_flaws(self, steps: list[Step]) -> bool:
        """Does `steps` show a violation of any kind without the flaws too (one replay)?"""
        assert self.contrast is not None
        self.runs += 1
        self.spent["contrast"] += 1
        return run_scenario(self.contrast, self.seed, steps).violation

    def check_contrast(self) -> None:
        """Require the flaw of every candidate only if the story as found needs it."""
        if self.contrast is None or self.exhausted:
            return
        self.flaw_needed = not self._fails_without_flaws(self.steps)
        if not self.flaw_needed:
            self.contrast = None

    def attempt(self, steps: list[Step]) -> bool:
        """Adopt `steps` (renumbered, minus any step the replay skipped) if they still fail
        and are smaller than the current steps."""
        return self._adopt(steps, must_shrink=True)

    def _adopt(self, steps: list[Step], *, must_shrink: bool) -> bool:
        """Replay `steps` (renumbered; again without any step the replay skipped) and make
        them the current steps if they fail as the story as found does (and, with
        `must_shrink`, are smaller than the current steps)."""
        for _ in range(2):
            steps = renumber_messages(steps)
            if not steps or self.exhausted:
                return False
            if must_shrink and _size_key(steps) >= _size_key(self.steps):
                return False
            verdict, _ = self._replay(steps)
            if any(verdict.skipped):
                steps = [s for s, skip in zip(steps, verdict.skipped, strict=True) if not skip]
                continue
            if not verdict.fails:
                return False
            # Within a route the current steps only shrink, so a failing candidate comes
            # back from the memo only on a later route, with its run remembered.
            assert verdict.run is not None, "a failing verdict without its run"
            self.steps, self.best = steps, verdict.run
            self.durations_ms = list(verdict.durations_ms)
            return True
        return False

    def first_success(self, name: str, candidates: Candidates) -> bool:
        """Adopt candidates from `candidates(current)` until none succeeds; True if any did."""
        changed = False
        self.active_pass = name
        self.spent[name] += 0  # a pass that replayed nothing still shows, at 0
        while not self.exhausted:
            if not any(self.attempt(c) for c in candidates(self.steps)):
                break
            self.adopted[name] += 1
            changed = True
        return changed

    def delete_chunks(self) -> bool:
        """Delta debugging: delete chunks of steps, halving the chunk size (the chunks in
        order, or the later ones first, and from half the story or from single steps, as
        the route asks)."""
        changed = False
        self.active_pass = "chunks"
        self.spent["chunks"] += 0
        chunk = 1 if self.singles_first else max(1, len(self.steps) // 2)
        while chunk >= 1 and not self.exhausted:
            removed = False
            if self.chunks_from_end:
                end = len(self.steps)
                while end > 0 and not self.exhausted:
                    start = max(0, end - chunk)
                    if self.attempt(self.steps[:start] + self.steps[end:]):
                        self.adopted["chunks"] += 1
                        removed = changed = True
                    end = start  # the steps before `start` did not move either way
            else:
                start = 0
                while start < len(self.steps) and not self.exhausted:
                    if self.attempt(self.steps[:start] + self.steps[start + chunk :]):
                        self.adopted["chunks"] += 1
                        removed = changed = True
                    else:
                        start += chunk
            if not removed:
                chunk //= 2
        return changed

    def cheap_passes(self) -> None:
        """The linear passes, each to its own fixpoint, all to a common one."""
        passes: list[tuple[str, Candidates]] = [
            ("merge-ticks", moves.merge_ticks),
            ("fold-ticks", moves.fold_ticks_into_sends),
            ("fault-pairs", moves.delete_fault_pairs),
            ("dependents", moves.delete_with_dependents),
            ("stops-as-cut", lambda steps: moves.stops_as_cut(steps, self.config.broker_count)),
            ("singles", lambda steps: moves.delete_subsets(steps, 1)),
            ("simplify", lambda steps: moves.simplify_steps(steps, self.ticks)),
            ("ops-as-ticks", self.client_ops_as_ticks),
        ]
        while not self.exhausted:
            changed = self.delete_chunks()
            for name, candidates in passes:
                changed = self.first_success(name, candidates) or changed
            if not changed:
                break

    def client_ops_as_ticks(self, steps: list[Step]) -> Iterator[list[Step]]:
        """`moves.client_ops_as_ticks` with the current steps' durations (one replay if the
        current steps were never replayed: the renumbered original)."""
        if self.durations_ms is None:
            if self.exhausted:
                return
            self.runs += 1
            self.spent[self.active_pass] += 1
            _, self.durations_ms = run_timed(self.config, self.seed, steps)
        yield from moves.client_ops_as_ticks(steps, self.durations_ms)

    def escalating_passes(self) -> Iterator[tuple[str, Candidates]]:
        """The quadratic and cubic passes, cheapest first, each only for short stories."""
        n = len(self.steps)
        perms = moves.broker_permutations(self.config.broker_count)
        if n >= MIN_LEN_WINDOWS:
            yield "windows", lambda steps: moves.delete_windows(steps, self.ticks)
        if n <= MAX_LEN_PAIRS:
            yield "pairs", lambda steps: moves.delete_subsets(steps, 2)
        if n <= MAX_LEN_RETIME:
            yield "retime", self.budgeted("retime", self.retimed, RETIME_MAX_RUNS)
        if n <= MAX_LEN_REWAIT:
            yield "rewait", lambda steps: moves.delete_and_rewait(steps, self.ticks)
        if n <= MAX_LEN_RELABEL[0]:
            yield "relabel-1", lambda steps: moves.delete_and_relabel(steps, 1, perms)
        if n <= MAX_LEN_SWAPS:
            yield "swap-delete", moves.swap_then_delete
        if n <= MAX_LEN_RELABEL[1]:
            yield "relabel-2", lambda steps: moves.delete_and_relabel(steps, 2, perms)
        if n <= MAX_LEN_TRIPLES:
            yield "triples", lambda steps: moves.delete_subsets(steps, 3)
        if n <= MAX_LEN_REARRANGE:
            yield "rearrange", self.rearranged
        if n <= MAX_LEN_SUBSTITUTE:
            yield "substitute", self.substituted
        if n <= MAX_LEN_SPLICE:
            yield "splice", lambda steps: rewrite.splice_origin(steps, self.origin, self.ticks)
        lo, hi = LEN_ORIGIN_SUBSETS
        if lo <= n <= hi and len(self.origin) <= MAX_ORIGIN_SUBSETS:
            subsets = self.budgeted("origin-subsets", self.origin_subsets, ORIGIN_SUBSETS_MAX_RUNS)
            yield "origin-subsets", subsets
        if LEN_SUBSTITUTE_1[0] <= n <= LEN_SUBSTITUTE_1[1]:
            lettered = self.budgeted("substitute-1", self.lettered, SUBSTITUTE_1_MAX_RUNS)
            yield "substitute-1", lettered
        if n >= MIN_LEN_RESEARCH:
            yield "research", self.researched

    def budgeted(self, name: str, candidates: Candidates, max_runs: int) -> Candidates:
        """`candidates`, cut off once pass `name` has spent `max_runs` replays on this
        route (over all its rounds: a story at a fixpoint pays at most that, and one more
        when the last candidate skips a step and replays without it)."""

        def bounded(steps: list[Step]) -> Iterator[list[Step]]:
            for candidate in candidates(steps):
                if self.spent[name] >= max_runs:
                    return
                yield candidate

        return bounded

    def letters(self, steps: list[Step]) -> list[Step]:
        return rewrite.alphabet(steps, self.config.broker_count, self.ticks)

    def substituted(self, steps: list[Step]) -> Iterator[list[Step]]:
        """`rewrite.substitute_windows` over the generic steps and the story's own."""
        yield from rewrite.substitute_windows(steps, self.letters(steps))

    def retimed(self, steps: list[Step]) -> Iterator[list[Step]]:
        yield from moves.delete_and_retime(steps, self.ticks)

    def lettered(self, steps: list[Step]) -> Iterator[list[Step]]:
        """`rewrite.delete_and_substitute` over the generic steps and the story's own."""
        yield from rewrite.delete_and_substitute(steps, self.letters(steps))

    def origin_subsets(self, steps: list[Step]) -> Iterator[list[Step]]:
        yield from rewrite.origin_subsets(steps, self.origin, self.ticks)

    def researched(self, steps: list[Step]) -> Iterator[list[Step]]:
        """`rewrite.research`, seeded by the run's seed and the current steps (so a pure
        function of them), while the pass's replay budget lasts."""
        rng = random.Random(f"{self.seed}:{_fingerprint(steps)}")
        perms = moves.leader_renamings(self.config.broker_count)
        drawn = rewrite.research(steps, self.letters(steps), perms, rng, self.origin)
        for draws, candidate in enumerate(drawn):
            if self.spent["research"] >= RESEARCH_MAX_RUNS:
                return
            if draws >= RESEARCH_MAX_DRAWS_PER_RUN * RESEARCH_MAX_RUNS:
                return
            yield candidate

    def rearranged(self, steps: list[Step]) -> Iterator[list[Step]]:
        """`moves.rearrangements`, shortest first, while the pass's replay budget lasts."""
        perms = moves.leader_renamings(self.config.broker_count)
        for size in range(1, len(steps)):
            for candidate in moves.rearrangements(steps, size, perms):
                if self.spent["rearrange"] >= REARRANGE_MAX_RUNS:
                    return
                yield candidate

    def minimize_route(self) -> None:
        """The passes from the current steps, to the end or the route's replay limit."""
        while not self.exhausted:
            self.cheap_passes()
            if not any(self.first_success(n, c) for n, c in self.escalating_passes()):
                break

    def start_route(self, route: routes.Route) -> bool:
        """Make `route.start` the current steps (minus steps its replay skipped), with a
        replay budget of its own, if it fails as the story as found does."""
        self.limit = min(self.max_runs, self.runs + ROUTE_MAX_RUNS)
        self.adopted, self.spent = Counter(), Counter()
        self.active_pass = "start"
        self.chunks_from_end = route.chunks_from_end
        self.singles_first = route.singles_first
        return self._adopt(list(route.start), must_shrink=False)

    def end_route(self, name: str, start_steps: int, started: bool = True) -> None:
        """Note what the route cost, and where it ended (nowhere if its start passed)."""
        runs = sum(self.spent.values())
        end_steps = len(self.steps) if started else None
        stats = RouteStats(name, start_steps, end_steps, runs, dict(self.adopted), dict(self.spent))
        self.routes.append(stats)

    def run(self) -> RunResult:
        """The first route from the story as found (main's minimizer before routes), then
        the other routes while the story is long, each from its own start; the smallest
        story of all is kept, so a later route can only shorten the result."""
        self.check_contrast()
        self.minimize_route()
        if self.best is None and not self.exhausted:  # the original, renumbered, if it fails
            self.active_pass = "original"
            verdict, run = self._replay(self.steps)
            if run is not None and verdict.fails and not any(verdict.skipped):
                self.best = run
        self.end_route("found", len(self.origin))
        kept_steps, kept_best = self.steps, self.best
        if kept_best is not None and len(kept_steps) > MIN_LEN_ROUTES:
            for route in routes.alternative_routes(self.origin):
                if self.runs >= self.max_runs:
                    break
                started = self.start_route(route)
                if started:
                    self.minimize_route()
                self.end_route(route.name, len(route.start), started)
                if started and _size_key(self.steps) < _size_key(kept_steps):
                    kept_steps, kept_best, self.chosen = self.steps, self.best, route.name
                if len(kept_steps) <= MIN_LEN_ROUTES:
                    break
        self.steps, self.best = kept_steps, kept_best
        result = self.best or self.original
        assert result.violation
        return result


def polish_with_stats(
    result: RunResult, *, max_runs: int = DEFAULT_MAX_RUNS
) -> tuple[RunResult, MinimizeStats]:
    """`polish`, and what it cost."""
    minimizer = _Minimizer(result, max_runs)
    best = minimizer.run()
    spent: Counter[str] = Counter()
    for route in minimizer.routes:
        spent.update(route.spent)
    # the adoptions that made the story kept; the replays of every route
    (chosen,) = [route for route in minimizer.routes if route.name == minimizer.chosen]
    return best, MinimizeStats(
        minimizer.runs,
        minimizer.cached,
        minimizer.routes[0].runs >= min(max_runs, FIRST_ROUTE_MAX_RUNS),
        chosen.adopted,
        dict(spent),
        minimizer.flaw_needed,
        tuple(minimizer.routes),
        minimizer.chosen,
    )


def polish(result: RunResult, *, max_runs: int = DEFAULT_MAX_RUNS) -> RunResult:
    """A minimized version of a failing run: 1-minimal (no single step can go), with no
    two consecutive ticks, when `max_runs` suffices."""
    return polish_with_stats(result, max_runs=max_runs)[0]
