"""Placed subtrees in real processes (`gensup.Process`), under asyncio and trio.

Each test starts real processes, so each waits for a condition (`until`)
with a bound, never a fixed sleep.  The workers are in `placed_workers`, so
that the far end can import them by name.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gensup
import gensup.aio
from gensup import (
    InvalidSpec,
    PlacementLost,
    Process,
    StartFailed,
    Supervisor,
    SupervisorGaveUp,
    Worker,
    emit,
    waitfor,
)
from gensup.reports import Dropped, Report, Started, Stopped
from placed_workers import collector, crasher, cruncher, echo, gated, tagged_echo

pytestmark = pytest.mark.anyio


async def until(predicate: Callable[[], object], timeout: float = 20.0) -> None:
    """Wait until ``predicate()`` is true (a process takes a while to start)."""
    with anyio.fail_after(timeout):
        while not predicate():
            await anyio.sleep(0.005)


def shard(*children: Worker | Supervisor, **options: Any) -> Supervisor:
    return Supervisor("shard", list(children), placement=Process(), **options)


class Heard:
    """A listener's log of (event, *args)."""

    def __init__(self, tree: gensup.aio.AsyncTree, *events: str) -> None:
        self.items: list[tuple[Any, ...]] = []
        for event in events:
            tree.tree.listen(event, self.items.append)

    def of(self, event: str) -> list[tuple[Any, ...]]:
        return [item[1:] for item in self.items if item[0] == event]


def incarnation(tree: gensup.aio.AsyncTree, sup: str, child: str) -> int:
    return next(c.incarnation for c in tree.which_children(sup) if c.id == child)


async def pid_of(tree: gensup.aio.AsyncTree, heard: Heard, path: str) -> tuple[int, int]:
    """The process id and incarnation of the crasher at ``path``, asked by a signal."""
    before = len(heard.of("PIDIS"))
    tree.signal("PID", to=path)
    await until(lambda: len(heard.of("PIDIS")) > before)
    _, pid, inc = heard.of("PIDIS")[-1]
    return pid, inc


# ---- Events in and out ----


async def test_events_cross_both_ways_and_come_back_as_if_emitted_here() -> None:
    spec = Supervisor("root", [Worker("col", collector), shard(Worker("e", echo))])
    async with gensup.aio.start(spec) as tree:
        for n in range(5):
            tree.signal("PING", n)
        await until(lambda: len(_dump(tree)) == 5)
        seen = _dump(tree)
    # In order, from the other process.
    assert [n for n, _pid in seen] == [0, 1, 2, 3, 4]
    assert {pid for _n, pid in seen} != {os.getpid()}


def _dump(tree: gensup.aio.AsyncTree) -> tuple[Any, ...]:
    box: list[tuple[Any, ...]] = []
    listener = tree.tree.listen("DUMPED", box.append)
    tree.signal("DUMP")
    listener.cancel()
    return box[0][1] if box else ()


async def test_deliver_counts_the_workers_reached_in_the_placed_subtree() -> None:
    spec = Supervisor("root", [Worker("here", echo), shard(Worker("a", echo), Worker("b", echo))])
    async with gensup.aio.start(spec) as tree:
        # Up when both of its workers answer.
        heard = Heard(tree, "ECHOED")
        await ready(tree, heard, 3)
        assert tree.signal("PING", "x") == 1  # only what is here
        assert await tree.deliver("PING", "y") == 3
        assert await tree.deliver("PING", "z", to="root/shard/b") == 1
        assert await tree.deliver("PING", "w", to="root/here") == 1
        assert await tree.deliver("NOBODY") == 0


async def ready(tree: gensup.aio.AsyncTree, heard: Heard, echoes: int) -> None:
    """Wait until the placed subtree is up: ``echoes`` echo workers answer a
    probe (sent before the process is up, it waits there); then forget it."""
    assert await tree.deliver("PING", "probe") >= echoes
    await until(lambda: len(heard.of("ECHOED")) >= echoes)
    heard.items.clear()


