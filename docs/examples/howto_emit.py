"""Emit events from a worker: queued, then delivered in order."""

from loguru import logger

import gensup
from gensup import Supervisor, Worker, emit, waitfor


def producer():
    while True:
        event, count = yield waitfor("START")
        for item in range(1, count + 1):
            yield emit("ITEM", item)  # the worker carries on at once
        yield emit(
            "END", to="root/sink"
        )  # only the subtree (here: one worker) at this path
        yield emit("DONE")  # nobody waits for DONE: it is dropped, and counted
        print(f"producer: emitted {count} items, END and DONE")


def consumer(name):
    while True:
        event, item = yield waitfor("ITEM")
        print(f"{name}: item {item}")


def sink():
    yield waitfor("END")
    print("sink: END")


SPEC = Supervisor(
    "root",
    [
        Worker("producer", producer),
        Worker("c1", consumer, args=("c1",)),
        Worker("c2", consumer, args=("c2",)),
        Worker("sink", sink, restart="temporary"),
    ],
)

if __name__ == "__main__":
    logger.remove()
    with gensup.start(SPEC) as tree:
        print("START reached", tree.signal("START", 2))
        print("dropped so far:", tree.dropped)
