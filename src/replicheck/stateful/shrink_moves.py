"""Candidate edits of a failing step list, for the minimizer (stateful/minimize.py).

Every function here is pure: it takes the current steps and yields shorter or simpler
step lists, in a fixed order, without running anything. The minimizer replays each
candidate and keeps the first that still fails, so a move only has to be *plausible*; a
wrong guess costs one replay of a few milliseconds. Two kinds of move exist:

- shorter ones (fewer steps): deleting sets of steps or windows of consecutive steps
  (their ticks snapped, later polls' offsets shifted), merging consecutive ticks, folding
  a tick into the wait of the send before it, deleting a fault with everything that
  touches the same broker later, one cut for several stopped brokers, deleting a step
  while another tick takes a new duration or a send or poll a new bound, keeping some
  steps in another order;
- simpler ones (same length, every step no harder to read or to reproduce): a power loss
  becomes a crash, a send waits for its answer (with no bound of its own), a cut leaves
  out a node, the network calms down, a tick shortens.
  Each such rewrite strictly lowers a per-step measure (`simplicity_rank`), so a sequence
  of adopted rewrites always ends.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from itertools import combinations, permutations

from replicheck.stateful.steps import MAX_STEP_MS, VOCABULARY, Step

Steps = list[Step]

# What undoes a fault: fault kind → (undo kind, the arg that must match, or None).
UNDO = {name: kind.undo for name, kind in VOCABULARY.items() if kind.undo is not None}

# A fault's gentler relative: losing power keeps fsynced data, a crash keeps the page cache.
GENTLER = {"replace-disk": ("power-loss", "crash"), "power-loss": ("crash",)}


def without(steps: Sequence[Step], drop: Sequence[int]) -> Steps:
    """`steps` minus the indices in `drop`."""
    gone = set(drop)
    return [step for index, step in enumerate(steps) if index not in gone]


def delete_subsets(steps: Sequence[Step], size: int) -> Iterator[Steps]:
    """Every way of deleting exactly `size` steps (not necessarily adjacent), later
    steps first: a story's cause is usually early, its noise usually late."""
    indices = range(len(steps) - 1, -1, -1)
    for drop in combinations(indices, size):
        yield without(steps, drop)


#: client operations: a window deletion may keep them (`delete_windows`)
CLIENT_OPS = frozenset({"send", "poll"})


def snap_ticks(steps: Sequence[Step], tick_sizes_ms: Sequence[int]) -> Steps:
    """Every tick as the campaign tick size nearest to it (the smaller on a tie): a tick
    of 112 or 13 ms was usually a 110 or a 10 that merged with a neighbour or took
    another step's time, and once the steps around it go the round size may be the one
    the story needs again."""
    assert tick_sizes_ms, "no tick sizes to snap to"
    snapped: Steps = []
    for step in steps:
        if step.kind == "tick":
            ms = int(step.args["ms"])
            nearest = min(tick_sizes_ms, key=lambda size: (abs(size - ms), size))
            step = Step("tick", {"ms": nearest})
        snapped.append(step)
    return snapped


def without_shifted(steps: Sequence[Step], drop: Sequence[int]) -> Steps:
    """`without(steps, drop)`, each later poll's offset lowered by the writes to its
    partition that went before it (floored at 0): deleting writes moves every later record
    to a lower offset, so a poll that read the record the story needs reads it there."""
    gone = set(drop)
    shifted: Steps = []
    dropped_writes: Counter[object] = Counter()
    for index, step in enumerate(steps):
        if index in gone:
            if step.kind == "send":
                dropped_writes[step.args.get("partition")] += 1
            continue
        lowered = dropped_writes[step.args.get("partition")]
        if step.kind == "poll" and lowered and isinstance(step.args.get("offset"), int):
            step = Step("poll", {**step.args, "offset": max(0, step.args["offset"] - lowered)})
        shifted.append(step)
    return shifted