async def test_a_path_under_a_placed_subtree_routes_there_and_emits_route_back() -> None:
    def relay():  # here: emits into the placed subtree by path
        while True:
            _, value = yield waitfor("RELAY")
            yield emit("PING", value, to="root/shard/b")

    spec = Supervisor(
        "root",
        [Worker("relay", relay), shard(Worker("a", echo, args=("FROM_A",)), Worker("b", echo))],
    )
    async with gensup.aio.start(spec) as tree:
        heard = Heard(tree, "ECHOED", "FROM_A")
        await ready(tree, heard, 1)
        tree.signal("RELAY", "via-emit")
        await until(lambda: heard.of("ECHOED"))
        assert [value for value, _ in heard.of("ECHOED")] == ["via-emit"]
        assert heard.of("FROM_A") == []
        # one=True into the subtree: one of its workers, chosen there.
        assert await tree.deliver("PING", "one", to="root/shard") == 2
        tree.signal("PING", "just-one", to="root/shard/a", one=True)
        await until(lambda: any(value == "just-one" for value, _ in heard.of("FROM_A")))


async def test_an_argument_that_cannot_cross_is_an_error_at_the_signal() -> None:
    spec = Supervisor("root", [shard(Worker("e", echo))])
    async with gensup.aio.start(spec) as tree:
        with pytest.raises(TypeError, match=r"cannot be sent to the placed subtree 'root/shard'"):
            tree.signal("PING", lambda: None)
        assert tree.alive
        await ready(tree, Heard(tree, "ECHOED"), 1)


# ---- Crashes, give-ups and lost processes ----


async def test_a_crash_inside_is_handled_there_and_reported_here_with_its_traceback() -> None:
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
        assert (pid, first, second) == (again, 1, 2)  # restarted there, same process
        assert incarnation(tree, "root", "shard") == 1  # the parent did nothing
    crash = next(r for r in reports if isinstance(r, Stopped) and r.path == "root/shard/c")
    assert crash.reason == "crash"
    assert isinstance(crash.exception, ValueError)
    assert str(crash.exception) == "boom 1"
    notes = "\n".join(crash.exception.__notes__)
    assert f"raised in process {pid}" in notes
    assert "placed_workers.py" in notes
    assert "in crasher" in notes


async def test_a_give_up_inside_escalates_to_the_parent_which_restarts_the_subtree() -> None:
    reports: list[Report] = []
    spec = Supervisor("root", [Worker("col", collector), shard(Worker("c", crasher), intensity=0)])
    async with gensup.aio.start(spec, observer=reports.append) as tree:
        heard = Heard(tree, "PIDIS")
        pid, _ = await pid_of(tree, heard, "root/shard/c")
        tree.signal("BOOM", to="root/shard/c")
        await until(lambda: incarnation(tree, "root", "shard") == 2)
        new_pid, inc = await pid_of(tree, heard, "root/shard/c")
        assert new_pid != pid
        assert inc == 1
        assert incarnation(tree, "root", "col") == 1  # one_for_one: the sibling stays
    paths = [(type(r).__name__, r.path) for r in reports if not isinstance(r, Started)]
    gave_up = paths.index(("GaveUp", "root/shard"))
    assert paths[gave_up + 1] == ("Stopped", "root/shard")
    ended = next(r for r in reports if isinstance(r, Stopped) and r.path == "root/shard")
    assert ended.reason == "shutdown"


@pytest.mark.parametrize(
    ("strategy", "sibling_incarnation"), [("one_for_one", 1), ("one_for_all", 2)]
)
async def test_kill_9_of_the_process_is_a_crash_of_the_placed_supervisor(
    strategy: str, sibling_incarnation: int
) -> None:
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
        await until(lambda: incarnation(tree, "root", "shard") == 2)
        new_pid, _ = await pid_of(tree, heard, "root/shard/c")
        assert new_pid != pid
        assert incarnation(tree, "root", "col") == sibling_incarnation
    lost = next(r for r in reports if isinstance(r, Stopped) and r.path == "root/shard")
    assert lost.reason == "crash"
    assert isinstance(lost.exception, PlacementLost)
    assert f"process {pid} was killed by SIGKILL" in str(lost.exception)


