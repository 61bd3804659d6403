"""Failures no call could raise come out of wait_stopped(), or the block."""

import anyio
from loguru import logger

import gensup.aio
from gensup import Supervisor, SupervisorGaveUp, Worker, sleep, waitfor


def unlucky():
    yield sleep(0.01)  # the crash comes from a timer, not from a call of ours
    raise ConnectionError("lost the database")


def idle():
    yield waitfor("NEVER")


async def broken_source():
    yield ("PING",)
    raise OSError("the socket broke")


async def watched():
    spec = Supervisor("root", [Worker("unlucky", unlucky)], intensity=2)
    async with gensup.aio.start(spec) as tree:
        try:
            await tree.wait_stopped()
        except SupervisorGaveUp as error:
            print(f"wait_stopped raised SupervisorGaveUp: {error}")


async def unwatched():
    spec = Supervisor("root", [Worker("unlucky", unlucky)], intensity=2)
    try:
        async with gensup.aio.start(spec):
            await anyio.sleep(0.5)  # long enough for three crashes
    except SupervisorGaveUp:
        print("leaving the block raised SupervisorGaveUp")


async def failed_feed():
    spec = Supervisor("root", [Worker("w", idle)])
    async with gensup.aio.start(spec) as tree:
        tree.feed(broken_source())
        try:
            await tree.wait_stopped()
        except OSError as error:
            print(f"wait_stopped raised {error!r}; alive: {tree.alive}")


if __name__ == "__main__":
    logger.remove()
    for scenario in (watched, unwatched, failed_feed):
        anyio.run(scenario)
