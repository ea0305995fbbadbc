"""The linearizability page in a real headless chromium: it renders the lanes and bars, and
payloads from the history stay inert (a control page proves execution would be noticed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from replicheck.checker.linearizability import check_history
from replicheck.checker.visualize import render_linearizability_html
from replicheck.model import get_model

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PAYLOADS = [
    "<script>document.title='pwned'</script>",
    "<img src=x onerror=\"document.title='pwned'\">",
    "</title><script>document.title='pwned'</script>",
]


def dump_dom(page: Path) -> str:
    """The DOM after load, scripts (if any) having run."""
    if CHROMIUM is None:
        pytest.skip("no chromium on this machine")
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_page_renders_bars_and_keeps_payloads_inert(tmp_path: Path) -> None:
    history = []
    for n, payload in enumerate(PAYLOADS):
        history += [
            {"process": 2 * n, "type": "invoke", "f": "put", "key": payload, "value": payload},
            {"process": 2 * n, "type": "ok", "f": "put", "key": payload, "value": payload},
            {"process": 2 * n + 1, "type": "invoke", "f": "get", "key": payload, "value": None},
            {"process": 2 * n + 1, "type": "ok", "f": "get", "key": payload, "value": "stale"},
        ]
    verdict = check_history(get_model("kv"), history)
    assert verdict.valid is False
    page = tmp_path / "lin.html"
    page.write_text(render_linearizability_html(verdict, title=PAYLOADS[0]))
    dom = dump_dom(page)
    assert "pwned" not in dom.replace("document.title='pwned'", "")
    assert "<title>replicheck check — &lt;script&gt;" in dom
    assert dom.count('<g class="op ') == 6  # two ops per key, three keys
    assert dom.count('<g class="op blocking') == 3
    assert dom.count("Cannot place") == 3
    assert "<script" not in dom.lower()


def test_control_a_script_that_runs_is_noticed(tmp_path: Path) -> None:
    page = tmp_path / "control.html"
    page.write_text(f"<html><head><title>x</title></head><body>{PAYLOADS[0]}</body></html>")
    assert "<title>pwned</title>" in dump_dom(page)
