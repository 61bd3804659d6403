"""Benchmarks of one-of-N delivery: a pool of waiting workers, one job at a time.

Each job goes to one worker of a pool of 100 (``signal(..., one=True)``), set
against the broadcast path on the same pool (each signal reaches all 100)
and against the floor of one-of-N: a deque of waiting generators, the one
that waited longest popped for each job and pushed back when it waits again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import _floor
from _delivery import floor_side, gensup_side, tick_fast, tickers, ticking
from _harness import Report, Run, compare_rates, rate_row

from gensup import Supervisor, Worker


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
    floor = floor_side(tickers(size), one_by_one(rounds, None), _floor.PoolDispatcher)
    result = compare_rates(
        {"floor": floor, "gensup": gensup_side(pool(size), one_by_one(rounds, "root/pool"))},
        reps,
        peak=peak,
    )
    report.rows.append(
        rate_row(
            "one-of-n",
            f"one=True, pool of {size}",
            "dispatches/s",
            result["gensup"],
            result["floor"],
        )
    )
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
