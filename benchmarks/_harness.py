"""Measuring, printing and comparing: what every benchmark shares.

A benchmark is made of *cases*.  A case runs gensup and its floor (the same
work in bare Python, no framework) side by side in this process:

1. Each side is prepared once under ``tracemalloc``, together with one
   untimed warm-up repetition of its workload: the highest traced memory
   during that is the side's *peak*.  Tracing then stops, so that it never
   slows a timed repetition.
2. The timed repetitions follow, interleaved (floor, gensup, gensup, floor,
   ...), so that a slow moment of the machine hits both sides alike.  The
   garbage collector runs before each repetition, never inside the timing.
3. The median repetition is reported, and the ratio gensup / floor of the
   medians.

Time is this process's CPU time (`time.process_time`), not the wall clock:
everything measured here is single-threaded and never sleeps, so on an idle
machine the two agree, and on a busy one the CPU time does not count the
moments when other processes ran instead.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

#: One repetition of a side's workload; returns how many operations it did, or
#: that and the seconds they took when only part of the repetition is timed.
Run = Callable[[], "int | tuple[int, float]"]
#: Prepares a side (builds the tree or the bare dispatcher) and returns its
#: repetition and a function that tears it down.
Prepare = Callable[[], tuple[Run, Callable[[], None]]]

#: A change of a ratio worse than this, against a previous result, is flagged.
REGRESSION = 0.10

#: What every benchmark times with (see the module's docstring).
clock = time.process_time


@dataclass
class Side:
    """One side of a case (gensup or the floor): its figure and peak memory."""

    median: float
    reps: list[float]
    peak_bytes: int | None


@dataclass
class Row:
    """One line of the table: a case, its two sides and their ratio.

    ``ratio`` is gensup / floor.  For rates (``higher_is_better``) a ratio of
    1.0 would mean gensup is as fast as bare Python; for memory, that it uses
    no more bytes than bare Python.
    """

    bench: str
    case: str
    unit: str
    higher_is_better: bool
    gensup: Side
    floor: Side
    ratio: float
    note: str = ""


@dataclass
class Target:
    """A target of the suite, checked against the rows of this run."""

    bench: str
    what: str
    value: float
    limit: float
    at_least: bool
    ok: bool = field(init=False)

    def __post_init__(self) -> None:
        self.ok = self.value >= self.limit if self.at_least else self.value <= self.limit


@dataclass
class Report:
    """Everything one run of the suite found."""

    rows: list[Row] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)

    def row(self, bench: str, case: str) -> Row:
        """The row of ``bench`` for ``case``."""
        for row in self.rows:
            if row.bench == bench and row.case == case:
                return row
        raise KeyError((bench, case))

    def target(
        self, bench: str, what: str, value: float, limit: float, *, at_least: bool
    ) -> Target:
        """Record a target check and return it."""
        target = Target(bench, what, value, limit, at_least)
        self.targets.append(target)
        return target


# ---- Measuring ----


def traced(prepare: Prepare) -> tuple[Run, Callable[[], None], int]:
    """Prepare a side and warm it up once under tracemalloc; return its peak bytes."""
    gc.collect()
    tracemalloc.start()
    try:
        run, close = prepare()
        run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return run, close, peak


def untraced(prepare: Prepare) -> tuple[Run, Callable[[], None], None]:
    """Prepare a side and warm it up once, without measuring its memory."""
    run, close = prepare()
    run()
    return run, close, None


def timed(run: Run) -> float:
    """Operations per second of one repetition of ``run``."""
    gc.collect()
    start = clock()
    done = run()
    elapsed = clock() - start
    if isinstance(done, tuple):
        done, elapsed = done
    return done / elapsed


def compare_rates(sides: dict[str, Prepare], reps: int, *, peak: bool = True) -> dict[str, Side]:
    """Prepare every side, then time ``reps`` interleaved repetitions of each.

    The first side is the floor; the order of the sides is reversed at every
    repetition, so that none of them always runs first.
    """
    prepared = {}
    try:
        for name, prepare in sides.items():
            prepared[name] = traced(prepare) if peak else untraced(prepare)
        rates: dict[str, list[float]] = {name: [] for name in sides}
        order = list(sides)
        for _ in range(reps):
            for name in order:
                rates[name].append(timed(prepared[name][0]))
            order.reverse()
    finally:
        for _run, close, _peak in prepared.values():
            close()
    return {
        name: Side(statistics.median(rates[name]), rates[name], prepared[name][2]) for name in sides
    }


def rate_row(bench: str, case: str, unit: str, gensup: Side, floor: Side, note: str = "") -> Row:
    """A row for a rate (higher is better)."""
    return Row(bench, case, unit, True, gensup, floor, gensup.median / floor.median, note)


# ---- Printing ----


def human(value: float, unit: str) -> str:
    """A rate or a size in a few significant digits: ``3.05 M/s``, ``558 B``."""
    if unit.endswith("/s"):
        for scale, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
            if value >= scale:
                return f"{value / scale:.3g} {prefix}/s"
        return f"{value:.3g} /s"
    if unit.startswith("bytes"):
        return f"{value:,.0f} B"
    return f"{value:.3g}"


def mib(value: int | None) -> str:
    """Bytes as MiB, or a dash when not measured."""
    return "-" if value is None else f"{value / 2**20:,.1f} MiB"


def print_header(out: Any = sys.stdout) -> None:
    """What the figures were measured on, and how."""
    for key, value in machine().items():
        print(f"{key + ':':<10} {value}", file=out)
    print(
        "logging:   loguru's sinks are removed (logger.remove()) so that no record is "
        "formatted or written while timing",
        file=out,
    )
    print(
        "timing:    CPU time of this process (time.process_time), median of the repetitions",
        file=out,
    )
    print(file=out)


def print_rows(rows: Sequence[Row], out: Any = sys.stdout) -> None:
    """The table of figures."""
    header = ("benchmark", "case", "unit", "gensup", "floor", "ratio", "gensup peak", "floor peak")
    lines = [header]
    for row in rows:
        lines.append(
            (
                row.bench,
                row.case,
                row.unit,
                human(row.gensup.median, row.unit),
                human(row.floor.median, row.unit),
                f"{row.ratio:.2f}",
                mib(row.gensup.peak_bytes),
                mib(row.floor.peak_bytes),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    right = {3, 4, 5, 6, 7}
    for index, line in enumerate(lines):
        cells = [
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        ]
        print("  ".join(cells).rstrip(), file=out)
        if index == 0:
            print("  ".join("-" * width for width in widths), file=out)
    notes = [(row.bench, row.case, row.note) for row in rows if row.note]
    if notes:
        print(file=out)
        for bench, case, note in notes:
            print(f"note ({bench}, {case}): {note}", file=out)


def print_targets(targets: Iterable[Target], out: Any = sys.stdout) -> None:
    """Each target with its measured value."""
    print("\nTargets:", file=out)
    for target in targets:
        sign = ">=" if target.at_least else "<="
        mark = "ok  " if target.ok else "MISS"
        print(
            f"  {mark} {target.bench}: {target.what}: {target.value:.2f} "
            f"(target {sign} {target.limit:.2f})",
            file=out,
        )


# ---- Saving and comparing ----


def machine() -> dict[str, str]:
    """The machine and interpreter, as printed and saved with the figures."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as lines:
            for line in lines:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "machine": f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "gensup": _gensup_version(),
    }


