"""What the docs pages state as rules, checked by running gensup.

Each class holds one rule as the pages state it (its docstring names the
pages); each test runs a small tree and checks what the page says happens.
A page that drifts from gensup, or gensup from the page, fails here.  The
rules were checked against OTP 25's ``supervisor``; ``tests/test_core.py``
pins the same behaviour from the code's side.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

import gensup
from gensup import (
    StartFailed,
    Supervisor,
    SupervisorGaveUp,
    Tree,
    VirtualClock,
    Worker,
    emit,
    waitfor,
)
from gensup.testing import Recorder

Gen = Generator[Any, Any, None]

# ---- Workers ----


def listener(got: list[Any]) -> Gen:
    """Wait for HELLO again and again, keeping what came."""
    while True:
        got.append((yield waitfor("HELLO")))


def emits_then_returns() -> Gen:
    """Emit HELLO, then return without ever waiting."""
    yield emit("HELLO")


def emits_then_raises() -> Gen:
    """Emit HELLO, then raise without ever waiting."""
    yield emit("HELLO")
    raise ConnectionError("no database")


def starts_unless(broken: list[bool]) -> Gen:
    """Emit HELLO, then raise if ``broken[0]``; else wait forever."""
    yield emit("HELLO")
    if broken[0]:
        raise ConnectionError("no database")
    while True:
        yield waitfor("NEVER")


def job(name: str) -> Gen:
    """Wait for NAME-RETURN (return) or NAME-CRASH (raise)."""
    event, *_ = yield waitfor(f"{name}-RETURN", f"{name}-CRASH")
    if event.endswith("CRASH"):
        raise RuntimeError("crash requested")


def idle() -> Gen:
    """Wait forever."""
    while True:
        yield waitfor("NEVER")


def crashes_then_cannot_start(failures: list[bool]) -> Gen:
    """Fail to start while ``failures`` has a True first; else wait for CRASH and raise."""
    if failures and failures.pop(0):
        raise ConnectionError("no database")
    yield waitfor("CRASH")
    raise RuntimeError("crash requested")


# ---- Helpers ----


def boot(spec: Supervisor) -> tuple[Tree, Recorder]:
    """Start ``spec`` on a virtual clock with a recorder, cleared after the start."""
    recorder = Recorder()
    tree = gensup.start(spec, clock=VirtualClock(), observer=recorder)
    recorder.clear()
    return tree, recorder


def children(tree: Tree, sup_path: str) -> list[tuple[str, str, int]]:
    """(id, state, incarnation) of each child, in child order."""
    return [(c.id, c.state.value, c.incarnation) for c in tree.which_children(sup_path)]


# ---- The rules ----


class TestStartEndsAtTheFirstWaitfor:
    """Starting ends at the first ``waitfor``, not at the first ``yield``.

    docs/how-to/restart-types.md, docs/how-to/dynamic-children.md,
    docs/explanation/otp.md.
    """

    @pytest.mark.parametrize(
        ("restart", "kept"),
        [("permanent", [("w", "stopped", 1)]), ("temporary", [])],
    )
    def test_emit_then_return_is_ignored(self, restart: str, kept: list[Any]) -> None:
        """A worker that emits and returns before waiting is OTP's ignore, and counts nothing."""
        got: list[Any] = []
        spec = Supervisor(
            "root",
            [Worker("l", listener, args=(got,)), Worker("w", emits_then_returns, restart=restart)],
            intensity=0,
        )
        tree, _ = boot(spec)
        assert tree.alive
        assert children(tree, "root") == [("l", "running", 1), *kept]
        assert got == [("HELLO",)]

    def test_emit_then_raise_fails_start_child(self) -> None:
        """A worker that emits and raises before waiting fails to start; its event goes out."""
        got: list[Any] = []
        tree, recorder = boot(Supervisor("root", [Worker("l", listener, args=(got,))]))
        with pytest.raises(StartFailed) as caught:
            tree.start_child("root", Worker("w", emits_then_raises))
        assert isinstance(caught.value.__cause__, ConnectionError)
        assert recorder.lines() == ["start root/w", "stop root/w crash"]
        assert children(tree, "root") == [("l", "running", 1)]
        assert got == [("HELLO",)]

    def test_emit_then_raise_fails_restart_child(self) -> None:
        """``restart_child`` of a worker that emits and raises fails; the spec is kept, no retry."""
        got: list[Any] = []
        broken = [False]
        spec = Supervisor(
            "root",
            [Worker("l", listener, args=(got,)), Worker("w", starts_unless, args=(broken,))],
        )
        tree, recorder = boot(spec)
        tree.terminate_child("root/w")
        broken[0] = True
        recorder.clear()
        with pytest.raises(StartFailed):
            tree.restart_child("root/w")
        assert recorder.lines() == ["start root/w", "stop root/w crash"]
        assert children(tree, "root") == [("l", "running", 1), ("w", "stopped", 2)]
        assert got == [("HELLO",), ("HELLO",)]


