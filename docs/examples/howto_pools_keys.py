"""Sessions by user key: a user's messages all reach the same worker."""

from loguru import logger

import gensup
from gensup import Supervisor, Worker, waitfor, whoami


def session():
    path, incarnation = yield whoami()
    seen = {}
    while True:
        event, user, text = yield waitfor("MSG")
        seen[user] = seen.get(user, 0) + 1
        n = seen[user]
        print(f"{path} #{incarnation}: {user} says {text!r} (message {n})")
        if text == "crash":
            raise RuntimeError("bad message")


SPEC = Supervisor(
    "root",
    [
        Supervisor(
            "sessions",
            [Worker(f"s{i}", session) for i in range(3)],
            intensity=3,
        )
    ],
)

MESSAGES = [
    ("ann", "hi"),
    ("cy", "hello"),
    ("dee", "hey"),
    ("ann", "crash"),
    ("ann", "back"),
    ("cy", "bye"),
]

if __name__ == "__main__":
    logger.remove()
    with gensup.start(SPEC) as tree:
        for user, text in MESSAGES:
            tree.signal("MSG", user, text, to="root/sessions", key=user)
