"""Rewrites of a failing step list that bring in steps the story does not have.

The moves of `stateful.shrink_moves` only delete, merge, simplify, rename and reorder the
story's own steps, so they stay within the mechanism the search happened to meet first. A
seed that met a longer mechanism of a flaw (a leader bounce where one cut would do) needs a
step from outside the story: here a short window of steps is replaced by one step of a
small *alphabet* (the generic faults of the cluster, plus the story's own steps), or one
step deleted and another replaced by a letter; the opening of the story as first found is
joined to the current story's end, or any of its steps are kept (ticks snapped, one
client); and a bounded random re-search draws shorter stories from the alphabet, the
story and that opening.
Every function is pure and yields candidates in a fixed (or seeded) order; the minimizer
replays them and keeps only one that still fails with one of the original anomalies.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from itertools import chain, combinations

from replicheck.stateful.shrink_moves import relabel, restarts_follow_stops, snap_ticks, without
from replicheck.stateful.steps import VOCABULARY, Step

Steps = list[Step]


def _unique(steps: Sequence[Step]) -> Steps:
    """`steps` without repeats, first occurrence first (the order stays deterministic)."""
    seen: set[str] = set()
    out: Steps = []
    for step in steps:
        key = repr(sorted(step.to_dict().items()))
        if key not in seen:
            seen.add(key)
            out.append(step)
    return out


def generic_steps(broker_count: int, tick_sizes_ms: Sequence[int]) -> Steps:
    """The one-step faults any story may need: stop or restart a broker, cut one broker
    from the other brokers, from the controller or from everyone, heal, an election, a
    tick of each campaign size, a write that waits for its answer and one still in flight
    when the next step comes. Nothing here knows a
    flaw; it is the vocabulary of `stateful.steps` aimed at each broker."""
    brokers = list(range(1, broker_count + 1))
    out: Steps = []
    for b in brokers:
        others = [f"b{o}" for o in brokers if o != b]
        out += [
            Step("crash", {"broker": b}),
            Step("restart", {"broker": b}),
            Step("partition", {"groups": [[f"b{b}"], others]}),
            Step("partition", {"groups": [[f"b{b}"], ["controller"]]}),
            Step("partition", {"groups": [[f"b{b}"], [*others, "controller"]]}),
        ]
    out += [Step("heal", {}), Step("elect-preferred", {})]
    out += [Step("tick", {"ms": ms}) for ms in tick_sizes_ms]
    write = {"process": 0, "partition": 0, "message": "m0", "wait": True}
    out.append(Step("send", write))
    # a write still in flight when the next step comes (it waits the shortest tick)
    out.append(Step("send", {**write, "wait_ms": min(tick_sizes_ms)}))
    return out


def alphabet(steps: Sequence[Step], broker_count: int, tick_sizes_ms: Sequence[int]) -> Steps:
    """The steps a rewrite may bring in: the generic ones first, then the story's own."""
    return _unique([*generic_steps(broker_count, tick_sizes_ms), *steps])


def substitute_windows(
    steps: Sequence[Step], letters: Sequence[Step], widths: Sequence[int] = (2, 3)
) -> Iterator[Steps]:
    """Each window of `width` consecutive steps replaced by one step of `letters`, the
    narrower windows first, later windows first (a procedure of several steps often does
    what one fault does: a crash and the wait for its election, two slow links and a
    restart)."""
    for width in widths:
        for start in range(len(steps) - width, -1, -1):
            window = steps[start : start + width]
            for letter in letters:
                if letter in window:
                    continue  # that is a plain deletion, which the other passes try
                yield [*steps[:start], letter, *steps[start + width :]]


def floor_ticks(steps: Sequence[Step], tick_sizes_ms: Sequence[int]) -> Steps:
    """Every tick as the largest campaign tick size not above it (the smallest, when it is
    shorter than all): a tick of 8 ms in a raw story is a 5 that took some other step's
    time, and once that step is gone the 5 is what is left of it."""
    assert tick_sizes_ms, "no tick sizes to floor to"
    floored: Steps = []
    for step in steps:
        if step.kind == "tick":
            ms = int(step.args["ms"])
            below = [size for size in tick_sizes_ms if size <= ms]
            step = Step("tick", {"ms": max(below) if below else min(tick_sizes_ms)})
        floored.append(step)
    return floored


