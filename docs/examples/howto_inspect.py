"""Look inside a running tree: statistics, explain, dead letters."""

from loguru import logger

import gensup
from gensup import Supervisor, VirtualClock, Worker, sleep, waitfor

logger.remove()  # this page shows what the tree returns, not its log


def parser():
    while True:
        _, line = yield waitfor("LINE")
        if not line:
            raise ValueError("empty line")


def flusher():
    while True:
        yield waitfor("FLUSH", "SHUTDOWN")


def ticker():
    while True:
        yield sleep(60)


spec = Supervisor(
    "root",
    [
        Worker("parser", parser),
        Supervisor(
            "out", [Worker("flusher", flusher), Worker("ticker", ticker)]
        ),
    ],
    intensity=5,
)
clock = VirtualClock()
with gensup.start(spec, clock=clock) as tree:
    clock.advance(2)
    tree.signal("LINE", "")  # the parser crashes and is restarted
    tree.signal("SAVE", to="root/out")  # nobody waits for SAVE: dropped

    stats = tree.statistics()
    parser_stats = stats["root/parser"]
    print("delivered", stats.delivered, "dropped", stats.dropped)
    print(
        "parser:",
        parser_stats.incarnation,
        parser_stats.restarts,
        parser_stats.last_crash,
    )
    print("out dropped:", stats["root/out"].dropped)
    print()
    print(tree.explain("FLUSH"))
    print()
    print(tree.explain())
    print()
    print(tree.dead_letters())
