"""The link to a Ray actor (gensup.ray), batched and unbatched; skipped without Ray.

ray-link
    Events per second through the link of a `gensup.ray.Actor` on a local
    Ray (two CPUs, loopback only), with an echo runner in the actor in place
    of the subtree: each event is sent down the link and waited for until it
    comes back.  Batched, 1,000 events go down in one batch and are waited
    for together; unbatched, each event is a batch of its own, sent once the
    previous one came back (a round trip: 1 / the rate is its latency).  The
    floor is the same echo runner in a thread of this process, linked by two
    ``queue.Queue`` s and a reader thread: what is left when Ray is taken
    away.  Times are wall-clock (the work is in other processes).

    Then the same through a whole tree, as ``boundary`` measures it for
    ``gensup.Process``: an echo worker placed in a Ray actor answers each
    PING with an emit, against the same worker in this process; a thousand
    signals per turn of the loop (batched), or one signal waited for at a
    time.
"""

from __future__ import annotations

import functools
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from _harness import Report, Run, compare_rates, rate_row
from _placed import echo as echo_worker
from _placement import echo_spec, ping_batched, ping_one_by_one, sending

from gensup import Supervisor, Worker

Recv = Callable[[], "list[bytes] | None"]
Send = Callable[[list[bytes]], None]

#: Events in one batch, batched.
BATCH = 1000


def echo(boot: bytes, recv: Recv, send: Send) -> None:
    """The runner: every batch received goes back as it came, until recv ends."""
    send([boot])
    while (batch := recv()) is not None:
        send(batch)


class Echoes:
    """What came back: a count of events, and a way to wait for it to reach a number."""

    def __init__(self) -> None:
        self.count = 0
        self.changed = threading.Condition()

    def received(self, batch: list[bytes]) -> None:
        with self.changed:
            self.count += len(batch)
            self.changed.notify_all()

    def wait(self, count: int) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: self.count >= count, timeout=120):
                raise RuntimeError(f"only {self.count} of {count} events came back")


class ThreadLink:
    """The floor: `echo` in a thread of this process, two queues and a reader thread."""

    def __init__(self, received: Callable[[list[bytes]], None]) -> None:
        self.inbound: queue.Queue[list[bytes] | None] = queue.Queue()
        self.outbound: queue.Queue[list[bytes] | None] = queue.Queue()
        self.received = received
        self.runner = threading.Thread(target=self._run, daemon=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.runner.start()
        self.reader.start()

    def _run(self) -> None:
        echo(b"boot", self.inbound.get, self.outbound.put)
        self.outbound.put(None)

    def _read(self) -> None:
        while (batch := self.outbound.get()) is not None:
            self.received(batch)

    def send(self, batch: list[bytes]) -> None:
        self.inbound.put(batch)

    def close(self) -> None:
        self.inbound.put(None)
        self.runner.join()
        self.reader.join()


def rounds(link: Any, echoes: Echoes, events: int, per_batch: int) -> Run:
    """A repetition: ``events`` events down and back, ``per_batch`` to a batch."""
    payload = [b"e%07d" % i for i in range(per_batch)]

    def run() -> tuple[int, float]:
        began = time.perf_counter()
        for _ in range(events // per_batch):
            target = echoes.count + per_batch
            link.send(payload)
            echoes.wait(target)
        return events, time.perf_counter() - began

    return run


def thread_side(events: int, per_batch: int) -> Callable[[], tuple[Run, Callable[[], None]]]:
    def prepare() -> tuple[Run, Callable[[], None]]:
        echoes = Echoes()
        link = ThreadLink(echoes.received)
        echoes.wait(1)
        return rounds(link, echoes, events, per_batch), link.close

    return prepare


def ray_side(events: int, per_batch: int) -> Callable[[], tuple[Run, Callable[[], None]]]:
    def prepare() -> tuple[Run, Callable[[], None]]:
        import gensup.ray

        echoes = Echoes()
        ended: list[str] = []
        link = gensup.ray.Actor(num_cpus=1).open(b"boot", echoes.received, ended.append)
        echoes.wait(1)

        def close() -> None:
            link.close()
            link.wait_closed(30)
            if ended:
                raise RuntimeError(f"the link ended: {ended[0]}")

        return rounds(link, echoes, events, per_batch), close

    return prepare


def start_ray() -> None:
    """A local Ray like the tests': two CPUs, loopback only (see `ray_link`), quiet."""
    import ray

    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        object_store_memory=80 * 2**20,
    )


def ray_link(report: Report, *, quick: bool, reps: int, peak: bool) -> None:
    """Events per second through a Ray actor's link, against the same echo in a thread."""
    # Ray reads these when it is imported: loopback only, no usage reports.
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import gensup.ray
    except ImportError:
        print("ray-link: skipped (Ray is not installed: pip install 'gensup[ray]')", flush=True)
        return

    # The actor imports its runner by name: this module, on the workers'
    # path as the driver's script directory.
    real_serve, gensup.ray._SERVE = gensup.ray._SERVE, "_ray_link:echo"
    start_ray()
    try:
        cases = {
            f"batched, {BATCH} events per batch": (BATCH * (2 if quick else 200), BATCH),
            "unbatched, 1 event per batch (round trips)": (20 if quick else 2000, 1),
        }
        for case, (events, per_batch) in cases.items():
            # Peak memory means nothing here: the work is in other processes.
            result = compare_rates(
                {
                    "floor": thread_side(events, per_batch),
                    "gensup": ray_side(events, per_batch),
                },
                reps,
                peak=False,
            )
            first = not any(row.bench == "ray-link" for row in report.rows)
            note = (
                "wall clock; floor = the same echo runner in a thread of this process, "
                "two queue.Queues and a reader thread, no Ray"
            )
            report.rows.append(
                rate_row(
                    "ray-link",
                    case,
                    "events/s",
                    result["gensup"],
                    result["floor"],
                    note=note if first else "",
                )
            )
        gensup.ray._SERVE = real_serve
        through_a_tree(report, quick=quick, reps=reps)
    finally:
        import ray

        gensup.ray._SERVE = real_serve
        ray.shutdown()


def ray_echo_spec() -> Supervisor:
    """``boundary``'s echo subtree, placed in a Ray actor."""
    import gensup.ray

    placement = gensup.ray.Actor(num_cpus=1)
    return Supervisor("root", [Supervisor("far", [Worker("e", echo_worker)], placement=placement)])


def through_a_tree(report: Report, *, quick: bool, reps: int) -> None:
    """An echo worker in a Ray actor, signalled through the tree, against it here."""
    batched, single = (100, 20) if quick else (5000, 500)
    result = compare_rates(
        {
            "floor": functools.partial(sending, echo_spec(False), "ECHOED", ping_batched, batched),
            "batched": functools.partial(sending, ray_echo_spec(), "ECHOED", ping_batched, batched),
            "single": functools.partial(
                sending, ray_echo_spec(), "ECHOED", ping_one_by_one, single
            ),
        },
        reps,
        peak=False,
    )
    report.rows += [
        rate_row(
            "ray-link",
            "tree: there and back, batched",
            "events/s",
            result["batched"],
            result["floor"],
            note="an echo worker placed in a Ray actor, signalled through the tree; floor = "
            "the same worker in this process; a thousand signals per turn of the loop",
        ),
        rate_row(
            "ray-link",
            "tree: there and back, one at a time",
            "round trips/s",
            result["single"],
            result["floor"],
        ),
    ]