def delete_windows(
    steps: Sequence[Step], tick_sizes_ms: Sequence[int], widths: Sequence[int] = (6, 5, 4, 3)
) -> Iterator[Steps]:
    """Every window of `width` consecutive steps deleted, at every offset (the widest
    first, later windows first), also deleted but for its client operations, and each of
    those with the ticks left snapped to the campaign's sizes (`snap_ticks`) and, where
    writes went, with the later polls' offsets lowered to match (`without_shifted`).

    Delta debugging only tries windows aligned on its halving chunks, and deleting any
    three or more steps is cubic, so a long story keeps an opening that did nothing
    lasting: a leader bounced and back (crash, wait, restart, election), a restart and the
    wait for it. Those are runs of consecutive faults and waits, a linear number of
    candidates at any length. Kept writes: such a stretch often sits around a write the
    rest of the story reads.
    """
    for width in widths:
        for start in range(len(steps) - width, -1, -1):
            window = range(start, start + width)
            faults = [i for i in window if steps[i].kind not in CLIENT_OPS]
            drops = [window, faults] if 2 <= len(faults) < width else [window]
            for drop in drops:
                shorter = without(steps, drop)
                yield shorter
                snapped = snap_ticks(shorter, tick_sizes_ms)
                if snapped != shorter:
                    yield snapped
                shifted = without_shifted(steps, drop)
                if shifted != shorter:
                    yield shifted


def undo_partner(steps: Sequence[Step], index: int) -> int | None:
    """The first later step that undoes fault `index` (its restart, its heal), if any."""
    step = steps[index]
    undo = UNDO.get(step.kind)
    if undo is None:
        return None
    kind, arg = undo
    for later in range(index + 1, len(steps)):
        other = steps[later]
        if other.kind == kind and (arg is None or other.args.get(arg) == step.args.get(arg)):
            return later
    return None


def delete_fault_pairs(steps: Sequence[Step]) -> Iterator[Steps]:
    """A fault together with the step that undoes it (crash … restart, partition … heal)."""
    for index in range(len(steps)):
        partner = undo_partner(steps, index)
        if partner is not None:
            yield without(steps, (index, partner))


def _broker_of(step: Step) -> int | None:
    broker = step.args.get("broker")
    return broker if isinstance(broker, int) else None


def delete_with_dependents(steps: Sequence[Step]) -> Iterator[Steps]:
    """A step together with every later step that only makes sense because of it: for a
    broker fault, every later step on the same broker; for a cut, every later cut and heal
    up to the next heal (it is what the later ones narrow or undo)."""
    for index, step in enumerate(steps):
        broker = _broker_of(step)
        drop = [index]
        if broker is not None and step.kind != "restart":
            drop += [j for j in range(index + 1, len(steps)) if _broker_of(steps[j]) == broker]
        elif step.kind == "partition":
            for j in range(index + 1, len(steps)):
                if steps[j].kind in ("partition", "heal"):
                    drop.append(j)
                if steps[j].kind == "heal":
                    break
        if len(drop) > 2:  # one or two steps: the other moves already try them
            yield without(steps, drop)


def merge_ticks(steps: Sequence[Step]) -> Iterator[Steps]:
    """Each run of consecutive ticks as one tick of their total (capped at a step's
    maximum): the same time passes with no step boundary in between."""
    index = 0
    while index < len(steps):
        end = index
        while end < len(steps) and steps[end].kind == "tick":
            end += 1
        if end - index >= 2:
            total_ms = min(MAX_STEP_MS, sum(int(s.args["ms"]) for s in steps[index:end]))
            yield [*steps[:index], Step("tick", {"ms": total_ms}), *steps[end:]]
        index = max(end, index + 1)


def fold_ticks_into_sends(steps: Sequence[Step]) -> Iterator[Steps]:
    """A send followed by a tick as one send that waits that much longer (an unanswered
    send waits out its whole bound, so the same time passes when the write hangs; when it
    is answered early, the replay decides whether the rest of the tick mattered)."""
    for index in range(len(steps) - 1):
        send, tick = steps[index], steps[index + 1]
        if send.kind not in ("send", "poll") or tick.kind != "tick":
            continue
        if send.args.get("wait", True) is False:
            waited_ms = 0
        elif "wait_ms" in send.args:
            waited_ms = int(send.args["wait_ms"])
        else:
            continue  # waits for its answer up to the request timeout: nothing to fold
        args = {**send.args, "wait": True, "wait_ms": min(MAX_STEP_MS, waited_ms + tick.args["ms"])}
        yield [*steps[:index], Step(send.kind, args), *steps[index + 2 :]]


