"""Place two shards of a tree in processes of their own."""

import multiprocessing
import os
import signal

import anyio
from loguru import logger

import gensup.aio
from gensup import PlacementLost, Process, Supervisor, Worker, emit, waitfor
from gensup.reports import Started, Stopped


def count_primes(limit):
    """CPU work: the number of primes below `limit`, by a sieve."""
    sieve = bytearray([1]) * limit
    sieve[:2] = b"\0\0"
    for n in range(2, int(limit**0.5) + 1):
        if sieve[n]:
            sieve[n * n :: n] = bytes(len(range(n * n, limit, n)))
    return sum(sieve)


def sieve():
    """Counts the primes below each limit, in whatever process it runs in."""
    while True:
        _, job, limit = yield waitfor("JOB")
        if limit < 0:
            raise ValueError(f"negative limit {limit}")
        primes = count_primes(limit)
        yield emit("RESULT", job, primes, os.getpid(), to="root/tally")


PIDS = {}


def tally():
    """Here, in the program's own process: prints each result."""
    while True:
        _, job, primes, pid = yield waitfor("RESULT")
        PIDS[job] = pid
        where = "this process" if pid == os.getpid() else "another process"
        print(f"tally: job {job}: {primes} primes, computed in {where}")


def shard(name):
    return Supervisor(name, [Worker("sieve", sieve)], placement=Process())


SPEC = Supervisor(
    "root", [Worker("tally", tally), shard("shard1"), shard("shard2")]
)

restarted = None


def observe(report):
    if isinstance(report, Stopped) and report.reason == "crash":
        error = report.exception
        if isinstance(error, PlacementLost):
            how = error.args[0].split()[-1]
            print(f"crash: {report.path}: its process was killed by {how}")
        else:
            print(f"crash: {report.path}: {type(error).__name__}: {error}")
    if report == Started("root/shard1") and restarted is not None:
        restarted.set()


async def main():
    global restarted
    async with gensup.aio.start(SPEC, observer=observe) as tree:
        # `signal` counts the workers it reached in this process: none here.
        reached = tree.signal("JOB", 1, 100_000, to="root/shard1")
        print("signal reached:", reached)
        # `deliver` waits for the placed subtrees' own counts; what a shard
        # sends back comes in the order it was sent.
        reached = await tree.deliver("JOB", 2, 200_000, to="root/shard1")
        print("deliver reached:", reached)
        # A crash inside a shard is handled there, by its own supervisor.
        reached = await tree.deliver("JOB", 3, -1, to="root/shard2")
        print("deliver reached:", reached)
        # A lost process is the crash of the placed supervisor: its parent
        # starts the shard again, in a new process.
        print("killing the process of job 1")
        restarted = anyio.Event()
        os.kill(PIDS[1], signal.SIGKILL)
        await restarted.wait()
        reached = await tree.deliver("JOB", 4, 100_000, to="root/shard1")
        print("deliver reached:", reached)
        print("job 4 ran in a new process:", PIDS[4] != PIDS[1])
        shard1 = tree.which_children("root")[1]
        print("shard1's incarnation:", shard1.incarnation)
    # Leaving the block stops the tree and both processes with it.
    print("processes left:", len(multiprocessing.active_children()))


if __name__ == "__main__":  # needed: each process imports this file again
    logger.remove()  # the observer prints what this example shows
    anyio.run(main)
