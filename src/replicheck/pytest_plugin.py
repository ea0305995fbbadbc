"""pytest plugin (entry point `pytest11`): saved regression cases run as test items.

Collected: every `case.json` / `*.case.json` under `tests/regressions/` (relative to the
rootdir), under each directory listed in the ini option `replicheck_case_dirs` or given with
`--replicheck-cases DIR`, and any case file named explicitly on the command line.

A case recorded against a zoo flaw passes while the checker still detects the recorded
anomalies; a case recorded against the correct configuration passes once it no longer
violates. A failure prints the numbered scenario and the evidence, not a traceback, and
that text is what JUnit XML carries.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

# pytest loads this plugin in every session of every project that has replicheck installed
# (entry point `pytest11`), so the report and simulation packages (about half a second of
# imports) are imported only when a case file is actually collected and run.
if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr, TracebackStyle

    from replicheck.report.case import Case
    from replicheck.stateful.result import RunResult

REGRESSIONS_DIR = Path("tests") / "regressions"
MARKER = "replicheck_case"
_DIRS_KEY = pytest.StashKey[list[Path]]()


def is_case_file_name(name: str) -> bool:
    return name == "case.json" or name.endswith(".case.json")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("replicheck", "replicheck regression cases")
    group.addoption(
        "--replicheck-cases",
        action="append",
        default=[],
        metavar="DIR",
        help="also collect replicheck case files (case.json, *.case.json) from DIR; repeatable",
    )
    parser.addini(
        "replicheck_case_dirs",
        type="paths",
        default=[],
        help="directories whose replicheck case files are collected as regression tests "
        "(in addition to tests/regressions)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}: a saved replicheck regression case replayed as a test"
    )
    explicit = [Path(d).resolve() for d in config.getoption("replicheck_cases") or []]
    from_ini = [Path(d).resolve() for d in config.getini("replicheck_case_dirs") or []]
    for directory in [*explicit, *from_ini]:
        if not directory.is_dir():
            raise pytest.UsageError(f"replicheck case directory {directory} is not a directory")
    dirs = [config.rootpath / REGRESSIONS_DIR, *explicit, *from_ini]
    config.stash[_DIRS_KEY] = dirs

    # Make sure the extra directories are walked: command-line ones always, ini ones when
    # pytest runs its default selection (no paths given), like `testpaths`.
    default_selection = config.args_source != pytest.Config.ArgsSource.ARGS
    wanted = explicit + (from_ini if default_selection else [])
    walked = [Path(arg.split("::")[0]).resolve() for arg in config.args]
    for directory in wanted:
        if not any(directory == w or directory.is_relative_to(w) for w in walked):
            config.args.append(str(directory))
            walked.append(directory)


def _explicitly_named(config: pytest.Config, path: Path) -> bool:
    return any(Path(arg.split("::")[0]).resolve() == path for arg in config.args)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if not is_case_file_name(file_path.name):
        return None
    config = parent.config
    path = file_path.resolve()
    dirs = config.stash.get(_DIRS_KEY, [])
    if any(path.is_relative_to(d.resolve()) for d in dirs) or _explicitly_named(config, path):
        return CaseFile.from_parent(parent, path=file_path)
    return None


class CaseFile(pytest.File):
    """One case file: one test item, loaded and replayed when the test runs."""

    def collect(self) -> Iterator[pytest.Item]:
        item = CaseItem.from_parent(self, name="replay")
        item.add_marker(MARKER)
        yield item


class _Crash:
    """What pytest's summary line and JUnit's `message` attribute read (`reprcrash`)."""

    def __init__(self, message: str) -> None:
        self.message = message


class FailureText(str):
    """The failure story as plain text; its first line doubles as the one-line message."""

    __slots__ = ("reprcrash",)
    reprcrash: _Crash

    def __new__(cls, text: str) -> FailureText:
        self = super().__new__(cls, text)
        self.reprcrash = _Crash(text.split("\n", 1)[0])
        return self


class CaseFailed(Exception):
    """The case's promise no longer holds; `text` is the whole story for the reader."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def case_failure(case: Case, result: RunResult) -> str | None:
    """Why a replayed case fails its promise (the whole story), or None when it holds.

    A case recorded against a flaw promises that every recorded anomaly is detected again;
    a case recorded against the correct configuration promises no violation at all.
    """
    from replicheck.report import summary
    from replicheck.report.case import has_violation, reproduces, violation_names

    recorded = ", ".join(case.expected.anomalies) or "no violation"
    now = ", ".join(violation_names(result)) or "no violation"
    if case.flaw is not None and not reproduces(case, result):
        problem = f"flaw {case.flaw} is no longer detected as recorded"
    elif case.flaw is None and has_violation(result):
        problem = "the correct configuration violates"
    else:
        return None
    header = "\n".join(
        [
            f"regression case {case.path}: {problem}",
            f"  recorded: {recorded}",
            f"  now:      {now}",
            f"  replay:   replicheck replay {case.path}",
        ]
    )
    return summary.story(result, header=header)


class CaseItem(pytest.Item):
    def runtest(self) -> None:
        from replicheck.report.case import load_case
        from replicheck.stateful.replay import replay_case

        case = load_case(self.path)
        self.user_properties.append(("replicheck_flaw", case.flaw or "correct"))
        result, _ = replay_case(case)
        failure = case_failure(case, result)
        if failure is not None:
            raise CaseFailed(failure)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: TracebackStyle | None = None
    ) -> str | TerminalRepr:
        from replicheck.report.case import CaseError

        if isinstance(excinfo.value, CaseFailed):
            return FailureText(excinfo.value.text)
        if isinstance(excinfo.value, CaseError):
            return FailureText(f"unusable regression case: {excinfo.value}")
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"replicheck case {self.path.name}"
