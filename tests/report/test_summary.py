"""The plain-text sentences every output shares."""

from __future__ import annotations

from replicheck.report import summary

START = ["Topic: orders Partition: 0 Leader: 1 Replicas: 1,2,3 Isr: 1,2,3"]
NO_LEADER = ["Topic: orders Partition: 0 Leader: none Replicas: 1,2,3 Isr: 3"]


def test_snapshots_keep_the_moments_where_the_cluster_changed(lost_write) -> None:
    lost_write.describe_snapshots = [
        (0, START),
        (2, START),
        (4, NO_LEADER),
        (5, NO_LEADER),
        (8, NO_LEADER),
    ]
    shown = summary.snapshots(lost_write)
    assert [s.label for s in shown] == [
        "at the start",
        "after step 4: broker 1 loses power",
        "at the end (after healing, restarting every broker and the final read)",
    ]
    assert shown[1].lines == NO_LEADER


def test_verdict_line_counts_and_subject(lost_write, make_lost_write) -> None:
    assert summary.verdict_line(lost_write) == (
        "VIOLATION: lost-write, inconsistent-offsets (flaw demo, 7 steps, seed 7)"
    )
    clean = make_lost_write(flaws=frozenset())
    clean.log_verdict.anomalies.clear()
    assert summary.verdict_line(clean) == (
        "OK: no anomaly and no replica invariant violation "
        "(the correct configuration, 7 steps, seed 7)"
    )
    clean.invariant_violations = [(2, "a"), (8, "b")]
    assert summary.verdict_line(clean) == (
        "VIOLATION: replica-invariant ×2 (the correct configuration, 7 steps, seed 7)"
    )


def test_story_has_numbered_steps_and_the_moment_of_each_invariant(lost_write) -> None:
    lost_write.invariant_violations = [(3, "HW passed an ISR member's LEO"), (8, "two leaders")]
    text = summary.story(lost_write)
    assert "  4. broker 1 loses power  → ok" in text.splitlines()
    assert "replica invariant violated after step 3: HW passed an ISR member's LEO" in text
    assert (
        "replica invariant violated at the end (after healing and the final read): two leaders"
        in text
    )


def test_default_search_command_names_the_flaws(lost_write, make_lost_write) -> None:
    assert summary.default_search_command(lost_write) == "replicheck hunt --flaw demo"
    assert summary.default_search_command(make_lost_write(flaws=frozenset())) == "replicheck hunt"
