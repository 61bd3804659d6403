"""Test a worker that calls, with no event loop: settle its calls by hand."""

from loguru import logger

import gensup
from gensup import Supervisor, VirtualClock, Worker, call


async def fetch(path):
    raise AssertionError("never awaited here: the test plays the network")


def crawler():
    page = yield call(fetch, "/")
    print(f"crawler: / is {page!r}")
    try:
        yield call(fetch, "/missing")
    except LookupError as error:
        print(f"crawler: {error}")
    try:
        yield call(fetch, "/about", timeout=5)
    except TimeoutError:
        print("crawler: /about took too long")


SPEC = Supervisor("root", [Worker("crawler", crawler, restart="temporary")])

if __name__ == "__main__":
    logger.remove()
    clock = VirtualClock()
    with gensup.start(SPEC, clock=clock) as tree:
        (pending,) = tree.pending_calls()
        print(f"pending: {pending.path} {pending.fn.__name__}{pending.args}")
        tree.complete_call(pending, "welcome")
        (pending,) = tree.pending_calls()
        tree.fail_call(pending, LookupError("404 /missing"))
        (pending,) = tree.pending_calls()
        print(f"pending: {pending.args}, timeout {pending.timeout} s")
        clock.advance(5)  # the call's timeout fires: TimeoutError
        print(f"pending: {tree.pending_calls()}")
        print(f"late result accepted: {tree.complete_call(pending, 'late')}")
