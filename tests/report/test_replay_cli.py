"""`replicheck replay`: exit codes and messages that do not need a simulated cluster."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from replicheck.cli import cli


def test_missing_case_file_is_exit_2_with_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.case.json"
    result = CliRunner().invoke(cli, ["replay", str(missing)])
    assert result.exit_code == 2
    assert result.output == f"error: {missing}: no such file\n"


def test_bad_json_is_exit_2_with_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text('{"format": "replicheck-case",\n  "version" 1}', encoding="utf-8")
    result = CliRunner().invoke(cli, ["replay", str(path)])
    assert result.exit_code == 2
    assert f"error: {path}: line 2, column 13: invalid JSON" in result.output
    assert "Traceback" not in result.output


def test_wrong_field_is_exit_2_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(
        '{"format": "replicheck-case", "version": 1, "flaw": null, "seed": 1,'
        ' "expected": {"violation": false, "anomalies": []}, "config": {}, "steps": 3}',
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["replay", str(path), "--json"])
    assert result.exit_code == 2
    assert f'error: {path}: "steps" must be a list, got a number' in result.output
