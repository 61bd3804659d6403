import sys

from loguru import logger

import gensup
from gensup import Supervisor, Worker, waitfor


def greeter(greeting):
    while True:
        # Wait until someone signals HELLO; resumed with ("HELLO", name).
        event, name = yield waitfor("HELLO")
        if not name:
            raise ValueError("nobody to greet")  # a crash: we are restarted
        print(f"{greeting}, {name}!")


SPEC = Supervisor(
    "root",
    [
        Worker("en", greeter, args=("Hello",)),
        Worker("fr", greeter, args=("Bonjour",)),
    ],
    strategy="one_for_one",
    intensity=3,
)

if __name__ == "__main__":
    # gensup logs through loguru: show its errors, one short line each.
    logger.remove()
    logger.add(
        sys.stdout, level="ERROR", format=lambda r: "{level}: {message}\n"
    )
    with gensup.start(SPEC) as tree:
        tree.signal("HELLO", "world")
        tree.signal("HELLO", "")  # both workers crash; both are restarted
        tree.signal("HELLO", "again")
        print(tree)
