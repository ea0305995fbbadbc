"""The Cluster: the only place that routes messages, injects faults and advances time.

A discrete-event loop over a heap of (deliver_time_ms, seq, dst, dst_incarnation, msg);
`msg is None` marks a timer wakeup for `dst`. Nodes (brokers, the controller, clients) are
pure state machines; each exposes `next_tick_ms` and the cluster schedules a wakeup when
it moves earlier. Messages to a node that crashed (or was replaced) since they were sent are
dropped, like a TCP connection to a dead process. All randomness comes from one
`random.Random(seed)`, consumed only by the network, so the same seed and calls replay
byte-for-byte.
"""

from __future__ import annotations

import heapq
import json
import random
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from replicheck.impl import describe as describe_mod
from replicheck.impl import invariants, liveness
from replicheck.impl.broker import Broker
from replicheck.impl.client import Client
from replicheck.impl.config import ClusterConfig
from replicheck.impl.controller import Controller, MetadataStore
from replicheck.impl.messages import Entry
from replicheck.impl.network import Network
from replicheck.impl.replica import FETCHER_TRUNCATING, INF_MS, ROLE_FOLLOWER, ROLE_LEADER
from replicheck.impl.storage import PartitionLog

CONTROLLER = "controller"
FINAL_READ_MAX_POLLS = 10_000
FINAL_READ_MAX_FAILURES = 20
FINAL_READ_RETRY_SETTLE_MS = 1000
SETTLE_STEP_MS = 5


