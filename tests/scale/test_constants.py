"""A campaign explores the same whatever its process imported before (stateful/local_constants.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

# acks-one, seed 11, 5 examples of up to 20 steps: without the pin, the fourth example differs
# (the case measured in stateful/local_constants.py; re-measure if the machine's draws change).
PROBE = textwrap.dedent(
    """
    import json, sys
    if sys.argv[1] == "cli":
        import replicheck.cli, replicheck.commands.hunt  # what the `replicheck` command loads
    from replicheck.scale.chunk import ChunkTask, run_chunk, steps_digest
    from replicheck.scale.plan import ChunkSpec
    from replicheck.stateful.runner import resolve_config, run_single
    config = resolve_config(None, "acks-one")
    if sys.argv[2] == "chunk":
        task = ChunkTask(config, ChunkSpec(0, 11, 5), 20, None, fingerprints=True)
        print(json.dumps(run_chunk(task).fingerprints))
    else:
        import contextlib
        import replicheck.stateful.runner as runner
        if sys.argv[2] == "unpinned":  # the control: what Hypothesis alone would do
            runner.without_local_constants = contextlib.nullcontext
        seen = []
        run_single(config, 11, 5, 20, None, lambda sink, _: seen.append(steps_digest(list(sink.last_steps))), polish_result=False)
        print(json.dumps(seen[:5]))
    """
)


def explored(imports: str, how: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, imports, how],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_chunk_explores_the_same_after_any_imports() -> None:
    assert explored("plain", "chunk") == explored("cli", "chunk")


def test_a_plain_campaign_explores_the_same_after_any_imports() -> None:
    """`hunt --seed N` from the command line, the Python API or pytest: one exploration."""
    assert explored("plain", "single") == explored("cli", "single")


def test_without_the_pin_the_imports_change_the_exploration() -> None:
    """Why the pin exists (and that the tests above can fail): Hypothesis's own run draws
    literals from the loaded local modules."""
    assert explored("plain", "unpinned") != explored("cli", "unpinned")
