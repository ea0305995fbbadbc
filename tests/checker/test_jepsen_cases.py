"""Hand-written histories in Jepsen's native EDN: one per error type of Jepsen's Kafka
checker, each next to its near misses (what a correct Kafka does that looks similar)."""

from __future__ import annotations

from pathlib import Path

import pytest

from replicheck.checker.history import HistoryError
from replicheck.checker.log_anomalies import LogVerdict
from replicheck.checker.log_file import check_log_file


def check(tmp_path: Path, text: str, allow: frozenset[str] | None = None) -> LogVerdict:
    path = tmp_path / "history.edn"
    lines = [line.strip() for line in text.strip().splitlines()]
    path.write_text("\n".join(lines) + "\n")  # no :index: ops are named by position
    return check_log_file(path, allow=allow)


def kinds(tmp_path: Path, text: str) -> set[str]:
    return set(check(tmp_path, text).anomalies)


# Two acknowledged sends to key 1 at offsets 0 and 1, by process 0.
SENDS = """
{:type :invoke, :f :send, :process 0, :value [[:send 1 10]]}
{:type :ok, :f :send, :process 0, :value [[:send 1 [0 10]]]}
{:type :invoke, :f :send, :process 0, :value [[:send 1 11]]}
{:type :ok, :f :send, :process 0, :value [[:send 1 [1 11]]]}
"""


def test_a_clean_history_of_every_op_type(tmp_path: Path) -> None:
    verdict = check(
        tmp_path,
        """
        {:type :invoke, :f :assign, :process 1, :value [1 2]}
        {:type :ok, :f :assign, :process 1, :value [1 2]}
        """
        + SENDS
        + """
        {:type :invoke, :f :poll, :process 1, :value [[:poll]]}
        {:type :ok, :f :poll, :process 1, :value [[:poll {1 [[0 10]]}]]}
        {:type :invoke, :f :txn, :process 1, :value [[:poll] [:send 2 20]]}
        {:type :ok, :f :txn, :process 1, :value [[:poll {1 [[1 11]]}] [:send 2 [0 20]]]}
        {:type :invoke, :f :crash, :process 1, :value nil}
        {:type :info, :f :crash, :process 1, :value nil}
        {:type :invoke, :f :poll, :process 2, :value [[:poll]]}
        {:type :ok, :f :poll, :process 2, :value [[:poll {}]]}
        {:type :invoke, :f :assign, :process 2, :value [1 2], :seek-to-beginning? true}
        {:type :ok, :f :assign, :process 2, :value [1 2], :seek-to-beginning? true}
        {:type :invoke, :f :poll, :process 2, :value [[:poll]]}
        {:type :ok, :f :poll, :process 2, :value [[:poll {1 [[0 10] [1 11]], 2 [[0 20]]}]]}
        {:process :nemesis, :type :info, :f :start-partition, :value :majority}
        """,
    )
    assert verdict.valid and verdict.anomalies == {}, verdict.render_text()
    assert verdict.stats["shape"] == "jepsen"
    assert verdict.stats["transactional"] is True
    assert verdict.stats["polls_without_position"] == 3


# -- lost-write and unseen ------------------------------------------------------------------


def test_lost_write(tmp_path: Path) -> None:
    verdict = check(
        tmp_path,
        SENDS
        + """
        {:type :invoke, :f :send, :process 0, :value [[:send 1 12]]}
        {:type :ok, :f :send, :process 0, :value [[:send 1 [2 12]]]}
        {:type :invoke, :f :poll, :process 3, :value [[:poll]]}
        {:type :ok, :f :poll, :process 3, :value [[:poll {1 [[0 10] [2 12]]}]]}
        """,
    )
    assert set(verdict.anomalies) == {"lost-write", "int-poll-skip", "unseen"} - {"unseen"}
    [lost] = verdict.anomalies["lost-write"]
    assert (lost["key"], lost["offset"], lost["message"]) == ("1", 1, 11)


