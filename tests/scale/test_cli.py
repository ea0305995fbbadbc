"""`hunt --shard/--chunks/--database/--dask` and `replicheck merge` from the command line:
shards of one campaign merge to the unsharded campaign's verdict; unusable options and
inputs are usage errors (exit 2) that say what was expected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from replicheck.cli import cli
from seed_search import plan_won_by


def campaign() -> list[str]:
    """acks-one in 8 chunks of 3 examples, with a seed whose deciding chunk is not chunk 0
    under the installed Hypothesis (searched for, tests/seed_search.py): the merge has to
    pick it out of a shard that is not the first."""
    seed, _ = plan_won_by("acks-one", chunks=8, share=3, steps=20, lowest=1, highest=7)
    options = ["--flaw", "acks-one", "--seed", str(seed), "--max-examples", "24"]
    return [*options, "--steps", "20", "--chunks", "8", "--no-database"]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def hunt_json(report_dir: Path, *extra: str) -> dict[str, object]:
    code, out, err = run("hunt", *campaign(), "--report-dir", str(report_dir), "--json", *extra)
    summary: dict[str, object] = json.loads(out)
    assert summary["exit_code"] == code, err
    return summary


def test_merged_shards_report_what_the_unsharded_campaign_reports(tmp_path: Path) -> None:
    whole = hunt_json(tmp_path / "whole")
    assert whole["result"] == "violation"
    for k in (1, 2, 3, 4):
        hunt_json(tmp_path / f"job{k}", "--shard", f"{k}/4")
        assert (tmp_path / f"job{k}" / f"shard-{k}-of-4.json").is_file()
    code, out, err = run("merge", "--json", *(str(tmp_path / f"job{k}") for k in (1, 2, 3, 4)))
    assert code == 1, err
    merged = json.loads(out)
    assert merged["exit_code"] == 1 and len(merged["campaigns"]) == 1
    campaign = merged["campaigns"][0]
    assert campaign["reproduce"] == whole["reproduce"]  # the same deciding chunk
    assert campaign["anomalies"] == whole["anomalies"]
    assert campaign["report"] is not None and Path(campaign["report"]).is_dir()
    code, out, _ = run("merge", str(tmp_path))  # one folder holding every job's folder
    assert code == 1 and "violation" in out and "Reproduce:" in out


def test_clean_shards_merge_to_exit_0(tmp_path: Path) -> None:
    clean = ["--seed", "1", "--max-examples", "4", "--steps", "6", "--chunks", "2"]
    for k in (1, 2):
        code, _, err = run("hunt", *clean, "--shard", f"{k}/2", "--report-dir", str(tmp_path))
        assert code == 0, err
    code, out, _ = run("merge", str(tmp_path))
    assert code == 0 and "clean" in out


def test_merge_refuses_a_missing_shard(tmp_path: Path) -> None:
    clean = ["--seed", "1", "--max-examples", "4", "--steps", "6", "--chunks", "3"]
    run("hunt", *clean, "--shard", "2/3", "--report-dir", str(tmp_path))
    code, _, err = run("merge", str(tmp_path))
    assert code == 2
    assert "incomplete, shard(s) 1/3, 3/3 missing" in err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", ":1: expected a shard record or hunt summary (JSON)"),
        ('{"format": "other"}', "expected a 'replicheck-shard' JSON object"),
        ('{"format": "replicheck-shard", "version": 9}', "expected version 1, got 9"),
        (
            '{"format": "replicheck-shard", "version": 1, "campaign": {}, "shard": {"number": 3, '
            '"count": 2}}',
            "expected shard 1 <= number <= count, got 3/2",
        ),
    ],
)
def test_merge_says_what_was_expected(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "shard-1-of-2.json"
    path.write_text(content)
    code, _, err = run("merge", str(path))
    assert code == 2 and str(path) in err and expected in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--shard", "5/4"], "expected K/N with 1 <= K <= N"),
        (["--shard", "x"], "expected K/N"),
        (["--chunks", "3", "--shard", "1/4"], "needs a plan of at least 4 chunks"),
        (["--database", "ftp://host/x"], "expected redis://host:port/db or a folder"),
        (["--database", "redis://127.0.0.1:99999/0"], "the port must be a number"),
        (["--database", "redis://127.0.0.1:6379/x"], "the database must be a number"),
        (["--database", "d", "--no-database"], "--database and --no-database contradict"),
        (["--dask", "localhost"], "expected a scheduler address like tcp://host:8786"),
    ],
)
def test_unusable_scale_options_are_usage_errors(options: list[str], expected: str) -> None:
    code, out, err = run("hunt", "--max-examples", "10", *options)
    assert code == 2, out + err
    assert expected in err and "Traceback" not in err


def test_unreachable_redis_fails_before_the_campaign(tmp_path: Path) -> None:
    pytest.importorskip("redis", reason="the Redis client: pip install 'replicheck[redis]'")
    code, _, err = run(
        "hunt", "--max-examples", "10", "--database", "redis://127.0.0.1:1/0",
        "--report-dir", str(tmp_path),
    )  # fmt: skip
    assert code == 2 and "cannot reach Redis" in err


def test_a_directory_database_is_namespaced_like_hunts_own(tmp_path: Path) -> None:
    seed, _ = plan_won_by("acks-one", chunks=2, share=3, steps=20, lowest=0, highest=1)
    code, _, err = run(
        "hunt", "--flaw", "acks-one", "--seed", str(seed), "--max-examples", "6", "--steps", "20",
        "--chunks", "2", "--database", str(tmp_path / "db"), "--report-dir", str(tmp_path),
    )  # fmt: skip
    assert code == 1, err  # a failure is saved to the database
    (folder,) = (tmp_path / "db").iterdir()
    assert len(folder.name) == 12  # the configuration hash, as .hypothesis/replicheck/<hash>
