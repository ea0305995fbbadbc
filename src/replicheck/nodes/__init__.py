"""Hunt any implementation: real node processes speaking Maelstrom's protocol.

A second target beside the reference cluster (`replicheck.impl`): `NodeTarget` starts N
copies of a user's program, is their network and their services, drives the kafka workload
and yields a history in replicheck's log format plus a message log. See docs/nodes.md.
"""

from replicheck.nodes.errors import NodeError, NodeProtocolError, NodeStartError
from replicheck.nodes.steps import NodeStep
from replicheck.nodes.target import NodeConfig, NodeRun, NodeTarget
from replicheck.nodes.verdict import NodeVerdict, check_run


def run_nodes(
    command: list[str],
    node_count: int,
    steps: list[NodeStep],
    *,
    seed: int = 0,
    config: NodeConfig | None = None,
) -> NodeRun:
    """Start the nodes, run `steps` with the final read, reap everything, return the run."""
    with NodeTarget(command, node_count, seed=seed, config=config) as target:
        return target.run(steps)


__all__ = [
    "NodeConfig",
    "NodeError",
    "NodeProtocolError",
    "NodeRun",
    "NodeStartError",
    "NodeStep",
    "NodeTarget",
    "NodeVerdict",
    "check_run",
    "run_nodes",
]
