"""KIP-966's GetReplicaLogInfo round: what balanced unclean recovery elects on.

Balanced recovery elects, among the last-known ELR members, the one with the largest
(latest leader epoch, LEO). Those must be asked at recovery time. What a broker said on
its last heartbeat is not enough: a broker that lost power moments ago still counts as
alive until its session expires, and what it reported before the power loss names records
it no longer has. (The model did that until the soundness test found it on Hypothesis
6.131.9: broker 2 lost power, broker 3's re-registration emptied the ISR, and broker 2 was
elected on its pre-loss heartbeat with an empty log; tests/impl/test_elr.py.)

So the controller asks every member with GetReplicaLogInfo, addressed to the broker epoch
it has registered for that member (another incarnation ignores it, as KIP-380 has brokers
ignore LeaderAndIsr). An answer counts while that registration stands: a reboot registers a
new epoch and the member is asked again. A missing answer (a lost request or reply, a
member that is down) is asked for again on the member's next heartbeat, so a member that is
down answers once it is back, with the log it restarted with. The election happens when
the last member answers.

What no round can see: a member that answers and then loses power before the election,
while its session still stands. Kafka's controller cannot tell either, and KIP-1275 says
unclean recovery "has the potential to lead to data loss"; the round emits
`log-info-round` when it starts, and the campaign injects no power loss from then on
(`stateful/machine.py`), as it injects none after an `unclean-recovery` election.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from replicheck.impl import broker_epochs
from replicheck.impl import messages as m

if TYPE_CHECKING:
    from replicheck.impl.controller import Controller, PartitionState

LogInfo = tuple[int, int]  # (latest leader epoch, LEO)


class LogInfoRound:
    """One partition's round: its members and, per member, (broker epoch, answer)."""

    __slots__ = ("answers", "asked", "members")

    def __init__(self, members: tuple[int, ...]) -> None:
        self.members = members
        self.answers: dict[int, tuple[int, LogInfo]] = {}
        self.asked: dict[int, int] = {}  # member -> corr of the latest request


def answers(controller: Controller, p: PartitionState, members: tuple[int, ...]) -> list[LogInfo]:
    """Every member's answer from its registered incarnation, in `members` order; [] while
    the round is still waiting (starting it, and asking every member, the first time)."""
    rounds = controller.log_info_rounds
    current = rounds.get(p.index)
    if current is None or current.members != members:
        previous = current
        current = LogInfoRound(members)
        if previous is not None:  # the member set changed: keep what still applies
            current.answers = {b: a for b, a in previous.answers.items() if b in members}
        rounds[p.index] = current
        controller.emit("log-info-round", partition=p.key, members=list(members))
        for b in members:
            if not _answered(controller, current, b):
                _ask(controller, p, current, b)
    infos = []
    for b in members:
        if not _answered(controller, current, b):
            return []
        infos.append(current.answers[b][1])
    return infos


def finish(controller: Controller, p: PartitionState) -> None:
    """The recovery election happened: the round is over."""
    controller.log_info_rounds.pop(p.index, None)


def on_heartbeat(controller: Controller, broker: int) -> None:
    """Ask `broker` again in every round still missing its current answer."""
    for index, current in controller.log_info_rounds.items():
        if broker in current.members and not _answered(controller, current, broker):
            _ask(controller, controller.store.partitions[index], current, broker)


def on_answer(controller: Controller, msg: m.GetReplicaLogInfoResponse) -> bool:
    """Record an answer; True if it completed its round (the caller elects)."""
    current = controller.log_info_rounds.get(msg.partition)
    b = msg.broker
    if current is None or current.asked.get(b) != msg.corr:
        return False  # no round, or the answer to an earlier request
    if msg.incarnation != broker_epochs.registered_epoch(controller, b):
        return False  # from an incarnation the controller has not (or no longer) registered
    current.answers[b] = (msg.incarnation, (msg.last_epoch, msg.leo))
    return all(_answered(controller, current, r) for r in current.members)


def _answered(controller: Controller, current: LogInfoRound, b: int) -> bool:
    answer = current.answers.get(b)
    return answer is not None and answer[0] == broker_epochs.registered_epoch(controller, b)


def _ask(controller: Controller, p: PartitionState, current: LogInfoRound, b: int) -> None:
    corr = controller.next_corr()
    current.asked[b] = corr
    epoch = broker_epochs.registered_epoch(controller, b)
    controller.out.append(m.GetReplicaLogInfo(controller.NAME, f"b{b}", p.index, epoch, corr))
