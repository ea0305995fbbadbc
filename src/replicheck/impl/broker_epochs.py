"""Broker registration epochs at the controller (KIP-380, KIP-841, KIP-903).

With `broker_epochs` every broker start registers a new epoch (here: the incarnation the
broker heartbeats with), kept in the metadata store so it survives controller failover, as
KRaft's registration records do. Three rules use it:

- KIP-380: LeaderAndIsr names the recipient's registered epoch; a broker ignores state
  addressed to another incarnation of itself, so a rebooted broker acts on nothing until
  the controller has processed its new registration;
- KIP-841: a broker that registers again with a new epoch is removed from every ISR it is
  in (pre-ELR: unless it is the last member) -- whatever it had in sync belonged to the
  previous incarnation, and its disk may have been replaced or lost its unflushed suffix;
- KIP-903: AlterIsr carries each member's broker epoch as the leader saw it in that
  member's fetches; an addition whose epoch is not the member's registered one comes from
  a previous incarnation and is rejected (STALE_BROKER_EPOCH), and so is an addition of a
  broker the controller considers dead (INELIGIBLE_REPLICA).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from replicheck.impl import elr, flags
from replicheck.impl import messages as m

if TYPE_CHECKING:
    from replicheck.impl.controller import Controller, PartitionState


def register(controller: Controller, broker: int, epoch: int) -> None:
    """A heartbeat with `epoch`: record a new registration, and apply KIP-841 to a reboot."""
    registered = controller.store.broker_epochs.get(broker)
    if registered == epoch:
        return
    controller.store.broker_epochs[broker] = epoch
    if registered is None or flags.REBOOTED_BROKER_STAYS_IN_ISR in controller.config.flaws:
        return
    for p in controller.hosted[broker]:
        if controller.config.elr:
            elr.remove(controller, p, broker, unclean=True)  # KIP-966: even the last member
        elif broker in p.isr and len(p.isr) > 1:
            p.isr = tuple(r for r in p.isr if r != broker)
            if p.leader == broker:
                controller.elect_without(p, broker)
            else:
                controller.commit(p)


def registered_epoch(controller: Controller, broker: int) -> int:
    return controller.store.broker_epochs.get(broker, -1)


def alter_isr_error(controller: Controller, p: PartitionState, msg: m.AlterIsr) -> str:
    """KIP-841 / KIP-903 checks of the members an AlterIsr adds (NONE when they pass)."""
    check_epochs = flags.STALE_BROKER_EPOCH_JOINS_ISR not in controller.config.flaws
    epochs = dict(zip(msg.new_isr, msg.member_epochs, strict=False))
    for r in msg.new_isr:
        if r in p.isr:
            continue
        if r not in controller.alive:
            return m.INELIGIBLE_REPLICA
        if check_epochs and epochs.get(r, -1) != registered_epoch(controller, r):
            return m.STALE_BROKER_EPOCH
    return m.NONE