class Cluster:
    """A simulated Kafka cluster; see docs/internals.md section 2 for the driver API."""

    def __init__(self, config: ClusterConfig | None = None, seed: int = 0) -> None:
        self.config = config if config is not None else ClusterConfig()
        self.seed = seed
        self.now_ms = 0
        self.history: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self._rng = random.Random(seed)
        self._net = Network(self._rng, self.config.network_delay_ms)
        self._queue: list[tuple[int, int, str, int, Any]] = []
        self._seq = 0
        self._nodes: dict[str, Any] = {}
        self._incarnation: dict[str, int] = {}
        self._wake: dict[str, tuple[int, int]] = {}
        self._clients: dict[int, Client] = {}
        self._epoch_leaders: dict[tuple[str, int], int] = {}
        self._leader_violations: list[str] = []
        self._hw_seen: dict[tuple[str, int, int], int] = {}
        self._committed: dict[str, list[Entry]] = {}  # see invariants.py
        # Set by watch_invariants: the nodes whose every handled event is followed by a
        # check, and what those checks found (in order, each text once).
        self._watched_nodes: set[str] | None = None
        self._watched_violations: list[str] = []
        self._watched_seen: set[str] = set()
        # What the checks read, by node, as of the watch's last check (`_watch_key`);
        # empty when unknown (nothing checked yet, or a driver call changed the state).
        self._watch_keys: dict[str, list[object]] = {}
        self._watch_every_event = False
        self.messages_delivered = 0  # for benchmarks: messages handed to a node
        self.timer_ticks = 0  # for benchmarks: node wakeups that ran
        # Liveness (see liveness.py): set by final_read. `convergence_ms` is how long the
        # cluster took to converge after teardown (None if it did not), `liveness_violations`
        # the evidence when it did not, `convergence_bound_ms` the bound it was held to.
        self.convergence_ms: int | None = None
        self.convergence_bound_ms: int | None = None
        self.liveness_violations: list[str] = []
        # broker -> its incarnation counter when its disk was last replaced (the process
        # started on the new disk has a larger incarnation): see invariants.swapped_disk.
        self.disk_swaps: dict[int, int] = {}
        self._sent: Counter[tuple[str, tuple[str, int, int]]] | None = (
            None  # request counts while watching
        )
        fsync = self.config.flush == "every-append"
        self.disks: dict[int, dict[int, PartitionLog]] = {
            b: {
                i: PartitionLog(fsync)
                for i in range(self.config.partition_count)
                if b in self.config.replicas_of(i)
            }
            for b in self.broker_ids
        }
        self.brokers: dict[int, Broker | None] = {}
        self.store = MetadataStore(self.config)
        for p in self.store.partitions:
            self._emit(
                "leader",
                partition=p.key,
                leader=p.leader,
                leader_epoch=p.leader_epoch,
                isr=list(p.isr),
            )
        self.controller = Controller(self.config, self.store, 0, self._emit)
        self._add_node(CONTROLLER, self.controller)
        for b in self.broker_ids:
            self._start_broker(b)
        self._route(CONTROLLER, self.controller.announce())

    # -- basic properties ----------------------------------------------------------------
    @property
    def broker_ids(self) -> list[int]:
        return list(range(1, self.config.broker_count + 1))

    def partition_index(self, partition: int | str) -> int:
        """Accept 0, "0" or "orders-0"."""
        if isinstance(partition, str):
            tail = partition.rsplit("-", 1)[-1]
            if not tail.isdigit() or (
                partition != tail and partition != self.config.partition_key(int(tail))
            ):
                raise ValueError(f"unknown partition {partition!r}")
            partition = int(tail)
        if not 0 <= partition < self.config.partition_count:
            raise ValueError(f"unknown partition {partition!r}")
        return partition

    def is_live(self, broker: int) -> bool:
        return self.brokers.get(broker) is not None

    def connected(self, a: str, b: str) -> bool:
        """Can nodes `a` and `b` (`b1`, `c0`, `controller`) talk under the current partition?"""
        return self._net.connected(a, b)

    # -- the event loop ----------------------------------------------------------------------
    def _emit(self, kind: str, **fields: Any) -> None:
        event = {"time_ms": self.now_ms, "kind": kind}
        event.update(fields)
        self.events.append(event)
        if kind == "become-leader":
            key = (fields["partition"], fields["leader_epoch"])
            previous = self._epoch_leaders.setdefault(key, fields["broker"])
            if previous != fields["broker"]:
                self._leader_violations.append(
                    f"{key[0]}: two leaders in epoch {key[1]} (brokers {previous} and "
                    f"{fields['broker']})"
                )

    def _add_node(self, name: str, node: Any) -> None:
        self._nodes[name] = node
        self._incarnation[name] = self._incarnation.get(name, 0) + 1
        self._wake.pop(name, None)
        self._schedule(name, node)

    def _schedule(self, name: str, node: Any) -> None:
        t = node.next_tick_ms
        if t >= INF_MS:
            return
        current = self._wake.get(name)
        if current is not None and current[0] <= t:
            return
        if t < self.now_ms:
            t = self.now_ms
        self._seq += 1
        self._wake[name] = (t, self._seq)
        heapq.heappush(self._queue, (t, self._seq, name, self._incarnation[name], None))

    def _route(self, src: str, out: list[Any]) -> None:
        if self._sent is not None:
            self._count_requests(src, out)
        net = self._net
        queue = self._queue
        incarnation = self._incarnation
        now = self.now_ms
        push = heapq.heappush
        if (
            not net.group_of
            and net.loss == 0.0
            and net.delay_lo_ms == net.delay_hi_ms
            and not net.slow_ms
        ):
            # Fast path (no network fault): no RNG draw, constant delay.
            t = now + net.delay_lo_ms
            seq = self._seq
            for msg in out:
                seq += 1
                dst = msg.dst
                push(queue, (t, seq, dst, incarnation.get(dst, 0), msg))
            self._seq = seq
            return
        for msg in out:
            dst = msg.dst
            if not net.connected(src, dst):
                continue
            delay = net.delay_or_drop()
            if delay < 0:
                continue
            if net.slow_ms:
                delay += net.slow_ms.get((src, dst), 0)
            self._seq += 1
            push(queue, (now + delay, self._seq, dst, incarnation.get(dst, 0), msg))

    def _count_requests(self, src: str, out: list[Any]) -> None:
        sent = self._sent
        assert sent is not None
        for msg in out:
            signature = liveness.request_signature(msg)
            if signature is not None:
                sent[(src, signature)] += 1

    def tick(self, ms: int) -> None:
        """Advance simulated time by `ms`, delivering every message and timer due.

        The campaign's hot loop (one pass per message or wakeup): counters live in locals
        and a node's next wakeup is scheduled inline, as `_schedule` would."""
        if ms < 0:
            raise ValueError("tick needs ms >= 0")
        target = self.now_ms + ms
        queue = self._queue
        if not queue or queue[0][0] > target:
            self.now_ms = target  # nothing due: a quiet slice of a wait
            return
        nodes = self._nodes
        incarnation = self._incarnation
        wake = self._wake
        net = self._net
        watched = self._watched_nodes
        pop = heapq.heappop
        push = heapq.heappush
        delivered = timers = 0
        try:
            while queue and queue[0][0] <= target:
                t, seq, dst, inc, msg = pop(queue)
                self.now_ms = t
                node = nodes.get(dst)
                if node is None or incarnation[dst] != inc:
                    continue
                if msg is None:
                    current = wake.get(dst)
                    if current is None or current[1] != seq:
                        continue  # superseded by an earlier wakeup (same seq: same time)
                    del wake[dst]
                    timers += 1
                    out = node.tick(t)
                else:
                    if net.group_of and not net.connected(msg.src, dst):
                        continue
                    delivered += 1
                    out = node.step(msg, t)
                if out:
                    self._route(dst, out)
                if watched is not None and dst in watched:
                    self._after_watched_event(dst)
                nt = node.next_tick_ms
                if nt < INF_MS:
                    current = wake.get(dst)
                    if current is None or nt < current[0]:
                        if nt < t:
                            nt = t
                        self._seq += 1
                        seq = self._seq
                        wake[dst] = (nt, seq)
                        push(queue, (nt, seq, dst, inc, None))
        finally:
            self.messages_delivered += delivered
            self.timer_ticks += timers
        self.now_ms = target

    # -- clients ---------------------------------------------------------------------------
    def _client(self, process: int) -> Client:
        client = self._clients.get(process)
        if client is None:
            assert isinstance(process, int) and process >= 0, "process must be an int >= 0"
            owner = process - process % self.config.producer_threads  # processes share one
            shared = self._clients.get(owner)
            client = shared or Client(self.config, owner, self._record)
            self._clients[process] = client
            if shared is None:
                self._clients[owner] = client
                self._add_node(client.name, client)
        return client

    def _record(
        self,
        process: int,
        kind: str,
        f: str,
        partition: int,
        value: Any,
        offset: int | None,
        error: str | None,
        final: bool,
    ) -> None:
        op: dict[str, Any] = {
            "index": len(self.history),
            "time": self.now_ms * 1_000_000,
            "process": process,
            "type": kind,
            "f": f,
            "key": self.config.partition_key(partition),
            "value": value,
        }
        if offset is not None:
            op["offset"] = offset
        if f == "poll":
            # A poll returns at most this many records: without it a short read of a long
            # log would look stale to the linearizability checker.
            op["max_records"] = self.config.max_poll_records
        if error:
            op["error"] = error
        if final:
            op["final"] = True
        self.history.append(op)

    def is_idle(self, process: int) -> bool:
        client = self._clients.get(process)
        return client is None or client.idle(process)

    def client_leader(self, process: int, partition: int) -> int | None:
        """The leader of `partition` that `process`'s metadata cache names (None: no cache
        yet, its next request asks the controller first)."""
        client = self._clients.get(process)
        if client is None or client.metadata is None:
            return None
        return client.metadata[partition][0]

    def _start_op(
        self,
        process: int,
        f: str,
        partition: int | str,
        message: str | None,
        offset: int | None,
        final: bool = False,
    ) -> None:
        index = self.partition_index(partition)
        client = self._client(process)
        if not client.idle(process):
            raise RuntimeError(f"client {process} already has an operation in flight")
        out = client.start(f, index, message, offset, self.now_ms, final, process)
        self._route(client.name, out)
        self._schedule(client.name, client)

    def send(self, process: int, partition: int | str, message: str) -> None:
        """Client `process` produces `message`; completion arrives as time advances."""
        self._start_op(process, "send", partition, str(message), None)

    def poll(self, process: int, partition: int | str, offset: int) -> None:
        """Client `process` fetches from `offset` (records below the HW only)."""
        if offset < 0:
            raise ValueError("offset must be >= 0")
        self._start_op(process, "poll", partition, None, int(offset))

    # -- faults ----------------------------------------------------------------------------
    def _start_broker(self, broker: int) -> None:
        self._forget_watch_keys()
        name = f"b{broker}"
        node = Broker(
            self.config,
            broker,
            self.disks[broker],
            self._incarnation.get(name, 0) + 1,
            self.now_ms,
            self._emit,
        )
        self.brokers[broker] = node
        self._add_node(name, node)

    def _check_broker(self, broker: int) -> None:
        if broker not in self.disks:
            raise ValueError(f"unknown broker {broker!r}")

    def crash(self, broker: int) -> None:
        """Process crash: memory is lost, the log (page cache) survives."""
        self._check_broker(broker)
        if not self.is_live(broker):
            raise RuntimeError(f"broker {broker} is not running")
        self._stop(broker)
        self._emit("crash", broker=broker)

    def _stop(self, broker: int) -> None:
        self._forget_watch_keys()
        name = f"b{broker}"
        self.brokers[broker] = None
        del self._nodes[name]
        self._incarnation[name] += 1
        self._wake.pop(name, None)

    def power_loss(self, broker: int) -> None:
        """Like a crash, and every log loses its unflushed suffix."""
        self._check_broker(broker)
        self._forget_watch_keys()
        if self.is_live(broker):
            self._stop(broker)
        lost = {}
        for index, log in self.disks[broker].items():
            lost[self.config.partition_key(index)] = log.power_loss()
        self._emit("power-loss", broker=broker, lost=lost)
        for index, log in self.disks[broker].items():
            key = self.config.partition_key(index)
            if lost[key]:
                self._emit("leo", broker=broker, partition=key, leo=log.leo)

    def replace_disk(self, broker: int) -> None:
        """The broker stops and comes back (on `restart`) with empty disks: a failed drive
        swapped, or a cloud instance whose local storage is gone. Unlike a power loss this
        loses fsynced data too."""
        self._check_broker(broker)
        self._forget_watch_keys()
        if self.is_live(broker):
            self._stop(broker)
        fsync = self.config.flush == "every-append"
        self.disk_swaps[broker] = self._incarnation[f"b{broker}"]
        lost = {}
        for index, log in self.disks[broker].items():
            lost[self.config.partition_key(index)] = log.leo
            self.disks[broker][index] = PartitionLog(fsync)
        self._emit("replace-disk", broker=broker, lost=lost)
        for index in self.disks[broker]:
            key = self.config.partition_key(index)
            if lost[key]:
                self._emit("leo", broker=broker, partition=key, leo=0)

    def restart(self, broker: int) -> None:
        """Start a stopped broker again; it recovers its role from the controller."""
        self._check_broker(broker)
        if self.is_live(broker):
            raise RuntimeError(f"broker {broker} is already running")
        self._emit("restart", broker=broker)
        self._start_broker(broker)

    def _node_names(self) -> set[str]:
        names = {f"b{b}" for b in self.broker_ids}
        names.add(CONTROLLER)
        return names

    def _checked_node(self, name: str, known: set[str]) -> str:
        """`name` if it names a broker, the controller or a client (c<N>); else ValueError."""
        if name not in known and not (name.startswith("c") and name[1:].isdigit()):
            raise ValueError(f"unknown node {name!r} (expected b<N>, c<N> or controller)")
        return name

    def partition(self, groups: Iterable[Iterable[str]]) -> None:
        """Nodes in different groups cannot talk; unlisted nodes reach everyone."""
        known = self._node_names()
        checked = []
        for group in groups:
            checked.append([self._checked_node(str(name), known) for name in group])
        normalised = self._net.set_partition(checked)
        self._emit("partition", groups=normalised)

    def reliable_link(self, a: str, b: str) -> bool:
        """(extension) `a` and `b` can talk and the network neither drops nor delays more
        than the configured delay (message faults off)."""
        net = self._net
        return (
            net.connected(a, b)
            and net.loss == 0.0
            and net.delay_lo_ms == net.delay_hi_ms == self.config.network_delay_ms
            and (a, b) not in net.slow_ms
            and (b, a) not in net.slow_ms
        )

    def heal(self) -> None:
        self._net.heal()
        self._emit("heal")

    def set_message_loss(self, probability: float) -> None:
        if not 0.0 <= probability <= 1.0:
            raise ValueError("loss probability must be within [0, 1]")
        self._net.loss = float(probability)
        self._emit_message_faults()

    def set_message_delay_ms(self, lo: int, hi: int) -> None:
        if not 1 <= lo <= hi:
            raise ValueError("message delay must satisfy 1 <= lo <= hi")
        self._net.delay_lo_ms = int(lo)
        self._net.delay_hi_ms = int(hi)
        self._emit_message_faults()

    def set_link_delay_ms(self, src: str, dst: str, extra_ms: int) -> None:
        """(extension) Messages from `src` to `dst` take `extra_ms` longer (0 clears it)."""
        known = self._node_names()
        for name in (src, dst):
            self._checked_node(name, known)
        if src == dst or extra_ms < 0:
            raise ValueError("a slow link joins two nodes and adds >= 0 ms")
        if extra_ms:
            self._net.slow_ms[(src, dst)] = int(extra_ms)
        else:
            self._net.slow_ms.pop((src, dst), None)
        self._emit("slow-link", src=src, dst=dst, extra_ms=int(extra_ms))

    def _emit_message_faults(self) -> None:
        net = self._net
        self._emit(
            "message-faults",
            loss=net.loss,
            delay_lo_ms=net.delay_lo_ms,
            delay_hi_ms=net.delay_hi_ms,
        )

    def controller_failover(self) -> None:
        """A new controller takes over from the metadata store with controller epoch + 1."""
        self._forget_watch_keys()
        self.store.controller_epoch += 1
        self.controller = Controller(self.config, self.store, self.now_ms, self._emit)
        self._add_node(CONTROLLER, self.controller)
        self._emit("controller-failover", controller_epoch=self.store.controller_epoch)
        self._route(CONTROLLER, self.controller.announce())

    def elect_preferred_leaders(self) -> None:
        self._forget_watch_keys()
        self._route(CONTROLLER, self.controller.elect_preferred_leaders())

    # -- quiescence and the final read ----------------------------------------------------
    def settled(self) -> bool:
        """No client op outstanding; every partition led, fully in sync, HW == LEO."""
        if any(c.op is not None for c in self._clients.values()):
            return False
        for p in self.store.partitions:
            if p.leader < 0 or p.isr != p.replicas:
                return False
            lead = self.brokers.get(p.leader)
            if lead is None:
                return False
            lr = lead.replicas[p.index]
            if lr.role != ROLE_LEADER or lr.leader_epoch != p.leader_epoch:
                return False
            leo = lr.log.leo
            for b in p.replicas:
                node = self.brokers.get(b)
                if node is None:
                    return False
                r = node.replicas[p.index]
                if r.leader_epoch != p.leader_epoch or r.log.leo != leo or r.hw != leo:
                    return False
                if r.role == ROLE_FOLLOWER and (
                    r.need_truncation or r.fetcher == FETCHER_TRUNCATING
                ):
                    return False  # still truncating: in sync only by coincidence
        return True

    def settle(self, max_ms: int) -> bool:
        waited = 0
        while not self.settled():
            if waited >= max_ms:
                return False
            step = min(SETTLE_STEP_MS, max_ms - waited)
            self.tick(step)
            waited += step
        return True

    def final_read(self, process: int) -> None:
        """Heal everything, restart every broker, settle, then read every partition.

        The cluster must converge within `liveness.cluster_bound_ms`; when it does not, the
        evidence goes to `liveness_violations` and the read still runs (its history is what
        the log checker judges).
        """
        max_delay_ms = self._net.delay_hi_ms + max(self._net.slow_ms.values(), default=0)
        self.heal()
        for src, dst in sorted(self._net.slow_ms):
            self.set_link_delay_ms(src, dst, 0)
        if (
            self._net.loss != 0.0
            or self._net.delay_lo_ms != self.config.network_delay_ms
            or (self._net.delay_hi_ms != self.config.network_delay_ms)
        ):
            self._net.loss = 0.0
            self._net.delay_lo_ms = self._net.delay_hi_ms = self.config.network_delay_ms
            self._emit_message_faults()
        for b in self.broker_ids:
            if not self.is_live(b):
                self.restart(b)
        self._converge(max_delay_ms)
        bound_ms = self.config.request_timeout_ms + 10
        for index in range(self.config.partition_count):
            offset = 0
            failures = 0
            unsettled = 0  # retries after which the cluster had not settled either
            for _ in range(FINAL_READ_MAX_POLLS):
                if not self.is_idle(process):
                    self._drain(process, bound_ms)
                self._start_op(process, "poll", index, None, offset, final=True)
                self._drain(process, bound_ms)
                op = self.history[-1]
                if op["type"] != "ok":
                    failures += 1
                    if failures > FINAL_READ_MAX_FAILURES:
                        self._final_read_gave_up(index, op, unsettled)
                        break
                    if not self.settle(FINAL_READ_RETRY_SETTLE_MS):
                        unsettled += 1
                    continue
                if not op["value"]:
                    break
                offset = op["value"][-1][0] + 1

    def _converge(self, max_delay_ms: int) -> None:
        """Settle within the derived bound, or record why not and what keeps repeating."""
        bound = liveness.cluster_bound_ms(self, max_delay_ms)
        self.convergence_bound_ms = bound
        started = self.now_ms
        if self.settle(bound):
            self.convergence_ms = self.now_ms - started
            return
        reasons = liveness.not_converged(self)
        window_ms = liveness.WATCH_FETCH_INTERVALS * self.config.fetch_interval_ms
        self._sent = Counter()
        self.tick(window_ms)
        sent, self._sent = self._sent, None
        out = [
            f"not converged {bound} ms after teardown (the bound for this configuration "
            f"and these logs): {'; '.join(reasons) or 'state changes after the bound'}"
        ]
        out.extend(
            f"keeps repeating: {line}" for line in liveness.repeated_requests(self, sent, window_ms)
        )
        out.extend(f"state: {line}" for line in liveness.replica_states(self))
        self.liveness_violations = out

    def _final_read_gave_up(self, index: int, op: dict[str, Any], unsettled: int) -> None:
        if not self.liveness_violations:
            self.liveness_violations = [
                f"final read of {self.config.partition_key(index)} gave up after "
                f"{FINAL_READ_MAX_FAILURES} failed polls, {unsettled} of them with the "
                f"cluster unsettled (last: {op['type']} {op.get('error', '')})".rstrip(),
                *(f"state: {line}" for line in liveness.replica_states(self)),
            ]

    def _drain(self, process: int, bound_ms: int) -> None:
        self.run_until_idle(process, bound_ms)

    def run_until(self, done: Callable[[], bool], max_ms: int) -> int:
        """Advance time 1 ms at a time until `done()` holds (checked first) or `max_ms`
        have passed; return the ms that passed. `done` must only read the cluster's state,
        not its clock.

        Ending a wait the millisecond an operation completes is what lets the next step
        land right after an acknowledgement; processing the queue up to a time in 1 ms
        slices or at once is the same, so a recorded wait replays as one `tick`. The
        milliseconds before the next queued message or timer change no state, so `done()`
        cannot change in them either: one slice runs up to that event's millisecond, and
        the wait ends the millisecond it would end 1 ms at a time."""
        assert max_ms >= 0
        waited_ms = 0
        queue = self._queue
        while waited_ms < max_ms and not done():
            next_ms = queue[0][0] - self.now_ms if queue else max_ms
            step_ms = min(max(next_ms, 1), max_ms - waited_ms)
            self.tick(step_ms)
            waited_ms += step_ms
        return waited_ms

    def run_until_idle(self, process: int, max_ms: int) -> bool:
        """Wait (at most `max_ms`) until client `process` has no operation in flight;
        True if it has none."""
        self.run_until(lambda: self.is_idle(process), max_ms)
        return self.is_idle(process)

    # -- observation -------------------------------------------------------------------------
    def describe(self, under_replicated: bool = False, unavailable: bool = False) -> list[str]:
        return describe_mod.describe_lines(self, under_replicated, unavailable)

    def partition_state(self, partition: int | str) -> describe_mod.PartitionStatus:
        """Leader, epoch, ISR and replica set as the controller committed them, and each
        replica's role, epoch, HW and LEO as its broker holds them (structured, read-only:
        the campaign aims faults with it instead of parsing describe lines)."""
        return describe_mod.partition_status(self, self.partition_index(partition))

    def watch_invariants(self, every_event: bool = False) -> None:
        """From now on, check the replica invariants after every message or timer a broker
        or the controller handles, not only when asked.

        A state that breaks an invariant can be gone again a few milliseconds later, inside
        one `tick` (an ISR member admitted and dropped, an HW that passed a member's log end
        until it caught up); checked only between driver calls it goes unseen. Each handled
        message is one atomic transition of the protocol, the states between them are the
        states the TLA+ specification checks, and the invariants hold in every one of them
        for a correct Kafka (see invariants.py), so watching adds observations, never a
        false alarm. A log of n records makes each check O(n), so long-running workloads
        leave it off.

        An event that changes nothing the checks read is not followed by a check (see
        `_after_watched_event`); `every_event=True` checks after every one regardless, the
        reference that this is tested against (tests/impl/test_watch_skip.py)."""
        self._watched_nodes = {CONTROLLER, *(f"b{b}" for b in self.broker_ids)}
        self._watch_every_event = every_event
        self._watch_keys = {}  # nothing checked yet: the first event checks

    def _watch_key(self, node: str) -> list[object]:
        """What `invariants.check` reads that an event handled by `node` can change: for a
        broker, each replica's log version, role and leader epoch, and while it leads its
        HW and ISR view; for the controller, each partition's leader, epoch and ISR and
        the broker registrations. Both begin with the count of leader violations (a broker
        event can add one). Everything else the checks read (which processes run, disks
        and their damage marks, disk swaps) changes only in driver calls, which forget
        the keys. Each field is an int or a tuple, and a role fixes how many fields its
        replica has, so equal keys mean equal inputs."""
        key: list[object] = [len(self._leader_violations)]
        if node == CONTROLLER:
            store = self.store
            for p in store.partitions:
                key += (p.leader, p.leader_epoch, p.isr)
            key.append(tuple(store.broker_epochs.items()))
            return key
        broker = self._nodes.get(node)
        if broker is None:
            return key  # not running: no event until a restart, which forgets the keys
        assert isinstance(broker, Broker)
        for r in broker.replicas.values():
            if r.role == ROLE_LEADER:
                key += (r.log.version, ROLE_LEADER, r.leader_epoch, r.hw, r.isr)
            else:
                key += (r.log.version, r.role, r.leader_epoch)
        return key

    def _after_watched_event(self, dst: str) -> None:
        """Check the invariants after an event `dst` handled, unless nothing the checks
        read has changed since the watch's last check.

        Skipping is exact. `invariants.check` is a function of what it reads and of its
        own memory (`_committed`, `_hw_seen`); repeated on unchanged inputs it changes
        neither and says nothing the first did not (it extends `_committed` and raises
        `_hw_seen` only to what those inputs showed), and the watch keeps each text once.
        An event changes only the state of the node that handles it (nodes are state
        machines that own their state; a broker writes only its own disks; clients hold
        none of the inputs), so comparing `dst`'s key with the one it had at the last
        check tells whether the inputs changed. Driver calls that change them outside an
        event (`_forget_watch_keys`) make the next watched event check unconditionally."""
        keys = self._watch_keys
        if keys:
            key = self._watch_key(dst)
            if key == keys[dst]:
                return
            keys[dst] = key
            self._watch_invariants()
            return
        self._watch_invariants()
        if not self._watch_every_event:
            assert self._watched_nodes is not None
            self._watch_keys = {node: self._watch_key(node) for node in self._watched_nodes}

    def _forget_watch_keys(self) -> None:
        """A driver call changed (or may have changed) what the checks read: until the next
        watched event has checked, the keys describe a state that is gone."""
        self._watch_keys = {}

    def _watch_invariants(self) -> None:
        seen = self._watched_seen
        for text in invariants.check(self):
            if text not in seen:
                seen.add(text)
                self._watched_violations.append(text)

    def invariant_violations(self) -> list[str]:
        """What breaks an invariant now, and (after `watch_invariants`) everything that
        broke one at any moment before, first seen first. Read-only.

        While the watch holds keys, the state reads as it did at the watch's last check,
        so checking again would say nothing new (see `_after_watched_event`)."""
        if self._watch_keys:
            return list(self._watched_violations)
        now = invariants.check(self)
        seen = self._watched_seen
        return self._watched_violations + [text for text in now if text not in seen]

    def replica_logs(self, partition: int | str) -> dict[int, list[Entry]]:
        index = self.partition_index(partition)
        return {b: list(disk[index].entries) for b, disk in self.disks.items() if index in disk}

    def event_log_text(self) -> str:
        lines = []
        for event in self.events:
            rest = {k: v for k, v in event.items() if k not in ("time_ms", "kind")}
            lines.append(
                f"{event['time_ms']} {event['kind']} "
                f"{json.dumps(rest, sort_keys=True, separators=(',', ':'))}"
            )
        return "\n".join(lines) + ("\n" if lines else "")
