"""Benchmarks of time: timers firing, against a bare heapq loop."""

from __future__ import annotations

import heapq
from collections.abc import Generator
from typing import Any

from _harness import Report, Run, compare_rates, rate_row

import gensup
from gensup import Supervisor, VirtualClock, Worker, waitfor

BareGen = Generator[Any, Any, Any]


def patient() -> Generator[Any, Any, None]:
    """Wait for an event that never comes, one second at a time: a timer per wait."""
    wait = waitfor("NEVER", timeout=1.0)
    while True:
        yield wait


def bare_patient() -> BareGen:
    """The bare twin: yields how long it waits."""
    while True:
        yield 1.0


class BareTimers:
    """Generators parked in a heap by deadline, resumed when it passes: the floor."""

    def __init__(self, n: int) -> None:
        self.now = 0.0
        self.seq = 0
        self.heap: list[tuple[float, int, BareGen]] = []
        for _ in range(n):
            gen = bare_patient()
            self.park(gen, next(gen))

    def park(self, gen: BareGen, seconds: float) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (self.now + seconds, self.seq, gen))

    def advance(self, seconds: float) -> int:
        """Move time on and resume every generator whose deadline passed."""
        self.now += seconds
        heap, now = self.heap, self.now
        pop, push = heapq.heappop, heapq.heappush
        timeout = ("TIMEOUT",)
        fired = 0
        while heap and heap[0][0] <= now:
            _, _, gen = pop(heap)
            self.seq += 1
            push(heap, (now + gen.send(timeout), self.seq, gen))
            fired += 1
        return fired


def timers(report: Report, *, quick: bool, reps: int, peak: bool) -> None:
    """100,000 workers each waiting with a timeout, all firing at once, again and again."""
    n = 500 if quick else 100_000

    def prepare_gensup() -> tuple[Run, Any]:
        clock = VirtualClock()
        tree = gensup.start(
            Supervisor("root", [Worker(f"w{i}", patient) for i in range(n)]), clock=clock
        )

        def run() -> int:
            clock.advance(1.0)
            return n

        return run, tree.stop

    def prepare_floor() -> tuple[Run, Any]:
        bare = BareTimers(n)

        def run() -> int:
            return bare.advance(1.0)

        return run, lambda: None

    result = compare_rates({"floor": prepare_floor, "gensup": prepare_gensup}, reps, peak=peak)
    row = rate_row(
        "timers",
        f"{n:,} timed waits firing",
        "timers/s",
        result["gensup"],
        result["floor"],
        note="each fired wait sets its next timer; floor: a bare heapq loop",
    )
    report.rows.append(row)
    if not quick:
        report.target("timers", "timers fired, gensup/floor", row.ratio, 0.5, at_least=True)
