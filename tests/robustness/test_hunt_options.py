"""`replicheck hunt` with mutated options: a documented exit code, never a traceback.

Options are drawn from valid small values and typical mistakes (non-numbers, zero,
negatives, huge worker counts, an unknown flaw, a report folder under a plain file). The
campaign budget always stays tiny, so the test is about the command's edges, not the
search. A found violation must be printed with its reproduce command; every worker
process must be reaped; a rejected run creates no report folder.
"""

from __future__ import annotations

import multiprocessing
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replicheck.cli import cli

HUNT_EXITS = {0, 1, 2}


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    flaw=st.sampled_from([None, "acks-one", "no-such-flaw", "-acks-one", ""]),
    max_examples=st.sampled_from(["1", "2", "0", "-1", "x", "1.5", "nan"]),
    steps=st.sampled_from(["1", "4", "0", "x"]),
    seed=st.sampled_from([None, "0", "7", "-1", "x", str(2**64)]),
    workers=st.sampled_from([None, "1", "2", "1000", "0", "x"]),
    report=st.sampled_from(["fresh", "under-a-file"]),
)
def test_hunt_answers_every_option_mix_with_a_documented_exit(
    flaw, max_examples, steps, seed, workers, report
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "plain"
        plain.write_text("not a folder")
        reports = Path(tmp) / "reports" if report == "fresh" else plain / "reports"
        args = ["hunt", "--no-database", "--max-examples", max_examples, "--steps", steps]
        args += ["--report-dir", str(reports)]
        for name, value in (("--flaw", flaw), ("--seed", seed), ("--workers", workers)):
            if value is not None:
                args += [name, value]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code in HUNT_EXITS, (result.exit_code, result.output)
        assert "Traceback" not in result.output, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert multiprocessing.active_children() == []
        if report == "under-a-file":
            assert result.exit_code == 2 or "no-such" in str(flaw)
            assert plain.read_text() == "not a folder"
        if result.exit_code == 1:
            assert "Reproduce: replicheck hunt" in result.output
            assert "Report: " in result.output
        if result.exit_code == 2:
            assert not reports.exists()
