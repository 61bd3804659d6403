"""After: the same processes on gensup."""

from loguru import logger

import gensup
from gensup import Supervisor, Worker, waitfor


def process(n):
    for i in range(1, n + 1):
        event, howmany = yield waitfor(
            "TICK"
        )  # was: yield ("waitfor", "TICK")
        assert event == "TICK" and howmany == i


SPEC = Supervisor(
    "super",
    [
        Worker(f"p{i:04d}", process, args=(5,), restart="temporary")
        for i in range(1, 4)
    ],
)


def still_waited(tree, event):
    """What the old signal returned: does anybody still wait for event?"""
    return any(event in events for events in tree.status().values())


if __name__ == "__main__":
    logger.remove()
    with gensup.start(SPEC) as tree:
        j = 1
        tree.signal("TICK", j)
        while still_waited(tree, "TICK"):
            j += 1
            tree.signal("TICK", j)
    print("Endcount", j)
