"""Write a generated send/poll history as JSON Lines (optionally with one injected fault).

    python benchmarks/gen_log_history.py --lines 1000000 --out /tmp/h.jsonl [--fault drop]

`--lines` is the target number of history entries (invocations + completions, final
reads included); the history is correct unless `--fault` names an injector from
replicheck.testing.log_gen.INJECTORS. Same arguments → byte-identical file.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import orjson

from replicheck.testing.log_gen import INJECTORS, GenConfig, generate_history, iter_history


def config_for_lines(lines: int, partitions: int = 4, processes: int = 10) -> GenConfig:
    """A config whose history has about `lines` entries (two per operation)."""
    return GenConfig(
        ops=max(0, lines // 2 - partitions), processes=processes, partitions=partitions
    )


def write_history(path: Path, lines: int, seed: int = 1, fault: str | None = None) -> int:
    """Write the history; returns the number of lines written."""
    config = config_for_lines(lines)
    if fault is None:
        ops = iter_history(config, seed)
    else:
        inject, _ = INJECTORS[fault]
        ops = inject(generate_history(config, seed), random.Random(seed))
        if ops is None:
            raise SystemExit(f"fault {fault!r} found no place in this history")
    written = 0
    with path.open("wb") as out:
        for op in ops:
            out.write(orjson.dumps(op))
            out.write(b"\n")
            written += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fault", choices=sorted(INJECTORS))
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    written = write_history(args.out, args.lines, args.seed, args.fault)
    print(f"wrote {written:,} ops to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
