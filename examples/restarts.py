"""Restarts, escalation and the final tree: the main demo (``make demo``).

A two-level tree, on a virtual clock so the story is the same on every run:

    shop  (one_for_one, at most 2 restarts in 10 s)
    ├── flaky   a worker that crashes on every third JOB
    └── pool    (one_for_all, at most 1 restart in 5 s)
        ├── db      answers QUERY, crashes on a poisoned one
        └── cache   counts the answers it sees

1. ``flaky`` crashes; ``shop`` restarts just it (one_for_one).
2. ``db`` crashes; ``pool`` restarts ``db`` *and* ``cache`` (one_for_all).
3. ``db`` crashes again within 5 s: ``pool`` gives up and ends, and ``shop``
   restarts the whole pool, a fresh one (the failure escalated one level).
4. More crashes than ``shop`` allows: the root gives up and the tree stops.
"""

from __future__ import annotations

import sys

from loguru import logger

import gensup
from gensup import Supervisor, SupervisorGaveUp, VirtualClock, Worker, WorkerGen, emit, waitfor
from gensup.reports import Dropped, GaveUp, Report, Started, Stopped

JOB = waitfor("JOB")


def flaky() -> WorkerGen:
    """Do jobs; crash on every third one."""
    done = 0
    while True:
        _, job = yield JOB
        done += 1
        if done % 3 == 0:
            raise RuntimeError(f"flaky gave up on job {job}")


def db() -> WorkerGen:
    """Answer queries; a poisoned query crashes it."""
    while True:
        _, query = yield waitfor("QUERY")
        if query == "poison":
            raise ValueError("db choked on a poisoned query")
        yield emit("ANSWER", query.upper())


def cache() -> WorkerGen:
    """Count the answers it sees (the count is lost when it restarts)."""
    seen = 0
    try:
        while True:
            _, answer = yield waitfor("ANSWER")
            seen += 1
            print(f"      cache saw {answer!r} ({seen} so far)")
    finally:
        print(f"      cache closing after {seen} answer(s)")


SPEC = Supervisor(
    "shop",
    [
        Worker("flaky", flaky),
        Supervisor(
            "pool",
            [Worker("db", db), Worker("cache", cache)],
            strategy="one_for_all",
            intensity=1,
            period=5,
        ),
    ],
    strategy="one_for_one",
    intensity=2,
    period=10,
)


def show(report: Report) -> None:
    """The observer: one line for each lifecycle report."""
    if isinstance(report, Started):
        print(f"    started  {report.path}")
    elif isinstance(report, Stopped):
        why = f": {report.exception}" if report.exception else ""
        print(f"    stopped  {report.path} ({report.reason.value}{why})")
    elif isinstance(report, GaveUp):
        print(f"    GAVE UP  {report.path}: too many restarts")
    elif isinstance(report, Dropped):
        print(f"    dropped  {report.event!r}: nobody waits for it")


def step(title: str) -> None:
    """Print a heading for the next part of the story."""
    print(f"\n== {title}")


def main() -> None:
    """Tell the story."""
    clock = VirtualClock()
    step("start the tree")
    with gensup.start(SPEC, clock=clock, observer=show) as tree:
        print(tree)
        story(tree, clock)


def story(tree: gensup.Tree, clock: VirtualClock) -> None:
    """Drive the running tree through restarts, an escalation and a give-up."""
    step("three JOBs: flaky crashes on the third, and only flaky restarts (one_for_one)")
    for job in (1, 2, 3):
        tree.signal("JOB", job)

    step("a QUERY goes through db to cache")
    tree.signal("QUERY", "stock")

    clock.advance(20)
    step("t=20: a poisoned QUERY: db crashes, pool restarts db and cache (one_for_all)")
    tree.signal("QUERY", "poison")

    clock.advance(1)
    step("t=21: poisoned again within 5 s: pool gives up, shop restarts the pool")
    tree.signal("QUERY", "poison")
    print(tree)

    clock.advance(1)
    step("t=22: more JOBs: flaky crashes twice, a third restart within 10 s for shop")
    try:
        for job in range(4, 10):
            tree.signal("JOB", job)
    except SupervisorGaveUp as exc:
        print(f"\n  SupervisorGaveUp: {exc}")
    print(f"  tree alive: {tree.alive}")


if __name__ == "__main__":
    # The observer tells the story; loguru shows only one-line error records.
    logger.remove()
    logger.add(sys.stdout, level="ERROR", format=lambda record: "    log: {message}\n")
    main()
