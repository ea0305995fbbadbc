"""`replicheck merge`: one verdict and one exit code from the shards of a campaign.

Exit codes: 0 every campaign clean, 1 a violation was found, 4 a simulation failed, 2 the
inputs are unusable (`path: what was expected`: not a record, a shard missing or twice,
shards of different plans mixed).
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from replicheck.scale.merge import CampaignVerdict, merge_paths, merged_json, overall_exit_code
from replicheck.scale.record import RecordError


@click.command(name="merge")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the merged verdict as JSON.")
def merge(paths: tuple[Path, ...], as_json: bool) -> None:
    """Combine a campaign's shards into one verdict with one exit code.

    PATHS are report folders holding `hunt --shard` records (searched recursively), shard
    records, or `hunt --json` summaries."""
    try:
        verdicts = merge_paths(list(paths))
    except RecordError as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(2) from None
    if as_json:
        click.echo(json.dumps(merged_json(verdicts), indent=2))
    else:
        _print(Console(highlight=False, soft_wrap=True), verdicts)
    raise SystemExit(overall_exit_code(verdicts))


def _print(console: Console, verdicts: list[CampaignVerdict]) -> None:
    table = Table(title="replicheck merge")
    for column in ("campaign", "shards", "examples", "result", "decided by"):
        table.add_column(column)
    for verdict in verdicts:
        result = verdict.result
        if verdict.anomalies:
            result += ": " + ", ".join(verdict.anomalies)
        table.add_row(
            Text(verdict.name),
            str(verdict.shards),
            str(verdict.examples),
            Text(result, style="red" if verdict.exit_code else "green"),
            Text(verdict.decided_by or "–"),
        )
    console.print(table)
    for verdict in verdicts:
        if verdict.report:
            console.print(Text(f"Report: {verdict.report}"))
        if verdict.exit_code and verdict.reproduce:
            console.print(Text(f"Reproduce: {verdict.reproduce}"))
