"""The ISR race's aim: on the path that restarts the leader, the lagging follower is cut
until it has left the ISR (otherwise for one long tick), and the fetch answer that carries
records a joining member lacks is usually the one cut off (time then passes until the
controller has committed the member)."""

from replicheck.impl import Cluster, ClusterConfig
from replicheck.stateful import moments
from replicheck.stateful.machine import CampaignMachine
from replicheck.stateful.runner import resolve_config
from replicheck.stateful.scenario import Step

from .test_search_aim import _machine

# A flaw's configuration only to build the state the race aims at (a member proposed while
# it lacks records); the machine's code never asks which flaw is on.
EARLY_EXPANSION = "isr-expand-before-epoch-start"


class Script:
    """A stand-in choice sequence: the value given for a label, else the first element (or
    False), recording every label drawn."""

    def __init__(self, values: dict[str, object]) -> None:
        self.values = values
        self.labels: list[str | None] = []

    def draw(self, strategy, label=None):
        self.labels.append(label)
        if label in self.values:
            return self.values[label]
        strategy = getattr(strategy, "wrapped_strategy", strategy)  # a lazy sampled_from
        elements = getattr(strategy, "elements", None)
        return next(iter(elements)) if elements is not None else False


def _race(machine: CampaignMachine, values: dict[str, object]) -> tuple[list[Step], Script]:
    script = Script({"lagging follower": 2, "client": 0, "partition": 0} | values)
    steps_from = len(machine.ex.steps)
    machine._do_isr_race(script)  # type: ignore[arg-type]
    return machine.ex.steps[steps_from:], script


def test_joining_lacks_counts_what_the_answer_to_the_members_last_fetch_carries() -> None:
    cluster = Cluster(ClusterConfig(), seed=0)
    cluster.tick(50)
    cluster.partition([["b1"], ["b2"]])
    cluster.send(0, 0, "a")
    cluster.tick(30)
    assert moments.log_ends(cluster, 0) == {1: 1, 2: 0, 3: 1}
    assert moments.joining_lacks(cluster, 0, 1, 2) == 1  # 2 last fetched offset 0
    assert moments.joining_lacks(cluster, 0, 1, 3) == 0  # 3 has fetched the record
    assert moments.joining_lacks(cluster, 0, 2, 1) == 0  # 2 does not lead
    assert moments.joining_lacks(cluster, 0, 7, 2) == 0  # no such broker


def test_the_race_cuts_the_answer_a_lagging_member_lacks_and_waits_for_the_commit() -> None:
    machine = _machine(resolve_config(ClusterConfig(), EARLY_EXPANSION))
    steps, script = _race(machine, {"leader restarts": True, "cut the answer": 1})
    kinds = [s.kind for s in steps]
    fall_behind = ["partition", "tick", "send", "heal"]
    assert kinds == [*fall_behind, "crash", "restart", "tick", "partition", "tick"]
    # the write was acknowledged with acks=all: the cut follower had left the ISR first
    send_at = kinds.index("send")
    assert machine.ex.step_outcomes[-len(steps) + send_at].startswith("→ ok at offset 0")
    assert "cut the answer" in script.labels and "race the commit" not in script.labels
    assert "joining 2" in steps[-2].args["note"]
    cluster = machine.ex.cluster
    # the member is in the controller's ISR without the record the lost answer carried
    assert 2 in cluster.store.partitions[0].isr
    assert moments.log_ends(cluster, 0)[2] < moments.log_ends(cluster, 0)[3]


def test_drawn_no_the_race_lets_the_expansion_with_missing_records_through() -> None:
    machine = _machine(resolve_config(ClusterConfig(), EARLY_EXPANSION))
    steps, script = _race(machine, {"leader restarts": True, "cut the answer": 0})
    assert "cut the answer" in script.labels
    assert (
        "right after 2 joined" in steps[[s.kind for s in steps].index("partition", 1)].args["note"]
    )


def test_a_member_with_every_record_gets_the_fair_coin_and_no_wait() -> None:
    """In the correct configuration the member is proposed only once it has fetched the
    records of the new epoch: the answer is empty, the choice is the coin, and the race ends
    at the cut."""
    machine = _machine(ClusterConfig())
    steps, script = _race(machine, {"leader restarts": True, "race the commit": False})
    assert "race the commit" in script.labels and "cut the answer" not in script.labels
    assert steps[-1].kind == "partition" and "joining 2" in steps[-1].args["note"]
    assert not machine.ex.last_violations


def test_without_a_restart_the_follower_falls_behind_for_one_long_tick() -> None:
    """Only the path that restarts the leader waits until the lagging follower has left the
    ISR; otherwise it is cut for the longest campaign tick (the follower may still be in
    the ISR, its write waiting for it: the uneven logs a later failover truncates), and
    the race of the commit ends at the cut."""
    machine = _machine(ClusterConfig())
    values = {"leader restarts": False, "race the commit": True}
    steps, script = _race(machine, values)
    kinds = [s.kind for s in steps]
    assert kinds[:4] == ["partition", "tick", "send", "heal"]
    assert steps[1].args["ms"] == machine.plan.long_ticks[-1]
    assert script.labels.index("leader restarts") < script.labels.index("lagging follower")
    assert steps[-1].kind == "partition" and "right after 2 joined" in steps[-1].args["note"]
