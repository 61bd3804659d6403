"""Benchmarks of one-of-N delivery: a pool of waiting workers, one job at a time.

Each job goes to one worker of a pool of 100 (``signal(..., one=True)``), set
against the broadcast path on the same pool (each signal reaches all 100)
and against the floor of one-of-N: a deque of waiting generators, the one
that waited longest popped for each job and pushed back when it waits again.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import _floor
from _delivery import floor_side, gensup_side, tick_fast, tickers, ticking
from _harness import Report, Run, compare_rates, rate_row

import gensup
from gensup import PendingCall, Supervisor, Worker, call, waitfor


def pool(size: int) -> Callable[[], Supervisor]:
    """A root with a pool of ``size`` tickers under ``root/pool``."""
    return lambda: Supervisor(
        "root", [Supervisor("pool", [Worker(f"w{i}", tick_fast) for i in range(size)])]
    )


def one_by_one(rounds: int, to: str | None) -> Callable[[Any], Run]:
    """A driver: ``rounds`` signals of TICK with ``one=True`` (the floor: plain signals)."""

    def driver(system: Any) -> Run:
        signal = system.signal

        def run() -> int:
            reached = 0
            if to is None:
                for j in range(rounds):
                    reached += signal("TICK", j)
            else:
                for j in range(rounds):
                    reached += signal("TICK", j, to=to, one=True)
            return reached

        return run

    return driver


def one_of_n(report: Report, *, quick: bool, reps: int, peak: bool) -> None:
    """One job to one of 100 waiting workers, against broadcast and the deque floor."""
    size = 10 if quick else 100
    rounds = 10 if quick else 100_000
    # The same rounds to a pool ten times larger: the cost of a one-of-N
    # signal must not grow with the pool.
    for pool_size in (size, size * 10):
        floor = floor_side(tickers(pool_size), one_by_one(rounds, None), _floor.PoolDispatcher)
        result = compare_rates(
            {
                "floor": floor,
                "gensup": gensup_side(pool(pool_size), one_by_one(rounds, "root/pool")),
            },
            reps,
            peak=peak,
        )
        report.rows.append(
            rate_row(
                "one-of-n",
                f"one=True, pool of {pool_size:,}",
                "dispatches/s",
                result["gensup"],
                result["floor"],
            )
        )
    floor = floor_side(tickers(size), one_by_one(rounds, None), _floor.PoolDispatcher)
    broadcast_rounds = 10 if quick else 1_000
    result = compare_rates(
        {
            "floor": floor,
            "gensup": gensup_side(pool(size), ticking(broadcast_rounds, to="root/pool")),
        },
        reps,
        peak=peak,
    )
    report.rows.append(
        rate_row(
            "one-of-n",
            f"broadcast, pool of {size}",
            "dispatches/s",
            result["gensup"],
            result["floor"],
            note="same deque floor",
        )
    )


# ---- A backlog with every worker busy in a call ----


async def _noop(job: int) -> None:
    """The I/O a job stands for; never awaited here: calls are settled by hand."""


def busy_fetcher() -> Any:
    """Takes a job, then waits on a call for it."""
    while True:
        _, job = yield waitfor("JOB")
        yield call(_noop, job)


class _Calls:
    """A driver that only keeps the calls in the order they were made."""

    def __init__(self) -> None:
        self.pending: deque[PendingCall] = deque()

    def call_started(self, pending: PendingCall) -> None:
        self.pending.append(pending)

    def call_cancelled(self, pending: PendingCall) -> None:
        pass

    def deadline_changed(self, deadline: float) -> None:
        pass

    def tree_stopped(self) -> None:
        pass


def bare_busy_fetcher() -> Any:
    """The bare twin: yields "JOB" to wait for a job, then "CALL" to wait on its call."""
    while True:
        _event, _job = yield "JOB"
        yield "CALL"


def backlog(report: Report, *, quick: bool, reps: int, peak: bool) -> None:
    """Jobs through a backlog while every worker of the pool is busy in a call.

    Each round holds one job in the pool's backlog, then settles the oldest
    call: its worker waits for a job again, takes the oldest held one, and
    makes a call for it.  The floor keeps the jobs in a deque and the busy
    generators in another.
    """
    size = 10 if quick else 100
    rounds = 20 if quick else 50_000

    def prepare_gensup() -> tuple[Run, Any]:
        calls = _Calls()
        spec = Supervisor(
            "root",
            [
                Supervisor(
                    "pool",
                    [Worker(f"f{i}", busy_fetcher) for i in range(size)],
                    backlog=rounds + size,
                )
            ],
        )
        tree = gensup.start(spec, driver=calls)
        signal, complete, pending = tree.signal, tree.complete_call, calls.pending
        for job in range(size):
            signal("JOB", job, to="root/pool", one=True)

        def run() -> int:
            for job in range(rounds):
                signal("JOB", job, to="root/pool", one=True)
                complete(pending.popleft(), None)
            return rounds

        return run, tree.stop

    def prepare_floor() -> tuple[Run, Any]:
        jobs: deque[int] = deque()
        busy: deque[Any] = deque()
        for job in range(size):
            gen = bare_busy_fetcher()
            next(gen)
            gen.send(("JOB", job))
            busy.append(gen)

        def run() -> int:
            for job in range(rounds):
                jobs.append(job)
                gen = busy.popleft()
                gen.send(None)  # its call is done: it waits for a job
                gen.send(("JOB", jobs.popleft()))  # and makes a call for it
                busy.append(gen)
            return rounds

        return run, lambda: None

    result = compare_rates({"floor": prepare_floor, "gensup": prepare_gensup}, reps, peak=peak)
    report.rows.append(
        rate_row(
            "backlog",
            f"jobs through a backlog, pool of {size} busy in calls",
            "jobs/s",
            result["gensup"],
            result["floor"],
            note="each job: held, then handed out when a call is settled",
        )
    )
