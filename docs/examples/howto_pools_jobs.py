"""A job pool: each job to the longest idle worker; a backlog for the rest."""

from loguru import logger

import gensup
from gensup import Supervisor, Worker, waitfor


def fetcher(name):
    while True:
        event, job = yield waitfor("JOB")
        print(f"{name}: starts {job}")
        yield waitfor("DONE")  # busy until its job is done
        print(f"{name}: done with {job}")


SPEC = Supervisor(
    "root",
    [
        Supervisor(
            "pool",
            [Worker(f"f{i}", fetcher, args=(f"f{i}",)) for i in (1, 2)],
            backlog=2,  # keep up to two jobs while every fetcher is busy
        )
    ],
)

if __name__ == "__main__":
    logger.remove()
    with gensup.start(SPEC) as tree:
        for job in ("a", "b", "c", "d", "e"):
            reached = tree.signal("JOB", job, to="root/pool", one=True)
            print(f"JOB {job}: reached {reached}")
        print(
            "held:",
            tree.count_children("root/pool").backlog,
            "dropped:",
            tree.dropped,
        )
        tree.signal("DONE", to="root/pool/f1")
        print("held:", tree.count_children("root/pool").backlog)
