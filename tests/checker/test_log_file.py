"""Checking a history file: streamed, with file:line errors for bad input."""

from __future__ import annotations

import pytest

from replicheck.checker.history import HistoryError, dump_jsonl
from replicheck.checker.log_file import check_log_file
from replicheck.testing.log_builder import LogHistory


def test_file_verdict_matches_in_memory(tmp_path):
    h = LogHistory()
    h.log(["a", "b", "c"])
    h.poll(1, 0, [[0, "a"], [2, "c"]], final=True)
    path = tmp_path / "h.jsonl"
    dump_jsonl(h.ops, path)
    verdict = check_log_file(path)
    assert set(verdict.anomalies) == {"lost-write", "int-poll-skip"}
    assert verdict.stats["ops"] == len(h.ops)


def test_log_specific_problem_names_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"process": 0, "type": "invoke", "f": "send", "key": "k", "value": "a"}\n'
        "\n"  # blank lines are skipped but still counted as lines
        '{"process": 0, "type": "ok", "f": "send", "key": "k", "value": "a", "offset": "x"}\n'
    )
    with pytest.raises(HistoryError) as caught:
        check_log_file(path)
    assert str(caught.value) == (
        f"{path}:3: an ok send needs 'offset', the non-negative integer it was acknowledged at"
    )


def test_generic_problem_comes_from_the_reader(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"process": 0, "type": "ok", "f": "send"}\n')
    with pytest.raises(HistoryError) as caught:
        check_log_file(path)
    assert caught.value.line == 1
    assert "without an outstanding invocation" in caught.value.reason
