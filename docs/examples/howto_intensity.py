"""Intensity and period: which crash schedules a supervisor survives."""

from loguru import logger

import gensup
from gensup import Supervisor, SupervisorGaveUp, VirtualClock, Worker, waitfor


def fragile():
    yield waitfor("CRASH")
    raise RuntimeError("crashed")


def survives(intensity, period, crashes):
    """Crash the worker at each time in `crashes`; say if the root gave up."""
    spec = Supervisor(
        "root", [Worker("w", fragile)], intensity=intensity, period=period
    )
    clock = VirtualClock()
    tree = gensup.start(spec, clock=clock)
    for t in crashes:
        clock.advance(t - clock.now())
        try:
            tree.signal("CRASH")
        except SupervisorGaveUp:
            return f"gives up at t={t}"
    tree.stop()
    return "survives"


if __name__ == "__main__":
    logger.remove()
    for intensity, period, crashes in [
        (1, 5, [0, 10, 20, 30]),  # OTP's default: 1 restart in 5 s
        (1, 5, [0, 3]),
        (1, 5, [0, 5]),  # a restart exactly `period` old still counts
        (1, 5, [0, 5.5]),
        (0, 5, [0]),  # intensity 0: no restarts at all
        (3, 60, [0, 1, 2, 3]),
        (3, 0.5, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),  # a period may be a float
    ]:
        print(
            f"intensity={intensity}, period={period}, crashes at {crashes}: ",
            end="",
        )
        print(survives(intensity, period, crashes))
