"""Hand-built histories: one per anomaly (with its exact evidence) and the near misses
that a correct Kafka produces and that must NOT be flagged."""

from __future__ import annotations

import orjson

from replicheck.checker.log_anomalies import ANOMALY_KINDS, check_log
from replicheck.testing.log_builder import KEY, LogHistory


def kinds(history: LogHistory) -> set[str]:
    return set(check_log(history.ops).anomalies)


# -- clean runs -----------------------------------------------------------------------------


def test_clean_run_with_concurrency_info_and_fail_is_valid():
    h = LogHistory()
    h.send(0, "a", 0)
    h.invoke_send(1, "b")
    h.invoke_poll(2, 0)
    h.complete_send(1, "b", 1)
    h.complete_poll(2, 0, [[0, "a"], [1, "b"]])  # concurrent read sees b before... fine
    h.send(1, "c", None, type="fail")
    h.send(0, "d", None, type="info")  # written (a read shows it) but unknown to the client
    h.send(1, "e", 3)
    h.poll(2, 2, [[2, "d"], [3, "e"]])  # continues at last + 1
    h.poll(2, 4, [])  # nothing new yet
    h.poll(3, 0, [[0, "a"], [1, "b"], [2, "d"], [3, "e"]], final=True)
    verdict = check_log(h.ops)
    assert verdict.valid
    assert verdict.anomalies == {}
    stats = verdict.stats
    assert stats["ops"] == len(h.ops)
    assert stats["sends"] == {"ok": 3, "info": 1, "fail": 1}
    assert stats["polls"] == {"ok": 4, "info": 0, "fail": 0}
    assert stats["acked_sends"] == 3
    assert stats["observed_offsets"] == 4
    assert stats["final_reads"] == "flagged"
    assert stats["final_polls"] == 1
    assert stats["anomaly_counts"] == {}
    assert verdict.render_text().splitlines()[0] == (
        "VALID: no log anomalies (18 ops, 1 partition(s), 3 acknowledged sends, "
        "final reads: flagged)"
    )


def test_unacknowledged_info_send_missing_everywhere_is_fine():
    h = LogHistory()
    h.send(0, "a", 0)
    h.send(0, "lost-maybe", None, type="info")
    h.poll(1, 0, [[0, "a"]], final=True)
    assert kinds(h) == set()


def test_empty_history():
    verdict = check_log([])
    assert verdict.valid
    assert verdict.stats["ops"] == 0
    assert verdict.stats["partitions"] == 0


# -- lost-write -----------------------------------------------------------------------------


def test_lost_write_gap_in_final_read():
    h = LogHistory()
    h.log(["a", "b", "c"])
    read = h.poll(1, 0, [[0, "a"], [2, "c"]], final=True)
    verdict = check_log(h.ops)
    # the same gap, seen as one op's records jumping over a known record: Jepsen's name
    assert set(verdict.anomalies) == {"lost-write", "int-poll-skip"}
    [skip] = verdict.anomalies["int-poll-skip"]
    assert (skip["offsets"], skip["skipped_count"]) == ([0, 2], 1)
    [lost] = verdict.anomalies["lost-write"]
    assert lost["key"] == KEY
    assert lost["offset"] == 1
    assert lost["message"] == "b"
    assert lost["read_message"] is None
    assert lost["send"] == {
        "index": 3,
        "invoke_index": 2,
        "process": 0,
        "f": "send",
        "offset": 1,
        "message": "b",
    }
    assert lost["read"]["index"] == read
    assert lost["read"]["final"] is True
    assert lost["read"]["offsets"] == [0, 2]
    # covered by the final read, so it is lost, not (also) unseen
    assert "unseen" not in verdict.anomalies


