"""The command layer writes the report folders: `hunt` after its campaign, `replay` after
its run. `stateful` finds and minimizes, `report` renders; neither imports the other's
caller, so the writing lives here, next to the commands that decide when to write.

A folder that cannot be written never costs the finding: the error is returned as
`path: reason` for the command to print, and the violation's exit code stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from replicheck.report import write_report
from replicheck.stateful.result import RunResult
from replicheck.stateful.runner import CampaignResult


@dataclass(frozen=True)
class ReportFolder:
    """Where the report went, or why it could not be written (exactly one is set)."""

    path: Path | None
    error: str | None  # "reports/x: No space left on device"

    def __post_init__(self) -> None:
        assert (self.path is None) != (self.error is None), "a folder or an error"


def write_report_folder(
    result: RunResult, report_dir: Path, *, command: str | None = None
) -> ReportFolder:
    """Write `result`'s report folder under `report_dir`; an OSError becomes `error`.

    `command` is the command line that found the run (shown in the report)."""
    try:
        return ReportFolder(write_report(result, report_dir, command=command), None)
    except OSError as error:
        where = error.filename or report_dir
        return ReportFolder(None, f"{where}: {error.strerror or error}")


def write_campaign_report(campaign: CampaignResult, report_dir: Path) -> ReportFolder:
    """Write the found violation's report and record it on the campaign (`report_path`,
    or `report_error`). Never raises for a folder it cannot write."""
    assert campaign.result is not None, "only a found violation has a report"
    command = campaign.reproduce_command()
    folder = write_report_folder(campaign.result, report_dir, command=command)
    campaign.report_path, campaign.report_error = folder.path, folder.error
    return folder
