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


def bare_bytes(n: int, dispatcher: Callable[[], _floor.Floor] = _floor.Dispatcher) -> int:
    """Bytes that ``n`` bare generators waiting in a floor take, with its list (or dict)."""
    gc.collect()
    tracemalloc.start()
    floor = dispatcher()
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
    """Bytes per idle waiting worker, against a bare generator waiting in a list."""
    n, group_size = (2_000, 100) if quick else (1_000_000, 1_000)
    floor = bare_bytes(n) / n
    dict_floor = bare_bytes(n, _floor.DictDispatcher) / n
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
            f"adds {spec_bytes(10_000 if not quick else 100):,.0f} B per worker; against "
            f"the dict floor ({dict_floor:,.0f} B): {per_worker / dict_floor:.2f}",
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
    """Seconds to start ``n`` bare generators into a list, and to close them."""
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


# ---- 8. ending workers ----


def process(n: int) -> WorkerGen:
    """The seed's process: wait for ``n`` TICKs, then end."""
    tick = waitfor("TICK")
    for _ in range(n):
        _event, _n = yield tick


def ending(report: Report, *, quick: bool, reps: int, peak: bool) -> None:
    """N temporary workers wait for R ticks, then end: the cost of the last tick.

    At the R-th signal every worker returns, and its supervisor forgets it
    (temporary): the figure is workers ended per second, the signal's own
    delivery included.  The floor's generators end with StopIteration and are
    simply not parked again.  Each repetition builds its tree afresh and
    signals the first R - 1 ticks untimed.
    """
    n, rounds = (500, 5) if quick else (100_000, 50)
    reps = min(reps, 3)  # a repetition starts n workers and ticks them r times

    def gensup_run() -> tuple[int, float]:
        spec = Supervisor(
            "root",
            [Worker(f"w{i}", process, args=(rounds,), restart="temporary") for i in range(n)],
        )
        tree = gensup.start(spec)
        for j in range(rounds - 1):
            tree.signal("TICK", j)
        gc.collect()
        began = clock()
        ended = tree.signal("TICK", rounds)
        elapsed = clock() - began
        assert ended == n
        assert not tree.which_children("root")
        tree.stop()
        return n, elapsed

    def floor_run() -> tuple[int, float]:
        floor = _floor.Dispatcher()
        for _ in range(n):
            floor.introduce(_floor.process(rounds))
        for j in range(rounds - 1):
            floor.signal("TICK", j)
        gc.collect()
        began = clock()
        ended = floor.signal("TICK", rounds)
        elapsed = clock() - began
        assert ended == n
        assert not floor.waiting
        return n, elapsed

    result = compare_rates(
        {"floor": lambda: (floor_run, _nothing), "gensup": lambda: (gensup_run, _nothing)},
        reps,
        peak=False,
    )
    report.rows.append(
        rate_row(
            "ending",
            f"{n:,} workers end at tick {rounds}",
            "workers/s",
            result["gensup"],
            result["floor"],
            note=f"{1e6 / result['gensup'].median:.2f} us per ending worker, "
            f"floor {1e6 / result['floor'].median:.2f} us",
        )
    )
    if not quick:
        report.target(
            "ending",
            "us per ending worker",
            1e6 / result["gensup"].median,
            2,
            at_least=False,
        )


def _nothing() -> None:
    """Nothing to tear down: each repetition cleans up after itself."""


# ---- 9. spec and start ----


def spec_and_start(report: Report, *, quick: bool, reps: int, peak: bool) -> None:
    """Build a Worker spec per worker, then start them all under one root.

    What a program pays to describe and start each worker: the spec (with its
    validation), the root's, and `gensup.start`.  The floor is the bare
    loop's own cost of making a worker: create its generator, run it to its
    first wait and park it.  Stopping is not timed on either side.
    """
    n = 500 if quick else 100_000
    reps = min(reps, 3)

    def gensup_run() -> tuple[int, float]:
        gc.collect()
        began = clock()
        tree = gensup.start(Supervisor("root", [Worker(f"w{i}", idle) for i in range(n)]))
        elapsed = clock() - began
        tree.stop()
        return n, elapsed

    def floor_run() -> tuple[int, float]:
        gc.collect()
        began = clock()
        floor = _floor.Dispatcher()
        for _ in range(n):
            floor.introduce(_floor.waiter("IDLE"))
        elapsed = clock() - began
        floor.close()
        return n, elapsed

    result = compare_rates(
        {"floor": lambda: (floor_run, _nothing), "gensup": lambda: (gensup_run, _nothing)},
        reps,
        peak=False,
    )
    report.rows.append(
        rate_row(
            "spec-start",
            f"spec and start of {n:,} workers",
            "workers/s",
            result["gensup"],
            result["floor"],
            note=f"{1e6 / result['gensup'].median:.2f} us per worker, "
            f"floor {1e6 / result['floor'].median:.2f} us",
        )
    )
    if not quick:
        report.target(
            "spec-start",
            "us per worker, spec and start",
            1e6 / result["gensup"].median,
            3,
            at_least=False,
        )