def test_an_info_send_that_did_land_is_no_lost_write(tmp_path: Path) -> None:
    assert kinds(
        tmp_path,
        """
        {:type :invoke, :f :send, :process 0, :value [[:send 1 10]]}
        {:type :info, :f :send, :process 0, :value [[:send 1 10]], :error :timeout}
        {:type :invoke, :f :send, :process 4, :value [[:send 1 11]]}
        {:type :ok, :f :send, :process 4, :value [[:send 1 [1 11]]]}
        {:type :invoke, :f :poll, :process 3, :value [[:poll]]}
        {:type :ok, :f :poll, :process 3, :value [[:poll {1 [[0 10] [1 11]]}]]}
        """,
    ) == set()


def test_a_hole_no_write_claimed_is_no_lost_write(tmp_path: Path) -> None:
    assert kinds(
        tmp_path,
        """
        {:type :invoke, :f :send, :process 0, :value [[:send 1 10]]}
        {:type :ok, :f :send, :process 0, :value [[:send 1 [0 10]]]}
        {:type :invoke, :f :send, :process 0, :value [[:send 1 11]]}
        {:type :ok, :f :send, :process 0, :value [[:send 1 [5 11]]]}
        {:type :invoke, :f :poll, :process 3, :value [[:poll]]}
        {:type :ok, :f :poll, :process 3, :value [[:poll {1 [[0 10] [5 11]]}]]}
        """,
    ) == set()


def test_unseen_counts_any_poll(tmp_path: Path) -> None:
    text = SENDS + """
        {:type :invoke, :f :poll, :process 3, :value [[:poll]]}
        {:type :ok, :f :poll, :process 3, :value [[:poll {1 [[0 10]]}]]}
        """
    verdict = check(tmp_path, text)
    assert set(verdict.anomalies) == {"unseen"}
    assert [e["message"] for e in verdict.anomalies["unseen"]] == [11]
    # near miss: read by some other (non-final) poll, Jepsen's rule
    assert kinds(tmp_path, text + """
        {:type :invoke, :f :poll, :process 4, :value [[:poll]]}
        {:type :ok, :f :poll, :process 4, :value [[:poll {1 [[1 11]]}]]}
        """) == set()


# -- offsets -----------------------------------------------------------------------------------


def test_inconsistent_offsets_and_duplicate(tmp_path: Path) -> None:
    text = SENDS + """
        {:type :invoke, :f :poll, :process 3, :value [[:poll]]}
        {:type :ok, :f :poll, :process 3, :value [[:poll {1 [[0 10] [1 99]]}]]}
        {:type :invoke, :f :poll, :process 4, :value [[:poll]]}
        {:type :ok, :f :poll, :process 4, :value [[:poll {1 [[0 10] [1 11] [2 10]]}]]}
        """
    verdict = check(tmp_path, text)
    # 10 twice in the version order also closes a ww cycle with 11: Jepsen's G0 (allowed)
    assert set(verdict.anomalies) == {
        "lost-write", "inconsistent-offsets", "duplicate", "G0-process"
    }
    assert verdict.invalidating == ["lost-write", "inconsistent-offsets", "duplicate"]
    assert verdict.anomalies["duplicate"][0]["message"] == 10


def test_info_send_offsets_join_the_version_order_once_read(tmp_path: Path) -> None:
    base = """
        {:type :invoke, :f :send, :process 0, :value [[:send 1 10]]}
        {:type :info, :f :send, :process 0, :value [[:send 1 [3 10]]]}
        {:type :invoke, :f :poll, :process 3, :value [[:poll]]}
        """
    # read at another offset than the client was told: two offsets for one message
    assert kinds(tmp_path, base + """
        {:type :ok, :f :poll, :process 3, :value [[:poll {1 [[0 10]]}]]}
        """) == {"duplicate"}
    # near miss: never read, so it may never have happened
    assert kinds(tmp_path, base + """
        {:type :ok, :f :poll, :process 3, :value [[:poll {2 [[0 7]]}]]}
        """) == set()


# -- positions: poll-skip and nonmonotonic-poll -------------------------------------------------

ASSIGNED = """
{:type :invoke, :f :assign, :process 1, :value [1]}
{:type :ok, :f :assign, :process 1, :value [1]}
""" + SENDS + """
{:type :invoke, :f :send, :process 0, :value [[:send 1 12]]}
{:type :ok, :f :send, :process 0, :value [[:send 1 [2 12]]]}
{:type :invoke, :f :poll, :process 1, :value [[:poll]]}
{:type :ok, :f :poll, :process 1, :value [[:poll {1 [[0 10]]}]]}
"""


