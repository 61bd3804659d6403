"""Tutorial, step 4: signal an event to a subtree, or to one worker."""

import sys

from loguru import logger

import gensup
from gensup import ChildNotFound, Supervisor, Worker, emit, waitfor


def pinger(name):
    while True:
        event, *args = yield waitfor("PING")
        print(f"{name}: PING {args}")


def reloader():
    while True:
        yield waitfor("RELOAD")
        print("reloader: reloading the pool")
        yield emit("PING", "reload", to="root/pool")  # emit into a subtree


SPEC = Supervisor(
    "root",
    [
        Worker("front", pinger, args=("front",)),
        Worker("reloader", reloader),
        Supervisor(
            "pool",
            [
                Worker("db", pinger, args=("db",)),
                Worker("cache", pinger, args=("cache",)),
            ],
        ),
    ],
)

if __name__ == "__main__":
    logger.remove()
    logger.add(
        sys.stdout, level="INFO", format=lambda record: "{level}: {message}\n"
    )

    with gensup.start(SPEC) as tree:
        print("reached:", tree.signal("PING", 1))
        print("reached:", tree.signal("PING", 2, to="root/pool"))
        print("reached:", tree.signal("PING", 3, to="root/pool/cache"))
        print("reached:", tree.signal("RELOAD"))
        print("reached:", tree.signal("PING", 4, to="root/reloader"))
        try:
            tree.signal("PING", 5, to="root/nowhere")
        except ChildNotFound as error:
            print(f"ChildNotFound: {error}")
