"""The search's aim at a procedure's preconditions: the client a procedure's write comes
from, the successor that lacks another follower's records, and the reboot behind a slow
link that is usually a disk swap."""

from hypothesis import given, settings
from hypothesis import strategies as st

from replicheck.impl import ClusterConfig
from replicheck.stateful import actions_fence, moments
from replicheck.stateful.machine import FAULT_FAMILIES, CampaignMachine, Sink, make_machine
from replicheck.stateful.scenario import Executor, Step


def _machine(config: ClusterConfig | None = None) -> CampaignMachine:
    config = config or ClusterConfig()
    machine = make_machine(config, Sink())()
    assert isinstance(machine, CampaignMachine)
    machine.executor = Executor(config, seed=0)
    machine.families = frozenset(FAULT_FAMILIES)
    machine.ex.apply(Step("tick", {"ms": 50}))
    return machine


def _failed_over(machine: CampaignMachine) -> None:
    """Clients 0 and 1 learn leader 1, which dies; broker 2 is elected."""
    for process in (0, 1):
        machine.ex.apply(Step("poll", {"process": process, "partition": 0, "offset": 0}))
    machine.ex.apply(Step("crash", {"broker": 1}))
    machine.ex.apply(Step("tick", {"ms": 90}))
    assert machine.ex.cluster.store.partitions[0].leader == 2


def test_a_client_names_the_leader_its_metadata_names_until_it_learns_again() -> None:
    machine = _machine()
    cluster = machine.ex.cluster
    assert moments.client_leader(cluster, 0, 0) is None  # no client yet
    _failed_over(machine)
    assert moments.client_leader(cluster, 0, 0) == 1  # still the dead leader
    assert moments.client_leader(cluster, 2, 0) is None
    assert machine._fresh_clients([0, 1, 2], 0) == [2]


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_a_fresh_write_after_a_failover_comes_from_a_fresh_client_or_any(
    data: st.DataObject,
) -> None:
    machine = _machine()
    _failed_over(machine)
    steps_from = len(machine.ex.steps)
    machine._send(data, wait=False, fresh=True)
    (send,) = machine.ex.steps[steps_from:]
    assert send.kind == "send" and send.args["process"] in (0, 1, 2)
    # a fresh client's write reaches the new leader within a few message delays
    if send.args["process"] == 2:
        machine.ex.apply(Step("tick", {"ms": 5}))
        assert moments.log_ends(machine.ex.cluster, 0)[2] == 1


def test_fresh_sends_draw_the_fresh_client_when_told_mostly_yes() -> None:
    """With "fresh client" drawn yes, the write comes from client 2, the only idle client
    whose metadata does not name the dead leader; drawn no, from any idle client."""
    chosen = set()
    for mostly in (True, False):
        machine = _machine()
        _failed_over(machine)
        machine._mostly = lambda data, label, m=mostly: m  # type: ignore[method-assign]
        picked = []

        class Data:
            def __init__(self, offered: list) -> None:
                self.offered = offered

            def draw(self, strategy, label=None):
                return _First().pick(strategy, self.offered)

        machine._send(Data(picked), wait=False, fresh=True)  # type: ignore[arg-type]
        chosen.add((mostly, machine.ex.steps[-1].args["process"], tuple(picked[-1])))
    assert (True, 2, (2,)) in chosen
    assert (False, 0, (0, 1, 2)) in chosen


class _First:
    """Stand-in for a choice sequence that always takes the first element (the shrinker's
    favourite), recording what it was offered."""

    def pick(self, strategy, offered):
        strategy = getattr(strategy, "wrapped_strategy", strategy)  # a lazy sampled_from
        elements = list(strategy.elements)
        offered.append(elements)
        return elements[0]


def test_the_successor_behind_another_follower_boosts_the_cascade() -> None:
    machine = _machine()
    assert not machine._successor_behind()
    # the link between leader 1 and its successor 2 is cut; a write reaches 3 only
    machine.ex.apply(Step("partition", {"groups": [["b1"], ["b2"]]}))
    machine.ex.apply(Step("send", {"process": 0, "partition": 0, "message": "a", "wait": False}))
    machine.ex.tick_until(lambda c: moments.log_ends(c, 0) == {1: 1, 2: 0, 3: 1}, 30)
    assert machine._successor_behind()
    boosted = machine._menu().count("cascade")
    machine._successor_behind = lambda: False  # type: ignore[method-assign]
    assert boosted == 4 * machine._menu().count("cascade") > 0


def test_the_successor_behind_another_follower_boosts_the_rolling_restart() -> None:
    machine = _machine()
    machine.ex.apply(Step("partition", {"groups": [["b1"], ["b2"]]}))
    machine.ex.apply(Step("send", {"process": 0, "partition": 0, "message": "a", "wait": False}))
    machine.ex.tick_until(lambda c: moments.log_ends(c, 0) == {1: 1, 2: 0, 3: 1}, 30)
    boosted = machine._menu().count("bounce-leader")
    machine._successor_behind = lambda: False  # type: ignore[method-assign]
    assert boosted == 3 * machine._menu().count("bounce-leader") > 0