def test_poll_skip(tmp_path: Path) -> None:
    verdict = check(tmp_path, ASSIGNED + """
        {:type :invoke, :f :poll, :process 1, :value [[:poll]]}
        {:type :ok, :f :poll, :process 1, :value [[:poll {1 [[2 12]]}]]}
        {:type :invoke, :f :poll, :process 5, :value [[:poll]]}
        {:type :ok, :f :poll, :process 5, :value [[:poll {1 [[0 10] [1 11] [2 12]]}]]}
        """)
    assert set(verdict.anomalies) == {"poll-skip"}
    [skip] = verdict.anomalies["poll-skip"]
    assert (skip["expected_offset"], skip["offset"], skip["skipped_count"]) == (1, 2, 1)


@pytest.mark.parametrize(
    "reset",
    [
        # assign drops the key and takes it again: the position restarts (committed offset)
        """{:type :invoke, :f :assign, :process 1, :value [2]}
        {:type :ok, :f :assign, :process 1, :value [2]}
        {:type :invoke, :f :assign, :process 1, :value [1]}
        {:type :ok, :f :assign, :process 1, :value [1]}""",
        # seek to the beginning
        """{:type :invoke, :f :assign, :process 1, :value [1], :seek-to-beginning? true}
        {:type :ok, :f :assign, :process 1, :value [1], :seek-to-beginning? true}""",
        # a failed op of the process: Jepsen keeps the client, and so the position
        None,
    ],
)
def test_a_poll_after_assign_may_start_elsewhere(tmp_path: Path, reset: str | None) -> None:
    skip = """
        {:type :invoke, :f :poll, :process 1, :value [[:poll]]}
        {:type :ok, :f :poll, :process 1, :value [[:poll {1 [[2 12]]}]]}
        {:type :invoke, :f :poll, :process 5, :value [[:poll]]}
        {:type :ok, :f :poll, :process 5, :value [[:poll {1 [[0 10] [1 11] [2 12]]}]]}
        """
    if reset is None:
        assert kinds(tmp_path, ASSIGNED + """
            {:type :invoke, :f :poll, :process 1, :value [[:poll]]}
            {:type :fail, :f :poll, :process 1, :value [[:poll]]}
            """ + skip) == {"poll-skip"}
        return
    assert kinds(tmp_path, ASSIGNED + reset + skip) == set()
    back = """
        {:type :invoke, :f :poll, :process 1, :value [[:poll]]}
        {:type :ok, :f :poll, :process 1, :value [[:poll {1 [[0 10] [1 11] [2 12]]}]]}
        """
    assert kinds(tmp_path, ASSIGNED + reset + back) == set()


def test_a_crashed_client_starts_over(tmp_path: Path) -> None:
    assert kinds(tmp_path, ASSIGNED + """
        {:type :invoke, :f :crash, :process 1, :value nil}
        {:type :info, :f :crash, :process 1, :value nil}
        {:type :invoke, :f :poll, :process 1, :value [[:poll]]}
        {:type :ok, :f :poll, :process 1, :value [[:poll {1 [[2 12]]}]]}
        """) == {"unseen"}  # 11 is read by nobody: not a position question


def test_nonmonotonic_poll(tmp_path: Path) -> None:
    text = ASSIGNED + """
        {:type :invoke, :f :poll, :process 1, :value [[:poll]]}
        {:type :ok, :f :poll, :process 1, :value [[:poll {1 [[0 10] [1 11] [2 12]]}]]}
        """
    verdict = check(tmp_path, text)
    assert set(verdict.anomalies) == {"nonmonotonic-poll"}
    [e] = verdict.anomalies["nonmonotonic-poll"]
    assert (e["previous_offset"], e["offset"]) == (0, 0)


def test_subscribe_allows_position_jumps_by_default(tmp_path: Path) -> None:
    text = ASSIGNED.replace(":assign", ":subscribe") + """
        {:type :invoke, :f :poll, :process 1, :value [[:poll]]}
        {:type :ok, :f :poll, :process 1, :value [[:poll {1 [[2 12]]}]]}
        {:type :invoke, :f :poll, :process 5, :value [[:poll]]}
        {:type :ok, :f :poll, :process 5, :value [[:poll {1 [[1 11]]}]]}
        """
    verdict = check(tmp_path, text)
    assert set(verdict.anomalies) == {"poll-skip"}
    assert verdict.valid and "poll-skip" in verdict.to_json()["allowed_anomalies"]
    strict = check_log_file(tmp_path / "history.edn", allow=frozenset(), with_defaults=False)
    assert not strict.valid


