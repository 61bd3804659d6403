"""Route an event to one subtree, or to one worker."""

from loguru import logger

import gensup
from gensup import Supervisor, Worker, emit, waitfor


def server(name):
    while True:
        event, version = yield waitfor("DEPLOY")
        print(f"{name}: deploying {version}")


def operator():
    while True:
        event, region, version = yield waitfor("ROLL_OUT")
        yield emit(
            "DEPLOY", version, to=f"root/{region}"
        )  # a worker routes by path too


def region(name, size):
    return Supervisor(
        name,
        [Worker(f"s{i}", server, args=(f"{name}/s{i}",)) for i in range(size)],
    )


SPEC = Supervisor(
    "root", [Worker("operator", operator), region("eu", 2), region("us", 3)]
)

if __name__ == "__main__":
    logger.remove()
    with gensup.start(SPEC) as tree:
        print("reached", tree.signal("DEPLOY", "v2", to="root/eu"))
        print("reached", tree.signal("DEPLOY", "v2.1", to="root/eu/s1"))
        print("reached", tree.signal("ROLL_OUT", "us", "v3"))