def test_lost_write_overwritten_is_also_inconsistent():
    """Truncate-to-HW in miniature: b acknowledged at 1, later replaced by x."""
    h = LogHistory()
    h.log(["a", "b"])
    h.send(1, "x", 1)  # the new leader hands offset 1 out again
    h.poll(2, 0, [[0, "a"], [1, "x"]], final=True)
    verdict = check_log(h.ops)
    assert set(verdict.anomalies) == {"lost-write", "inconsistent-offsets"}
    [lost] = verdict.anomalies["lost-write"]
    assert (lost["offset"], lost["message"], lost["read_message"]) == (1, "b", "x")
    [inconsistent] = verdict.anomalies["inconsistent-offsets"]
    assert inconsistent["offset"] == 1
    assert [m["message"] for m in inconsistent["messages"]] == ["b", "x"]
    assert [o["index"] for o in inconsistent["messages"][0]["ops"]] == [3]
    assert [o["index"] for o in inconsistent["messages"][1]["ops"]] == [5, 7]


def test_lost_write_from_a_non_final_read():
    h = LogHistory()
    h.log(["a", "b", "c"])
    h.poll(1, 0, [[0, "a"], [2, "c"]])
    verdict = check_log(h.ops)
    assert set(verdict.anomalies) == {"lost-write", "int-poll-skip"}
    # no final:true anywhere, and the read from 0 never came back empty: no final read
    assert verdict.stats["final_reads"] == "none"


def test_read_concurrent_with_the_send_is_not_a_lost_write():
    """The read was invoked before b's ack: it may legitimately predate b."""
    h = LogHistory()
    h.send(0, "a", 0)
    h.invoke_poll(1, 0)
    h.invoke_send(0, "b")
    h.complete_send(0, "b", 1)
    h.complete_poll(1, 0, [[0, "a"]])
    h.poll(2, 0, [[0, "a"], [1, "b"]], final=True)
    assert kinds(h) == set()


def test_concurrent_read_showing_another_message_is_inconsistent_not_lost():
    h = LogHistory()
    h.send(0, "a", 0)
    h.invoke_poll(1, 0)
    h.invoke_send(0, "b")
    h.complete_send(0, "b", 1)
    h.complete_poll(1, 0, [[0, "a"], [1, "zombie"], [2, "c"]])
    assert kinds(h) == {"inconsistent-offsets"}


def test_moved_message_is_not_lost():
    """b acknowledged at 1 but read at 2: inconsistent and duplicate, yet it survived."""
    h = LogHistory()
    h.log(["a", "b"])
    h.poll(1, 0, [[0, "a"], [1, "y"], [2, "b"]], final=True)
    assert kinds(h) == {"inconsistent-offsets", "duplicate"}


def test_read_ending_before_the_offset_does_not_cover_it():
    h = LogHistory()
    h.log(["a", "b", "c"])
    h.poll(1, 0, [[0, "a"], [1, "b"]])  # max.poll.records: stops early, not a loss
    h.poll(1, 2, [[2, "c"]])
    h.poll(2, 0, [[0, "a"], [1, "b"], [2, "c"]], final=True)
    assert kinds(h) == set()


def test_wide_gap_in_a_read_is_checked_against_acks():
    h = LogHistory()
    h.log([f"m{i}" for i in range(200)])
    h.poll(1, 0, [[0, "m0"], [199, "m199"]], final=True)
    verdict = check_log(h.ops)
    assert set(verdict.anomalies) == {"lost-write", "int-poll-skip"}
    assert verdict.stats["anomaly_counts"]["lost-write"] == 198
    assert [e["offset"] for e in verdict.anomalies["lost-write"][:3]] == [1, 2, 3]


# -- unseen ---------------------------------------------------------------------------------


def test_unseen_tail_after_final_read():
    h = LogHistory()
    h.log(["a", "b", "c"])
    h.poll(1, 0, [[0, "a"]], final=True)
    verdict = check_log(h.ops)
    assert set(verdict.anomalies) == {"unseen"}
    assert [(e["offset"], e["message"]) for e in verdict.anomalies["unseen"]] == [
        (1, "b"),
        (2, "c"),
    ]
    assert verdict.anomalies["unseen"][0]["final_reads"][0]["index"] == 7


