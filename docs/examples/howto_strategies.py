"""The three restart strategies, side by side: b crashes under each."""

from loguru import logger

import gensup
from gensup import Supervisor, Worker, waitfor
from gensup.testing import Recorder


def worker(name):
    while True:
        event, target = yield waitfor("CRASH")
        if target == name:
            raise RuntimeError(f"{name} crashed")


def children():
    return [Worker(name, worker, args=(name,)) for name in ("a", "b", "c")]


if __name__ == "__main__":
    logger.remove()
    for strategy in ("one_for_one", "one_for_all", "rest_for_one"):
        spec = Supervisor("root", children(), strategy=strategy)
        recorder = Recorder()
        with gensup.start(spec, observer=recorder) as tree:
            recorder.clear()
            tree.signal("CRASH", "b")
            print(f"{strategy}:")
            for line in recorder.lines():
                print(f"    {line}")
