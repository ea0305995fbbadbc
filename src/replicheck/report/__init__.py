"""Failure-minimization reports and regression case files.

`write_report(result, report_dir)` turns a finished run (a `RunResult`) into a folder a
person reads (report.md, report.html) and a case the regression suite replays (case.json).
"""

from replicheck.report.case import Case, CaseError, load_case, save_case
from replicheck.report.writer import write_report
from replicheck.stateful.replay import replay_case  # a case replays with the scenario

__all__ = ["Case", "CaseError", "load_case", "replay_case", "save_case", "write_report"]
