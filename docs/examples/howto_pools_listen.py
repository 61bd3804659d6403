"""Listeners: the outside world hears what the tree says."""

from loguru import logger

import gensup
from gensup import Supervisor, Worker, emit, waitfor


def squarer():
    while True:
        event, n = yield waitfor("WORK")
        yield emit("RESULT", n, n * n)


SPEC = Supervisor("root", [Worker("squarer", squarer)])

if __name__ == "__main__":
    logger.remove()
    results = {}
    with gensup.start(SPEC) as tree:
        listener = tree.listen(
            "RESULT", lambda message: results.update([message[1:]])
        )
        for n in (2, 3):
            tree.signal("WORK", n)
        listener.cancel()
        tree.signal("WORK", 4)  # nobody hears RESULT now: it is dropped
        print("results:", results, "dropped:", tree.dropped)