def test_unseen_checks_every_final_poll_of_the_partition():
    """Chunked final read: 0..1 then 2..2; c is in the second chunk."""
    h = LogHistory()
    h.log(["a", "b", "c"])
    h.poll(1, 0, [[0, "a"], [1, "b"]], final=True)
    h.poll(1, 2, [[2, "c"]], final=True)
    assert kinds(h) == set()


def test_unseen_ignores_sends_acknowledged_after_the_final_read():
    h = LogHistory()
    h.send(0, "a", 0)
    h.poll(1, 0, [[0, "a"]], final=True)
    h.send(0, "late", 1)
    assert kinds(h) == set()


def test_unseen_fallback_uses_last_read_from_zero_polled_to_its_end():
    h = LogHistory()
    h.log(["a", "b", "c", "d"])
    h.poll(1, 0, [[0, "a"], [1, "b"]])
    h.poll(2, 3, [[3, "d"]])  # another process: not part of the read from 0
    h.poll(1, 2, [[2, "c"]])  # continues the read from 0
    h.poll(1, 3, [])  # ... until nothing more: it saw the whole log
    verdict = check_log(h.ops)
    assert verdict.stats["final_reads"] == "fallback"
    assert [e["message"] for e in verdict.anomalies["unseen"]] == ["d"]


def test_fallback_read_that_never_saw_the_end_is_not_final():
    """Without final:true, a read from 0 that stops may just have hit max.poll.records."""
    h = LogHistory()
    h.log(["a", "b", "c"])
    h.poll(1, 0, [[0, "a"]])
    verdict = check_log(h.ops)
    assert verdict.valid
    assert verdict.stats["unseen_unchecked_partitions"] == [KEY]
    assert verdict.stats["final_reads"] == "none"


def test_fallback_empty_read_from_zero_means_empty_log():
    h = LogHistory()
    h.log(["a"])
    h.poll(1, 0, [])
    assert kinds(h) == {"unseen"}


def test_no_final_read_for_a_partition_is_reported_not_guessed():
    h = LogHistory()
    h.log(["a"], key="orders-1")
    h.poll(1, 0, [[0, "a"]], key="orders-1", final=True)
    h.log(["x"], key="orders-2")
    verdict = check_log(h.ops)
    assert verdict.valid
    assert verdict.stats["unseen_unchecked_partitions"] == ["orders-2"]
    assert "no final read for orders-2" in verdict.render_text()


# -- inconsistent-offsets / duplicate -------------------------------------------------------


def test_inconsistent_offsets_between_two_reads():
    h = LogHistory()
    h.send(0, "a", None, type="info")
    r1 = h.poll(1, 0, [[0, "a"]])
    r2 = h.poll(2, 0, [[0, "b"]])
    verdict = check_log(h.ops)
    assert set(verdict.anomalies) == {"inconsistent-offsets"}
    [e] = verdict.anomalies["inconsistent-offsets"]
    assert e == {
        "key": KEY,
        "offset": 0,
        "messages": [
            {
                "message": "a",
                "ops": [
                    {
                        "index": r1,
                        "invoke_index": r1 - 1,
                        "process": 1,
                        "f": "poll",
                        "start_offset": 0,
                        "offsets": [0, 0],
                        "count": 1,
                    }
                ],
            },
            {
                "message": "b",
                "ops": [
                    {
                        "index": r2,
                        "invoke_index": r2 - 1,
                        "process": 2,
                        "f": "poll",
                        "start_offset": 0,
                        "offsets": [0, 0],
                        "count": 1,
                    }
                ],
            },
        ],
    }


def test_two_acks_at_one_offset():
    h = LogHistory()
    h.send(0, "a", 0)
    h.send(1, "b", 0)
    verdict = check_log(h.ops)
    assert set(verdict.anomalies) == {"inconsistent-offsets"}


def test_duplicate_in_reads():
    h = LogHistory()
    h.send(0, "a", None, type="info")  # a producer retry wrote a twice
    h.poll(1, 0, [[0, "a"], [1, "a"]])
    verdict = check_log(h.ops)
    assert set(verdict.anomalies) == {"duplicate"}
    [e] = verdict.anomalies["duplicate"]
    assert e["message"] == "a"
    assert [o["offset"] for o in e["offsets"]] == [0, 1]


