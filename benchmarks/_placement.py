"""Benchmarks of placed subtrees (``placement=gensup.Process()``).

placed-cpu
    Two subtrees, each a worker that does about 50 µs (then 500 µs) of
    arithmetic per event, placed in two processes, against the same tree in one process
    (the "floor" column).  Each repetition sends a few thousand events, half
    to each subtree, and waits until every worker has said it is done (an
    emit to a worker of the root, which a listener hears).  The figure is events per second of
    wall-clock time: the point is the other cores, so the CPU time of this
    process would not tell.  The processes are started before timing.

boundary
    What crossing to another process costs per event: an echo worker that
    answers each event with an emit, placed in a process, against the same
    worker here.  Batched: a thousand signals in a row, then wait for the
    thousand answers (the driver sends each turn of the loop's messages in
    one batch).  Unbatched: one signal, wait for its answer, again.  Wall
    clock, as above.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import anyio.from_thread
from _harness import Report, Run, compare_rates, rate_row

import gensup
import gensup.aio
from gensup import Process, Supervisor, Worker

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _placed import burn, counter, cruncher, echo


def calibrate(work: float) -> int:
    """How many iterations of `burn` take about ``work`` seconds here."""
    n = 1000
    while True:
        start = time.perf_counter()
        for _ in range(20):
            burn(n)
        took = (time.perf_counter() - start) / 20
        if took > 2e-5:
            return max(1, round(n * work / took))
        n *= 4


class Running:
    """A tree under the async driver in a thread of its own, for timed runs."""

    def __init__(self, spec: Supervisor, answer: str) -> None:
        self.portal_cm = anyio.from_thread.start_blocking_portal(backend="asyncio")
        self.portal = self.portal_cm.__enter__()
        self.tree_cm = self.portal.wrap_async_context_manager(gensup.aio.start(spec))
        self.tree: gensup.aio.AsyncTree = self.tree_cm.__enter__()
        self.heard = 0
        self.expect = 0
        self.done: anyio.Event | None = None
        self.portal.call(self._listen, answer)

    async def _listen(self, answer: str) -> None:
        self.tree.tree.listen(answer, self._hear)

    def _hear(self, _message: tuple[Any, ...]) -> None:
        self.heard += 1
        if self.done is not None and self.heard >= self.expect:
            self.done.set()

    async def wait_for(self, answers: int) -> None:
        self.expect = answers
        if self.heard < answers:
            self.done = anyio.Event()
            await self.done.wait()
            self.done = None

    def close(self) -> None:
        self.tree_cm.__exit__(None, None, None)
        self.portal_cm.__exit__(None, None, None)


def sending(
    spec: Supervisor, answer: str, send: Callable[[Running, int], Any], count: int
) -> tuple[Run, Callable[[], None]]:
    """A side that calls ``send(running, count)`` in the loop and times it."""
    running = Running(spec, answer)
    # Up before timing: an awaited delivery waits for each subtree's count.
    running.portal.call(running.tree.deliver, "WARM")

    def run() -> tuple[int, float]:
        start = time.perf_counter()
        running.portal.call(send, running, count)
        return count, time.perf_counter() - start

    return run, running.close


async def work_both(running: Running, count: int) -> None:
    signal = running.tree.signal
    base = running.heard
    for i in range(count):
        signal("WORK", i, to="root/one" if i % 2 else "root/two")
    await running.wait_for(base + count)


async def ping_batched(running: Running, count: int) -> None:
    signal = running.tree.signal
    base = running.heard
    for i in range(count):
        signal("PING", i)
    await running.wait_for(base + count)


async def ping_one_by_one(running: Running, count: int) -> None:
    signal = running.tree.signal
    for i in range(count):
        signal("PING", i)
        await running.wait_for(running.heard + 1)


def cpu_spec(n: int, placed: bool) -> Supervisor:
    placement = Process() if placed else None
    return Supervisor(
        "root",
        [
            Worker("count", counter),
            Supervisor("one", [Worker("w", cruncher, args=(n, "root/count"))], placement=placement),
            Supervisor("two", [Worker("w", cruncher, args=(n, "root/count"))], placement=placement),
        ],
    )


def echo_spec(placed: bool) -> Supervisor:
    placement = Process() if placed else None
    return Supervisor("root", [Supervisor("far", [Worker("e", echo)], placement=placement)])


def placed_cpu(report: Report, *, quick: bool, reps: int, peak: bool) -> None:
    """Two CPU-bound subtrees in two processes against one process."""
    for work, count in ((50e-6, 20000), (500e-6, 3000)):
        n = calibrate(work)
        if quick:
            count = 50
        result = compare_rates(
            {
                "floor": functools.partial(sending, cpu_spec(n, False), "DONE", work_both, count),
                "gensup": functools.partial(sending, cpu_spec(n, True), "DONE", work_both, count),
            },
            reps,
            peak=False,
        )
        case = f"2 subtrees x {work * 1e6:.0f} us/event, in 2 processes vs 1"
        report.rows.append(
            rate_row(
                "placed-cpu",
                case,
                "events/s",
                result["gensup"],
                result["floor"],
                note="wall clock; the ratio is the speed-up of placing the two subtrees in "
                "processes",
            )
        )
        if not quick and work == 50e-6:
            report.target(
                "placed-cpu",
                "speed-up of 2 placed subtrees, 50 us/event",
                report.row("placed-cpu", case).ratio,
                1.7,
                at_least=True,
            )


def boundary(report: Report, *, quick: bool, reps: int, peak: bool) -> None:
    """The cost of an event that crosses to another process and back."""
    batched, single = (100, 20) if quick else (5000, 500)
    result = compare_rates(
        {
            "floor": functools.partial(sending, echo_spec(False), "ECHOED", ping_batched, batched),
            "batched": functools.partial(sending, echo_spec(True), "ECHOED", ping_batched, batched),
            "single": functools.partial(
                sending, echo_spec(True), "ECHOED", ping_one_by_one, single
            ),
        },
        reps,
        peak=False,
    )
    report.rows += [
        rate_row(
            "boundary",
            "there and back, batched",
            "events/s",
            result["batched"],
            result["floor"],
            note="floor = the same echo worker in this process; a thousand signals per turn "
            "of the loop",
        ),
        rate_row(
            "boundary",
            "there and back, one at a time",
            "round trips/s",
            result["single"],
            result["floor"],
            note="each signal waits for its answer before the next",
        ),
    ]
