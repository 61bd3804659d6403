"""Drive a tree's timers by hand, with the real clock: no driver, one loop."""

import queue
import time

from loguru import logger

import gensup
from gensup import TIMEOUT, Supervisor, Worker, sleep, waitfor

IDLE = 0.1  # seconds: short, so that the example runs fast


def session():
    """Echoes keys; logs out after IDLE seconds without one."""
    while True:
        event, *args = yield waitfor("KEY", timeout=IDLE)
        if event is TIMEOUT:
            break
        print(f"session: key {args[0]!r}")
    print(f"session: idle for {IDLE} s, logging out")
    yield sleep(IDLE / 5)  # some goodbye work that takes time
    print("session: logged out")


SPEC = Supervisor("root", [Worker("session", session, restart="transient")])


def run(tree, inbox):
    """Signal what comes into `inbox`; fire the tree's timers when due.

    `inbox` is a thread-safe queue that other threads put (event, *args)
    tuples into; only this loop touches the tree.
    """
    while tree.alive:
        tree.fire_due()  # every timer due by now, each run to completion
        deadline = tree.next_deadline()  # asked again after every call
        if deadline is None and inbox.empty():
            # No timer and no input.  Here no other thread will put any more,
            # so stop; a program with producers would block in get() instead.
            return
        timeout = None
        if deadline is not None:
            timeout = max(0.0, deadline - time.monotonic())
        try:
            event, *args = inbox.get(timeout=timeout)
        except queue.Empty:
            continue  # the deadline has come: fire_due at the top
        tree.signal(event, *args)


if __name__ == "__main__":
    logger.remove()
    inbox = queue.Queue()
    for key in "ok":
        inbox.put(("KEY", key))
    began = time.monotonic()
    with gensup.start(SPEC) as tree:  # the real clock: time.monotonic
        run(tree, inbox)
        took = time.monotonic() - began
        print(f"the loop took more than {IDLE} s: {took > IDLE}")
        print("status:", tree.status())
