"""The seed's workload through gensup and through the bare floor.

    python benchmarks/ticks.py [NPROCESS [NREPS]]      # defaults: 1000 5000

NPROCESS workers each wait for ``TICK`` NREPS times, checking that the ticks
come in order, then end (the seed's ``process``); ``TICK`` is signalled with
1, 2, ... NREPS.  The same runs through gensup, with the worker in its fast
form (``TICK = waitfor("TICK")`` once, then ``yield TICK``) and in its naive
form (``yield waitfor("TICK")`` each time), and through the floor: the seed's
dispatcher in bare Python, the tightest loop of ``gen.send`` over lists of
waiting generators, and as a second line the same with dicts.  Prints the
dispatches per second of each (median of three runs, counting the ticks
only, not the start, in CPU time) and the ratio to the tightest floor.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable, Generator
from typing import Any

import _floor
from loguru import logger

import gensup
from gensup import Supervisor, Worker, waitfor

WorkerGen = Generator[Any, Any, None]


def process_fast(n: int) -> WorkerGen:
    """The seed's process, with its command built once."""
    tick = waitfor("TICK")
    for i in range(1, n + 1):
        event, howmany = yield tick
        assert event == "TICK"
        assert howmany == i


def process_naive(n: int) -> WorkerGen:
    """The seed's process, written naively."""
    for i in range(1, n + 1):
        event, howmany = yield waitfor("TICK")
        assert event == "TICK"
        assert howmany == i


def process_bare(n: int) -> WorkerGen:
    """The seed's process for the bare dispatcher: it yields the event's name."""
    for i in range(1, n + 1):
        event, howmany = yield "TICK"
        assert event == "TICK"
        assert howmany == i


def run_gensup(func: Callable[[int], WorkerGen], nprocess: int, nreps: int) -> float:
    """Seconds that gensup takes to deliver the ticks."""
    spec = Supervisor(
        "super",
        [
            Worker(f"p{i:04d}", func, args=(nreps,), restart="temporary")
            for i in range(1, nprocess + 1)
        ],
    )
    with gensup.start(spec) as tree:
        signal = tree.signal
        gc.collect()
        began = time.process_time()
        for j in range(1, nreps + 1):
            signal("TICK", j)
        elapsed = time.process_time() - began
        assert not tree.status(), "every process should have ended"
    return elapsed


def run_floor(
    nprocess: int, nreps: int, dispatcher: Callable[[], _floor.Floor] = _floor.Dispatcher
) -> float:
    """Seconds that a bare dispatcher takes to deliver the ticks."""
    floor = dispatcher()
    for _ in range(nprocess):
        floor.introduce(process_bare(nreps))
    signal = floor.signal
    gc.collect()
    began = time.process_time()
    for j in range(1, nreps + 1):
        signal("TICK", j)
    elapsed = time.process_time() - began
    assert not floor.waiting, "every process should have ended"
    return elapsed


def main(argv: list[str]) -> int:
    """Run the workload; print the rates and the ratios."""
    parser = argparse.ArgumentParser(prog="benchmarks/ticks.py", description=__doc__.split("\n")[0])
    parser.add_argument("nprocess", nargs="?", type=int, default=1000)
    parser.add_argument("nreps", nargs="?", type=int, default=5000)
    parser.add_argument("--reps", type=int, default=3, help="runs of each (median reported)")
    args = parser.parse_args(argv)
    # Timing gensup, not a log sink.
    logger.remove()
    dispatches = args.nprocess * args.nreps
    sides: dict[str, Callable[[], float]] = {
        "floor (bare generators in lists)": lambda: run_floor(args.nprocess, args.nreps),
        "dict floor (bare generators in dicts)": lambda: run_floor(
            args.nprocess, args.nreps, _floor.DictDispatcher
        ),
        "gensup, fast form": lambda: run_gensup(process_fast, args.nprocess, args.nreps),
        "gensup, naive form": lambda: run_gensup(process_naive, args.nprocess, args.nreps),
    }
    seconds: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(args.reps):
        for name, side in sides.items():
            seconds[name].append(side())
    print(
        f"{args.nprocess:,} workers x {args.nreps:,} ticks = {dispatches:,} dispatches, "
        f"median of {args.reps} run(s); loguru's sinks removed"
    )
    floor_rate = 0.0
    for name, runs in seconds.items():
        rate = dispatches / statistics.median(runs)
        if not floor_rate:
            floor_rate = rate
            print(f"{name:<38} {rate:>14,.0f} dispatches/s")
        else:
            print(f"{name:<38} {rate:>14,.0f} dispatches/s  {rate / floor_rate:.2f} x floor")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