def test_duplicate_ack_versus_read():
    h = LogHistory()
    h.log(["a", "b"])
    h.poll(1, 0, [[0, "a"], [1, "b"], [2, "a"]], final=True)
    verdict = check_log(h.ops)
    assert set(verdict.anomalies) == {"duplicate"}
    [e] = verdict.anomalies["duplicate"]
    assert [(o["offset"], [x["f"] for x in o["ops"]]) for o in e["offsets"]] == [
        (0, ["send"]),
        (2, ["poll"]),
    ]


# -- nonmonotonic-send ----------------------------------------------------------------------


def test_nonmonotonic_send_with_cycle():
    h = LogHistory()
    first = h.send(0, "a", 5)
    second = h.send(0, "b", 3)
    verdict = check_log(h.ops)
    assert set(verdict.anomalies) == {"nonmonotonic-send"}
    [e] = verdict.anomalies["nonmonotonic-send"]
    assert e["previous"]["index"] == first
    assert e["send"]["index"] == second
    assert e["cycle"] == [
        {"from": first, "to": second, "relation": "process-order"},
        {"from": second, "to": first, "relation": "log-order"},
    ]


def test_sends_of_different_processes_or_partitions_are_independent():
    h = LogHistory()
    h.send(0, "a", 5)
    h.send(1, "b", 3)
    h.send(0, "c", 0, key="orders-9")
    assert kinds(h) == set()


def test_info_send_in_between_does_not_break_monotonicity():
    h = LogHistory()
    h.send(0, "a", 0)
    h.send(0, "b", None, type="info")
    h.send(0, "c", 2)
    assert kinds(h) == set()


# -- nonmonotonic-poll ----------------------------------------------------------------------


def test_nonmonotonic_poll_continuation_goes_back():
    h = LogHistory()
    h.log(["a", "b", "c", "d"])
    p1 = h.poll(1, 0, [[0, "a"], [1, "b"], [2, "c"]])
    p2 = h.poll(1, 3, [[1, "b"], [2, "c"], [3, "d"]])
    h.poll(2, 0, [[0, "a"], [1, "b"], [2, "c"], [3, "d"]], final=True)
    verdict = check_log(h.ops)
    assert set(verdict.anomalies) == {"nonmonotonic-poll"}
    [e] = verdict.anomalies["nonmonotonic-poll"]
    assert (e["previous"]["index"], e["poll"]["index"]) == (p1, p2)
    assert (e["previous_offset"], e["offset"], e["within_poll"]) == (2, 1, False)
    assert [edge["relation"] for edge in e["cycle"]] == ["process-order", "log-order"]


def test_rewinds_and_final_reads_are_not_nonmonotonic():
    h = LogHistory()
    h.log(["a", "b", "c"])
    h.poll(1, 0, [[0, "a"], [1, "b"], [2, "c"]])
    h.poll(1, 1, [[1, "b"]])  # deliberate seek back
    h.poll(1, 2, [[2, "c"]])  # re-reading the last record on purpose
    h.poll(1, 0, [[0, "a"], [1, "b"], [2, "c"]], final=True)
    assert kinds(h) == set()


def test_poll_returning_its_previous_last_offset_again_is_nonmonotonic():
    h = LogHistory()
    h.log(["a", "b"])
    h.poll(1, 0, [[0, "a"]])
    h.poll(1, 1, [[0, "a"], [1, "b"]])  # asked for 1, got 0 (already consumed) first
    assert kinds(h) == {"nonmonotonic-poll"}


def test_nonmonotonic_within_one_poll():
    h = LogHistory()
    h.log(["a", "b"])
    h.poll(1, 0, [[1, "b"], [0, "a"]])
    verdict = check_log(h.ops)
    assert set(verdict.anomalies) == {"int-nonmonotonic-poll"}  # Jepsen's name for it
    [e] = verdict.anomalies["int-nonmonotonic-poll"]
    assert (e["previous_offset"], e["offset"]) == (1, 0)


