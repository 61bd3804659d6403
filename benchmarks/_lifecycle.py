"""Benchmarks of the lifecycle: restarts, memory per waiting worker, start-up."""

from __future__ import annotations

import gc
import statistics
import tracemalloc
from collections.abc import Callable
from typing import Any

import _floor
from _delivery import WorkerGen
from _harness import Report, Row, Run, Side, clock, compare_rates, rate_row

import gensup
from gensup import Supervisor, Worker, waitfor

# ---- 4. restarts ----


def crasher() -> WorkerGen:
    """Wait for CRASH once, then raise: restarted on every signal."""
    yield waitfor("CRASH")
    raise _floor.Crash("crash")


def idle() -> WorkerGen:
    """Wait forever for an event that nobody signals."""
    wait = waitfor("IDLE")
    while True:
        yield wait


class StepClock:
    """A clock that moves ``step`` seconds at each reading.

    With a step longer than the period every restart finds the window empty;
    with a step of 0 every restart stays in the window, which keeps growing.
    """

    def __init__(self, step: float) -> None:
        self._now = 0.0
        self._step = step

    def now(self) -> float:
        """Move, then return the time."""
        self._now += self._step
        return self._now


# The largest intensity that no benchmark reaches.
_UNLIMITED = 10**12


def restarts(report: Report, *, quick: bool, reps: int, peak: bool) -> None:
    """A permanent worker that crashes on every event, restarted each time."""
    # Restarts per repetition: a one_for_all restart does ten times the work.
    one, group = (20, 5) if quick else (15_000, 2_000)
    siblings = 10
    cases: list[tuple[str, str, float, int, Callable[[], int]]] = [
        ("one_for_one, window empty", "one_for_one", 10.0, one, lambda: _floor.restart_one(one)),
        ("one_for_one, window filling", "one_for_one", 0.0, one, lambda: _floor.restart_one(one)),
        (
            f"one_for_all, {siblings} siblings",
            "one_for_all",
            10.0,
            group,
            lambda: _floor.restart_all(group, siblings),
        ),
    ]
    for case, strategy, step, rounds, bare in cases:
        children = [Worker("crasher", crasher)]
        if strategy == "one_for_all":
            children += [Worker(f"idle{i}", idle) for i in range(1, siblings)]
        spec = Supervisor("root", children, strategy=strategy, intensity=_UNLIMITED, period=5.0)

        def prepare_gensup(
            spec: Supervisor = spec, step: float = step, rounds: int = rounds
        ) -> tuple[Run, Any]:
            tree = gensup.start(spec, clock=StepClock(step))
            signal = tree.signal

            def run() -> int:
                for _ in range(rounds):
                    signal("CRASH")
                return rounds

            return run, tree.stop

        def prepare_floor(bare: Callable[[], int] = bare) -> tuple[Run, Any]:
            return bare, lambda: None

        result = compare_rates({"floor": prepare_floor, "gensup": prepare_gensup}, reps, peak=peak)
        report.rows.append(
            rate_row("restarts", case, "restarts/s", result["gensup"], result["floor"])
        )
    if not quick:
        empty = report.row("restarts", "one_for_one, window empty")
        filling = report.row("restarts", "one_for_one, window filling")
        report.target(
            "restarts",
            "one_for_one restarts/s (thousands)",
            empty.gensup.median / 1000,
            60,
            at_least=True,
        )
        # As ratios to the floor, which does the same work in both cases:
        # what is left is what the window's fill costs.
        report.target(
            "restarts",
            "gensup/floor with a filling window / with an empty one",
            filling.ratio / empty.ratio,
            1 / 1.2,
            at_least=True,
        )


# ---- 6. memory ----


def bare_bytes(n: int) -> int:
    """Bytes that ``n`` bare generators waiting in a dict take, with the dict."""
    gc.collect()
    tracemalloc.start()
    floor = _floor.Dispatcher()
    for _ in range(n):
        floor.introduce(_floor.waiter("IDLE"))
    used, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    floor.close()
    return used


