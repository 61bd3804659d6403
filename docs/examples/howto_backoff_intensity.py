"""A crash loop with and without backoff, under the same intensity."""

from loguru import logger

import gensup
from gensup import (
    Backoff,
    Supervisor,
    SupervisorGaveUp,
    VirtualClock,
    Worker,
    sleep,
)
from gensup.reports import Started


def unlucky():
    """Runs half a second, then fails: for ever."""
    yield sleep(0.5)
    raise ConnectionError("lost the service")


def run(backoff):
    spec = Supervisor(
        "root",
        [Worker("w", unlucky, backoff=backoff)],
        intensity=3,
        period=10,
    )
    clock = VirtualClock()
    restarts = []

    def note(report):
        if report == Started("root/w"):
            restarts.append(clock.now())

    tree = gensup.start(spec, clock=clock, observer=note)
    restarts.clear()  # the first start is not a restart
    try:
        clock.advance(120)
    except SupervisorGaveUp:
        outcome = f"gave up at t={clock.now()}"
    else:
        outcome = f"still alive at t={clock.now():.0f}"
        tree.stop()
    print(f"backoff={backoff}, intensity=3, period=10:")
    print(f"  restarts at t={restarts}")
    print(f"  {outcome}")


if __name__ == "__main__":
    logger.remove()
    run(None)
    run(Backoff(1, 30))
    run(Backoff(0.5, 1))