# -- sends ---------------------------------------------------------------------------------------


def test_nonmonotonic_send(tmp_path: Path) -> None:
    text = """
        {:type :invoke, :f :send, :process 0, :value [[:send 1 10]]}
        {:type :ok, :f :send, :process 0, :value [[:send 1 [5 10]]]}
        {:type :invoke, :f :send, :process 0, :value [[:send 1 11]]}
        {:type :ok, :f :send, :process 0, :value [[:send 1 [3 11]]]}
        {:type :invoke, :f :poll, :process 3, :value [[:poll]]}
        {:type :ok, :f :poll, :process 3, :value [[:poll {1 [[3 11] [5 10]]}]]}
        """
    verdict = check(tmp_path, text)
    # the same fact is Elle's G0-process: allowed, as in Jepsen
    assert set(verdict.anomalies) == {"nonmonotonic-send", "G0-process"}
    assert verdict.invalidating == ["nonmonotonic-send"]
    # near miss: different keys are independent logs
    assert kinds(tmp_path, text.replace("[:send 1 11]", "[:send 2 11]").replace(
        "[:send 1 [3 11]]", "[:send 2 [3 11]]").replace("{1 [[3 11] [5 10]]}", "{1 [[5 10]], 2 [[3 11]]}")
    ) == set()


def test_int_nonmonotonic_send_and_int_send_skip(tmp_path: Path) -> None:
    verdict = check(tmp_path, """
        {:type :invoke, :f :send, :process 9, :value [[:send 1 7]]}
        {:type :ok, :f :send, :process 9, :value [[:send 1 [1 7]]]}
        {:type :invoke, :f :txn, :process 0, :value [[:send 1 10] [:send 1 11] [:send 1 12]]}
        {:type :ok, :f :txn, :process 0, :value [[:send 1 [0 10]] [:send 1 [2 11]] [:send 1 [2 12]]]}
        {:type :invoke, :f :poll, :process 3, :value [[:poll]]}
        {:type :ok, :f :poll, :process 3, :value [[:poll {1 [[0 10] [1 7] [2 11]]}]]}
        """)
    assert {"int-send-skip", "int-nonmonotonic-send"} <= set(verdict.anomalies)
    assert "int-send-skip" in verdict.allowed  # Kafka interleaves transactions' writes
    assert "int-nonmonotonic-send" in verdict.invalidating


# -- within one op -------------------------------------------------------------------------------


def test_int_poll_skip_and_int_nonmonotonic_poll(tmp_path: Path) -> None:
    text = SENDS + """
        {:type :invoke, :f :send, :process 0, :value [[:send 1 12]]}
        {:type :ok, :f :send, :process 0, :value [[:send 1 [2 12]]]}
        {:type :invoke, :f :txn, :process 3, :value [[:poll] [:poll]]}
        {:type :ok, :f :txn, :process 3, :value [[:poll {1 [[0 10]]}] [:poll {1 [[2 12] [1 11]]}]]}
        """
    assert kinds(tmp_path, text) == {"int-poll-skip", "int-nonmonotonic-poll"}
    # near miss: the consumer was rebalanced during the op (Jepsen skips these checks)
    rebalanced = text.replace("[1 11]]}]]}", "[1 11]]}]], :rebalance-log [{:keys [1]}]}")
    assert kinds(tmp_path, rebalanced) == set()


def test_g1a_aborted_read(tmp_path: Path) -> None:
    text = """
        {:type :invoke, :f :send, :process 0, :value [[:send 1 10]]}
        {:type :fail, :f :send, :process 0, :value [[:send 1 10]]}
        {:type :invoke, :f :poll, :process 3, :value [[:poll]]}
        {:type :ok, :f :poll, :process 3, :value [[:poll {1 [[0 10]]}]]}
        """
    verdict = check(tmp_path, text)
    assert set(verdict.anomalies) == {"G1a"}
    # near miss: an info send may have happened
    assert kinds(tmp_path, text.replace(":fail", ":info")) == set()