async def test_a_subtree_that_cannot_start_there_crashes_here_until_its_parent_gives_up() -> None:
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


async def test_a_stopped_tree_leaves_no_process_behind() -> None:
    spec = Supervisor(
        "root",
        [
            shard(Worker("c", crasher)),
            Supervisor("two", [Worker("c", crasher)], placement=Process()),
        ],
    )
    pids = []
    async with gensup.aio.start(spec) as tree:
        heard = Heard(tree, "PIDIS")
        pids.append((await pid_of(tree, heard, "root/shard/c"))[0])
        pids.append((await pid_of(tree, heard, "root/two/c"))[0])
    assert len(set(pids)) == 2
    assert multiprocessing.active_children() == []
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    # Nor a thread of their links.
    assert [t.name for t in threading.enumerate() if t.name.startswith("gensup link")] == []


async def test_the_subtree_s_own_stop_reports_come_after_the_parent_s() -> None:
    reports: list[Report] = []
    spec = Supervisor("root", [shard(Worker("c", crasher))])
    async with gensup.aio.start(spec, observer=reports.append) as tree:
        await pid_of(tree, Heard(tree, "PIDIS"), "root/shard/c")
    stops = [r.path for r in reports if isinstance(r, Stopped)]
    assert stops == ["root/shard", "root", "root/shard/c"]


# ---- Refused where the mistake is made ----


def test_the_plain_core_refuses_a_placed_subtree() -> None:
    with pytest.raises(
        InvalidSpec, match=r"'root/shard' has placement=Process\(\), which needs the async driver"
    ):
        gensup.start(Supervisor("root", [shard(Worker("e", echo))]))


def test_the_root_cannot_be_placed() -> None:
    with pytest.raises(InvalidSpec, match=r"the root runs where gensup\.start is called"):
        gensup.start(Supervisor("root", [], placement=Process()))


async def test_a_worker_function_that_cannot_be_imported_there_is_refused_at_start() -> None:
    def local():
        yield waitfor("X")

    for func, why in [(local, "a function defined inside another"), (lambda: None, "a lambda")]:
        spec = Supervisor(
            "root",
            [Supervisor("s", [Supervisor("deep", [Worker("w", func)])], placement=Process())],
        )
        with pytest.raises(
            InvalidSpec, match=rf"'root/s/deep/w' is in the placed subtree 'root/s'.*{why}"
        ):
            async with gensup.aio.start(spec):
                pass


async def test_start_child_checks_a_placed_spec_too() -> None:
    async with gensup.aio.start(Supervisor("root", [])) as tree:
        with pytest.raises(
            InvalidSpec, match=r"'root/late/w' is in the placed subtree 'root/late'"
        ):
            tree.start_child(
                "root", Supervisor("late", [Worker("w", lambda: None)], placement=Process())
            )
        tree.start_child("root", Supervisor("late", [Worker("c", crasher)], placement=Process()))
        await pid_of(tree, Heard(tree, "PIDIS"), "root/late/c")


async def test_the_children_of_a_placed_subtree_are_not_reachable_by_the_parent_s_calls() -> None:
    async with gensup.aio.start(Supervisor("root", [shard(Worker("c", crasher))])) as tree:
        with pytest.raises(gensup.ChildNotFound, match=r"'root/shard' runs elsewhere"):
            tree.terminate_child("root/shard/c")


async def test_cpu_work_runs_in_the_other_process() -> None:
    spec = Supervisor("root", [shard(Worker("w", cruncher, args=(10,)))])
    async with gensup.aio.start(spec) as tree:
        heard = Heard(tree, "DONE")
        await until(lambda: tree.signal("WORK", "probe") >= 0 and heard.of("DONE"))
        assert heard.of("DONE")[0][0] == "probe"