class TestSignificantChildren:
    """Only a significant child's own exit that is not restarted ends its supervisor.

    docs/how-to/restart-types.md.  Each tree is ``root`` with an idle worker
    and a transient supervisor ``jobs`` whose significant children are
    ``job`` workers, so ``jobs`` can end while the tree runs on.
    """

    @staticmethod
    def tree(auto_shutdown: str, *kids: tuple[str, str]) -> tuple[Tree, Recorder]:
        """Start the tree with significant children ``(id, restart type)`` under ``jobs``."""
        jobs = [Worker(name, job, args=(name,), restart=r, significant=True) for name, r in kids]
        spec = Supervisor(
            "root",
            [
                Worker("idle", idle),
                Supervisor("jobs", jobs, auto_shutdown=auto_shutdown, restart="transient"),
            ],
        )
        return boot(spec)

    @pytest.mark.parametrize(
        ("restart", "event"),
        [("transient", "RETURN"), ("temporary", "RETURN"), ("temporary", "CRASH")],
    )
    def test_exit_not_restarted_ends_the_supervisor(self, restart: str, event: str) -> None:
        """With any_significant, an exit of its own that is not restarted ends the supervisor."""
        tree, recorder = self.tree("any_significant", ("a", restart))
        tree.signal(f"a-{event}")
        assert recorder.lines()[-1] == "stop root/jobs shutdown"
        assert children(tree, "root") == [("idle", "running", 1), ("jobs", "stopped", 1)]

    def test_transient_crash_is_restarted_and_the_supervisor_stays(self) -> None:
        """A transient significant child that crashes is restarted; its supervisor stays."""
        tree, recorder = self.tree("any_significant", ("a", "transient"))
        tree.signal("a-CRASH")
        assert recorder.lines() == ["stop root/jobs/a crash", "start root/jobs/a"]
        assert children(tree, "root/jobs") == [("a", "running", 2)]

    def test_all_significant_waits_for_the_last(self) -> None:
        """With all_significant, the supervisor ends only when no significant child is left."""
        tree, recorder = self.tree("all_significant", ("a", "transient"), ("b", "temporary"))
        tree.signal("a-RETURN")
        assert recorder.lines() == ["stop root/jobs/a normal"]
        tree.signal("b-CRASH")
        assert recorder.lines()[1:] == ["stop root/jobs/b crash", "stop root/jobs shutdown"]

    @pytest.mark.parametrize("auto_shutdown", ["any_significant", "all_significant"])
    def test_terminate_child_never_ends_the_supervisor(self, auto_shutdown: str) -> None:
        """terminate_child of significant children leaves their supervisor running."""
        tree, recorder = self.tree(auto_shutdown, ("a", "transient"), ("b", "temporary"))
        tree.terminate_child("root/jobs/a")
        tree.terminate_child("root/jobs/b")
        assert recorder.lines() == ["stop root/jobs/a shutdown", "stop root/jobs/b shutdown"]
        assert children(tree, "root") == [("idle", "running", 1), ("jobs", "running", 1)]


class TestGivingUpClimbsOnlyThroughPermanentSupervisors:
    """Only a permanent supervisor that gives up is restarted by its parent.

    docs/explanation/let-it-crash.md, docs/explanation/restarts.md,
    docs/how-to/restart-types.md.  Each tree is ``root`` with an idle worker
    and a supervisor ``pool`` (intensity 0) whose worker ``w`` crashes.
    """

    @staticmethod
    def tree(restart: str, root_intensity: int) -> tuple[Tree, Recorder]:
        """Start the tree with ``pool`` of restart type ``restart``."""
        pool = Supervisor("pool", [Worker("w", job, args=("w",))], intensity=0, restart=restart)
        return boot(Supervisor("root", [Worker("idle", idle), pool], intensity=root_intensity))

    def test_permanent_is_restarted_with_its_subtree(self) -> None:
        """A permanent supervisor that gives up is restarted by its parent, children and all."""
        tree, recorder = self.tree("permanent", 1)
        tree.signal("w-CRASH")
        assert recorder.lines() == [
            "stop root/pool/w crash",
            "gaveup root/pool",
            "stop root/pool shutdown",
            "start root/pool",
            "start root/pool/w",
        ]
        assert children(tree, "root") == [("idle", "running", 1), ("pool", "running", 2)]

    def test_permanent_climbs(self) -> None:
        """The parent counts the restart of a permanent supervisor that gave up, and may give up."""
        tree, recorder = self.tree("permanent", 0)
        with pytest.raises(SupervisorGaveUp):
            tree.signal("w-CRASH")
        assert "gaveup root" in recorder.lines()
        assert not tree.alive

    @pytest.mark.parametrize(
        ("restart", "left"),
        [("transient", [("pool", "stopped", 1)]), ("temporary", [])],
    )
    def test_transient_and_temporary_stay_down(self, restart: str, left: list[Any]) -> None:
        """A transient one stays down, a temporary one is removed, and the climb stops there."""
        tree, recorder = self.tree(restart, 0)
        tree.signal("w-CRASH")
        assert recorder.lines() == [
            "stop root/pool/w crash",
            "gaveup root/pool",
            "stop root/pool shutdown",
        ]
        assert tree.alive
        assert children(tree, "root") == [("idle", "running", 1), *left]


class TestIncarnationCountsStartAttempts:
    """``incarnation`` counts start attempts, failed ones included.

    docs/how-to/dynamic-children.md, docs/how-to/testing.md, ``ChildInfo``.
    """

    @pytest.mark.parametrize(("failures", "incarnation"), [([], 2), ([True], 3)])
    def test_after_one_crash(self, failures: list[bool], incarnation: int) -> None:
        """After one crash a child is #2, or #3 if its first restart attempt failed."""
        plan: list[bool] = []
        worker = Worker("w", crashes_then_cannot_start, args=(plan,))
        spec = Supervisor("root", [worker], intensity=3)
        tree, recorder = boot(spec)
        plan.extend(failures)
        tree.signal("CRASH")
        assert recorder.starts("root/w") == incarnation - 1
        assert children(tree, "root") == [("w", "running", incarnation)]
