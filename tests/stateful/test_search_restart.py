"""The rolling restart's place in the menu: it is on whenever a family of a step it injects
is (it cuts a controller link, so a partitions-only example has it), and it weighs more
while the leader's successor lacks records another follower holds, as the cascade does."""

from replicheck.stateful import moments
from replicheck.stateful.machine import _MENU, CampaignMachine
from replicheck.stateful.scenario import Step

from .test_search_aim import _machine


def _successor_behind(machine: CampaignMachine) -> None:
    """Leader 1's link to its successor 2 is cut; a write reaches 3 only."""
    machine.ex.apply(Step("partition", {"groups": [["b1"], ["b2"]]}))
    machine.ex.apply(Step("send", {"process": 0, "partition": 0, "message": "a", "wait": False}))
    machine.ex.tick_until(lambda c: moments.log_ends(c, 0) == {1: 1, 2: 0, 3: 1}, 30)
    assert machine._successor_behind()


def test_every_family_of_the_rolling_restarts_steps_turns_it_on() -> None:
    families = {action: family for action, family, _ in _MENU}["bounce-leader"]
    assert families == frozenset({"crash", "preferred", "partition"})
    machine = _machine()
    machine.families = frozenset({"partition"})
    assert "bounce-leader" in machine._menu()
    machine.families = frozenset({"power"})
    assert "bounce-leader" not in machine._menu()


def test_the_successor_behind_boosts_the_rolling_restart() -> None:
    machine = _machine()
    _successor_behind(machine)
    boosted = machine._menu().count("bounce-leader")
    machine._successor_behind = lambda: False  # type: ignore[method-assign]
    assert boosted == 3 * machine._menu().count("bounce-leader") > 0
