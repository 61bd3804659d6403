"""A pending restart: refused by restart_child, cancelled by the others."""

from loguru import logger

import gensup
from gensup import (
    Backoff,
    ChildRestarting,
    Supervisor,
    VirtualClock,
    Worker,
    waitfor,
)

SLOW = Backoff(30, 60)  # the first restart waits 30 s


def fragile():
    yield waitfor("CRASH")
    raise RuntimeError("crashed")


SPEC = Supervisor(
    "root",
    [
        Worker("a", fragile, backoff=SLOW),
        Worker("b", fragile, backoff=SLOW),
        Supervisor("pool", [Worker("c", fragile, backoff=SLOW)]),
    ],
)


def show(tree, clock, sup="root"):
    children = tree.which_children(sup)
    listed = ", ".join(f"{c.id} {c.state} #{c.incarnation}" for c in children)
    print(f"t={clock.now():2.0f}  {sup}: {listed}")


if __name__ == "__main__":
    logger.remove()
    clock = VirtualClock()
    with gensup.start(SPEC, clock=clock) as tree:
        tree.signal("CRASH")  # a, b and c crash: restarts due at t=30
        show(tree, clock)
        show(tree, clock, "root/pool")
        try:
            tree.restart_child("root/a")
        except ChildRestarting as error:
            print(f"restart_child: {type(error).__name__}: {error}")
        tree.terminate_child("root/a")  # cancels a's pending restart
        tree.delete_child("root/b")  # cancels b's, and forgets b
        tree.terminate_child("root/pool")  # stops pool: c's is cancelled
        show(tree, clock)
        clock.advance(40)  # nothing is restarted at t=30
        show(tree, clock)
        tree.restart_child("root/a")  # start them again now, by hand
        tree.restart_child("root/pool")  # a fresh pool, a fresh c
        show(tree, clock)
        show(tree, clock, "root/pool")