def client_ops_as_ticks(steps: Sequence[Step], durations_ms: Sequence[int]) -> Iterator[Steps]:
    """A send or poll that waited replaced by a tick as long as its wait: the same time
    passes without the operation (a client op that does not matter but whose time does)."""
    assert len(durations_ms) == len(steps)
    for index, step in enumerate(steps):
        waited = step.kind in ("send", "poll") and step.args.get("wait", True)
        if waited and durations_ms[index] > 0:
            tick = Step("tick", {"ms": min(MAX_STEP_MS, durations_ms[index])})
            yield [*steps[:index], tick, *steps[index + 1 :]]


def simplicity_rank(step: Step) -> tuple[int, int]:
    """What a same-length rewrite must lower: (how drastic the step is, its size). A
    client operation weighs more than a tick, so one may become the other."""
    drastic = {"replace-disk": 2, "power-loss": 1}.get(step.kind, 0)
    if step.kind in ("send", "poll"):
        drastic = 1 if step.args.get("wait", True) else 2
        return drastic, int(step.args.get("process", 0)) + ("wait_ms" in step.args)
    if step.kind == "tick":
        return 0, int(step.args["ms"])
    if step.kind == "partition":
        return 0, sum(len(group) for group in step.args["groups"])
    if step.kind == "message-faults":
        lossy = 1 if float(step.args["loss"]) > 0 else 0
        return lossy, int(step.args["delay_lo_ms"]) + int(step.args["delay_hi_ms"])
    return drastic, 0


def _narrower_cuts(groups: list[list[str]]) -> Iterator[list[list[str]]]:
    """The cut with one node left out of one side (a side left empty: no cut there)."""
    for g, group in enumerate(groups):
        for node in group:
            narrower = [
                [n for n in other if n != node] if i == g else list(other)
                for i, other in enumerate(groups)
            ]
            narrower = [side for side in narrower if side]
            if len(narrower) >= 2:
                yield narrower


