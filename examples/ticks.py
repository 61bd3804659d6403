"""The seed's test driver, on gensup.

The Lua dispatcher that gensup grew out of ends with this driver: introduce
NPROCESS processes that each wait for ``TICK`` NREPS times, signal ``TICK``
until nobody waits any more, log the (empty) status and the end count.

    python examples/ticks.py [NPROCESS [NREPS]]      # defaults: 10 12

prints, as the seed does, ``Endcount 12`` for the defaults.
"""

from __future__ import annotations

import sys

from loguru import logger

import gensup
from gensup import Supervisor, Tree, Worker, WorkerGen, waitfor


def process(n: int) -> WorkerGen:
    """Wait for TICK n times, checking that the ticks come in order."""
    for i in range(1, n + 1):
        event, howmany = yield waitfor("TICK")
        assert event == "TICK"
        assert howmany == i


def still_waited(tree: Tree, event: str) -> bool:
    """What the seed's ``signal`` returned: does anybody still wait for ``event``?"""
    return any(event in waits for waits in tree.status().values())


def main(argv: list[str]) -> int:
    """Run the seed's driver and return the end count."""
    nprocess = int(argv[1]) if len(argv) > 1 else 10
    nreps = int(argv[2]) if len(argv) > 2 else 12

    logger.info("Starting up")
    spec = Supervisor(
        "super",
        [
            Worker(f"p{i:04d}", process, args=(nreps,), restart="temporary")
            for i in range(1, nprocess + 1)
        ],
    )
    with gensup.start(spec) as tree:
        j = 1
        tree.signal("TICK", j)
        while still_waited(tree, "TICK"):
            j += 1
            tree.signal("TICK", j)
        # This should be empty.
        for path, events in sorted(tree.status().items()):
            logger.info("{} is waiting for {}", path, ", ".join(map(str, events)))
        logger.info("Shutting down")
    logger.info("Endcount {}", j)
    return j


if __name__ == "__main__":
    # The seed's LOG: a UTC timestamp and the message, on stderr.  gensup's own
    # progress reports are TRACE records, left out here.
    logger.remove()
    logger.add(
        sys.stderr, level="INFO", format="{time:YYYY-MM-DD HH:mm:ss!UTC} {message}", colorize=False
    )
    main(sys.argv)
