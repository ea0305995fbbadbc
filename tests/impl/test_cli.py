"""`replicheck describe` and `replicheck zoo`."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from replicheck.cli import cli
from replicheck.impl.zoo import FLAWS

LINE = re.compile(r"^Topic: orders Partition: \d+ Leader: -?\d+ Replicas: [\d,]+ Isr: [\d,]+$")


def test_describe_shows_failover_and_recovery() -> None:
    result = CliRunner().invoke(cli, ["describe", "--partitions", "1"])
    assert result.exit_code == 0, result.output
    stages = result.output.strip().split("\n\n")
    assert len(stages) == 4
    lines = [s.splitlines()[1:] for s in stages]
    assert lines[0] == ["Topic: orders Partition: 0 Leader: 1 Replicas: 1,2,3 Isr: 1,2,3"]
    assert lines[1] == ["Topic: orders Partition: 0 Leader: 2 Replicas: 1,2,3 Isr: 2,3"]
    assert lines[2] == ["Topic: orders Partition: 0 Leader: 2 Replicas: 1,2,3 Isr: 1,2,3"]
    assert lines[3] == ["Topic: orders Partition: 0 Leader: 1 Replicas: 1,2,3 Isr: 1,2,3"]
    for stage in lines:
        assert all(LINE.match(line) for line in stage)


def test_describe_is_deterministic_and_filters() -> None:
    a = CliRunner().invoke(cli, ["describe"])
    b = CliRunner().invoke(cli, ["describe"])
    assert a.output == b.output
    under = CliRunner().invoke(cli, ["describe", "--under-replicated-partitions"])
    data_lines = [x for x in under.output.splitlines() if x.startswith("Topic:")]
    assert len(data_lines) == 3  # only the stage right after the crash has any
    assert all(x.split("Isr: ")[1].count(",") == 1 for x in data_lines)


def test_describe_rejects_bad_options() -> None:
    result = CliRunner().invoke(cli, ["describe", "--partitions", "0"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_zoo_lists_every_flaw() -> None:
    result = CliRunner().invoke(cli, ["zoo"])
    assert result.exit_code == 0
    for name, flaw in FLAWS.items():
        assert re.search(rf"^{re.escape(name)}\s+{re.escape(flaw.title)}$", result.output,
                         re.MULTILINE)


def test_zoo_json() -> None:
    result = CliRunner().invoke(cli, ["zoo", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert [d["name"] for d in data] == list(FLAWS)
    for d in data:
        assert set(d) == {"name", "title", "description", "source"}
        assert d["description"] and d["source"]
