"""Run gensup's benchmark suite and print the table (``make bench``).

    python benchmarks/run.py                      # the whole suite, full sizes
    python benchmarks/run.py --only ticks-flat restarts
    python benchmarks/run.py --json now.json      # save the figures
    python benchmarks/run.py --compare before.json   # flag regressions over 10%
    python benchmarks/run.py --quick              # tiny sizes: proves each one runs

Each benchmark runs in a fresh interpreter and measures gensup and its floor
(the same work in bare Python, see ``_floor.py``) side by side; the table
gives the median of several repetitions of each, the ratio gensup / floor
and the peak memory of each side.  See docs/explanation/performance.md for
what the figures mean.

With ``--compare``, the exit status is 1 when a ratio got more than 10% worse.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from _aio import aio_signal, echo
from _delivery import bystanders, emit_chain, ticks_deep, ticks_flat
from _harness import Report, compare, load, print_header, print_rows, print_targets, save
from _lifecycle import ending, memory, restarts, spec_and_start, startup
from _placement import boundary, placed_cpu
from _pools import backlog, one_of_n
from _ray_link import ray_link
from _time import timers
from loguru import logger

Benchmark = Callable[..., None]

#: The suite, in the order of the performance page's table.
BENCHMARKS: dict[str, Benchmark] = {
    "ticks-flat": ticks_flat,
    "ticks-deep": ticks_deep,
    "bystanders": bystanders,
    "restarts": restarts,
    "emit-chain": emit_chain,
    "memory": memory,
    "start-up": startup,
    "ending": ending,
    "spec-start": spec_and_start,
    "timers": timers,
    "aio-signal": aio_signal,
    "echo": echo,
    "one-of-n": one_of_n,
    "backlog": backlog,
    "placed-cpu": placed_cpu,
    "boundary": boundary,
    # Skipped, saying so, where Ray is not installed.
    "ray-link": ray_link,
}


def parse(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="benchmarks/run.py", description="gensup against the bare Python floor."
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=list(BENCHMARKS),
        metavar="NAME",
        help=f"run only these benchmarks ({', '.join(BENCHMARKS)})",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes and one repetition: proves that each benchmark runs",
    )
    parser.add_argument(
        "--reps",
        type=int,
        default=None,
        help="timed repetitions of each side (default 5; 1 with --quick)",
    )
    parser.add_argument(
        "--no-peak",
        dest="peak",
        action="store_false",
        help="skip the traced warm-up that measures peak memory",
    )
    parser.add_argument("--json", metavar="PATH", help="save the figures as JSON")
    # Internal: run the benchmarks named by --only in this process and save
    # their rows to --json, printing nothing (see `isolated`).
    parser.add_argument("--part", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--compare",
        metavar="PATH",
        help="compare with a JSON saved earlier; exit 1 on a regression over 10%%",
    )
    return parser.parse_args(argv)


def isolated(name: str, args: argparse.Namespace, reps: int) -> Report:
    """Run one benchmark in a fresh interpreter and return what it found.

    Each benchmark starts from a clean heap: the million-worker trees of one
    benchmark would otherwise leave the allocator fragmented for the next,
    which slows gensup and the floor alike by a third.
    """
    with tempfile.TemporaryDirectory() as tmp:
        part = os.path.join(tmp, "part.json")
        command = [sys.executable, __file__, "--part", "--only", name, "--json", part]
        command += ["--reps", str(reps)]
        command += ["--quick"] if args.quick else []
        command += [] if args.peak else ["--no-peak"]
        subprocess.run(command, check=True)
        return load(part)


def main(argv: list[str]) -> int:
    """Run the suite; return the exit status."""
    args = parse(argv)
    reps = args.reps if args.reps is not None else (1 if args.quick else 5)
    # Benchmarks time gensup, not a log sink: with loguru's default sink,
    # every start and stop would be formatted and written to stderr.
    logger.remove()
    names = args.only or list(BENCHMARKS)
    if args.part:
        report = Report()
        for name in names:
            BENCHMARKS[name](report, quick=args.quick, reps=reps, peak=args.peak)
        save(report, args.json, quick=args.quick)
        # The heap goes with the process: collecting a million workers'
        # generators one by one would take longer than measuring them.
        sys.stdout.flush()
        os._exit(0)
    print_header()
    report = Report()
    began = time.perf_counter()
    for name in names:
        start = time.perf_counter()
        part = isolated(name, args, reps)
        report.rows += part.rows
        report.targets += part.targets
        print(f"... {name}: {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    print(
        f"Medians of {reps} repetition(s); ratio = gensup / floor "
        f"(rates: higher is better; memory: lower is better).\n"
    )
    print_rows(report.rows)
    if report.targets:
        print_targets(report.targets)
    print(f"\nTotal time: {time.perf_counter() - began:.0f} s")
    if args.json:
        save(report, args.json, quick=args.quick)
    if args.compare:
        regressions = compare(report, args.compare)
        if regressions:
            print(f"\n{len(regressions)} regression(s) over 10%: " + "; ".join(regressions))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
