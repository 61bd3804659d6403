"""Restart backoff: the delays, and the child while it waits."""

from loguru import logger

import gensup
from gensup import Backoff, Supervisor, VirtualClock, Worker, waitfor

clock = VirtualClock()


def fragile():
    yield waitfor("CRASH")
    raise RuntimeError("crashed")


SPEC = Supervisor(
    "root",
    [Worker("w", fragile, backoff=Backoff(1, 8))],  # factor 2: 1, 2, 4, 8, 8
    intensity=3,
    period=5,
)


def crash_and_wait(tree):
    """Crash the worker now; let the clock run to its restart."""
    crashed = clock.now()
    tree.signal("CRASH")
    restart = tree.next_deadline()  # the delayed restart is a timer
    clock.advance(restart - crashed)
    print(f"crash at t={crashed:2.0f}, restart at t={restart:2.0f}: ", end="")
    print(f"a delay of {restart - crashed:.0f} s")


if __name__ == "__main__":
    logger.remove()
    tree = gensup.start(SPEC, clock=clock)
    for _ in range(5):
        crash_and_wait(tree)

    print("\nDuring a delay:")
    tree.signal("CRASH")
    clock.advance(1)
    print(tree)
    print(tree.count_children("root"))
    print("CRASH reached", tree.signal("CRASH"), "worker(s)")
    print("dropped so far:", tree.dropped)
    clock.advance(tree.next_deadline() - clock.now())

    print("\nAfter 8 s without a crash, the delays start again from 1 s:")
    clock.advance(8)
    crash_and_wait(tree)
    crash_and_wait(tree)
    tree.stop()
