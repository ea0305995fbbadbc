"""The pytest plugin's collection rules and its handling of unusable case files.

Each test runs pytest in a fresh project folder (a subprocess, so the plugin loads through
its `pytest11` entry point exactly as it does for users), with this checkout on PYTHONPATH.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
BAD_CASE = '{"format": "replicheck-case", "version": 1}'


def run_pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _project(tmp_path: Path, ini: str = "") -> Path:
    (tmp_path / "pytest.ini").write_text(f"[pytest]\n{ini}", encoding="utf-8")
    for relative in (
        "tests/regressions/a.case.json",
        "tests/regressions/sub/case.json",
        "tests/regressions/notes.json",
        "tests/other/case.json",
        "extra/b.case.json",
        "more/c.case.json",
    ):
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(BAD_CASE, encoding="utf-8")
    return tmp_path


def _collected(output: str) -> list[str]:
    return sorted(line for line in output.splitlines() if "::" in line)


def test_collects_case_files_under_tests_regressions_only(tmp_path: Path) -> None:
    project = _project(tmp_path)
    done = run_pytest(project, "--collect-only", "-q")
    assert _collected(done.stdout) == [
        "tests/regressions/a.case.json::replay",
        "tests/regressions/sub/case.json::replay",
    ], done.stdout + done.stderr


def test_ini_and_command_line_directories_are_collected(tmp_path: Path) -> None:
    project = _project(tmp_path, "replicheck_case_dirs = extra\n")
    done = run_pytest(project, "--collect-only", "-q", "--replicheck-cases", "more")
    assert _collected(done.stdout) == [
        "extra/b.case.json::replay",
        "more/c.case.json::replay",
        "tests/regressions/a.case.json::replay",
        "tests/regressions/sub/case.json::replay",
    ], done.stdout + done.stderr


def test_ini_directories_follow_the_default_selection_only(tmp_path: Path) -> None:
    project = _project(tmp_path, "replicheck_case_dirs = extra\n")
    done = run_pytest(project, "--collect-only", "-q", "tests/regressions/sub")
    assert _collected(done.stdout) == ["tests/regressions/sub/case.json::replay"]


def test_a_case_file_named_on_the_command_line_is_collected(tmp_path: Path) -> None:
    project = _project(tmp_path)
    done = run_pytest(project, "--collect-only", "-q", "tests/other/case.json")
    assert _collected(done.stdout) == ["tests/other/case.json::replay"]


def test_a_missing_case_directory_is_a_usage_error(tmp_path: Path) -> None:
    project = _project(tmp_path)
    done = run_pytest(project, "--replicheck-cases", "nowhere")
    assert done.returncode == 4
    assert f"replicheck case directory {project / 'nowhere'} is not a directory" in done.stderr


def test_an_unusable_case_fails_its_item_with_the_file_and_the_problem(tmp_path: Path) -> None:
    project = _project(tmp_path)
    done = run_pytest(project, "-q", "tests/regressions/a.case.json")
    assert done.returncode == 1
    path = project / "tests/regressions/a.case.json"
    assert f'unusable regression case: {path}: missing field "flaw"' in done.stdout
    assert "Traceback" not in done.stdout and "def runtest" not in done.stdout
