"""Benchmarks of event delivery: ticks (flat and deep), bystanders, emit chains.

Every gensup worker here has a bare twin in `_floor`, with the same body; the
only difference is what it yields (a gensup command, or the bare event name).
The ticks workers do no work of their own, so the ratio to the floor is the
hardest one: nothing dilutes gensup's own cost.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Generator, Hashable
from typing import Any

import _floor
from _harness import Prepare, Report, Run, compare_rates, rate_row

import gensup
from gensup import Supervisor, Worker, emit, waitfor

WorkerGen = Generator[Any, Any, Any]


# ---- The gensup workers ----


def tick_fast() -> WorkerGen:
    """The fast form: the command is built once and yielded again and again."""
    tick = waitfor("TICK")
    while True:
        _event, _n = yield tick


def tick_naive() -> WorkerGen:
    """The naive form: a new ``waitfor`` call on every wait."""
    while True:
        _event, _n = yield waitfor("TICK")


FORMS: dict[str, Callable[[], WorkerGen]] = {"fast": tick_fast, "naive": tick_naive}

# Each bystander waits for an event of its own, drawn when it starts, so that
# one shared spec can start any number of them.
_bystander_events = itertools.count()


def bystander() -> WorkerGen:
    """Wait forever for an event that nobody signals."""
    wait = waitfor(("B", next(_bystander_events)))
    while True:
        yield wait


def ring_member(me: str, after: str) -> WorkerGen:
    """Wait for ``me``; pass the token on to ``after`` while hops remain."""
    wait = waitfor(me)
    while True:
        _event, hops = yield wait
        if hops:
            yield emit(after, hops - 1)


# ---- Sides: how to prepare each system and run one repetition ----


def gensup_side(
    spec: Callable[[], Supervisor], driver: Callable[[gensup.Tree], Run], *, stop: bool = True
) -> Prepare:
    """Start the tree that ``spec()`` describes; ``driver(tree)`` is one repetition.

    With ``stop=False`` the tree is dropped at the end rather than stopped:
    stopping a million workers would take longer than the benchmark itself
    (each stop is reported), and nothing here measures it.
    """

    def prepare() -> tuple[Run, Callable[[], None]]:
        tree = gensup.start(spec())
        return driver(tree), tree.stop if stop else _drop

    return prepare


def _drop() -> None:
    """Leave a tree to the garbage collector, which closes its generators."""


def floor_side(
    gens: Callable[[], list[_floor.BareGen]],
    driver: Callable[[Any], Run],
    dispatcher: Callable[[], _floor.Floor] = _floor.Dispatcher,
) -> Prepare:
    """Park the generators that ``gens()`` makes in a bare dispatcher (the tightest floor,
    unless told otherwise)."""

    def prepare() -> tuple[Run, Callable[[], None]]:
        floor = dispatcher()
        for gen in gens():
            floor.introduce(gen)
        return driver(floor), floor.close

    return prepare


def ticking(rounds: int, event: Hashable = "TICK", to: str | None = None) -> Callable[[Any], Run]:
    """A driver: signal ``event`` ``rounds`` times, counting the workers reached."""

    def driver(system: Any) -> Run:
        signal = system.signal

        def run() -> int:
            reached = 0
            if to is None:
                for j in range(rounds):
                    reached += signal(event, j)
            else:
                for j in range(rounds):
                    reached += signal(event, j, to=to)
            return reached

        return run

    return driver


def flat(func: Callable[[], WorkerGen], n: int) -> Callable[[], Supervisor]:
    """A root with ``n`` workers running ``func``."""
    return lambda: Supervisor("root", [Worker(f"w{i}", func) for i in range(n)])


def tickers(n: int) -> Callable[[], list[_floor.BareGen]]:
    """``n`` bare tickers."""
    return lambda: [_floor.ticker() for _ in range(n)]


# ---- 1. ticks (flat) ----


def ticks_flat(report: Report, *, quick: bool, reps: int, peak: bool) -> None:
    """The seed's workload: N workers waiting for TICK, signalled R times."""
    # (N, R): R chosen so that a repetition takes a few tenths of a second.
    sizes = (
        [(3, 20), (10, 10), (100, 3)]
        if quick
        else [
            (10, 50_000),
            (1_000, 500),
            (100_000, 5),
        ]
    )
    for n, rounds in sizes:
        drive = ticking(rounds)
        sides = {
            "floor": floor_side(tickers(n), drive),
            "dict floor": floor_side(tickers(n), drive, _floor.DictDispatcher),
        }
        for form, func in FORMS.items():
            sides[form] = gensup_side(flat(func, n), drive)
        result = compare_rates(sides, reps, peak=peak)
        for form in FORMS:
            report.rows.append(
                rate_row(
                    "ticks-flat", f"N={n:,} {form}", "dispatches/s", result[form], result["floor"]
                )
            )
        # The second line: the same gensup figures against the dict floor.
        for form in FORMS:
            report.rows.append(
                rate_row(
                    "ticks-flat",
                    f"N={n:,} {form}, dict floor",
                    "dispatches/s",
                    result[form],
                    result["dict floor"],
                    note=""
                    if form != "fast"
                    else f"dict floor / list floor: "
                    f"{result['dict floor'].median / result['floor'].median:.2f}",
                )
            )
    if not quick:
        for form, limit in (("fast", 0.6), ("naive", 0.4)):
            ratio = report.row("ticks-flat", f"N=1,000 {form}").ratio
            report.target(
                "ticks-flat", f"N=1,000 {form} form, gensup/floor", ratio, limit, at_least=True
            )
        ratio = report.row("ticks-flat", "N=100,000 fast").ratio
        report.target("ticks-flat", "N=100,000 fast form, gensup/floor", ratio, 0.5, at_least=True)


