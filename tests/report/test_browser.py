"""report.html in a real headless chromium: it renders, the timeline is there, nothing runs.

The page is opened through the DevTools protocol (see `Chromium` in conftest.py) so that
console messages, log entries (including Content-Security-Policy violations) and uncaught
exceptions are all collected; the control test proves the harness would notice a payload
that did execute.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from replicheck.report import write_report

pytestmark = pytest.mark.browser

PROBE = """JSON.stringify({
  title: document.title,
  pwned: window.__pwned === undefined ? null : window.__pwned,
  scripts: document.querySelectorAll('script').length,
  imgs: document.querySelectorAll('img').length,
  svg: (() => {
    const svg = document.querySelector('svg.timeline');
    if (!svg) return null;
    const box = svg.getBoundingClientRect();
    return {width: box.width, height: box.height,
            ops: svg.querySelectorAll('rect.op').length,
            offending: svg.querySelectorAll('rect.op.offending').length,
            bands: svg.querySelectorAll('rect.band').length,
            lines: svg.querySelectorAll('polyline').length};
  })(),
  opBox: (() => {
    const op = document.querySelector('svg.timeline rect.op');
    const box = op && op.getBoundingClientRect();
    return box ? {width: box.width, height: box.height} : null;
  })(),
  text: document.body.innerText,
})"""

PAYLOAD_SCRIPT = "<script>window.__pwned=1;document.title='pwned'</script>"
PAYLOAD_IMG = "<img src=x onerror=\"window.__pwned=2;document.title='pwned'\">"


def test_report_renders_with_timeline_and_no_console_errors(
    tmp_path: Path, chromium, demo_flaw, lost_write
) -> None:
    page = write_report(lost_write, tmp_path) / "report.html"
    value, problems = chromium.open(page, PROBE)
    assert problems == []
    assert (
        value["title"]
        == "replicheck: VIOLATION: lost-write, inconsistent-offsets (flaw demo, 7 steps, seed 7)"
    )
    svg = value["svg"]
    assert svg is not None and svg["width"] > 1000 and svg["height"] > 300
    assert svg["ops"] == 4 and svg["offending"] == 3 and svg["bands"] == 3
    assert svg["lines"] >= 4  # three LEO lines and the high watermark
    assert value["opBox"]["width"] > 0 and value["opBox"]["height"] > 0
    assert "Minimized scenario" in value["text"]


def test_payloads_in_messages_do_not_execute(
    tmp_path: Path, chromium, demo_flaw, make_lost_write
) -> None:
    result = make_lost_write(m1=PAYLOAD_SCRIPT, m2=PAYLOAD_IMG)
    page = write_report(result, tmp_path) / "report.html"
    value, problems = chromium.open(page, PROBE)
    assert problems == []
    assert value["pwned"] is None
    assert value["title"].startswith("replicheck: VIOLATION")
    assert value["scripts"] == 0 and value["imgs"] == 0
    # shown to the reader as text, verbatim
    assert PAYLOAD_SCRIPT in value["text"]
    assert PAYLOAD_IMG in value["text"]


def test_control_the_harness_sees_a_payload_that_runs(tmp_path: Path, chromium) -> None:
    """Without escaping (and without a CSP) the same payloads run, and the probe says so."""
    page = tmp_path / "unsafe.html"
    page.write_text(
        f"<!DOCTYPE html><html><head><title>t</title></head><body>{PAYLOAD_SCRIPT}"
        f"{PAYLOAD_IMG}</body></html>",
        encoding="utf-8",
    )
    value, problems = chromium.open(page, PROBE)
    assert value["pwned"] in (1, 2) and value["title"] == "pwned"
    assert value["imgs"] == 1
    assert any(p.get("method") == "Log.entryAdded" for p in problems)  # the broken image


def test_reports_of_regression_cases_render_cleanly(tmp_path: Path, chromium) -> None:
    """Real runs (power loss, truncation, elections) through the same checks: the first
    three seed cases, one page each."""
    from replicheck.report.case import load_case
    from replicheck.stateful.replay import replay_case

    cases = sorted((Path(__file__).parents[1] / "regressions").glob("*.case.json"))
    assert cases, "the seed suite is empty"
    for path in cases[:3]:
        result, reproduced = replay_case(load_case(path))
        assert reproduced, path
        page = write_report(result, tmp_path) / "report.html"
        value, problems = chromium.open(page, PROBE)
        assert problems == [], path
        assert value["title"].startswith("replicheck: VIOLATION"), path
        assert value["svg"]["width"] > 1000 and value["svg"]["ops"] >= 2, path
        # ops are highlighted when the log checker cites them (not for invariant-only runs)
        assert (value["svg"]["offending"] >= 1) == (not result.log_verdict.valid), path
