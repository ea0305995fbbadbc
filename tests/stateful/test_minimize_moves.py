"""The minimizer's candidate edits (stateful/shrink_moves.py), without running a cluster."""

from __future__ import annotations

from math import comb

import pytest

from replicheck.stateful import shrink_moves as moves
from replicheck.stateful.steps import MAX_STEP_MS, Step

TICKS_MS = [5, 10, 90, 110]


def send(message: str, *, wait: bool = True, wait_ms: int | None = 40) -> Step:
    args: dict[str, object] = {"process": 1, "partition": 0, "message": message, "wait": wait}
    if wait_ms is not None:
        args["wait_ms"] = wait_ms
    return Step("send", args)


def tick(ms: int) -> Step:
    return Step("tick", {"ms": ms})


def crash(broker: int) -> Step:
    return Step("crash", {"broker": broker})


def test_each_run_of_consecutive_ticks_merges_into_one() -> None:
    steps = [send("m1"), tick(5), tick(10), tick(1), crash(1), tick(7), tick(MAX_STEP_MS)]
    merged = list(moves.merge_ticks(steps))
    assert merged == [
        [send("m1"), tick(16), crash(1), tick(7), tick(MAX_STEP_MS)],
        [send("m1"), tick(5), tick(10), tick(1), crash(1), tick(MAX_STEP_MS)],  # capped
    ]
    assert list(moves.merge_ticks([tick(5), crash(1), tick(5)])) == []


def test_a_tick_folds_into_the_wait_of_the_send_before_it() -> None:
    folded = list(moves.fold_ticks_into_sends([send("m1", wait=False), tick(30), crash(1)]))
    assert folded == [[send("m1", wait=True, wait_ms=30), crash(1)]]
    assert list(moves.fold_ticks_into_sends([send("m1", wait_ms=40), tick(30)])) == [
        [send("m1", wait_ms=70)]
    ]
    # without wait_ms a send waits for its answer up to the request timeout: no fold
    assert list(moves.fold_ticks_into_sends([send("m1", wait_ms=None), tick(30)])) == []


@pytest.mark.parametrize("size", [1, 2, 3])
def test_subset_deletion_yields_every_subset_once(size: int) -> None:
    steps = [tick(ms) for ms in range(1, 7)]
    candidates = list(moves.delete_subsets(steps, size))
    assert len(candidates) == comb(6, size)
    assert len({tuple(s.args["ms"] for s in c) for c in candidates}) == comb(6, size)
    assert all(len(c) == 6 - size for c in candidates)


def test_a_fault_goes_with_its_undo_and_with_its_broker_s_later_steps() -> None:
    restart = Step("restart", {"broker": 2})
    steps = [crash(2), tick(5), crash(1), restart, Step("power-loss", {"broker": 2}), restart]
    pairs = list(moves.delete_fault_pairs(steps))
    assert pairs[0] == [tick(5), crash(1), Step("power-loss", {"broker": 2}), restart]
    dependents = list(moves.delete_with_dependents(steps))
    assert [tick(5), crash(1)] in dependents  # crash 2 with every later step on broker 2


def test_broker_relabelling_renames_brokers_and_cut_members() -> None:
    cut = Step("partition", {"groups": [["b1", "c0"], ["b2", "controller"]], "note": "b1 alone"})
    perm = {1: 2, 2: 1, 3: 3}
    assert moves.relabel(cut, perm) == Step(
        "partition", {"groups": [["b2", "c0"], ["b1", "controller"]]}
    )
    assert moves.relabel(crash(2), perm) == crash(1)
    assert moves.relabel(send("m1"), perm) == send("m1")
    assert len(moves.broker_permutations(3)) == 5  # every non-identity permutation
    assert len(moves.broker_permutations(5)) == comb(5, 2)  # the transpositions
    relabelled = list(moves.delete_and_relabel([crash(1), tick(90), crash(2)], 2, [perm]))
    assert relabelled == [[crash(2)], [tick(90)], [crash(1)]]


SIMPLIFIABLE = [
    Step("replace-disk", {"broker": 1}),
    Step("power-loss", {"broker": 3}),
    send("m1", wait=False),
    Step("poll", {"process": 2, "partition": 0, "offset": 0, "wait": False}),
    tick(110),
    tick(7),
    Step("partition", {"groups": [["b1", "c0"], ["b2", "b3", "controller"]], "note": "x"}),
    Step("message-faults", {"loss": 0.2, "delay_lo_ms": 11, "delay_hi_ms": 41}),
]


@pytest.mark.parametrize("step", SIMPLIFIABLE, ids=lambda s: s.kind)
def test_every_simpler_version_is_strictly_simpler_and_valid(step: Step) -> None:
    options = list(moves.simpler_versions(step, TICKS_MS))
    assert options, f"nothing simpler than {step}"
    for option in options:
        assert moves.simplicity_rank(option) < moves.simplicity_rank(step), option
        assert option.kind in (step.kind, "power-loss", "crash")
    assert len(list(moves.simplify_steps([step, crash(1)], TICKS_MS))) == len(options)


