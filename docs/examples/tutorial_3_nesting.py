"""Tutorial, step 3: a child supervisor restarts its workers as a group."""

import sys

from loguru import logger

import gensup
from gensup import Supervisor, Worker, emit, render, waitfor


def db():
    while True:
        event, query = yield waitfor("QUERY")
        if query == "poison":
            raise ValueError("poisoned query")
        yield emit(
            "ANSWER", query.upper()
        )  # publish an event; continue at once


def cache():
    answers = []
    try:
        while True:
            event, answer = yield waitfor("ANSWER")
            answers.append(answer)
            print(f"cache: {answers}")
    finally:
        print(f"cache: closing, {len(answers)} answer(s) lost")


def flaky():  # from step 2
    done = 0
    while True:
        event, job = yield waitfor("JOB")
        done += 1
        print(f"flaky: job {job} (my job number {done})")
        if done == 2:
            raise RuntimeError(f"flaky broke on job {job}")


SPEC = Supervisor(
    "root",
    [
        Worker("flaky", flaky),
        Supervisor(
            "pool",
            [Worker("db", db), Worker("cache", cache)],
            strategy="one_for_all",
            intensity=2,
            period=60,
        ),
    ],
    strategy="one_for_one",
    intensity=3,
    period=60,
)

if __name__ == "__main__":
    logger.remove()
    logger.add(
        sys.stdout, level="TRACE", format=lambda record: "{level}: {message}\n"
    )

    print(render.text(SPEC))
    with gensup.start(SPEC) as tree:
        print("-- two queries")
        tree.signal("QUERY", "apples")
        tree.signal("QUERY", "pears")
        print("-- a poisoned query")
        tree.signal("QUERY", "poison")
        print(render.text(tree))
        print("-- stop")