def test_pictures_say_where_a_subtree_runs() -> None:
    spec = Supervisor("root", [shard(Worker("e", echo))])
    text = gensup.render.text(spec)
    assert "└── shard [supervisor one_for_one, intensity 1/5s, in a process, permanent]" in text
    assert "in a process" in gensup.render.mermaid(spec)
    assert "placement=Process()" in gensup.render.svg(spec)


async def test_a_subtree_whose_code_cannot_be_imported_there_crashes_with_why() -> None:
    """A module the parent has but the far end cannot import: a failed start there."""
    ghost = types.ModuleType("gensup_ghost_workers")
    exec("from gensup import waitfor\ndef idle():\n    yield waitfor('X')\n", ghost.__dict__)
    sys.modules[ghost.__name__] = ghost
    reports: list[Report] = []
    try:
        spec = Supervisor("root", [shard(Worker("w", ghost.idle))], intensity=0)
        with pytest.raises(SupervisorGaveUp):
            async with gensup.aio.start(spec, observer=reports.append) as tree:
                await tree.wait_stopped()
    finally:
        del sys.modules[ghost.__name__]
    crash = next(r for r in reports if isinstance(r, Stopped) and r.path == "root/shard")
    assert crash.reason == "crash"
    assert isinstance(crash.exception, ModuleNotFoundError)
    assert "loading the subtree" in "\n".join(crash.exception.__notes__)


async def test_a_recorded_tree_refuses_a_placed_subtree(tmp_path: Path) -> None:
    refused = r"'root/shard' is a placed subtree, and a tree started with record= cannot hold one"
    spec = Supervisor("root", [shard(Worker("e", echo))])
    with pytest.raises(InvalidSpec, match=refused):
        async with gensup.aio.start(spec, record=tmp_path / "r.jsonl"):
            pass
    late = Supervisor("late", [Worker("c", crasher)], placement=Process())
    async with gensup.aio.start(Supervisor("root"), record=tmp_path / "ok.jsonl") as tree:
        with pytest.raises(InvalidSpec, match=r"'root/late' is a placed subtree"):
            tree.start_child("root", late)


# ---- The same subtree, here and placed ----

STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("PING"), st.sampled_from([None, "root/shard", "root/shard/e1"])),
        st.tuples(st.just("BOOM"), st.just("root/shard/c")),
        st.tuples(st.just("PING"), st.just("root/here")),
    ),
    min_size=1,
    max_size=10,
)


def _same_spec(placement: Process | None) -> Supervisor:
    return Supervisor(
        "root",
        [
            Worker("col", collector),
            Worker("here", tagged_echo, args=("root/col",)),
            Supervisor(
                "shard",
                [
                    Worker("e1", tagged_echo, args=("root/col",)),
                    Worker("e2", tagged_echo, args=("root/col",)),
                    Worker("c", crasher),
                ],
                intensity=100,
                placement=placement,
            ),
        ],
    )


async def _run_steps(
    steps: list[tuple[str, str | None]], placement: Process | None
) -> tuple[list[int], dict[str, list[tuple[int, int]]], list[tuple[str, str, str]]]:
    reports: list[Report] = []
    async with gensup.aio.start(_same_spec(placement), observer=reports.append) as tree:
        # Up, where it runs (a placed subtree starts after its parent's start).
        await tree.deliver("UP")
        counts = [await tree.deliver(event, n, to=to) for n, (event, to) in enumerate(steps)]
        # What each worker answered, in its order: answers from two processes
        # have no order between them (see the semantics page).
        seen: dict[str, list[tuple[int, int]]] = {}
        for value, path, incarnation in _dump(tree):
            seen.setdefault(path, []).append((value, incarnation))
        # Before the stop, whose reports come in another order from a placed
        # subtree (see the semantics page).
        kept = [
            (type(r).__name__, r.path, getattr(r, "reason", ""))  # type: ignore[union-attr]
            for r in reports
            if not isinstance(r, Dropped)
        ]
    return counts, seen, kept


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=STEPS)
def test_a_placed_subtree_does_what_the_same_subtree_does_here(
    steps: list[tuple[str, str | None]],
) -> None:
    """Awaited step by step, the counts, what each worker answered, in its
    order, and the reports are the same, placed or not."""
    here = anyio.run(_run_steps, steps, None)
    placed = anyio.run(_run_steps, steps, Process())
    assert placed == here