def test_gentler_faults_come_gentlest_first_and_cuts_stay_cuts() -> None:
    options = list(moves.simpler_versions(Step("replace-disk", {"broker": 1}), TICKS_MS))
    assert [o.kind for o in options] == ["crash", "power-loss"]
    cut = Step("partition", {"groups": [["b1"], ["b2", "b3"]]})
    for option in moves.simpler_versions(cut, TICKS_MS):
        assert len(option.args["groups"]) >= 2 and all(option.args["groups"])
    assert list(moves.simpler_versions(crash(1), TICKS_MS)) == []
    assert list(moves.simpler_versions(Step("tick", {"ms": 1}), TICKS_MS)) == []


def test_a_swap_then_delete_covers_every_adjacent_swap() -> None:
    steps = [crash(1), tick(5), crash(2)]
    candidates = list(moves.swap_then_delete(steps))
    assert len(candidates) == 2 * 3
    assert [crash(2), tick(5)] in candidates  # swap(0,1) → tick crash1 crash2, minus crash1


def test_rearrangements_reorder_and_rename_but_leave_plain_deletions_out() -> None:
    steps = [crash(1), tick(5), crash(2)]
    # unrenamed: only the out-of-order choices (in order they are plain deletions)
    assert list(moves.rearrangements(steps, 2, [])) == [
        [tick(5), crash(1)], [crash(2), crash(1)], [crash(2), tick(5)]
    ]  # fmt: skip
    assert len(list(moves.rearrangements(steps, 3, []))) == 5  # 3! minus the original
    swap = {1: 2, 2: 1, 3: 3}
    renamed = list(moves.rearrangements(steps, 2, [swap]))
    assert len(renamed) == 3 + 6  # every ordered choice of 2 is also renamed
    assert [crash(2), tick(5)] in renamed[:2]  # crash 1 + tick, renamed, comes first
    assert [crash(1), crash(2)] in renamed  # crash 2 + crash 1 reordered, renamed


def test_arrangements_never_restart_a_running_broker() -> None:
    restart = Step("restart", {"broker": 2})
    assert moves.restarts_follow_stops([crash(2), tick(5), restart])
    assert moves.restarts_follow_stops([Step("power-loss", {"broker": 2}), restart])
    assert not moves.restarts_follow_stops([restart, crash(2)])
    assert not moves.restarts_follow_stops([crash(1), restart])
    assert not moves.restarts_follow_stops([crash(2), restart, restart])
    arranged = list(moves.rearrangements([crash(2), restart, tick(5)], 2, []))
    assert arranged == [[tick(5), crash(2)]]  # restart-first orders are left out


def test_leader_renamings_rename_one_broker_to_the_first() -> None:
    assert moves.leader_renamings(3) == [{1: 2, 2: 1, 3: 3}, {1: 3, 2: 2, 3: 1}]
    assert moves.leader_renamings(1) == []


def test_delete_and_retime_lets_another_tick_take_a_deleted_step_s_time() -> None:
    steps = [crash(1), tick(30), Step("elect-preferred", {}), tick(5)]
    candidates = list(moves.delete_and_retime(steps, [10, 90]))
    # the last tick deleted, its 5 ms added to the first, the first set to each size or
    # one millisecond shorter or longer
    assert candidates[:6] == [[crash(1), tick(ms), Step("elect-preferred", {})]
                              for ms in (5, 10, 29, 31, 35, 90)]  # fmt: skip
    # the election deleted: the last tick one millisecond shorter or longer
    assert [crash(1), tick(30), tick(4)] in candidates
    assert [crash(1), tick(30), tick(6)] in candidates
    assert [tick(90), Step("elect-preferred", {}), tick(5)] in candidates  # crash deleted
    assert all(len(c) == 3 for c in candidates)
    assert all(c.count(tick(30)) == 0 or c.count(tick(5)) == 0 for c in candidates)


def test_consecutive_stops_become_one_cut_and_their_restarts_go_or_heal() -> None:
    restart = [Step("restart", {"broker": b}) for b in (0, 1, 2, 3)]
    steps = [crash(2), Step("power-loss", {"broker": 3}), send("m1"), restart[3], restart[2]]
    cut = Step("partition", {"groups": [["b2", "b3"], ["b1"]]})
    assert list(moves.stops_as_cut(steps, 3)) == [
        [cut, send("m1")],  # the restarts go
        [cut, send("m1"), Step("heal", {})],  # or the first becomes a heal
    ]
    assert list(moves.stops_as_cut([crash(2), tick(5), crash(3)], 3)) == []  # not a run
    assert list(moves.stops_as_cut([crash(2), crash(2)], 3)) == []  # one broker
    # every broker stopped: no one is left to cut them from
    assert list(moves.stops_as_cut([crash(1), crash(2), crash(3)], 3)) == []