# ---- 2. ticks (deep tree) ----


def deep(func: Callable[[], WorkerGen], depth: int, fanout: int, n: int) -> Supervisor:
    """Supervisors ``depth`` levels deep (the root is level 1), ``fanout`` per
    level; ``n`` workers spread evenly over the lowest supervisors, in tree order."""
    leaves = fanout ** (depth - 1)
    # Which workers go to each leaf: worker i to leaf i * leaves // n.
    per_leaf: list[list[Worker]] = [[] for _ in range(leaves)]
    for i in range(n):
        per_leaf[i * leaves // n].append(Worker(f"w{i}", func))
    level = [Supervisor(f"s{index % fanout}", workers) for index, workers in enumerate(per_leaf)]
    while len(level) > fanout:
        level = [
            Supervisor(f"s{index % fanout}", level[index * fanout : (index + 1) * fanout])
            for index in range(len(level) // fanout)
        ]
    return Supervisor("root", level)


def in_subtree(depth: int, fanout: int, n: int, level: int) -> int:
    """How many workers of `deep` live under ``root/s0/.../s0`` at ``level``."""
    leaves_under = fanout ** (depth - level)
    leaves = fanout ** (depth - 1)
    return sum(1 for i in range(n) if i * leaves // n < leaves_under)


def two_pools(func: Callable[[], WorkerGen], inside: int, n: int) -> Supervisor:
    """``n`` workers in two pools under the root, ``inside`` of them in ``root/a``."""
    return Supervisor(
        "root",
        [
            Supervisor("a", [Worker(f"w{i}", func) for i in range(inside)]),
            Supervisor("b", [Worker(f"w{i}", func) for i in range(inside, n)]),
        ],
    )


def ticks_deep(report: Report, *, quick: bool, reps: int, peak: bool) -> None:
    """The flat workload on a deep tree, signalled at the root and at a mid-level subtree.

    Each deep side has a flat twin with the same waiters, signalled the same
    way, so that what depth costs shows as their ratio: for the root, a flat
    tree of the same workers; for the subtree, two pools under the root, the
    subtree's workers in one of them, signalled at that pool.  The floor is
    bare Python delivering to the workers reached, as a program that kept a
    dict per group would.
    """
    depth, fanout = (4, 3) if quick else (8, 3)
    n = 30 if quick else 1_000
    # Rounds per repetition (gensup, floor): a subtree signal reaches few
    # workers, so the floor needs more rounds to be timed.
    rounds, mid_rounds = ((5, 5), (5, 5)) if quick else ((500, 500), (500, 5_000))
    mid_level = depth // 2
    mid_path = "/".join(["root"] + ["s0"] * (mid_level - 1))
    mid_n = in_subtree(depth, fanout, n, mid_level)
    cases = [
        (
            f"at the root, N={n:,}",
            n,
            lambda func: flat(func, n),
            ticking(rounds[0]),
            ticking(rounds[0]),
            ticking(rounds[1]),
            "flat tree of the same workers",
        ),
        (
            f"at {mid_path} ({mid_n} of N={n:,})",
            mid_n,
            lambda func: lambda: two_pools(func, mid_n, n),
            ticking(mid_rounds[0], to="root/a"),
            ticking(mid_rounds[0], to=mid_path),
            ticking(mid_rounds[1]),
            f"the same waiters in two pools, {mid_n} in the one signalled",
        ),
    ]
    for label, reached, flat_spec, flat_drive, deep_drive, floor_drive, twin in cases:
        sides: dict[str, Prepare] = {"floor": floor_side(tickers(reached), floor_drive)}
        for form, func in FORMS.items():
            sides[f"flat {form}"] = gensup_side(flat_spec(func), flat_drive)
            sides[f"deep {form}"] = gensup_side(
                lambda func=func: deep(func, depth, fanout, n), deep_drive
            )
        result = compare_rates(sides, reps, peak=peak)
        for form in FORMS:
            deep_side, flat_side = result[f"deep {form}"], result[f"flat {form}"]
            versus = deep_side.median / flat_side.median
            report.rows.append(
                rate_row(
                    "ticks-deep",
                    f"{label} {form}",
                    "dispatches/s",
                    deep_side,
                    result["floor"],
                    note=f"{twin}: {flat_side.median:,.0f}/s; deep/flat {versus:.2f}",
                )
            )
            if not quick:
                report.target(
                    "ticks-deep", f"{label} {form} form, deep/flat", versus, 1 / 1.2, at_least=True
                )


# ---- 3. bystanders ----


def with_bystanders(hot: int, others: int) -> Supervisor:
    """``hot`` tickers, then ``others`` bystanders in groups of up to 1,000.

    The groups share one spec, so that a million bystanders cost no more to
    describe than a thousand.
    """
    children: list[Supervisor] = [
        Supervisor("hot", [Worker(f"h{i}", tick_fast) for i in range(hot)])
    ]
    group_size = min(others, 1_000)
    if others:
        group = Supervisor("g", [Worker(f"b{i}", bystander) for i in range(group_size)])
        children.extend(Supervisor(f"g{k}", group.children) for k in range(others // group_size))
    return Supervisor("root", children)


def bystanders(report: Report, *, quick: bool, reps: int, peak: bool) -> None:
    """One event with 100 waiters while 0 ... 1,000,000 others wait for other events."""
    hot = 10 if quick else 100
    rounds = 5 if quick else 2_000
    counts = [0, 100] if quick else [0, 10_000, 1_000_000]
    for others in counts:
        drive = ticking(rounds)
        sides = {
            "floor": floor_side(
                lambda others=others: (
                    tickers(hot)() + [_floor.waiter(("B", i)) for i in range(others)]
                ),
                drive,
            ),
            "gensup": gensup_side(
                lambda others=others: with_bystanders(hot, others), drive, stop=others <= 10_000
            ),
        }
        # Tracing a million starts takes long: the memory benchmark measures those.
        result = compare_rates(sides, reps, peak=peak and others <= 10_000)
        report.rows.append(
            rate_row(
                "bystanders",
                f"{hot} waiters, {others:,} bystanders",
                "dispatches/s",
                result["gensup"],
                result["floor"],
            )
        )
    if not quick:
        # Compared as ratios to the floor, measured alongside: the floor does
        # the same dict work with the same bystanders, and the ratio does not
        # move when the machine does.
        first = report.row("bystanders", f"{hot} waiters, 0 bystanders").ratio
        last = report.row("bystanders", f"{hot} waiters, {counts[-1]:,} bystanders").ratio
        report.target(
            "bystanders",
            f"gensup/floor with {counts[-1]:,} bystanders / with none",
            last / first,
            1 / 1.2,
            at_least=True,
        )


# ---- 5. emit chains ----


def ring(size: int) -> Supervisor:
    """``size`` workers passing a token around a ring."""
    return Supervisor(
        "root",
        [Worker(f"r{i}", ring_member, args=(f"T{i}", f"T{(i + 1) % size}")) for i in range(size)],
    )


def emit_chain(report: Report, *, quick: bool, reps: int, peak: bool) -> None:
    """A ring of workers passing a token by emitting events to each other."""
    size, hops = (10, 50) if quick else (1_000, 50_000)

    def driver(system: Any) -> Run:
        signal = system.signal

        def run() -> int:
            signal("T0", hops)
            return hops + 1  # the signal and every hop: one delivery each

        return run

    sides = {
        "floor": floor_side(
            lambda: [_floor.ring_member(f"T{i}", f"T{(i + 1) % size}") for i in range(size)],
            driver,
            _floor.QueueDispatcher,
        ),
        "gensup": gensup_side(lambda: ring(size), driver),
    }
    result = compare_rates(sides, reps, peak=peak)
    report.rows.append(
        rate_row("emit-chain", f"ring of {size:,}", "events/s", result["gensup"], result["floor"])
    )
