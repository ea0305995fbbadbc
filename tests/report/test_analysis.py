"""Final-log tables and evidence lookup: which rows are lost or divergent, which ops cited."""

from __future__ import annotations

from replicheck.report.analysis import (
    AckedWrite,
    acked_writes,
    final_reads,
    log_table,
    offending_indices,
)


def test_acked_writes_and_final_reads_from_the_history(lost_write) -> None:
    assert acked_writes(lost_write.history) == [
        AckedWrite("orders-0", 0, "m0", 0, 1),
        AckedWrite("orders-0", 1, "m1", 1, 3),
        AckedWrite("orders-0", 1, "m2", 2, 5),
    ]
    assert final_reads(lost_write.history) == {"orders-0": {0: "m0", 1: "m2"}}


def test_offending_indices_are_every_op_the_evidence_cites(lost_write) -> None:
    # lost-write cites the send (3, invoked at 2) and the final read (7, invoked at 6);
    # inconsistent-offsets adds the other send at offset 1 (5, invoked at 4).
    assert offending_indices(lost_write.log_verdict) == frozenset({2, 3, 4, 5, 6, 7})


def test_a_lost_write_row_says_where_the_message_went() -> None:
    logs = {1: [(0, "a"), (1, "b")], 2: [(0, "a"), (1, "b")], 3: [(0, "a")]}
    acked = [AckedWrite("t-0", 1, "x", 4, 9), AckedWrite("t-0", 0, "a", 1, 2)]
    table = log_table("t-0", logs, acked, {0: "a", 1: "b"})
    assert [row.offset for row in table.marked_rows] == [1]
    row = table.rows[1]
    assert row.lost == [acked[0]] and not row.divergent
    assert row.note == "x acknowledged at offset 1 (client 4, op #9) is lost: held by no replica"
    assert [cell.message for cell in row.cells] == ["b", "b", None]


def test_a_write_that_moved_is_lost_at_its_offset_and_found_elsewhere() -> None:
    logs = {1: [(0, "a"), (1, "b"), (1, "x")], 2: [(0, "a"), (1, "b"), (1, "x")]}
    table = log_table("t-0", logs, [AckedWrite("t-0", 1, "x", 0, 5)], {0: "a", 1: "b", 2: "x"})
    assert table.rows[1].note == (
        "x acknowledged at offset 1 (client 0, op #5) is lost: now held at offset 2 on "
        "broker 1, offset 2 on broker 2"
    )


def test_divergent_offsets_mark_the_minority_cells() -> None:
    logs = {1: [(0, "a"), (1, "b")], 2: [(0, "a"), (2, "c")], 3: [(0, "a"), (1, "b")]}
    table = log_table("t-0", logs, [], None)
    assert [row.offset for row in table.marked_rows] == [1]
    row = table.rows[1]
    assert row.divergent and row.note == "replicas disagree at this offset"
    assert [cell.divergent for cell in row.cells] == [False, True, False]
    assert [cell.epoch for cell in row.cells] == [1, 2, 1]


def test_without_a_final_read_a_write_is_lost_when_no_replica_holds_it() -> None:
    logs = {1: [(0, "a")], 2: [(0, "a")]}
    acked = [AckedWrite("t-0", 0, "a", 0, 1), AckedWrite("t-0", 1, "b", 0, 3)]
    table = log_table("t-0", logs, acked, None)
    assert [(row.offset, [w.value for w in row.lost]) for row in table.rows] == [
        (0, []),
        (1, ["b"]),
    ]


def test_long_tables_are_excerpted_around_the_marked_rows() -> None:
    logs = {1: [(0, f"m{i}") for i in range(20)], 2: [(0, f"m{i}") for i in range(20)]}
    acked = [AckedWrite("t-0", 10, "x", 0, 1)]
    table = log_table("t-0", logs, acked, None)
    assert [r.offset for r in table.excerpt(limit=30)] == list(range(20))
    shown = [None if r is None else r.offset for r in table.excerpt(limit=5, context=1)]
    assert shown == [0, None, 9, 10, 11, None, 19]
