"""Stopping a worker cancels its call; then the worker's finally runs."""

import anyio
from loguru import logger

import gensup.aio
from gensup import Supervisor, Worker, call


async def slow_query():
    try:
        await anyio.sleep_forever()  # a query that takes its time
    except anyio.get_cancelled_exc_class():
        print("  query: cancelled")
        raise  # always let a cancellation through


def reporter():
    try:
        yield call(slow_query)
    finally:
        print("  reporter: finally")


SPEC = Supervisor("root", [Worker("reporter", reporter)])


async def main():
    async with gensup.aio.start(SPEC) as tree:
        await anyio.sleep(0.01)
        print("terminate_child:")
        tree.terminate_child("root/reporter")
        await anyio.sleep(0.01)
        print("restart_child, then leave the block:")
        tree.restart_child("root/reporter")
        await anyio.sleep(0.01)
    print("left the block: no call, no task is left")


if __name__ == "__main__":
    logger.remove()
    anyio.run(main)
