"""A failed restart is retried behind what is queued; every attempt counts."""

from loguru import logger

import gensup
from gensup import Supervisor, SupervisorGaveUp, Worker, waitfor
from gensup.testing import Recorder

database_up = True


def client():
    if not database_up:  # fails before its first waitfor
        raise ConnectionError("database down")
    yield waitfor("QUERY")
    raise ConnectionError("lost the database")


def cache():
    yield waitfor("QUERY")  # starts without the database
    raise ConnectionError("lost the database")


SPEC = Supervisor(
    "root",
    [Worker("client", client), Worker("cache", cache)],
    intensity=3,
    period=60,
)

if __name__ == "__main__":
    logger.remove()
    recorder = Recorder()
    tree = gensup.start(SPEC, observer=recorder)
    recorder.clear()
    database_up = False
    try:
        tree.signal("QUERY")
    except SupervisorGaveUp as error:
        print(f"SupervisorGaveUp: {error}")
    for line in recorder.lines():
        print(line)