def test_precommitted_read(tmp_path: Path) -> None:
    text = """
        {:type :invoke, :f :txn, :process 0, :value [[:send 1 10] [:poll]]}
        {:type :ok, :f :txn, :process 0, :value [[:send 1 [0 10]] [:poll {1 [[0 10]]}]]}
        """
    verdict = check(tmp_path, text)
    assert "precommitted-read" in verdict.invalidating
    # near miss: reading another transaction's committed write
    assert "precommitted-read" not in kinds(tmp_path, """
        {:type :invoke, :f :send, :process 1, :value [[:send 1 10]]}
        {:type :ok, :f :send, :process 1, :value [[:send 1 [0 10]]]}
        {:type :invoke, :f :txn, :process 0, :value [[:send 1 11] [:poll]]}
        {:type :ok, :f :txn, :process 0, :value [[:send 1 [1 11]] [:poll {1 [[0 10]]}]]}
        """)


# -- dependency cycles ------------------------------------------------------------------------


def test_g1c_realtime_read_from_the_future(tmp_path: Path) -> None:
    text = """
        {:type :invoke, :f :poll, :process 3, :value [[:poll]]}
        {:type :ok, :f :poll, :process 3, :value [[:poll {1 [[0 10]]}]]}
        {:type :invoke, :f :send, :process 0, :value [[:send 1 10]]}
        {:type :ok, :f :send, :process 0, :value [[:send 1 [0 10]]]}
        """
    verdict = check(tmp_path, text)
    assert set(verdict.anomalies) == {"G1c-realtime"}
    [cycle] = verdict.anomalies["G1c-realtime"]
    assert [e["relation"] for e in cycle["cycle"]] == ["wr", "realtime"]
    # near miss: the send was invoked before the poll completed (it may have taken effect)
    assert kinds(tmp_path, """
        {:type :invoke, :f :send, :process 0, :value [[:send 1 10]]}
        {:type :invoke, :f :poll, :process 3, :value [[:poll]]}
        {:type :ok, :f :poll, :process 3, :value [[:poll {1 [[0 10]]}]]}
        {:type :ok, :f :send, :process 0, :value [[:send 1 [0 10]]]}
        """) == set()


def test_g1c_process_a_later_write_below_what_was_read(tmp_path: Path) -> None:
    verdict = check(tmp_path, """
        {:type :invoke, :f :send, :process 0, :value [[:send 1 10]]}
        {:type :ok, :f :send, :process 0, :value [[:send 1 [1 10]]]}
        {:type :invoke, :f :poll, :process 3, :value [[:poll]]}
        {:type :ok, :f :poll, :process 3, :value [[:poll {1 [[1 10]]}]]}
        {:type :invoke, :f :send, :process 3, :value [[:send 1 11]]}
        {:type :ok, :f :send, :process 3, :value [[:send 1 [0 11]]]}
        {:type :invoke, :f :poll, :process 4, :value [[:poll]]}
        {:type :ok, :f :poll, :process 4, :value [[:poll {1 [[0 11] [1 10]]}]]}
        """)
    assert "G1c-process" in verdict.invalidating
    [cycle] = verdict.anomalies["G1c-process"]
    assert [e["relation"] for e in cycle["cycle"]] == ["ww", "wr", "process"]
    assert "G0-realtime" in verdict.allowed_present