def gensup_bytes(n: int, group_size: int) -> tuple[int, int]:
    """Bytes that a running tree of ``n`` idle workers takes, and its peak while starting.

    The workers are in groups under the root that share one spec, so that the
    figure is what running them costs, not what describing them costs.
    """
    group = Supervisor("g", [Worker(f"w{i}", idle) for i in range(group_size)])
    spec = Supervisor("root", [Supervisor(f"g{k}", group.children) for k in range(n // group_size)])
    gc.collect()
    tracemalloc.start()
    tree = gensup.start(spec)
    used, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if n <= 10_000:
        tree.stop()
    # else: left to the garbage collector, as a million stop reports would take
    # longer than the measure itself.
    del tree
    return used, peak


def spec_bytes(n: int) -> float:
    """Bytes per Worker spec, for specs that are not shared."""
    gc.collect()
    tracemalloc.start()
    specs = [Worker(f"w{i}", idle) for i in range(n)]
    used, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del specs
    return used / n


def memory(report: Report, *, quick: bool, reps: int, peak: bool) -> None:
    """Bytes per idle waiting worker, against a bare generator waiting in a dict."""
    n, group_size = (2_000, 100) if quick else (1_000_000, 1_000)
    floor = bare_bytes(n) / n
    used, top = gensup_bytes(n, group_size)
    per_worker = used / n
    report.rows.append(
        Row(
            "memory",
            f"{n:,} idle workers",
            "bytes/worker",
            False,
            Side(per_worker, [per_worker], top),
            Side(floor, [floor], None),
            per_worker / floor,
            note=f"the specs are shared by groups of {group_size:,}; a spec of its own "
            f"adds {spec_bytes(10_000 if not quick else 100):,.0f} B per worker",
        )
    )
    if not quick:
        report.target(
            "memory",
            "bytes per waiting worker, gensup/floor",
            per_worker / floor,
            2,
            at_least=False,
        )


# ---- 7. start-up ----


def start_stop_gensup(spec: Supervisor) -> tuple[float, float]:
    """Seconds to start the tree of ``spec``, and to stop it."""
    began = clock()
    tree = gensup.start(spec)
    started = clock()
    tree.stop()
    return started - began, clock() - started


def start_stop_floor(n: int) -> tuple[float, float]:
    """Seconds to start ``n`` bare generators into a dict, and to close them."""
    began = clock()
    floor = _floor.Dispatcher()
    for _ in range(n):
        floor.introduce(_floor.waiter("IDLE"))
    started = clock()
    floor.close()
    return started - began, clock() - started


def startup(report: Report, *, quick: bool, reps: int, peak: bool) -> None:
    """Time to start (and to stop) a tree of 100,000 workers under one supervisor.

    Each repetition starts and stops both sides, floor and gensup in turn;
    the spec is built once, beforehand, since it is data the user holds.
    """
    n = 500 if quick else 100_000
    reps = min(reps, 3)  # a repetition is a whole start and stop of each side
    spec = Supervisor("root", [Worker(f"w{i}", idle) for i in range(n)])
    sides: dict[str, Callable[[], tuple[float, float]]] = {
        "floor": lambda: start_stop_floor(n),
        "gensup": lambda: start_stop_gensup(spec),
    }
    peaks: dict[str, int | None] = {}
    for name, side in sides.items():
        if peak:
            gc.collect()
            tracemalloc.start()
            side()
            peaks[name] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        else:
            peaks[name] = None
    rates: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in sides}
    order = list(sides)
    for _ in range(reps):
        for name in order:
            gc.collect()
            start_seconds, stop_seconds = sides[name]()
            rates[name][0].append(n / start_seconds)
            rates[name][1].append(n / stop_seconds)
        order.reverse()
    for index, what in enumerate(("start", "stop")):
        result = {
            name: Side(statistics.median(rates[name][index]), rates[name][index], peaks[name])
            for name in sides
        }
        report.rows.append(
            rate_row(
                "start-up", f"{what} {n:,} workers", "workers/s", result["gensup"], result["floor"]
            )
        )
