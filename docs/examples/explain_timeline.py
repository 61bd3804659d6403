"""How restarts are counted: one supervisor's intensity window."""

import contextlib

from loguru import logger

import gensup
from gensup import Supervisor, SupervisorGaveUp, VirtualClock, Worker, waitfor
from gensup.testing import Recorder

INTENSITY, PERIOD = 3, 10
CRASHES = (0, 4, 8, 11, 14)


def fragile():
    yield waitfor("CRASH")
    raise RuntimeError("crashed")


SPEC = Supervisor(
    "root", [Worker("w", fragile)], intensity=INTENSITY, period=PERIOD
)

if __name__ == "__main__":
    logger.remove()
    clock, recorder = VirtualClock(), Recorder()
    tree = gensup.start(SPEC, clock=clock, observer=recorder)
    restarts = []  # the times of the restarts gensup made
    print(f"intensity={INTENSITY}, period={PERIOD}")
    print(" t | restarts that still count      | decision")
    for t in CRASHES:
        clock.advance(t - clock.now())
        recorder.clear()
        with contextlib.suppress(SupervisorGaveUp):
            tree.signal("CRASH")
        counted = [r for r in restarts if t - r <= PERIOD] + [t]
        # The rule, written out: this restart, and those with now - t <= period
        assert bool(recorder.gave_up()) == (len(counted) > INTENSITY)
        if recorder.gave_up():
            decision = f"{len(counted)} > {INTENSITY}: give up"
        else:
            assert recorder.starts("root/w") == 1
            restarts.append(t)
            decision = f"{len(counted)} <= {INTENSITY}: restart"
        print(f"{t:2} | {counted!s:30} | {decision}")
    print("alive:", tree.alive)
