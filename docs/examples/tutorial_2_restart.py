"""Tutorial, step 2: a supervisor restarts a flaky worker."""

import sys

from loguru import logger

import gensup
from gensup import Supervisor, Worker, waitfor


def flaky():
    done = 0
    while True:
        event, job = yield waitfor("JOB")
        done += 1
        print(f"flaky: job {job} (my job number {done})")
        if done == 2:
            raise RuntimeError(f"flaky broke on job {job}")


def steady():
    done = 0
    while True:
        event, job = yield waitfor("JOB")
        done += 1
        print(f"steady: job {job} (my job number {done})")


SPEC = Supervisor(
    "root",
    [Worker("flaky", flaky), Worker("steady", steady)],
    strategy="one_for_one",
    intensity=3,
    period=60,
)

if __name__ == "__main__":
    logger.remove()
    logger.add(
        sys.stdout, level="TRACE", format=lambda record: "{level}: {message}\n"
    )

    with gensup.start(SPEC) as tree:
        for job in (1, 2, 3):
            print(f"-- JOB {job}")
            tree.signal("JOB", job)
        print(tree)
