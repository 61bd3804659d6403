"""Timeouts and sleeps: timers on the tree's clock, here a virtual one."""

from loguru import logger

import gensup
from gensup import TIMEOUT, Supervisor, VirtualClock, Worker, sleep, waitfor

clock = VirtualClock()


def say(who, what):
    print(f"t={clock.now():3.0f}  {who}: {what}")


def client():
    """Waits at most 2 s for each reply."""
    while True:
        event, *args = yield waitfor("REPLY", timeout=2)
        if event is TIMEOUT:
            say("client", "no reply within 2 s")
        else:
            say("client", f"reply {args[0]!r}")


def napper():
    """Sleeps 5 s at a time; events meanwhile do not reach it."""
    while True:
        event, *args = yield sleep(5)
        say("napper", f"woke up with {(event, *args)}")


SPEC = Supervisor("root", [Worker("client", client), Worker("napper", napper)])

if __name__ == "__main__":
    logger.remove()
    tree = gensup.start(SPEC, clock=clock)
    print("next timer due at", tree.next_deadline())
    clock.advance(1)
    tree.signal("REPLY", "a")  # before the client's timeout: cancels it
    clock.advance(4)  # the client's new timer fires at t=3, the napper's at 5
    reached = tree.signal("WAKE")  # the napper sleeps again: nobody waits
    say("main", f"WAKE reached {reached} worker(s)")
    clock.advance(2)
    tree.stop()
