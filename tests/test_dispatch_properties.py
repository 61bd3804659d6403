"""Random pools, backlogs, crashes and one/key signals, against the rules of routing.

A pool of workers takes jobs (one at a time, busy until told DONE); a random
program sends jobs with ``one=True`` or a key (signalled, or emitted by a
worker), finishes and crashes workers,
and restarts the whole pool.  Each job has a unique id, so its fate can be
followed: it must be delivered once or dropped once, never both; jobs sent
without a key go out in the order they were sent; a key always reaches the
same child; and no job held by one run of the pool reaches the next.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import gensup
from gensup import Supervisor, Worker, emit, waitfor
from gensup.testing import Recorder

Gen = Generator[Any, Any, None]

WORKERS = 3
KEYS = st.one_of(st.none(), st.sampled_from(["ann", "bob", "cy", "dee", ("t", 1), 7]))

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("job"), KEYS),
        st.tuples(st.just("emit_job"), KEYS),
        st.tuples(st.just("done"), st.integers(0, WORKERS - 1)),
        st.tuples(st.just("crash"), st.integers(0, WORKERS - 1)),
        st.tuples(st.just("restart_pool"), st.none()),
    ),
    max_size=40,
)


class World:
    """What the workers saw, for the checks."""

    def __init__(self) -> None:
        self.generation = 0
        # (worker name, job id, key) in delivery order.
        self.delivered: list[tuple[str, int, object]] = []
        # Jobs that reached a worker of a later run of the pool than theirs.
        self.stale: list[int] = []


def member(world: World, name: str) -> Gen:
    """Take a job, then be busy until DONE; CRASH crashes it at any time."""
    while True:
        event, *args = yield waitfor("JOB", "CRASH")
        if event == "CRASH":
            raise RuntimeError("crash")
        job, generation, key = args
        if generation != world.generation:
            world.stale.append(job)
        world.delivered.append((name, job, key))
        event, *_ = yield waitfor("DONE", "CRASH")
        if event == "CRASH":
            raise RuntimeError("crash")


def dispatcher() -> Gen:
    """Emit each job it is given into the pool, as signal would send it."""
    while True:
        _, job, generation, key = yield waitfor("DISPATCH")
        if key is None:
            yield emit("JOB", job, generation, key, to="root/pool", one=True)
        else:
            yield emit("JOB", job, generation, key, to="root/pool", key=key)


def spec(world: World, backlog: int) -> Supervisor:
    return Supervisor(
        "root",
        [
            Supervisor(
                "pool",
                [Worker(f"w{i}", member, args=(world, f"w{i}")) for i in range(WORKERS)],
                backlog=backlog,
                intensity=1000,
            ),
            Worker("dispatcher", dispatcher),
        ],
    )


@given(ops=OPS, backlog=st.integers(0, 4))
def test_random_pools(ops: list[tuple[str, Any]], backlog: int) -> None:
    """Every job is delivered once or dropped once; order, keys and runs are kept."""
    world = World()
    recorder = Recorder()
    sent: list[tuple[int, object]] = []
    with gensup.start(spec(world, backlog), observer=recorder) as tree:
        for op, arg in ops:
            if op == "emit_job":
                job = len(sent)
                sent.append((job, arg))
                tree.signal("DISPATCH", job, world.generation, arg, to="root/dispatcher")
            elif op == "job":
                job = len(sent)
                sent.append((job, arg))
                if arg is None:
                    tree.signal("JOB", job, world.generation, arg, to="root/pool", one=True)
                else:
                    tree.signal("JOB", job, world.generation, arg, to="root/pool", key=arg)
            elif op == "done":
                tree.signal("DONE", to=f"root/pool/w{arg}")
            elif op == "crash":
                tree.signal("CRASH", to=f"root/pool/w{arg}")
            else:
                tree.terminate_child("root/pool")
                world.generation += 1
                tree.restart_child("root/pool")
            assert tree.count_children("root/pool").backlog <= backlog
    delivered = [job for _, job, _ in world.delivered]
    dropped = [d.args[0] for d in recorder.dropped() if d.event == "JOB"]
    # Delivered once or dropped once, never both, nothing lost (held jobs are
    # dropped when the tree stops).
    assert len(set(delivered)) == len(delivered)
    assert len(set(dropped)) == len(dropped)
    assert not set(delivered) & set(dropped)
    assert sorted(delivered + dropped) == [job for job, _ in sent]
    # Jobs without a key go out in the order they were sent.
    unkeyed = [job for _, job, key in world.delivered if key is None]
    assert unkeyed == sorted(unkeyed)
    # A key always reaches the same child, across crashes and restarts.
    chosen: dict[object, set[str]] = {}
    for name, _, key in world.delivered:
        if key is not None:
            chosen.setdefault(key, set()).add(name)
    assert all(len(names) == 1 for names in chosen.values())
    # Nothing held by one run of the pool reaches the next.
    assert world.stale == []


@given(ops=OPS)
def test_without_a_backlog_nothing_waits(ops: list[tuple[str, Any]]) -> None:
    """With no backlog, a one-of-N signal reaches a worker at once or is dropped at once."""
    world = World()
    recorder = Recorder()
    with gensup.start(spec(world, 0), observer=recorder) as tree:
        for op, arg in ops:
            if op == "job":
                before = len(recorder.dropped())
                reached = tree.signal(
                    "JOB", len(world.delivered), 0, None, to="root/pool", one=True
                )
                assert (reached == 1) != (len(recorder.dropped()) == before + 1)
            elif op == "done":
                tree.signal("DONE", to=f"root/pool/w{arg}")
            elif op == "crash":
                tree.signal("CRASH", to=f"root/pool/w{arg}")
            assert tree.count_children("root/pool").backlog == 0
