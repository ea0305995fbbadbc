"""`replicheck hunt` end to end through the click command."""

from pathlib import Path

from click.testing import CliRunner

from replicheck.cli import cli


def hunt(*args: str):
    return CliRunner().invoke(cli, ["hunt", *args])


def test_unknown_flaw_is_a_usage_error_listing_the_zoo() -> None:
    result = hunt("--flaw", "no-such-flaw")
    assert result.exit_code == 2
    assert "unknown flaw 'no-such-flaw'" in result.output
    assert "acks-one" in result.output and "truncate-to-hw" in result.output


def test_bad_numbers_and_profiles_are_usage_errors() -> None:
    assert hunt("--max-examples", "0").exit_code == 2
    assert hunt("--workers", "zero").exit_code == 2
    assert hunt("--profile", "weekly").exit_code == 2


def test_a_found_flaw_prints_the_story_the_report_and_the_reproduce_command(
    tmp_path: Path,
) -> None:
    result = hunt(
        "--flaw", "acks-one", "--seed", "2", "--max-examples", "1500", "--steps", "30",
        "--no-database", "--report-dir", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    out = result.output
    assert "Violation found and shrunk to" in out
    # the acknowledgement is shown, as a step outcome or as a later completion
    assert "  1. " in out and "ok at offset" in out
    assert "then: network heals, every broker restarts, final read" in out
    assert "Report: " + str(tmp_path) in out
    assert "Reproduce: replicheck hunt --flaw acks-one --seed 2 --max-examples 1500" in out
    assert "VIOLATION" in out  # the summary table


def test_nothing_found_exits_zero_with_a_summary(tmp_path: Path) -> None:
    result = hunt("--seed", "3", "--max-examples", "5", "--steps", "5", "--no-database",
                  "--report-dir", str(tmp_path))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "No violation found" in result.output
    assert "replicheck hunt --seed 3 --max-examples 5 --steps 5" in result.output
    assert "faults injected" in result.output
    assert not any(tmp_path.iterdir())
