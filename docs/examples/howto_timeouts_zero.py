"""timeout=0 polls; math.inf waits for ever."""

import math

from loguru import logger

import gensup
from gensup import TIMEOUT, Supervisor, Worker, emit, waitfor


def drainer():
    """On FLUSH, takes the ITEMs already queued, and no more."""
    while True:
        yield waitfor("FLUSH")
        taken = []
        while True:
            event, *args = yield waitfor("ITEM", timeout=0)
            if event is TIMEOUT:
                break
            taken.append(args[0])
        print(f"drainer: took {taken}, then timed out at once")


def producer():
    """On FLUSH, emits three ITEMs: queued before the drainer's poll."""
    while True:
        yield waitfor("FLUSH")
        for item in ("a", "b", "c"):
            yield emit("ITEM", item)


def patient(timeout):
    """A timeout read from settings: math.inf means no timeout."""
    event, *args = yield waitfor("DONE", timeout=timeout)
    print(f"patient: got {event}")


SPEC = Supervisor(
    "root",
    [
        Worker("producer", producer),
        Worker("drainer", drainer),
        Worker("patient", patient, args=(math.inf,), restart="transient"),
    ],
)

if __name__ == "__main__":
    logger.remove()
    print(waitfor("DONE", timeout=math.inf) == waitfor("DONE"))
    with gensup.start(SPEC) as tree:
        tree.signal("FLUSH")
        print("timers left:", tree.next_deadline())
        tree.signal("DONE")
