"""Regenerate tests/regressions/: one minimized case per zoo flaw, found by the campaign.

Cases are never written by hand. For each flaw this runs the same search as the
test suite's completeness test (`run_campaign(flaw=NAME, seed=1, max_examples=1500)` under
the `ci` Hypothesis profile; fixed seed, no example database, so the run is repeatable),
writes its report as `hunt` does, and copies the report's `case.json` to
`tests/regressions/<flaw>.case.json`. A flaw the search does not find within the budget is
an error: the zoo exists to prove the checker has teeth.

    python scripts/seed_regressions.py                      # every flaw
    python scripts/seed_regressions.py --flaw truncate-to-hw --seed 3

The Hypothesis profile matters: the same campaign seed explores different scenarios under
different profiles, so the script loads the one the test suite loads (tests/conftest.py).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main(argv: list[str] | None = None) -> int:
    from hypothesis import settings

    from replicheck.commands.report_folder import write_campaign_report
    from replicheck.impl.zoo import FLAWS
    from replicheck.report.case import load_case
    from replicheck.stateful.profiles import register_profiles
    from replicheck.stateful.runner import run_campaign

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flaw", action="append", help="only this flaw (repeatable)")
    parser.add_argument("--seed", type=int, default=1, help="campaign seed (default 1)")
    parser.add_argument("--profile", default="dev", help="campaign budget (default dev)")
    parser.add_argument(
        "--max-examples", type=int, default=1500, help="examples per flaw (default 1500)"
    )
    parser.add_argument(
        "--hypothesis-profile", default="ci", help="Hypothesis settings profile (default ci)"
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "tests" / "regressions", help="where cases go"
    )
    args = parser.parse_args(argv)
    register_profiles()
    settings.load_profile(args.hypothesis_profile)
    flaws = args.flaw or sorted(FLAWS)
    unknown = [name for name in flaws if name not in FLAWS]
    if unknown:
        parser.error(f"unknown flaw(s): {', '.join(unknown)}; the zoo has {', '.join(FLAWS)}")
    args.out.mkdir(parents=True, exist_ok=True)
    missed = []
    print(f"{'flaw':<32} {'steps':>5} {'examples':>8} {'seconds':>8}  anomalies")
    with tempfile.TemporaryDirectory(prefix="replicheck-seed-") as scratch:
        for name in flaws:
            started = time.perf_counter()
            campaign = run_campaign(
                flaw=name,
                seed=args.seed,
                max_examples=args.max_examples,
                profile=args.profile,
                database_dir=None,
            )
            if campaign.found:  # the command layer writes reports, as hunt does
                write_campaign_report(campaign, Path(scratch))
            seconds = time.perf_counter() - started
            if campaign.report_path is None:
                missed.append(name)
                print(f"{name:<32} {'-':>5} {campaign.examples:>8} {seconds:>8.1f}  NOT FOUND")
                continue
            target = args.out / f"{name}.case.json"
            shutil.copyfile(campaign.report_path / "case.json", target)
            case = load_case(target)
            print(
                f"{name:<32} {len(case.steps):>5} {campaign.examples:>8} {seconds:>8.1f}  "
                f"{', '.join(case.expected.anomalies)}"
            )
    if missed:
        print(f"not found within the budget: {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
