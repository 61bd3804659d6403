"""one_for_all and rest_for_one with a backoff: a timeline of the reports."""

from loguru import logger

import gensup
from gensup import Backoff, Supervisor, VirtualClock, Worker, waitfor
from gensup.reports import Started, Stopped


def idle():
    yield waitfor("NEVER")


def fragile():
    yield waitfor("CRASH")
    raise RuntimeError("crashed")


def spec(strategy):
    return Supervisor(
        "root",
        [
            Worker("a", idle),
            Worker("b", fragile, backoff=Backoff(2, 30)),
            Worker("c", idle),
        ],
        strategy=strategy,
    )


def timeline(strategy):
    clock = VirtualClock()
    printing = True

    def report(r):
        if not printing:
            return
        if type(r) is Started and r.path != "root":
            print(f"  t={clock.now():.0f}  start {r.path}")
        elif type(r) is Stopped:
            print(f"  t={clock.now():.0f}  stop  {r.path} ({r.reason})")

    def states():
        children = tree.which_children("root")
        listed = ", ".join(f"{c.id} {c.state}" for c in children)
        print(f"  t={clock.now():.0f}  which_children: {listed}")

    print(f"{strategy}:")
    tree = gensup.start(spec(strategy), clock=clock, observer=report)
    clock.advance(1)
    tree.signal("CRASH")
    states()
    clock.advance(4)
    states()
    printing = False
    tree.stop()


if __name__ == "__main__":
    logger.remove()
    timeline("one_for_all")
    timeline("rest_for_one")
