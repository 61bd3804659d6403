"""A timer belongs to one incarnation: a restart never inherits it."""

from loguru import logger

import gensup
from gensup import Supervisor, VirtualClock, Worker, waitfor

clock = VirtualClock()


def session():
    """Logs out after 10 s without a KEY; crashes on BAD."""
    started = clock.now()
    while True:
        event, *args = yield waitfor("KEY", "BAD", timeout=10)
        if event == "BAD":
            raise ValueError("bad input")
        if event != "KEY":
            now = clock.now()
            print(f"t={now:2.0f}  timed out (started at t={started:.0f})")
            return


SPEC = Supervisor("root", [Worker("session", session, restart="transient")])

if __name__ == "__main__":
    logger.remove()
    tree = gensup.start(SPEC, clock=clock)
    clock.advance(4)
    tree.signal("BAD")  # crash at t=4: the restarted session waits from t=4
    print("next timer due at", tree.next_deadline())
    clock.advance(20)  # nothing fires at t=10, the old incarnation's deadline
