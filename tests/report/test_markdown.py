"""report.md: the story in plain words, with every payload inert."""

from __future__ import annotations

import pytest

from replicheck.report.markdown import fenced, md_escape, render_markdown


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("m3", "m3"),
        ("NOT_LEADER_OR_FOLLOWER", "NOT_LEADER_OR_FOLLOWER"),  # intraword _ is not emphasis
        ("_x_", "\\_x\\_"),
        ("*bold*", "\\*bold\\*"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("[link](http://x)", "\\[link\\](http://x)"),
        ("a|b", "a\\|b"),
        ("`code`", "\\`code\\`"),
        ("a\nb", "a ⏎ b"),
        ("x & y", "x &amp; y"),
        (None, ""),
        (3, "3"),
    ],
)
def test_md_escape(raw: object, escaped: str) -> None:
    assert md_escape(raw) == escaped


def test_fence_is_longer_than_any_backtick_run_inside() -> None:
    block = fenced("before\n````\nafter", "sh")
    assert block.startswith("`````sh\nbefore\n````\nafter\n`````")
    assert fenced("plain").startswith("```\nplain\n```")


def _render(result) -> str:
    return render_markdown(
        result,
        replay_command="replicheck replay reports/x/case.json",
        search_command="replicheck hunt --flaw demo --seed 7",
    )


def test_report_reads_as_a_story(demo_flaw, lost_write) -> None:
    text = _render(lost_write)
    lines = text.splitlines()
    assert lines[0] == "# VIOLATION: lost-write, inconsistent-offsets (flaw demo, 7 steps, seed 7)"
    assert "1. client 0 sends m0 to orders-0 → ok at offset 0" in lines
    assert "3. client 1 sends m1 to orders-0 → ok at offset 1" in lines
    assert "4. broker 1 loses power → ok" in lines
    assert "### demo: Demo flaw &lt;b&gt;bold&lt;/b&gt;" in lines
    assert "Loses \\*acknowledged\\* writes." in lines
    assert "Source: KIP-101" in lines
    # the evidence in the checker's words
    assert any(
        line.startswith("- orders-0@1: m1 acknowledged by op 3 (process 1); later poll op 7")
        for line in lines
    )
    # the final logs mark offset 1 as lost, with where m1 went
    assert any(line.startswith("| 1 **LOST** | m2 (e1) |") for line in lines)
    assert "m1 acknowledged at offset 1 (client 1, op #3) is lost: held by no replica" in text
    assert "```sh\nreplicheck replay reports/x/case.json\n```" in text
    assert "```sh\nreplicheck hunt --flaw demo --seed 7\n```" in text
    assert "Topic: orders Partition: 0 Leader: 3 Replicas: 1,2,3 Isr: 1,2,3" in lines
    assert "**after step 5: broker 2 loses power**" in lines


def test_payloads_are_escaped_everywhere_outside_code_blocks(demo_flaw, make_lost_write) -> None:
    payload = "<script>window.__pwned=1</script>"
    text = _render(make_lost_write(m1=payload, m2="<img src=x onerror=alert(1)>"))
    outside_fences = []
    in_fence = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        elif not in_fence:
            outside_fences.append(line)
    prose = "\n".join(outside_fences)
    assert "<script>" not in prose and "<img" not in prose
    assert "&lt;script&gt;window.\\_\\_pwned=1&lt;/script&gt;" in prose
    assert "&lt;img src=x onerror=alert(1)&gt;" in prose
