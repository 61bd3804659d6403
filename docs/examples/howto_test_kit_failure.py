"""What check_supervision says when an invariant breaks.

gensup keeps its invariants, so to show a failure this breaks gensup on
purpose: its one_for_all restarts now restart only the child that ended.
"""

from loguru import logger

import gensup._core
from gensup import Supervisor, Worker, waitfor
from gensup.testing import check_supervision


def idle():
    while True:
        yield waitfor("PING")


# The sabotage: every strategy behaves as one_for_one.
gensup._core.restart_group = lambda strategy, children, failed: [failed]

logger.remove()
spec = Supervisor(
    "root",
    [Worker("a", idle), Worker("b", idle), Worker("c", idle)],
    strategy="one_for_all",
    intensity=3,
)
try:
    check_supervision(spec, max_examples=100, seed=1)
except AssertionError as exc:
    print(exc)
