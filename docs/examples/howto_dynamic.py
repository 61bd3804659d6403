"""Add and remove children at run time: OTP's dynamic supervisor API."""

from loguru import logger

import gensup
from gensup import (
    ChildAlreadyStarted,
    ChildRunning,
    StartFailed,
    Supervisor,
    Worker,
    waitfor,
)


def connection(user):
    try:
        while True:
            yield waitfor("MESSAGE")
    finally:
        print(f"  {user}: connection closed")


def broken():
    raise ConnectionError("no database")
    yield


def show(tree):
    for info in tree.which_children("root/clients"):
        kind, state = f"{info.kind} {info.restart}", info.state
        print(f"  {info.id}: {kind} {state} #{info.incarnation}")
    print(f"  {tree.count_children('root/clients')}")


SPEC = Supervisor("root", [Supervisor("clients", [])])

if __name__ == "__main__":
    logger.remove()
    with gensup.start(SPEC) as tree:
        print("start_child alice and bob:")
        tree.start_child(
            "root/clients", Worker("alice", connection, args=("alice",))
        )
        tree.start_child(
            "root/clients",
            Worker("bob", connection, args=("bob",), restart="temporary"),
        )
        show(tree)

        print("start_child alice again:")
        try:
            tree.start_child(
                "root/clients", Worker("alice", connection, args=("alice",))
            )
        except ChildAlreadyStarted as error:
            print(f"  ChildAlreadyStarted: {error}")

        print("terminate_child alice and bob (bob is temporary: removed):")
        tree.terminate_child("root/clients/alice")
        tree.terminate_child("root/clients/bob")
        show(tree)

        print("restart_child alice:")
        tree.restart_child("root/clients/alice")
        show(tree)

        print("delete_child alice while it runs:")
        try:
            tree.delete_child("root/clients/alice")
        except ChildRunning as error:
            print(f"  ChildRunning: {error}")

        print("start_child a worker that fails to start:")
        try:
            tree.start_child("root/clients", Worker("db", broken))
        except StartFailed as error:
            print(f"  StartFailed: {error} (cause: {error.__cause__!r})")
        show(tree)
        print("stop:")
