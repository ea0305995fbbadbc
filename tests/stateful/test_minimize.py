"""The minimizer (stateful/minimize.py) on concrete failing scenarios of the reference
cluster: merged ticks, 1-minimality after every pass, determinism, the replay budget, and
that the printed scenario is exactly what replays."""

from __future__ import annotations

from itertools import pairwise

import pytest

from replicheck.impl import ClusterConfig
from replicheck.stateful.minimize import FIRST_ROUTE_MAX_RUNS, polish, polish_with_stats
from replicheck.stateful.result import RunResult
from replicheck.stateful.runner import resolve_config, run_single
from replicheck.stateful.scenario import run_scenario
from replicheck.stateful.steps import Step

ACKS_ONE = resolve_config(ClusterConfig(), "acks-one")


def send(process: int, message: str) -> Step:
    return Step("send", {"process": process, "partition": 0, "message": message,
                         "wait": True, "wait_ms": 40})  # fmt: skip


def crash(broker: int) -> Step:
    return Step("crash", {"broker": broker})


def tick(ms: int) -> Step:
    return Step("tick", {"ms": ms})


POLL = Step("poll", {"process": 2, "partition": 0, "offset": 0, "wait": True, "wait_ms": 40})

# acks-one, found by a campaign (seed 0) and minimized: b1 dies, b2 leads and acknowledges
# m1 alone, dies, b3 (still in the ISR) leads and writes m2 where m1 was.
STORY = [crash(1), tick(90), send(0, "m1"), crash(2), tick(90), send(1, "m2")]


def failing(steps: list[Step], config: ClusterConfig = ACKS_ONE) -> RunResult:
    result = run_scenario(config, 0, steps)
    assert result.violation, result.story()
    return result


def shows_target(run: RunResult, target: set[str]) -> bool:
    return run.violation and bool(set(run.anomaly_names) & target)


def assert_one_minimal(result: RunResult, target: set[str]) -> None:
    """No single step can go: without it the replay fails no more (or skips a step)."""
    for index in range(len(result.steps)):
        shorter = result.steps[:index] + result.steps[index + 1 :]
        replay = run_scenario(result.config, result.seed, shorter)
        skipped = any(o.startswith("→ skipped") for o in replay.step_outcomes)
        assert not shows_target(replay, target) or skipped, f"step {index + 1} not needed"


def assert_replays_exactly(result: RunResult) -> None:
    again = run_scenario(result.config, result.seed, result.steps)
    assert again.history == result.history
    assert again.anomaly_names == result.anomaly_names


def consecutive_ticks(steps: list[Step]) -> int:
    return sum(a.kind == b.kind == "tick" for a, b in pairwise(steps))


def test_consecutive_ticks_come_out_as_one() -> None:
    # Both elections need their 90 ms; split in two, no single tick can go and (measured)
    # the chunk/pair/simplify minimizer of 737e5de kept all 8 steps.
    split = [crash(1), tick(45), tick(45), send(0, "m1"), crash(2), tick(30), tick(60),
             send(1, "m2")]  # fmt: skip
    original = failing(split)
    # the first route only: a later one (round shrink6r) ends at the 5-step story that
    # cuts b1 off instead of crashing b2, which tells nothing about merging
    result, stats = polish_with_stats(original, max_runs=FIRST_ROUTE_MAX_RUNS)
    assert consecutive_ticks(list(result.steps)) == 0, result.story()
    assert len(result.steps) == len(STORY)
    assert stats.adopted.get("merge-ticks") == 2
    assert_replays_exactly(result)
    assert_one_minimal(result, set(original.anomaly_names))


def test_noise_around_a_story_goes_and_messages_are_renumbered() -> None:
    named = [s if s.kind != "send" else send(s.args["process"], f"x{i}")
             for i, s in enumerate(STORY)]  # fmt: skip
    noisy = [*named[:3], Step("partition", {"groups": [["c2"], ["b3"]]}), Step("heal", {}),
             *named[3:], POLL, crash(3), Step("restart", {"broker": 3}), tick(5),
             Step("elect-preferred", {})]  # fmt: skip
    original = failing(noisy)
    result = polish(original)
    assert len(result.steps) <= len(STORY)
    sent = [s.args["message"] for s in result.steps if s.kind == "send"]
    assert sent == [f"m{i}" for i in range(1, len(sent) + 1)]
    assert_replays_exactly(result)
    assert_one_minimal(result, set(original.anomaly_names))