def _gensup_version() -> str:
    import gensup

    return f"{gensup.__version__} ({os.path.dirname(gensup.__file__)})"


def save(report: Report, path: str, *, quick: bool) -> None:
    """Write the run's rows and targets as JSON."""
    data = {
        "machine": machine(),
        "quick": quick,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "rows": [asdict(row) for row in report.rows],
        "targets": [asdict(target) for target in report.targets],
    }
    with open(path, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=2)
        out.write("\n")


def load(path: str) -> Report:
    """Read back the rows and targets that `save` wrote."""
    with open(path, encoding="utf-8") as source:
        data = json.load(source)
    report = Report()
    for row in data["rows"]:
        sides = {name: Side(**row.pop(name)) for name in ("gensup", "floor")}
        report.rows.append(Row(**row, **sides))
    for target in data["targets"]:
        del target["ok"]
        report.targets.append(Target(**target))
    return report


def compare(report: Report, path: str, out: Any = sys.stdout) -> list[str]:
    """Compare this run's ratios with a previous JSON; return the regressions.

    The ratio to the floor is compared rather than the raw figure: the floor
    is measured in the same run, so the ratio does not move when the machine
    is busier or faster, only when gensup changes.  A ratio more than
    `REGRESSION` worse than before is flagged.
    """
    with open(path, encoding="utf-8") as source:
        previous = json.load(source)
    before = {(row["bench"], row["case"]): row for row in previous["rows"]}
    regressions = []
    print(f"\nCompared with {path} ({previous.get('time', '?')}):", file=out)
    for row in report.rows:
        old = before.get((row.bench, row.case))
        if old is None:
            print(f"  new  {row.bench}, {row.case}", file=out)
            continue
        change = row.ratio / old["ratio"] - 1 if old["ratio"] else 0.0
        worse = -change if row.higher_is_better else change
        flag = "REGRESSION" if worse > REGRESSION else ""
        print(
            f"  {row.bench}, {row.case}: ratio {old['ratio']:.2f} -> {row.ratio:.2f} "
            f"({change:+.0%}); gensup {human(old['gensup']['median'], row.unit)} -> "
            f"{human(row.gensup.median, row.unit)} {flag}".rstrip(),
            file=out,
        )
        if flag:
            regressions.append(f"{row.bench}, {row.case}: {change:+.0%}")
    return regressions
