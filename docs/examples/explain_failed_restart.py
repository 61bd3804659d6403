"""A restart that fails is retried at once, and every attempt counts."""

from loguru import logger

import gensup
from gensup import Supervisor, SupervisorGaveUp, Worker, waitfor
from gensup.testing import Recorder

database_up = True


def client():
    if not database_up:
        raise ConnectionError("database down")  # fails before its first yield
    yield waitfor("QUERY")
    raise ConnectionError("lost the database")


SPEC = Supervisor("root", [Worker("client", client)], intensity=3, period=60)

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