# -- poll-skip ------------------------------------------------------------------------------


def test_poll_skip_over_known_offsets():
    h = LogHistory()
    h.log(["a", "b", "c", "d", "e"])
    p1 = h.poll(1, 0, [[0, "a"], [1, "b"]])
    p2 = h.poll(1, 2, [[4, "e"]])
    verdict = check_log(h.ops)
    assert set(verdict.anomalies) == {"poll-skip"}
    [e] = verdict.anomalies["poll-skip"]
    assert (e["previous"]["index"], e["poll"]["index"]) == (p1, p2)
    assert (e["expected_offset"], e["offset"], e["skipped_count"]) == (2, 4, 2)
    assert [(s["offset"], s["message"], s["shown_by"]["f"]) for s in e["skipped"]] == [
        (2, "c", "send"),
        (3, "d", "send"),
    ]


def test_skip_known_only_from_a_later_read_still_counts():
    h = LogHistory()
    h.send(0, "a", None, type="info")
    h.send(0, "b", None, type="info")
    h.send(0, "c", None, type="info")
    h.poll(1, 0, [[0, "a"]])
    h.poll(1, 1, [[2, "c"]])
    h.poll(2, 0, [[0, "a"], [1, "b"], [2, "c"]], final=True)
    assert kinds(h) == {"poll-skip"}


def test_gap_nobody_ever_saw_is_not_a_skip():
    """Kafka offsets may have holes (transaction markers, compaction)."""
    h = LogHistory()
    h.send(0, "a", 0)
    h.send(0, "c", 2)
    h.poll(1, 0, [[0, "a"]])
    h.poll(1, 1, [[2, "c"]])
    assert kinds(h) == set()


def test_forward_seek_is_not_a_skip():
    h = LogHistory()
    h.log(["a", "b", "c", "d"])
    h.poll(1, 0, [[0, "a"]])
    h.poll(1, 3, [[3, "d"]])
    assert kinds(h) == set()


# -- other facts ----------------------------------------------------------------------------


def test_failed_send_observed_is_an_aborted_read():
    h = LogHistory()
    writer = h.send(0, "a", None, type="fail")
    reader = h.poll(1, 0, [[0, "a"]], final=True)
    verdict = check_log(h.ops)
    assert set(verdict.anomalies) == {"G1a"}
    [e] = verdict.anomalies["G1a"]
    assert (e["writer"]["index"], e["reader"]["index"], e["offset"]) == (writer, reader, 0)
    assert verdict.stats["failed_sends_observed"] == 1


def test_info_send_observed_is_not_an_aborted_read():
    h = LogHistory()
    h.send(0, "a", None, type="info")
    h.poll(1, 0, [[0, "a"]], final=True)
    assert check_log(h.ops).valid


def test_completion_without_invocation_is_tolerated_and_counted():
    ops = [{"process": 0, "type": "ok", "f": "send", "key": KEY, "value": "a", "offset": 0}]
    verdict = check_log(ops)
    assert verdict.valid
    assert verdict.stats["unmatched_completions"] == 1


def test_index_defaults_to_position_and_streams_from_a_generator():
    h = LogHistory()
    h.log(["a", "b", "c"])
    h.poll(1, 0, [[0, "a"], [2, "c"]], final=True)
    for op in h.ops:
        del op["index"]
    verdict = check_log(op for op in h.ops)
    [lost] = verdict.anomalies["lost-write"]
    assert (lost["send"]["index"], lost["read"]["index"]) == (3, 7)


def test_integer_messages_like_jepsen():
    h = LogHistory()
    h.send(0, 10, 0)
    h.send(0, 11, 1)
    h.poll(1, 0, [[0, 10]], final=True)
    assert kinds(h) == {"unseen"}


