"""The HTML report: self-contained, escaped, strips highlight the right offsets."""

from __future__ import annotations

import re

from replicheck.checker.log_anomalies import PartitionView, check_log
from replicheck.checker.log_report import render_log_html, strip_segments
from replicheck.testing.log_builder import KEY, LogHistory

PAYLOAD = "<script>alert(1)</script>"


def test_script_payload_is_escaped_everywhere():
    h = LogHistory()
    key = f"t-{PAYLOAD}"
    h.send(0, "a", 0, key=key)
    h.send(0, PAYLOAD, 1, key=key)
    h.send(0, "c", 2, key=key)
    h.poll(1, 0, [[0, "a"], [2, "c"]], key=key, final=True)
    verdict = check_log(h.ops)
    assert set(verdict.anomalies) == {"lost-write", "int-poll-skip"}
    page = render_log_html(verdict, h.ops)
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # the raw evidence ops are listed (escaped JSON of the send and the read)
    assert "Evidence operations" in page
    # invoke and completion of the lost send and of the read
    assert page.count("{&#34;process&#34;:") == 4


def test_page_is_self_contained():
    h = LogHistory()
    h.log(["a", "b"])
    h.poll(1, 0, [[0, "a"], [1, "x"]], final=True)
    page = render_log_html(check_log(h.ops))
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"(src|href)\s*=", page)
    assert "http://" not in page and "https://" not in page
    assert "Evidence operations" not in page  # no ops given


def test_strip_marks_lost_and_inconsistent_offsets():
    h = LogHistory()
    h.log(["a", "b", "c"])
    h.send(1, "z", 3)
    h.poll(1, 0, [[0, "a"], [1, "x"], [3, "z"]], final=True)
    verdict = check_log(h.ops)
    view = verdict.partitions["orders-0"]
    assert view.highlights == {
        1: ["lost-write", "inconsistent-offsets"],
        2: ["lost-write", "int-poll-skip"],
    }
    cells = [s for s in strip_segments(view) if not s["run"]]
    assert [(c["offset"], c["kinds"]) for c in cells] == [
        (0, []),
        (1, ["lost-write", "inconsistent-offsets"]),
        (2, ["lost-write", "int-poll-skip"]),
        (3, []),
    ]
    page = render_log_html(verdict)
    # coloured by the most severe kind, all kinds in the tooltip
    assert (
        '<span class="cell lost-write multi" title="offset 1: lost-write, inconsistent-offsets">'
        in page
    )


def test_strip_collapses_long_plain_runs_and_gaps():
    view = PartitionView(
        key="k", offset_ranges=[(0, 999), (2000, 2000)], acked_offsets=0, highlights={500: ["x"]}
    )
    segments = strip_segments(view)
    assert segments == [
        {"run": True, "first": 0, "last": 499, "state": "seen"},
        {"run": False, "offset": 500, "kinds": ["x"], "state": "seen"},
        {"run": True, "first": 501, "last": 999, "state": "seen"},
        {"run": True, "first": 1000, "last": 1999, "state": "gap"},
        {"run": False, "offset": 2000, "kinds": [], "state": "seen"},
    ]


def test_every_kind_renders_in_text_and_html():
    import random

    import orjson

    from replicheck.checker.log_anomalies import ANOMALY_KINDS
    from replicheck.testing.log_gen import INJECTORS, GenConfig, generate_history

    history = generate_history(GenConfig(ops=200, processes=4, info_ratio=0.2), seed=5)
    seen_kinds = set()
    for inject, expected in INJECTORS.values():
        faulty = inject(history, random.Random(5))
        assert faulty is not None
        verdict = check_log(faulty)
        assert set(verdict.anomalies) == expected
        text = verdict.render_text(max_examples=1)
        for kind in expected:
            count = verdict.stats["anomaly_counts"][kind]
            assert f"\n{kind} ({count}): " in text
        page = render_log_html(verdict, faulty)
        for kind in expected:
            assert f'<h2 id="{kind}">{kind} (' in page
        orjson.dumps(verdict.to_json())
        seen_kinds |= expected
    # the kinds no single-fault injector produces: a within-poll descent, an aborted read,
    # and two sends of one op (a transaction: both completions carry the op's index)
    h = LogHistory()
    h.log(["a", "b"])
    h.poll(1, 0, [[1, "b"], [0, "a"]])
    h.send(2, "f", None, type="fail")
    h.poll(1, 2, [[2, "f"]])
    for op in h.ops:
        op["at"] = op["index"]
    at = len(h.ops)
    for message, offset in (("x", 4), ("y", 3), ("z", 6)):
        h.ops.append({"process": 3, "type": "invoke", "f": "send", "key": KEY, "value": message, "at": at})
        h.ops.append({"process": 3, "type": "ok", "f": "send", "key": KEY, "value": message, "offset": offset, "at": at + 1})
    h.poll(1, 5, [[5, "w"]])
    h.ops[-2]["at"], h.ops[-1]["at"] = at + 2, at + 3
    verdict = check_log(h.ops, positioned=True)
    extra = {"int-nonmonotonic-poll", "G1a", "int-nonmonotonic-send", "int-send-skip"}
    assert extra <= set(verdict.anomalies)
    text = verdict.render_text()
    assert "went from offset 1 to 0 within one op" in text
    page = render_log_html(verdict, h.ops)
    for kind in extra:
        assert f'<h2 id="{kind}">{kind} (' in page
    seen_kinds |= extra
    assert seen_kinds == set(ANOMALY_KINDS)
