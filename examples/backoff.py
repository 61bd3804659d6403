"""Restart backoff: a client that keeps failing to reach its service.

The client connects to a service when it starts, then pings it every 2
seconds; when the service does not answer, the client crashes.  The service
is down from t=5 to t=60: a simulated outage on a virtual clock, so the run is
the same every time, and its 100 seconds take no time at all.

    root  (one_for_one, at most 3 restarts in 10 s)
    └── client   restarted after 1, 2, 4, 8, 16, 30, 30 ... seconds

While the service is down, each restart fails to connect: a failed start,
whose retry waits for the next, longer delay.  Intensity counts each restart
when it is attempted, so the spread-out attempts never make ``root`` give up,
and the first attempt after the outage (t=67) brings the client back.
Without the backoff the client is restarted at once, fails at once, again
and again, and ``root`` gives up at t=6, as an OTP supervisor would.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import attrs
from loguru import logger

import gensup
from gensup import Backoff, Supervisor, SupervisorGaveUp, VirtualClock, Worker, sleep
from gensup.reports import Report, Started, Stopped

OUTAGE = (5.0, 60.0)  # the service is down from t=5 to t=60


@attrs.define
class Service:
    """A stand-in for a remote service, down during its outage."""

    clock: VirtualClock

    def up(self) -> bool:
        return not OUTAGE[0] <= self.clock.now() < OUTAGE[1]

    def connect(self) -> None:
        if not self.up():
            raise ConnectionRefusedError("connection refused")

    def ping(self) -> None:
        if not self.up():
            raise ConnectionResetError("no answer to ping")


def client(service: Service) -> Generator[Any, Any, None]:
    """Connect (a refusal fails the start), then ping every 2 seconds."""
    service.connect()
    while True:
        yield sleep(2)
        service.ping()


def spec(service: Service, backoff: Backoff | None) -> Supervisor:
    return Supervisor(
        "root",
        [Worker("client", client, args=(service,), backoff=backoff)],
        intensity=3,
        period=10,
    )


def with_backoff() -> None:
    """The story, one line for each start and end of the client."""
    clock = VirtualClock()
    ended = 0.0

    def show(report: Report) -> None:
        """The observer: when each attempt starts and ends, and the delay before it."""
        nonlocal ended
        now = clock.now()
        if isinstance(report, Started) and report.path == "root/client":
            if now == 0:
                print(f"t={now:5.1f}  client starts")
            else:
                print(f"t={now:5.1f}  client restarts, {now - ended:4.1f} s after its crash")
        elif isinstance(report, Stopped) and report.reason == "crash":
            ended = now
            print(f"t={now:5.1f}  client crashed: {report.exception}")

    tree = gensup.start(spec(Service(clock), Backoff(1, 30)), clock=clock, observer=show)
    clock.advance(100)
    print(f"t={clock.now():5.1f}  the tree:")
    print(tree)
    tree.stop()


def without_backoff() -> None:
    """The same outage, with restarts at once, as in OTP."""
    clock = VirtualClock()
    tree = gensup.start(spec(Service(clock), None), clock=clock)
    try:
        clock.advance(100)
    except SupervisorGaveUp:
        print(f"t={clock.now():5.1f}  root gave up; tree alive: {tree.alive}")


if __name__ == "__main__":
    # The observer tells the story; loguru's crash reports are not needed here.
    logger.remove()
    print(f"The service is down from t={OUTAGE[0]:.0f} to t={OUTAGE[1]:.0f}.")
    print("\nWith Backoff(1, 30):")
    with_backoff()
    print("\nWithout a backoff:")
    without_backoff()
