"""Tutorial, step 5: too many restarts, and the failure escalates."""

import sys

from loguru import logger

import gensup
from gensup import Supervisor, SupervisorGaveUp, VirtualClock, Worker, waitfor


def db():
    while True:
        event, query = yield waitfor("QUERY")
        if query == "poison":
            raise ValueError("poisoned query")


def cache():
    while True:
        yield waitfor("ANSWER")


SPEC = Supervisor(
    "root",
    [
        Supervisor(
            "pool",
            [Worker("db", db), Worker("cache", cache)],
            strategy="one_for_all",
            intensity=1,  # at most 1 restart ...
            period=5,  # ... within 5 seconds
        ),
    ],
    strategy="one_for_one",
    intensity=1,
    period=60,
)

if __name__ == "__main__":
    logger.remove()
    logger.add(
        sys.stdout, level="TRACE", format=lambda record: "{level}: {message}\n"
    )

    clock = VirtualClock()  # time moves only when we say so
    tree = gensup.start(SPEC, clock=clock)
    try:
        for t in (0, 1, 10, 11):
            clock.advance(t - clock.now())
            print(f"-- t={t}: a poisoned query")
            tree.signal("QUERY", "poison")
    except SupervisorGaveUp as error:
        print(f"SupervisorGaveUp: {error}")
    print("alive:", tree.alive)