def test_evidence_is_capped_but_counts_are_exact():
    h = LogHistory()
    h.log([f"m{i}" for i in range(50)])
    h.poll(1, 0, [[0, "m0"]], final=True)
    verdict = check_log(h.ops, max_evidence=5)
    assert len(verdict.anomalies["unseen"]) == 5
    assert verdict.stats["anomaly_counts"]["unseen"] == 49
    assert verdict.stats["evidence_truncated"] is True
    assert "… and 46 more" in verdict.render_text(max_examples=3)


def test_to_json_shape_and_serialisable():
    h = LogHistory()
    h.log(["a", "b"])
    h.poll(1, 0, [[0, "a"], [1, "x"]], final=True)
    verdict = check_log(h.ops)
    data = verdict.to_json()
    assert set(data) == {"valid", "anomalies", "allowed_anomalies", "allowed", "stats"}
    assert data["allowed_anomalies"] == {} and data["allowed"] == []
    assert data["valid"] is False
    assert set(data["anomalies"]) <= set(ANOMALY_KINDS)
    assert orjson.loads(orjson.dumps(data)) == data


def test_render_text_leads_with_verdict_then_kinds():
    h = LogHistory()
    h.log(["a", "b", "c"])
    h.poll(1, 0, [[0, "a"], [2, "c"]], final=True)
    text = check_log(h.ops).render_text()
    lines = text.splitlines()
    assert lines[0].startswith("INVALID: lost-write ×1, int-poll-skip ×1 (")
    assert lines[2] == (
        "lost-write (1): acknowledged sends missing from a later read that covers their offset"
    )
    assert lines[3] == (
        "  - orders-0@1: b acknowledged by op 3 (process 0); later poll op 7 "
        "(process 1, final read) from 0 → offsets 0..2 shows nothing there"
    )


def test_same_input_same_output():
    h = LogHistory()
    h.log(["a", "b", "c"])
    h.send(1, "z", 1)
    h.poll(1, 0, [[0, "a"], [1, "z"], [3, "a"]], final=True)
    first = orjson.dumps(check_log(h.ops).to_json())
    assert first == orjson.dumps(check_log(list(h.ops)).to_json())


def test_read_agreeing_with_first_seen_message_still_contradicts_the_ack():
    """x was seen at 1 first (by a concurrent read), then b acknowledged at 1; a later read
    showing x again matches the first observation, yet it loses acknowledged b."""
    h = LogHistory()
    h.send(0, "a", 0)
    h.invoke_poll(1, 0)
    h.invoke_send(0, "b")
    h.complete_poll(1, 0, [[0, "a"], [1, "x"]])
    h.complete_send(0, "b", 1)
    later = h.poll(2, 0, [[0, "a"], [1, "x"], [2, "c"]])
    verdict = check_log(h.ops)
    assert set(verdict.anomalies) == {"inconsistent-offsets", "lost-write"}
    [lost] = verdict.anomalies["lost-write"]
    assert (lost["message"], lost["read"]["index"], lost["read_message"]) == ("b", later, "x")


def test_one_unknown_record_in_a_long_read_is_checked_alone():
    h = LogHistory()
    h.log([f"m{i}" for i in range(10)])
    h.send(1, "info-written", None, type="info")
    records = [[i, f"m{i}"] for i in range(10)] + [[10, "info-written"]]
    h.poll(2, 0, records, final=True)
    verdict = check_log(h.ops)
    assert verdict.valid
    assert verdict.stats["observed_offsets"] == 11


def test_capped_nonmonotonic_evidence_still_counts_and_marks_every_offset():
    h = LogHistory()
    for i in range(10):
        h.send(0, f"m{i}", 10 - i)
    verdict = check_log(h.ops, max_evidence=2)
    assert len(verdict.anomalies["nonmonotonic-send"]) == 2
    assert verdict.stats["anomaly_counts"]["nonmonotonic-send"] == 9
    marked = verdict.partitions[KEY].highlights
    assert sorted(o for o, kinds in marked.items() if "nonmonotonic-send" in kinds) == list(
        range(1, 10)
    )