def test_transactional_cycles_are_found_and_allowed_like_jepsen(tmp_path: Path) -> None:
    # T1 and T2 write keys 1 and 2 in opposite orders: a ww cycle (G0), normal in Kafka
    text = """
        {:type :invoke, :f :txn, :process 0, :value [[:send 1 10] [:send 2 20]]}
        {:type :invoke, :f :txn, :process 1, :value [[:send 1 11] [:send 2 21]]}
        {:type :ok, :f :txn, :process 0, :value [[:send 1 [0 10]] [:send 2 [1 20]]]}
        {:type :ok, :f :txn, :process 1, :value [[:send 1 [1 11]] [:send 2 [0 21]]]}
        {:type :invoke, :f :poll, :process 3, :value [[:poll]]}
        {:type :ok, :f :poll, :process 3, :value [[:poll {1 [[0 10] [1 11]], 2 [[0 21] [1 20]]}]]}
        """
    verdict = check(tmp_path, text)
    assert set(verdict.anomalies) == {"G0"}
    assert verdict.valid
    [cycle] = verdict.anomalies["G0"]
    assert {e["relation"] for e in cycle["cycle"]} == {"ww"}
    assert not check_log_file(tmp_path / "history.edn", allow=frozenset(), with_defaults=False).valid


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{:type :ok, :f :send, :process 0, :value [[:append 1 2]]}", "micro-op must be"),
        ("{:type :ok, :f :send, :process 0, :value [[:send 1 [0 1 2]]]}", "[:send key [offset value]]"),
        ("{:type :ok, :f :send, :process 0, :value [[:send 1 [-1 2]]]}", "non-negative integer or nil"),
        ("{:type :ok, :f :poll, :process 0, :value [[:poll {1 [[0]]}]]}", "polled record"),
        ("{:type :ok, :f :poll, :process 0, :value [[:poll [1 2]]]}", "a completed poll is"),
        ("{:type :ok, :f :assign, :process 0, :value 3}", "vector of keys"),
    ],
)
def test_bad_jepsen_ops_name_the_line(tmp_path: Path, line: str, reason: str) -> None:
    invoke = line.replace(":type :ok", ":type :invoke")
    path = tmp_path / "h.edn"
    path.write_text(
        "{:type :invoke, :f :send, :process 5, :value [[:send 1 10]]}\n" + invoke + "\n" + line + "\n"
    )
    with pytest.raises(HistoryError) as caught:
        check_log_file(path)
    assert caught.value.line == 3
    assert reason in caught.value.reason


def test_a_poll_concurrent_with_a_send_is_judged_from_its_invocation(tmp_path: Path) -> None:
    # translated ops are emitted when the Jepsen op completes; real time is its invocation
    first = """
        {:type :invoke, :f :send, :process 0, :value [[:send 1 10]]}
        {:type :ok, :f :send, :process 0, :value [[:send 1 [0 10]]]}
        """
    sends = """
        {:type :invoke, :f :send, :process 1, :value [[:send 1 11]]}
        {:type :ok, :f :send, :process 1, :value [[:send 1 [1 11]]]}
        {:type :invoke, :f :send, :process 0, :value [[:send 1 12]]}
        {:type :ok, :f :send, :process 0, :value [[:send 1 [2 12]]]}
        """
    poll_invoke = "{:type :invoke, :f :poll, :process 3, :value [[:poll]]}\n"
    poll_ok = "{:type :ok, :f :poll, :process 3, :value [[:poll {1 [[0 10] [2 12]]}]]}\n"
    # invoked before 11 was acknowledged, the poll may predate it: no lost write (but it
    # still skipped a record that exists, and 11 is read by nobody)
    assert kinds(tmp_path, first + poll_invoke + sends + poll_ok) == {"int-poll-skip", "unseen"}
    # invoked after: 11 is lost
    assert kinds(tmp_path, first + sends + poll_invoke + poll_ok) == {"lost-write", "int-poll-skip"}


def test_cli_checks_a_folder_of_jepsen_histories(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from replicheck.cli import cli

    aborted = """{:type :invoke, :f :send, :process 0, :value [[:send 1 10]]}
{:type :fail, :f :send, :process 0, :value [[:send 1 10]]}
{:type :invoke, :f :poll, :process 3, :value [[:poll]]}
{:type :ok, :f :poll, :process 3, :value [[:poll {1 [[0 10]]}]]}
"""
    (tmp_path / "a.edn").write_text(aborted.replace(":fail", ":info"))
    (tmp_path / "b.edn").write_text(aborted)
    result = CliRunner().invoke(cli, ["check", str(tmp_path), "--model", "log"])
    assert result.exit_code == 1, result.output
    assert result.output.splitlines() == [
        f"{tmp_path / 'a.edn'}: OK",
        f"{tmp_path / 'b.edn'}: VIOLATION — log anomalies: G1a",
    ]
    allowed = CliRunner().invoke(cli, ["check", str(tmp_path), "--model", "log", "--allow", "G1a"])
    assert allowed.exit_code == 0, allowed.output
