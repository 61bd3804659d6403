"""crash_at: crash a worker at a chosen yield, mid-way through a transfer."""

from loguru import logger

import gensup
from gensup import Supervisor, Worker, emit, waitfor
from gensup.testing import Recorder, crash_at


def teller():
    while True:
        _, amount = yield waitfor("TRANSFER")
        yield emit("DEBIT", amount)  # 1st yield after the wait
        try:
            yield waitfor("DEBITED")  # 2nd: crash here, the money is half-way
            yield emit("CREDIT", amount)
        finally:
            print("teller: cleaning up after", amount)


def bank():
    while True:
        _, amount = yield waitfor("DEBIT")
        yield emit("DEBITED")


SPEC = Supervisor("root", [Worker("teller", teller), Worker("bank", bank)])

if __name__ == "__main__":
    logger.remove()
    seen = Recorder()
    with gensup.start(SPEC, observer=seen) as tree:
        seen.clear()
        crash_at(tree, "root/teller", 2, ConnectionError("link lost"))
        tree.signal("TRANSFER", 100)
        print(*seen.lines(), sep="\n")
        print(tree.statistics()["root/teller"].last_crash.message)
