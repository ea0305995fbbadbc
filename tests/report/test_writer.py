"""write_report: the folder, its four files, determinism, and escaping in the HTML."""

from __future__ import annotations

import json
import re
from pathlib import Path

import orjson

from replicheck.report import write_report
from replicheck.report.case import case_from_result, load_case


def test_folder_is_named_by_flaw_anomaly_and_hash(tmp_path: Path, demo_flaw, lost_write) -> None:
    folder = write_report(lost_write, tmp_path / "reports")
    case = case_from_result(lost_write)
    assert folder == tmp_path / "reports" / f"demo-lost-write-{case.short_hash()}"
    assert sorted(p.name for p in folder.iterdir()) == [
        "case.json",
        "history.jsonl",
        "report.html",
        "report.md",
    ]


def test_correct_configuration_folder(tmp_path: Path, make_lost_write) -> None:
    result = make_lost_write(flaws=frozenset())
    folder = write_report(result, tmp_path)
    assert folder.name.startswith("correct-lost-write-")
    text = (folder / "report.md").read_text(encoding="utf-8")
    assert "None: this run used the correct configuration" in text
    assert "```sh\nreplicheck hunt\n```" in text


def test_history_jsonl_is_the_history_one_op_per_line(
    tmp_path: Path, demo_flaw, lost_write
) -> None:
    folder = write_report(lost_write, tmp_path)
    lines = (folder / "history.jsonl").read_bytes().splitlines()
    assert [orjson.loads(line) for line in lines] == lost_write.history


def test_case_json_replays_the_same_scenario(tmp_path: Path, demo_flaw, lost_write) -> None:
    folder = write_report(lost_write, tmp_path)
    assert load_case(folder / "case.json") == case_from_result(lost_write)


def test_commands_in_the_report(tmp_path: Path, demo_flaw, lost_write) -> None:
    folder = write_report(
        lost_write, tmp_path, command="replicheck hunt --flaw demo --seed 3 --max-examples 50"
    )
    md = (folder / "report.md").read_text(encoding="utf-8")
    assert f"replicheck replay {folder}/case.json" in md
    assert "replicheck hunt --flaw demo --seed 3 --max-examples 50" in md
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert f"replicheck replay {folder}/case.json" in html
    folder = write_report(lost_write, tmp_path, command="run-it", search_command="search-it")
    md = (folder / "report.md").read_text(encoding="utf-8")
    assert "```sh\nsearch-it\n```" in md
    assert "The run that found it:\n\n```sh\nrun-it\n```" in md


def test_same_run_same_bytes(tmp_path: Path, demo_flaw, lost_write, make_lost_write) -> None:
    one = write_report(lost_write, tmp_path / "a")
    two = write_report(make_lost_write(), tmp_path / "b")
    assert one.name == two.name
    for name in ("case.json", "history.jsonl"):
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    for name in ("report.md", "report.html"):  # equal up to the folder in the replay command
        text_one = (one / name).read_text().replace(str(tmp_path / "a"), "<dir>")
        text_two = (two / name).read_text().replace(str(tmp_path / "b"), "<dir>")
        assert text_one == text_two, name


def test_html_is_self_contained_and_escapes_payloads(
    tmp_path: Path, demo_flaw, make_lost_write
) -> None:
    result = make_lost_write(
        m1="<script>window.__pwned=1</script>", m2='<img src=x onerror="window.__pwned=2">'
    )
    html = (write_report(result, tmp_path) / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;window.__pwned=2&#34;&gt;" in html
    assert "Demo flaw &lt;b&gt;bold&lt;/b&gt;" in html
    # no network references: only the SVG namespace URI (an identifier, never fetched)
    urls = re.findall(r"(?:https?:)?//[\w.-]+", html)
    assert set(urls) == {"http://www.w3.org"}
    assert 'xmlns="http://www.w3.org/2000/svg"' in html
    assert not re.search(r"<[^>]*\s(?:src|href)\s*=", html)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html


def test_html_shows_timeline_steps_logs_and_snapshots(
    tmp_path: Path, demo_flaw, lost_write
) -> None:
    html = (write_report(lost_write, tmp_path) / "report.html").read_text(encoding="utf-8")
    assert html.count('<rect class="op ') == 4
    assert html.count(" offending") >= 2
    assert '<rect class="band power-loss"' in html and '<rect class="band partition"' in html
    assert '<polyline class="hw"' in html and html.count('<polyline class="leo"') == 3
    assert '<span class="what">broker 1 loses power</span>' in html
    assert '<tr class="lost"><td class="offset">1</td>' in html
    assert "Topic: orders Partition: 0 Leader: none Replicas: 1,2,3 Isr: 3" in html
    # the verdict in the title and the heading
    assert (
        "<title>replicheck: VIOLATION: lost-write, inconsistent-offsets (flaw demo, 7 steps, seed 7)</title>"
        in html
    )


def test_case_json_is_plain_json_with_the_documented_fields(
    tmp_path: Path, demo_flaw, lost_write
) -> None:
    data = json.loads((write_report(lost_write, tmp_path) / "case.json").read_text())
    assert data["format"] == "replicheck-case" and data["version"] == 1
    assert data["expected"]["violation"] is True
    assert data["expected"]["anomalies"] == ["inconsistent-offsets", "lost-write"]