def test_the_leader_successor_cut_weighs_more_where_a_failover_can_follow() -> None:
    machine = _machine()
    assert machine._can_fail_over()  # leader 1, successor 2, and 3 in the ISR, all live
    healthy = machine._menu().count("cut-leader-follower")
    machine.ex.apply(Step("crash", {"broker": 3}))
    machine.ex.apply(Step("tick", {"ms": 90}))  # 3 leaves the ISR: no third member
    assert not machine._can_fail_over()
    assert healthy == 4 * machine._menu().count("cut-leader-follower") > 0


def test_the_successor_ahead_of_the_other_follower_is_not_behind() -> None:
    machine = _machine()
    machine.ex.apply(Step("partition", {"groups": [["b1"], ["b3"]]}))
    machine.ex.apply(Step("send", {"process": 0, "partition": 0, "message": "a", "wait": False}))
    machine.ex.tick_until(lambda c: moments.log_ends(c, 0) == {1: 1, 2: 1, 3: 0}, 30)
    assert machine._replicas_uneven() and not machine._successor_behind()


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_a_reboot_behind_a_slow_link_swaps_only_a_replaceable_disk(data: st.DataObject) -> None:
    machine = _machine(ClusterConfig(broker_epochs=True))
    machine.ex.apply(Step("send", {"process": 0, "partition": 0, "message": "a"}))
    machine.ex.apply(Step("tick", {"ms": 30}))
    replaceable = machine._disk_replaceable()
    assert replaceable  # every broker holds a copy: any one disk may go
    steps_from = len(machine.ex.steps)
    actions_fence.restart_behind_slow_link(machine, data)
    swaps = [s for s in machine.ex.steps[steps_from:] if s.kind == "replace-disk"]
    assert all(s.args["broker"] in replaceable for s in swaps)
    kinds = [s.kind for s in machine.ex.steps[steps_from:]]
    assert kinds.count("slow-link") % 2 == 0  # every slow link it made is fast again
    assert not machine.ex.last_violations


def test_a_reboot_behind_a_slow_link_is_a_disk_swap_when_drawn_so() -> None:
    machine = _machine(ClusterConfig(broker_epochs=True))
    machine.ex.apply(Step("send", {"process": 0, "partition": 0, "message": "a"}))
    machine.ex.apply(Step("tick", {"ms": 30}))
    machine._mostly = lambda data, label: True  # type: ignore[method-assign]

    class Data:
        def draw(self, strategy, label=None):
            return _First().pick(strategy, [])

    actions_fence.restart_behind_slow_link(machine, Data())  # type: ignore[arg-type]
    assert "replace-disk" in [s.kind for s in machine.ex.steps]


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_failover_behind_a_slow_controller_writes_to_the_moved_partition(
    data: st.DataObject,
) -> None:
    """The writes that go on while leadership moves away and back go to the partition whose
    leader moved, and a second one only when the first failed (stale client metadata)."""
    machine = _machine(ClusterConfig(partition_count=2))
    chosen: list[tuple[int, int]] = []
    pick = machine._leader_and_partition

    def recorded(data: st.DataObject) -> tuple[int, int]:
        chosen.append(pick(data))
        return chosen[-1]

    machine._leader_and_partition = recorded  # type: ignore[method-assign]
    steps_from, history_from = len(machine.ex.steps), len(machine.ex.cluster.history)
    actions_fence.failover_behind_slow_controller(machine, data)
    steps = machine.ex.steps[steps_from:]
    if "crash" not in [s.kind for s in steps]:
        return  # no live follower: the action was a short tick
    (_, part), sends = chosen[-1], [s for s in steps if s.kind == "send"]
    assert 1 <= len(sends) <= 2 and all(s.args["partition"] == part for s in sends)
    outcomes = [op for op in machine.ex.cluster.history[history_from:] if op["type"] != "invoke"]
    if len(sends) == 2:
        assert any(op["type"] == "fail" for op in outcomes)
    assert [s.kind for s in steps].count("slow-link") % 2 == 0
    assert not machine.ex.last_violations


@settings(max_examples=10, deadline=None)
@given(st.data())
def test_the_rolling_restart_asks_mostly_yes_whether_its_controller_link_comes_back(
    data: st.DataObject,
) -> None:
    """During a network incident the rolling restart cuts a follower from the controller;
    whether that link comes back at the end is a three-in-four choice, not a coin."""
    machine = _machine()
    machine._partition([["b3"], ["b2"]], "an incident in force")
    asked: list[str] = []
    coins: list[str] = []

    def mostly(_: st.DataObject, label: str) -> bool:
        asked.append(label)
        return True

    def coin(_: st.DataObject, label: str) -> bool:
        coins.append(label)
        return False

    machine._mostly = mostly  # type: ignore[method-assign]
    machine._coin = coin  # type: ignore[method-assign]
    steps_from = len(machine.ex.steps)
    machine._do_bounce_leader(data)
    steps = machine.ex.steps[steps_from:]
    cuts = [s for s in steps if s.kind == "partition" and ["controller"] in s.args["groups"]]
    assert cuts, "an incident in force and every mostly-choice yes: a controller link is cut"
    assert "link back after" in asked and "link back after" not in coins
    assert steps[-2].kind == "heal"  # the link came back, then time passed