def splice_origin(
    steps: Sequence[Step], origin: Sequence[Step], tick_sizes_ms: Sequence[int]
) -> Iterator[Steps]:
    """A prefix of the story as first found joined to a suffix of the current story or of
    the story as found, shorter than the current story, with the ticks floored to the
    campaign's sizes (`floor_ticks`); shortest first, longer prefixes first.

    Deleting one step or window at a time keeps whatever route the first deletions
    happened to leave, and may have taken an early ingredient of a shorter mechanism (a
    cut and the wait after it) while the failure still showed by another route. The
    opening of the raw story and the steps where its failure showed (its last ones) are
    often that shorter mechanism with the middle gone: a quadratic number of joins.
    """
    n = len(steps)
    seen: set[str] = set()
    for length in range(2, n):
        for keep in range(min(length - 1, len(origin)), 0, -1):
            tail_length = length - keep
            for source in (steps, origin):
                if tail_length > len(source):
                    continue
                joined = floor_ticks([*origin[:keep], *source[len(source) - tail_length :]],
                                     tick_sizes_ms)  # fmt: skip
                key = repr([step.to_dict() for step in joined])
                if key not in seen and restarts_follow_stops(joined):
                    seen.add(key)
                    yield joined


def _redrawn_tail(steps: Sequence[Step], letters: Sequence[Step], rng: random.Random) -> Steps:
    """The story's first steps kept, a shorter tail drawn from its own later steps (half
    the time) or from the alphabet (the cause is usually early, the noise late)."""
    n = len(steps)
    keep = rng.randrange(0, n - 1)
    tail = list(steps[keep:])
    pool = [*tail, *letters]
    drawn = [rng.choice(tail) if rng.random() < 0.5 else rng.choice(pool)
             for _ in range(rng.randrange(1, n - keep))]  # fmt: skip
    return [*steps[:keep], *drawn]


def _fewer_inserted(steps: Sequence[Step], letters: Sequence[Step], rng: random.Random) -> Steps:
    """k steps deleted anywhere and k - 1 letters inserted anywhere (k = 2..4)."""
    k = rng.randrange(2, min(4, len(steps)) + 1)
    candidate = without(steps, rng.sample(range(len(steps)), k))
    for _ in range(k - 1):
        candidate.insert(rng.randrange(len(candidate) + 1), rng.choice(letters))
    return candidate


def _window_refilled(steps: Sequence[Step], letters: Sequence[Step], rng: random.Random) -> Steps:
    """A window of 2..4 consecutive steps replaced by fewer letters."""
    width = rng.randrange(2, min(4, len(steps)) + 1)
    start = rng.randrange(0, len(steps) - width + 1)
    fill = [rng.choice(letters) for _ in range(rng.randrange(1, width))]
    return [*steps[:start], *fill, *steps[start + width :]]


def _fresh(steps: Sequence[Step], letters: Sequence[Step], rng: random.Random) -> Steps:
    """A new story, 2 steps up to one fewer than the current, from the story's own steps
    and the alphabet in any order (a shorter mechanism of the same flaw)."""
    pool = [*steps, *letters]
    return [rng.choice(pool) for _ in range(rng.randrange(min(2, len(steps) - 1), len(steps)))]


def _origin_prefix(
    steps: Sequence[Step], origin: Sequence[Step], letters: Sequence[Step], rng: random.Random
) -> Steps:
    """A prefix of the story as first found, then some of the current steps in their
    order (now and then one letter among them): deletions made before may have taken
    an ingredient of a shorter mechanism from the opening (a cut the rest no longer
    needed, once a longer route was taken)."""
    n = len(steps)
    keep = rng.randrange(1, min(len(origin), n - 1) + 1)
    count = rng.randrange(0, n - keep)
    tail = [steps[i] for i in sorted(rng.sample(range(n), count))]
    if tail and rng.random() < 0.3:
        tail[rng.randrange(len(tail))] = rng.choice(letters)
    return [*origin[:keep], *tail]


_OPERATORS = (_redrawn_tail, _fewer_inserted, _window_refilled, _fresh)


