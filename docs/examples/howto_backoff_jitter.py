"""Jitter spreads restarts out; a seed makes a run repeat exactly."""

from loguru import logger

import gensup
from gensup import Backoff, Supervisor, VirtualClock, Worker, sleep
from gensup.reports import Started


def unlucky():
    yield sleep(0.5)
    raise ConnectionError("lost the service")


SPEC = Supervisor(
    "root",
    [Worker("w", unlucky, backoff=Backoff(1, 30, jitter=0.2))],
    intensity=3,
    period=10,
)


def restarts(seed):
    """The times of the restarts in the first minute of a run."""
    clock = VirtualClock()
    times = []

    def note(report):
        if report == Started("root/w"):
            times.append(round(clock.now(), 2))

    with gensup.start(SPEC, clock=clock, seed=seed, observer=note):
        clock.advance(60)
    return times[1:]  # the first start is not a restart


if __name__ == "__main__":
    logger.remove()
    print("seed=1:", restarts(1))
    print("seed=1:", restarts(1))
    print("seed=2:", restarts(2))
