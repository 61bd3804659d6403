"""Tutorial, step 1: the seed's TICK example, ported to gensup."""

import sys

from loguru import logger

import gensup
from gensup import Supervisor, Worker, waitfor


def process(n):
    for i in range(1, n + 1):
        event, howmany = yield waitfor("TICK")
        assert event == "TICK" and howmany == i


SPEC = Supervisor(
    "super",
    [
        Worker(f"p{i:04d}", process, args=(3,), restart="temporary")
        for i in (1, 2, 3)
    ],
)

if __name__ == "__main__":
    logger.remove()
    logger.add(
        sys.stdout, level="INFO", format=lambda record: "{level}: {message}\n"
    )

    with gensup.start(SPEC) as tree:
        print(tree)
        j = 1
        while reached := tree.signal("TICK", j):
            print(f"TICK {j} reached {reached} workers")
            j += 1
        print("status:", tree.status())
    print("Endcount", j)