def simpler_versions(step: Step, tick_sizes_ms: Sequence[int]) -> Iterator[Step]:
    """Gentler steps of the same family, gentlest first."""
    if step.kind in GENTLER:
        for kind in reversed(GENTLER[step.kind]):
            yield Step(kind, dict(step.args))
    elif step.kind in ("send", "poll"):
        if step.args.get("wait", True) is False:
            yield Step(step.kind, {**step.args, "wait": True})
        elif "wait_ms" in step.args:  # wait for the answer (up to the request timeout)
            yield Step(step.kind, {k: v for k, v in step.args.items() if k != "wait_ms"})
        if int(step.args["process"]) > 0:
            yield Step(step.kind, {**step.args, "process": 0})
    elif step.kind == "tick":
        ms = int(step.args["ms"])
        shorter = sorted({*(t for t in tick_sizes_ms if t < ms), ms // 2} - {0})
        yield from (Step("tick", {"ms": t}) for t in shorter)
    elif step.kind == "partition":
        args = {k: v for k, v in step.args.items() if k != "note"}
        for groups in _narrower_cuts([list(g) for g in step.args["groups"]]):
            yield Step("partition", {**args, "groups": groups})
    elif step.kind == "message-faults":
        yield from _calmer_networks(step)


def _calmer_networks(step: Step) -> Iterator[Step]:
    """No loss; the shortest delay; a fixed delay instead of a range."""
    lo, hi = int(step.args["delay_lo_ms"]), int(step.args["delay_hi_ms"])
    if float(step.args["loss"]) > 0:
        yield Step("message-faults", {**step.args, "loss": 0})
    if (lo, hi) != (1, 1):
        yield Step("message-faults", {**step.args, "delay_lo_ms": 1, "delay_hi_ms": 1})
    if 1 < lo < hi:
        yield Step("message-faults", {**step.args, "delay_hi_ms": lo})


def simplify_steps(steps: Sequence[Step], tick_sizes_ms: Sequence[int]) -> Iterator[Steps]:
    """Each step replaced by a simpler version of itself (see `simplicity_rank`)."""
    for index, step in enumerate(steps):
        for option in simpler_versions(step, tick_sizes_ms):
            assert simplicity_rank(option) < simplicity_rank(step), (step, option)
            yield [*steps[:index], option, *steps[index + 1 :]]


def swap_then_delete(steps: Sequence[Step]) -> Iterator[Steps]:
    """Two adjacent steps swapped, then one step deleted: an order that lets a step go."""
    for index in range(len(steps) - 1):
        swapped = list(steps)
        swapped[index], swapped[index + 1] = swapped[index + 1], swapped[index]
        if swapped[index] == swapped[index + 1]:
            continue
        for drop in range(len(swapped) - 1, -1, -1):
            yield without(swapped, (drop,))


def broker_permutations(broker_count: int) -> list[dict[int, int]]:
    """Non-identity relabellings of the brokers: all of them for up to 3 brokers, the
    transpositions beyond (the number of permutations grows too fast)."""
    brokers = list(range(1, broker_count + 1))
    if broker_count <= 3:
        perms = [dict(zip(brokers, p, strict=True)) for p in permutations(brokers)]
    else:
        perms = []
        for a, b in combinations(brokers, 2):
            perm = {x: x for x in brokers}
            perm[a], perm[b] = b, a
            perms.append(perm)
    return [p for p in perms if any(k != v for k, v in p.items())]


def _relabel_node(node: str, perm: dict[int, int]) -> str:
    if node.startswith("b") and node[1:].isdigit() and int(node[1:]) in perm:
        return f"b{perm[int(node[1:])]}"
    return node


def relabel(step: Step, perm: dict[int, int]) -> Step:
    """`step` with every broker renamed by `perm` (a cut's prose note, which names
    brokers, is dropped rather than rewritten)."""
    args = dict(step.args)
    if isinstance(args.get("broker"), int):
        args["broker"] = perm.get(args["broker"], args["broker"])
    if step.kind == "partition":
        args.pop("note", None)
        args["groups"] = [[_relabel_node(n, perm) for n in group] for group in args["groups"]]
    return Step(step.kind, args)


def delete_and_relabel(
    steps: Sequence[Step], size: int, perms: Sequence[dict[int, int]]
) -> Iterator[Steps]:
    """`size` steps deleted and the brokers of the rest renamed. A story often begins by
    moving leadership away (crash the leader, wait for the election) and then plays out
    on the new leader; replaying the rest with the new leader renamed to the first one
    (the initial leader) needs no such opening."""
    for shorter in delete_subsets(steps, size):
        for perm in perms:
            yield [relabel(step, perm) for step in shorter]


def leader_renamings(broker_count: int) -> list[dict[int, int]]:
    """The transpositions that rename some broker to b1, the initial leader (a story that
    plays out on a later leader often replays as well on the first, with no opening)."""
    brokers = range(1, broker_count + 1)
    return [{x: {1: b, b: 1}.get(x, x) for x in brokers} for b in range(2, broker_count + 1)]


def restarts_follow_stops(steps: Sequence[Step]) -> bool:
    """Whether every restart comes after a stop of its broker (the executor skips any
    other restart, so an arrangement with one is a shorter arrangement in disguise)."""
    stopped: set[int] = set()
    for step in steps:
        broker = _broker_of(step)
        if step.kind == "restart":
            if broker not in stopped:
                return False
            stopped.discard(broker)
        elif step.kind in UNDO and UNDO[step.kind][0] == "restart" and broker is not None:
            stopped.add(broker)
    return True


def rearrangements(
    steps: Sequence[Step], size: int, perms: Sequence[dict[int, int]]
) -> Iterator[Steps]:
    """`size` of the steps, in any order, each arrangement also with the brokers renamed.

    Deleting keeps the order of what stays; some stories only get shorter when a step
    also moves (a cut that came after the write it isolates works as well before it, and
    then the steps that arranged the write's isolation can go). Arrangements in the
    original order are yielded renamed only: unrenamed, they are plain deletions, which
    the other passes try; arrangements that restart a running broker are left out. There
    are n!/(n-size)! arrangements: for short stories only.
    """
    for chosen in permutations(range(len(steps)), size):
        kept = [steps[index] for index in chosen]
        if not restarts_follow_stops(kept):
            continue
        if list(chosen) != sorted(chosen):
            yield kept
        for perm in perms:
            yield [relabel(step, perm) for step in kept]


def delete_and_retime(steps: Sequence[Step], tick_sizes_ms: Sequence[int]) -> Iterator[Steps]:
    """One step deleted and one tick given another duration, longer or shorter.

    What a deleted step did may have been only to let time pass or to shift when later
    steps happen (a second election wait, a tick that lined a step up with a fetch); a
    tick elsewhere of another length can stand in for it. Durations tried: the campaign's
    tick sizes, the story's own ticks, a deleted tick's time added to the other, and the
    tick one millisecond shorter or longer (time is simulated to the millisecond, and a
    deleted step can move a later event by as little: a cut reorders what is in flight).
    """
    sizes = {*tick_sizes_ms, *(ms for s in steps if (ms := _tick_ms(s)) is not None)}
    yield from _delete_and_vary(
        steps, sizes, _tick_ms, lambda step, ms: Step("tick", {"ms": ms}), add_deleted=True
    )


def _tick_ms(step: Step) -> int | None:
    return int(step.args["ms"]) if step.kind == "tick" else None


def _delete_and_vary(
    steps: Sequence[Step],
    sizes: set[int],
    duration_ms: Callable[[Step], int | None],
    with_duration: Callable[[Step, int], Step],
    add_deleted: bool = False,
) -> Iterator[Steps]:
    """One step deleted (from the end) and one step with a duration (`duration_ms` not None)
    given another: each of `sizes`, its own one millisecond shorter or longer, and (with
    `add_deleted`) its own plus the deleted step's duration."""
    for gone in range(len(steps) - 1, -1, -1):
        shorter = without(steps, (gone,))
        extra_ms = (duration_ms(steps[gone]) or 0) if add_deleted else 0
        for index, step in enumerate(shorter):
            ms = duration_ms(step)
            if ms is None:
                continue
            options = sorted(sizes | {ms - 1, ms + 1} | ({ms + extra_ms} if extra_ms else set()))
            for new_ms in options:
                if new_ms != ms and 1 <= new_ms <= MAX_STEP_MS:
                    yield [*shorter[:index], with_duration(step, new_ms), *shorter[index + 1 :]]


def _waits_ms(step: Step) -> int | None:
    """How long a send or poll with a bound of its own waits for its answer (else None)."""
    if step.kind in CLIENT_OPS and step.args.get("wait", True) and "wait_ms" in step.args:
        return int(step.args["wait_ms"])
    return None


def delete_and_rewait(steps: Sequence[Step], tick_sizes_ms: Sequence[int]) -> Iterator[Steps]:
    """One step deleted and one send or poll with a bound of its own given another bound:
    a campaign tick size, one of the story's own bounds, or its own one millisecond
    shorter or longer.

    A client step's bound decides whether its request is still in flight when the next
    step comes (a write retried across a failover needs the failover before its answer),
    and the story's other steps may have been there only to line that up: a write that
    waited 40 ms behind a crash, a restart and an election is often one that waits 5 ms
    before a crash. `delete_and_retime` does the same for ticks.
    """
    sizes = {*tick_sizes_ms, *(b for s in steps if (b := _waits_ms(s)) is not None)}
    yield from _delete_and_vary(
        steps, sizes, _waits_ms, lambda step, ms: Step(step.kind, {**step.args, "wait_ms": ms})
    )


#: the faults that stop a broker (a later restart brings it back)
STOPS = frozenset(kind for kind, (undo, _) in UNDO.items() if undo == "restart")


def stops_as_cut(steps: Sequence[Step], broker_count: int) -> Iterator[Steps]:
    """A run of two or more consecutive stops of distinct brokers as one cut that parts
    those brokers from the others: a stopped broker and a cut-off one both fall silent,
    and one step does for all of them. Their later restarts go too (a restart of a broker
    that never stopped is skipped), or become one heal where the first of them was."""
    index = 0
    while index < len(steps):
        end = index
        stopped: list[int] = []
        while end < len(steps) and steps[end].kind in STOPS:
            broker = _broker_of(steps[end])
            if broker is None or broker in stopped:
                break
            stopped.append(broker)
            end += 1
        others = [b for b in range(1, broker_count + 1) if b not in stopped]
        if len(stopped) >= 2 and others:
            cut = Step("partition", {"groups": [[f"b{b}" for b in sorted(stopped)],
                                                [f"b{b}" for b in others]]})  # fmt: skip
            rest = list(steps[end:])
            restarts = [j for j, s in enumerate(rest)
                        if s.kind == "restart" and _broker_of(s) in stopped]  # fmt: skip
            yield [*steps[:index], cut, *without(rest, restarts)]
            if restarts:
                healed = [Step("heal", {}) if j == restarts[0] else s for j, s in enumerate(rest)]
                yield [*steps[:index], cut, *without(healed, restarts[1:])]
        index = max(end, index + 1)
