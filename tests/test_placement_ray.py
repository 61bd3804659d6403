"""Placed subtrees in Ray actors (`gensup.ray.Actor`), end to end under gensup.aio.

The same cases as test_placement.py's for `gensup.Process`, on the session's
local Ray (``ray_cluster``): events both ways, a crash handled inside, a
give-up escalated here, ``kill -9`` of the actor's process, and nothing left
behind.  They run under asyncio, and one under trio: the link is made of
threads and knows nothing of the event loop, and test_placement.py runs
the driver's side of placement under both backends.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import pytest

pytest.importorskip("ray")

import gensup
import gensup.aio
import gensup.ray
from gensup import PlacementLost, StartFailed, Supervisor, SupervisorGaveUp, Worker
from gensup.reports import Report, Started, Stopped
from placed_workers import collector, crasher, cruncher, echo
from test_placement import Heard, _dump, incarnation, pid_of, ready, until

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("ray_cluster")]


@pytest.fixture
def anyio_backend() -> object:
    """asyncio, but for one test under trio (see the module's docstring)."""
    return ("asyncio", {"debug": True})


def shard(*children: Worker | Supervisor, **options: Any) -> Supervisor:
    # num_cpus=0: the session's Ray has two CPUs, and a test may hold more actors.
    placement = gensup.ray.Actor(num_cpus=0)
    return Supervisor("shard", list(children), placement=placement, **options)


def gone(pid: int, timeout: float = 20.0) -> bool:
    """Whether process ``pid`` is gone (Ray reaps a killed actor's process soon after)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


# ---- Events in and out ----


async def test_events_cross_both_ways_in_order() -> None:
    """Signals reach the actor's workers in order, and their emits come back here."""
    spec = Supervisor("root", [Worker("col", collector), shard(Worker("e", echo))])
    async with gensup.aio.start(spec) as tree:
        for n in range(5):
            tree.signal("PING", n)
        await until(lambda: len(_dump(tree)) == 5, timeout=60)
        seen = _dump(tree)
    assert [n for n, _pid in seen] == [0, 1, 2, 3, 4]
    assert {pid for _n, pid in seen} != {os.getpid()}


@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_under_trio_too(anyio_backend: object) -> None:
    """The link's threads wake a trio loop as they wake asyncio's."""
    spec = Supervisor("root", [Worker("col", collector), shard(Worker("e", echo))])
    async with gensup.aio.start(spec) as tree:
        assert await tree.deliver("PING", "trio") == 1
        await until(lambda: len(_dump(tree)) == 1, timeout=60)
        assert [n for n, _pid in _dump(tree)] == ["trio"]


async def test_deliver_counts_the_workers_reached_in_the_actor() -> None:
    """An awaited delivery counts the workers it reached inside the actor."""
    spec = Supervisor("root", [Worker("here", echo), shard(Worker("a", echo), Worker("b", echo))])
    async with gensup.aio.start(spec) as tree:
        heard = Heard(tree, "ECHOED")
        await ready(tree, heard, 3)
        assert tree.signal("PING", "x") == 1
        assert await tree.deliver("PING", "y") == 3
        assert await tree.deliver("PING", "z", to="root/shard/b") == 1


async def test_cpu_work_runs_in_the_actor() -> None:
    """A worker's CPU work runs in the actor's process, and its result comes back."""
    spec = Supervisor("root", [shard(Worker("w", cruncher, args=(10,)))])
    async with gensup.aio.start(spec) as tree:
        heard = Heard(tree, "DONE")
        await until(lambda: tree.signal("WORK", "probe") >= 0 and heard.of("DONE"), timeout=60)
        assert heard.of("DONE")[0][0] == "probe"


# ---- Crashes, give-ups and lost actors ----


async def test_a_crash_inside_is_handled_there() -> None:
    """A worker's crash in the actor is restarted there; the parent only hears of it."""
    reports: list[Report] = []
    spec = Supervisor("root", [shard(Worker("c", crasher))])
    async with gensup.aio.start(spec, observer=reports.append) as tree:
        heard = Heard(tree, "PIDIS")
        pid, first = await pid_of(tree, heard, "root/shard/c")
        tree.signal("BOOM", 1, to="root/shard/c")
        await until(
            lambda: any(isinstance(r, Stopped) and r.path == "root/shard/c" for r in reports)
        )
        again, second = await pid_of(tree, heard, "root/shard/c")
        assert (pid, first, second) == (again, 1, 2)
        assert incarnation(tree, "root", "shard") == 1
    crash = next(r for r in reports if isinstance(r, Stopped) and r.path == "root/shard/c")
    assert crash.reason == "crash"
    assert isinstance(crash.exception, ValueError)
    assert f"raised in process {pid}" in "\n".join(crash.exception.__notes__)


async def test_a_give_up_inside_escalates_to_the_parent_which_starts_a_new_actor() -> None:
    """A give-up in the actor stops the subtree; its parent restarts it in a new actor."""
    reports: list[Report] = []
    spec = Supervisor("root", [Worker("col", collector), shard(Worker("c", crasher), intensity=0)])
    async with gensup.aio.start(spec, observer=reports.append) as tree:
        heard = Heard(tree, "PIDIS")
        pid, _ = await pid_of(tree, heard, "root/shard/c")
        tree.signal("BOOM", to="root/shard/c")
        await until(lambda: incarnation(tree, "root", "shard") == 2, timeout=60)
        new_pid, inc = await pid_of(tree, heard, "root/shard/c")
        assert new_pid != pid
        assert inc == 1
        assert incarnation(tree, "root", "col") == 1
    paths = [(type(r).__name__, r.path) for r in reports if not isinstance(r, Started)]
    gave_up = paths.index(("GaveUp", "root/shard"))
    assert paths[gave_up + 1] == ("Stopped", "root/shard")
    assert gone(pid)


@pytest.mark.parametrize(
    ("strategy", "sibling_incarnation"), [("one_for_one", 1), ("one_for_all", 2)]
)
async def test_kill_9_of_the_actor_s_process_is_a_crash_of_the_placed_supervisor(
    strategy: str, sibling_incarnation: int
) -> None:
    """SIGKILL of the actor's process crashes the placed supervisor here; its parent restarts
    it (and its siblings, under one_for_all) in a new actor, never Ray."""
    reports: list[Report] = []
    spec = Supervisor(
        "root",
        [Worker("col", collector), shard(Worker("c", crasher))],
        strategy=strategy,
        intensity=3,
    )
    async with gensup.aio.start(spec, observer=reports.append) as tree:
        heard = Heard(tree, "PIDIS")
        pid, _ = await pid_of(tree, heard, "root/shard/c")
        os.kill(pid, signal.SIGKILL)
        await until(lambda: incarnation(tree, "root", "shard") == 2, timeout=60)
        new_pid, _ = await pid_of(tree, heard, "root/shard/c")
        assert new_pid != pid
        assert incarnation(tree, "root", "col") == sibling_incarnation
    lost = next(r for r in reports if isinstance(r, Stopped) and r.path == "root/shard")
    assert lost.reason == "crash"
    assert isinstance(lost.exception, PlacementLost)
    assert " died: " in str(lost.exception)
    assert f"(process {pid})" in str(lost.exception)


async def test_a_subtree_that_cannot_start_in_the_actor_crashes_until_the_parent_gives_up() -> None:
    """A subtree whose start fails in the actor crashes here, until its parent gives up."""
    reports: list[Report] = []
    spec = Supervisor("root", [shard(Worker("bad", _fails_to_start))], intensity=1)
    with pytest.raises(SupervisorGaveUp):
        async with gensup.aio.start(spec, observer=reports.append) as tree:
            await tree.wait_stopped()
    crashes = [r for r in reports if isinstance(r, Stopped) and r.path == "root/shard"]
    assert [r.reason for r in crashes] == ["crash", "crash"]
    assert isinstance(crashes[0].exception, StartFailed)


def _fails_to_start():  # importable by name: a module-level function
    raise RuntimeError("no config")
    yield  # pragma: no cover


# ---- Nothing left behind ----


async def test_a_stopped_tree_leaves_no_actor_behind() -> None:
    """Stopping the tree kills every actor it placed a subtree in, and their processes end."""
    spec = Supervisor(
        "root",
        [
            shard(Worker("c", crasher)),
            Supervisor("two", [Worker("c", crasher)], placement=gensup.ray.Actor(num_cpus=0)),
        ],
    )
    pids = []
    async with gensup.aio.start(spec) as tree:
        heard = Heard(tree, "PIDIS")
        pids.append((await pid_of(tree, heard, "root/shard/c"))[0])
        pids.append((await pid_of(tree, heard, "root/two/c"))[0])
    assert len(set(pids)) == 2
    assert os.getpid() not in pids
    for pid in pids:
        assert gone(pid), f"the actor's process {pid} is still there"