def research(
    steps: Sequence[Step],
    letters: Sequence[Step],
    perms: Sequence[dict[int, int]],
    rng: random.Random,
    origin: Sequence[Step] = (),
) -> Iterator[Steps]:
    """Random stories shorter than `steps`, without end (the caller bounds them), each
    made by one of `_OPERATORS` chosen at random, or (as often as any one of them) from a
    prefix of `origin`, the story as first found; sometimes with the brokers renamed by
    one of `perms`. Stories that restart a running broker are left out. `rng` makes it a
    pure function of its seed."""
    assert len(steps) >= 2, "a one-step story has nothing shorter to search"
    while True:
        pick = rng.randrange(len(_OPERATORS) + (1 if origin else 0))
        if pick == len(_OPERATORS):
            candidate = _origin_prefix(steps, origin, letters, rng)
        else:
            candidate = _OPERATORS[pick](steps, letters, rng)
        if perms and rng.random() < 0.3:
            perm = rng.choice(perms)
            candidate = [relabel(step, perm) for step in candidate]
        assert len(candidate) < len(steps)
        if candidate and restarts_follow_stops(candidate):
            yield candidate


def _role(step: Step) -> str:
    """What a step is to the story: a fault (broker or network, its undo included), a
    client's operation, or a tick (from the step table, nothing about any flaw)."""
    kind = VOCABULARY[step.kind]
    return "fault" if kind.fault else "client" if kind.client else step.kind


def delete_and_substitute(steps: Sequence[Step], letters: Sequence[Step]) -> Iterator[Steps]:
    """One step deleted and another replaced by one of `letters`: first every replacement
    of a step by a letter of the same role (a fault by a fault, a tick by a tick; `_role`),
    then the others; within each, later deletions first, then the replaced step from the
    start.

    `substitute_windows` replaces consecutive steps; a story often reaches its failure by
    one fault where a shorter one has another (a slow link where a cut does, two cuts
    where one wider cut does) while a step elsewhere only served the first fault, and
    neither edit fails alone. Like for like comes first: a fault's place in the
    story is where some fault was needed. n × (n - 1) × letters candidates: for short
    stories, on a replay budget.
    """
    for same_role in (True, False):
        for gone in range(len(steps) - 1, -1, -1):
            shorter = without(steps, (gone,))
            for index, step in enumerate(shorter):
                role = _role(step)
                for letter in letters:
                    if letter != step and (_role(letter) == role) == same_role:
                        yield [*shorter[:index], letter, *shorter[index + 1 :]]


def one_client(steps: Sequence[Step]) -> Steps:
    """Every send and poll made by client 0: which client wrote or read rarely matters to
    the cluster, and a story with one client reads as one."""
    return [
        Step(step.kind, {**step.args, "process": 0}) if VOCABULARY[step.kind].client else step
        for step in steps
    ]


def origin_subsets(
    steps: Sequence[Step], origin: Sequence[Step], tick_sizes_ms: Sequence[int]
) -> Iterator[Steps]:
    """Any steps of the story as first found, in their order, fewer than the current
    story has, with the ticks snapped to the campaign's sizes (`snap_ticks`) and every
    client step made by client 0 (`one_client`); the most steps first, and of one length
    those that keep the last step first (the story as found ends where its failure showed),
    each in lexicographic order (the opening of the story as found first).

    The minimizer deletes a step or a window at a time, so it ends on a route where every
    step it deleted failed alone; the story as found often holds a shorter mechanism
    whose deletions do not (a leader bounce and the second cut that ended it go together,
    with a tick of 103 ms that was a 110 and a write from another client). `splice_origin`
    keeps a prefix and a suffix; this keeps any subset: C(len(origin), k) candidates for
    each length k, so only for short stories as found, on a replay budget.
    """
    last = len(origin) - 1
    for size in range(min(len(steps) - 1, len(origin)), 1, -1):
        with_last = ((*kept, last) for kept in combinations(range(last), size - 1))
        for kept in chain(with_last, combinations(range(last), size)):
            assert len(kept) == size < len(steps)
            chosen = [origin[index] for index in kept]
            if restarts_follow_stops(chosen):
                yield one_client(snap_ticks(chosen, tick_sizes_ms))