def test_a_power_loss_becomes_a_crash_and_an_async_send_waits() -> None:
    harder = [Step("replace-disk", {"broker": 1}), *STORY[1:3], Step("power-loss", {"broker": 2}),
              tick(90), Step("send", {"process": 1, "partition": 0, "message": "m2",
                                      "wait": False})]  # fmt: skip
    original = failing(harder)
    result = polish(original)
    kinds = [s.kind for s in result.steps]
    assert "power-loss" not in kinds and "replace-disk" not in kinds, result.story()
    assert all(s.args.get("wait", True) for s in result.steps if s.kind == "send")
    assert len(result.steps) <= len(STORY)
    assert_replays_exactly(result)


def test_a_campaign_failure_minimizes_to_a_one_minimal_replaying_story() -> None:
    single = run_single(ACKS_ONE, 0, 50, 30, None, polish_result=False)
    assert single.result is not None
    raw = single.result
    result, stats = polish_with_stats(raw)
    assert len(result.steps) < len(raw.steps) and not stats.exhausted
    assert consecutive_ticks(list(result.steps)) == 0
    assert_replays_exactly(result)
    assert_one_minimal(result, set(raw.anomaly_names))


def test_minimizing_is_deterministic() -> None:
    single = run_single(resolve_config(ClusterConfig(), "ignore-min-isr"), 1, 50, 30, None,
                        polish_result=False)  # fmt: skip
    assert single.result is not None
    first, first_stats = polish_with_stats(single.result)
    second, second_stats = polish_with_stats(single.result)
    assert first.steps == second.steps
    assert first.history == second.history
    assert first_stats == second_stats


def test_the_replay_budget_is_respected_and_the_result_still_fails() -> None:
    noisy = [*STORY, POLL, crash(3), Step("restart", {"broker": 3}), tick(5)]
    original = failing(noisy)
    result, stats = polish_with_stats(original, max_runs=3)
    assert stats.runs == 3 and stats.exhausted
    assert shows_target(result, set(original.anomaly_names))
    assert_replays_exactly(result)


def test_a_passing_candidate_is_never_adopted() -> None:
    # Only the anomalies of the original count: every adopted scenario shows one of them.
    original = failing(STORY)
    result = polish(original)
    assert set(result.anomaly_names) & set(original.anomaly_names)
    assert len(result.steps) <= len(STORY)
    assert_replays_exactly(result)


def test_a_waiting_poll_whose_time_matters_becomes_a_tick_and_merges() -> None:
    # The election needs 90 ms after the crash; a poll that waits 60 ms of them is noise
    # only as an operation: deleting it fails, a 60 ms tick in its place does not.
    poll = Step("poll", {"process": 2, "partition": 0, "offset": 0, "wait": True,
                         "wait_ms": 60})  # fmt: skip
    original = failing([crash(1), tick(30), poll, *STORY[2:]])
    # the first route only, as above
    result, stats = polish_with_stats(original, max_runs=FIRST_ROUTE_MAX_RUNS)
    assert [s.kind for s in result.steps] == [s.kind for s in STORY], result.story()
    assert stats.adopted.get("ops-as-ticks") == 1 and stats.adopted.get("merge-ticks") == 1
    assert_replays_exactly(result)
    assert_one_minimal(result, set(original.anomaly_names))


def test_timed_replay_is_the_scenario_replay() -> None:
    from replicheck.stateful.minimize import run_timed

    run, durations_ms = run_timed(ACKS_ONE, 0, STORY)
    assert run.history == run_scenario(ACKS_ONE, 0, STORY).history
    assert durations_ms[1] == 90 and durations_ms[0] == 0  # a tick lasts its ms; a crash 0