# ---- Routing at the boundary, as the semantics page says ----


async def test_a_key_that_picks_a_placed_child_is_sent_there_and_one_of_n_above_stays_here() -> (
    None
):
    from gensup._routing import jump, stable_hash

    spec = Supervisor(
        "root",
        [
            Supervisor("pool", [Worker("w", tagged_echo, args=("root/col",))]),
            shard(Worker("e1", tagged_echo, args=("root/col",))),
            Worker("col", collector),
        ],
    )
    # Keys choose among root's children by position: 0 pool, 1 shard, 2 col.
    to_shard = next(k for k in range(100) if jump(stable_hash(k), 3) == 1)
    to_pool = next(k for k in range(100) if jump(stable_hash(k), 3) == 0)
    async with gensup.aio.start(spec) as tree:
        await tree.deliver("UP")
        tree.signal("PING", "keyed-shard", to="root", key=to_shard)
        tree.signal("PING", "keyed-pool", to="root", key=to_pool)
        # one=True from the root chooses among this process's workers only.
        tree.signal("PING", "one-from-root", one=True)
        await tree.deliver("UP")  # the shard has handled what came before
        answers = {value: path for value, path, _ in _dump(tree)}
    assert answers == {
        "keyed-shard": "root/shard/e1",
        "keyed-pool": "root/pool/w",
        "one-from-root": "root/pool/w",
    }


async def test_drops_across_the_boundary() -> None:
    """A broadcast that goes to a placed subtree is not dropped here; an event
    sent to a path of the subtree that nobody there waits for is dropped there."""
    reports: list[Report] = []
    spec = Supervisor("root", [shard(Worker("e1", tagged_echo, args=("root",)))])
    async with gensup.aio.start(spec, observer=reports.append) as tree:
        await tree.deliver("UP")
        assert await tree.deliver("NOBODY") == 0
        assert await tree.deliver("NOBODY_THERE", to="root/shard/e1") == 0
    drops = [r for r in reports if isinstance(r, Dropped)]
    assert drops == [Dropped("NOBODY_THERE", (), "root/shard/e1")]


async def test_explain_names_the_placed_subtrees_an_event_would_go_to() -> None:
    spec = Supervisor(
        "root",
        [Worker("e", echo), shard(Worker("c", crasher)), Supervisor("local", [Worker("f", echo)])],
    )
    async with gensup.aio.start(spec) as tree:
        everything = tree.tree.explain("PING")
        assert everything.receivers == ("root/e", "root/local/f")
        assert everything.elsewhere == ("root/shard",)
        assert "also sent to the placed subtree 'root/shard'" in str(everything)
        assert tree.tree.explain("PING", to="root/local").elsewhere == ()
        inside = tree.tree.explain("PING", to="root/shard/c")
        assert (inside.receivers, inside.elsewhere) == ((), ("root/shard",))
        # Its intensity window is counted here, as a local supervisor's is.
        stats = {child.path: child for child in tree.tree.statistics().children}
        assert stats["root/shard"].window == 0


async def test_a_keyed_signal_nobody_waits_for_yet_is_held_in_the_placed_backlog() -> None:
    placed = shard(Worker("w", gated, args=("root/col",)), backlog=5)
    spec = Supervisor("root", [Worker("col", collector, args=("DONE",)), placed])
    async with gensup.aio.start(spec) as tree:
        await tree.deliver("UP")
        # Sent there (1 here: forwarded), held there: nobody waits for JOB yet.
        assert tree.signal("JOB", "held", to="root/shard", key="k") == 1
        assert await tree.deliver("GO") == 1
        await until(lambda: _dump(tree) == (("held",),))
