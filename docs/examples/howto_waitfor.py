"""Wait for one of several events, and tell them apart."""

from loguru import logger

import gensup
from gensup import Supervisor, Worker, waitfor


def account(balance):
    while True:
        event, *args = yield waitfor("DEPOSIT", "WITHDRAW", "CLOSE")
        match event:
            case "DEPOSIT":
                balance += args[0]
            case "WITHDRAW":
                balance -= args[0]
            case "CLOSE":
                print(f"closed with {balance}")
                return  # a normal exit: a transient worker is not restarted
        print(f"{event} {args[0]}: balance {balance}")


SPEC = Supervisor(
    "bank", [Worker("acct", account, args=(100,), restart="transient")]
)

if __name__ == "__main__":
    logger.remove()
    with gensup.start(SPEC) as tree:
        print(tree.status())
        tree.signal("DEPOSIT", 50)
        tree.signal("WITHDRAW", 30)
        tree.signal("CLOSE")
        print(tree.status())
