"""The pieces the Jepsen line fast path and the micro-op feed use to save work, each
against the plain code it replaces: block-level poll result parsing against one parse
per result, `_runs` against a loop, `holes_only` (via the micro-op feed) against the
dict path's record-by-record look, with `part.known` kept short so that offsets observed
beyond it (known as None) sit in the gaps, and whole files in the default block sizes
against the full reader."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replicheck.checker import jepsen_lines, log_anomalies
from replicheck.checker.history import HistoryError
from replicheck.checker.log_file import check_log_file
from replicheck.testing.jepsen_gen import (
    JEPSEN_INJECTORS,
    JepsenGenConfig,
    generate_jepsen,
    jepsen_configs,
    to_edn_line,
)

from .test_jepsen_feed import both

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _runs_reference(offsets: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for offset in offsets:
        if runs and offset == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], offset)
        else:
            runs.append((offset, offset))
    return runs


@settings(max_examples=300, deadline=None)
@given(st.sets(st.integers(0, 300), max_size=60))
def test_runs_match_the_loop(offsets: set[int]) -> None:
    ordered = sorted(offsets)
    assert log_anomalies._runs(ordered) == _runs_reference(ordered)


# the text a fast line's poll result may hold (EDN_LINE: braces only at its ends)
_EDN_INNER = st.text(alphabet="0123456789 [],", max_size=24)
_JSON_INNER = st.lists(
    st.tuples(st.text(alphabet="0123456789", max_size=2), st.text(alphabet="0123456789[],")),
    max_size=3,
)
_VALID_EDN = st.dictionaries(
    st.integers(0, 9),
    st.lists(st.tuples(st.integers(0, 99), st.integers(0, 99)), max_size=3),
    max_size=3,
).map(
    lambda d: (
        "{" + ", ".join(f"{k} [{' '.join(f'[{o} {m}]' for o, m in v)}]" for k, v in d.items()) + "}"
    )
)


@SETTINGS
@given(st.lists(st.one_of(_EDN_INNER.map(lambda t: "{" + t + "}"), _VALID_EDN), max_size=8))
def test_edn_block_results_match_one_parse_each(texts: list[str]) -> None:
    """Merged or split results (`{[1}` `{2]}`, `{1] [2}`) must not be read as others."""
    results = [t.encode() for t in texts]
    one_each = [jepsen_lines._one_result(r, True) for r in results]
    assert jepsen_lines._block_results(results, True) == one_each


@SETTINGS
@given(_JSON_INNER.map(lambda pairs: [pairs]), st.integers(1, 6))
def test_json_block_results_match_one_parse_each(
    samples: list[list[tuple[str, str]]], copies: int
) -> None:
    results = [
        ("{" + "".join(f'"{k}":{v}' for k, v in pairs) + "}").encode() for pairs in samples * copies
    ]
    results.append(b'{"0":[[1,2]],"1":[[3,4]]}')
    one_each = [jepsen_lines._one_result(r, False) for r in results]
    assert jepsen_lines._block_results(results, False) == one_each


def test_known_merge_and_split_fall_back() -> None:
    results = [b"{[1}", b"{2]}", b"{1] [2}", b"{0 [[0 1]]}"]
    parsed = jepsen_lines._block_results(results, True)
    assert parsed == [None, None, None, [0, [[0, 1]]]]


@SETTINGS
@given(
    jepsen_configs(10, assign_ratios=(0.0, 0.05)),
    st.integers(0, 2**16),
    st.sampled_from(["none", *sorted(JEPSEN_INJECTORS)]),
    st.sampled_from([0, 1, 3]),
)
def test_feed_agrees_with_the_dict_path_when_known_stays_short(
    config: JepsenGenConfig, seed: int, fault: str, slack: int
) -> None:
    """With `KNOWN_SLACK` tiny, holes and late offsets leave observed offsets out of
    `part.known`: `holes_only` must hand every poll whose gap hides an acknowledged
    write to the record-by-record look, as the dict path does."""
    history = generate_jepsen(config, seed)
    if fault != "none":
        history = JEPSEN_INJECTORS[fault][0](history, random.Random(seed)) or history
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(log_anomalies, "KNOWN_SLACK", slack)
        fast, reference = both(history)
    assert fast == reference


def test_a_hole_hiding_an_acknowledged_write_is_a_lost_write() -> None:
    """A poll that skips an offset some send was acknowledged at is not a holes-only
    poll, even where `part.known` has no entry for that offset: offset 5 is acknowledged
    while beyond the known end (slack 2), then `known` grows past it (None there)."""
    ops: list[dict[str, Any]] = []

    def op(kind: str, process: int, f: str, value: Any) -> None:
        ops.append({"type": kind, "process": process, "f": f, "value": value, "index": len(ops)})

    for message, offset in ((10, 0), (15, 5), (12, 2), (14, 4), (16, 6)):
        op("invoke", 0, "send", [["send", 0, message]])
        op("ok", 0, "send", [["send", 0, [offset, message]]])
    op("invoke", 1, "poll", [["poll"]])
    op("ok", 1, "poll", [["poll", {0: [[0, 10], [2, 12], [4, 14], [6, 16]]}]])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(log_anomalies, "KNOWN_SLACK", 2)
        fast, reference = both(ops)
    assert fast == reference
    assert [e["offset"] for e in fast[0]["anomalies"]["lost-write"]] == [5]


def _outcome(path: Path, fast: bool) -> Any:
    try:
        verdict = check_log_file(path, fast=fast)
    except HistoryError as exc:
        return ("error", str(exc))
    views = {
        k: (v.offset_ranges, v.highlights, v.acked_offsets, v.observed)
        for k, v in verdict.partitions.items()
    }
    return (verdict.to_json(), verdict.stats, views)


@pytest.mark.parametrize("fmt", ["edn", "jsonl"])
@pytest.mark.parametrize("fault", ["none", *sorted(JEPSEN_INJECTORS)])
def test_whole_files_in_default_blocks_read_alike(tmp_path: Path, fmt: str, fault: str) -> None:
    """Thousands of lines per block: many poll results parsed at once."""
    config = JepsenGenConfig(
        ops=3000,
        processes=6,
        keys=3,
        max_poll_records=12,
        crash_ratio=0.01,
        info_ratio=0.1,
        fail_ratio=0.05,
        hole_ratio=0.1,
        assign_ratio=0.02,
    )
    history = generate_jepsen(config, seed=7)
    if fault != "none":
        history = JEPSEN_INJECTORS[fault][0](history, random.Random(7)) or history
    path = tmp_path / f"h.{fmt}"
    if fmt == "edn":
        path.write_text("".join(to_edn_line(op) + "\n" for op in history))
    else:
        path.write_bytes(
            b"".join(orjson.dumps(op, option=orjson.OPT_NON_STR_KEYS) + b"\n" for op in history)
        )
    fast = _outcome(path, True)
    assert fast == _outcome(path, False)
    assert fast[0] != "error"