def test_a_story_gets_shorter_when_a_cut_moves_before_the_write_it_isolates() -> None:
    # elect-any-replica as a campaign found it (seed 0), minimized without rearranging: b1
    # is cut from the controller, b2 leads and takes m1, is cut from b1 and dies; b1 is
    # elected without m1. Cutting b1 from b2 *before* the write tells the same story
    # from the start (renamed, deleting three steps and moving the cut earlier).
    config = resolve_config(ClusterConfig(), "elect-any-replica")
    cut = Step("partition", {"groups": [["b1"], ["controller"]]})
    story = [cut, tick(90), send(0, "m1"), Step("partition", {"groups": [["b2"], ["b1"]]}),
             crash(2), tick(2)]  # fmt: skip
    original = failing(story, config)
    result, stats = polish_with_stats(original)
    assert len(result.steps) == 3 and stats.adopted.get("rearrange") == 1, result.story()
    assert [s.kind for s in result.steps] == ["partition", "send", "crash"]
    assert_replays_exactly(result)
    assert_one_minimal(result, set(original.anomaly_names))


def slow_link(src: str, dst: str, extra_ms: int) -> Step:
    return Step("slow-link", {"src": src, "dst": dst, "extra_ms": extra_ms})


@pytest.mark.usefixtures("invariants_between_steps")
def test_a_deleted_step_s_time_moves_into_another_tick() -> None:
    # lazy-truncation as a campaign found it (seed 0), as far as the passes without
    # retiming get it (12 steps): deleting the 5 ms after the preferred election fails
    # unless the 30 ms wait before it grows.
    config = resolve_config(ClusterConfig(), "lazy-truncation")
    wait_send = Step("send", {"process": 0, "partition": 0, "message": "m1", "wait": True})
    story = [wait_send, slow_link("controller", "b2", 130), slow_link("controller", "b3", 130),
             Step("partition", {"groups": [["b1"], ["b2"]]}), crash(1),
             Step("restart", {"broker": 1}), tick(30), Step("elect-preferred", {}), tick(5),
             wait_send, send(0, "m3"), tick(69)]  # fmt: skip
    original = failing(story, config)
    result, stats = polish_with_stats(original)
    assert stats.adopted.get("retime", 0) >= 1 and len(result.steps) < 12, result.story()
    assert_replays_exactly(result)
    assert_one_minimal(result, set(original.anomaly_names))


def test_two_stopped_followers_become_one_cut() -> None:
    # consumer-reads-past-hw as a campaign found it (seed 1), as far as the passes without
    # stops-as-cut get it (10 steps): both followers crash, so the leader's unreplicated
    # m1 is read; the leader dies and a follower leads without m1. Cutting the followers
    # off tells it in one step, and their restarts go.
    config = resolve_config(ClusterConfig(), "consumer-reads-past-hw")
    poll = Step("poll", {"process": 1, "partition": 0, "offset": 0})
    async_send = Step("send", {"process": 0, "partition": 0, "message": "m1", "wait": False})
    wait_send = Step("send", {"process": 0, "partition": 0, "message": "m2", "wait": True})
    restart = [Step("restart", {"broker": b}) for b in (0, 1, 2, 3)]
    story = [crash(2), crash(3), async_send, poll, crash(1), tick(300), restart[3],
             restart[1], tick(5), wait_send]  # fmt: skip
    original = failing(story, config)
    result, stats = polish_with_stats(original)
    assert stats.adopted.get("stops-as-cut") == 1 and len(result.steps) <= 7, result.story()
    assert "partition" in [s.kind for s in result.steps]
    assert_replays_exactly(result)
    assert_one_minimal(result, set(original.anomaly_names))


def test_shrink_replays_count_the_minimizer_s_replays() -> None:
    # `hunt` printed "shrink replays 1" for a 13-step story: the count was Hypothesis's
    # (its one final replay, the shrink phase being off), not the minimizer's.
    raw = run_single(ACKS_ONE, 0, 50, 30, None, polish_result=False)
    polished = run_single(ACKS_ONE, 0, 50, 30, None)
    assert raw.result is not None and polished.result is not None
    _, stats = polish_with_stats(raw.result)
    assert stats.runs > 1
    assert polished.shrink_runs == raw.shrink_runs + stats.runs
