"""Statistics and dead letters of a running tree (gensup._stats, Tree.statistics)."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import attrs
import pytest

import gensup
from gensup import (
    ChildKind,
    ChildState,
    DeadLetter,
    InvalidSpec,
    InvalidSpecType,
    Supervisor,
    VirtualClock,
    Worker,
    emit,
    waitfor,
)

Gen = Generator[Any, Any, None]


def idle(event: str = "GO") -> Gen:
    while True:
        yield waitfor(event)


def fragile() -> Gen:
    while True:
        _, kind = yield waitfor("BREAK")
        raise ValueError(f"broken by {kind}")


def echo() -> Gen:
    while True:
        _, what = yield waitfor("PING")
        yield emit("NOBODY_WAITS", what)


class TestStatistics:
    def test_snapshot_is_frozen(self) -> None:
        """A statistics snapshot and its per-child records cannot be changed."""
        with gensup.start(Supervisor("root", [Worker("a", idle)])) as tree:
            stats = tree.statistics()
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            stats.delivered = 5  # type: ignore[misc]
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            stats["root/a"].restarts = 5  # type: ignore[misc]

    def test_children_in_tree_order(self) -> None:
        """Every child appears, the root first, in tree order, with its kind and state."""
        spec = Supervisor("root", [Supervisor("pool", [Worker("x", idle)]), Worker("a", idle)])
        with gensup.start(spec) as tree:
            stats = tree.statistics()
        assert [c.path for c in stats.children] == ["root", "root/pool", "root/pool/x", "root/a"]
        assert stats["root/pool"].kind is ChildKind.SUPERVISOR
        assert stats["root/a"].kind is ChildKind.WORKER
        assert stats["root/a"].state is ChildState.RUNNING

    def test_unknown_path_is_key_error(self) -> None:
        """Asking a snapshot for a path it does not hold raises KeyError."""
        with gensup.start(Supervisor("root", [Worker("a", idle)])) as tree:
            stats = tree.statistics()
        with pytest.raises(KeyError):
            stats["root/nope"]

    def test_restarts_and_last_crash(self) -> None:
        """A crash sets the last crash (type, message, clock time) and counts a restart."""
        clock = VirtualClock()
        spec = Supervisor("root", [Worker("a", fragile)], intensity=5, period=10)
        with gensup.start(spec, clock=clock) as tree:
            clock.advance(3)
            tree.signal("BREAK", "one")
            clock.advance(2)
            tree.signal("BREAK", "two")
            a = tree.statistics()["root/a"]
            root = tree.statistics()["root"]
        assert a.incarnation == 3
        assert a.restarts == 2
        assert a.recent_restarts == 2
        assert a.last_crash is not None
        assert (a.last_crash.type, a.last_crash.message, a.last_crash.at) == (
            "ValueError",
            "broken by two",
            5.0,
        )
        assert root.window == 2
        assert a.window is None

    def test_recent_restarts_leave_the_window(self) -> None:
        """Restarts older than the supervisor's period leave the recent count, not the total."""
        clock = VirtualClock()
        spec = Supervisor("root", [Worker("a", fragile)], intensity=5, period=10)
        with gensup.start(spec, clock=clock) as tree:
            tree.signal("BREAK", "one")
            clock.advance(11)
            tree.signal("BREAK", "two")
            clock.advance(1)
            a = tree.statistics()["root/a"]
            root = tree.statistics()["root"]
        assert (a.restarts, a.recent_restarts, root.window) == (2, 1, 1)

    def test_delivered_counts_workers_reached(self) -> None:
        """`delivered` sums the workers each delivery reached, emitted events included."""
        spec = Supervisor("root", [Worker("a", idle), Worker("b", idle), Worker("e", echo)])
        with gensup.start(spec) as tree:
            tree.signal("GO")
            tree.signal("GO", to="root/a")
            tree.signal("PING", 1)
            stats = tree.statistics()
        assert stats.delivered == 4
        assert stats.dropped == 1

    def test_dropped_per_subtree(self) -> None:
        """A drop counts for its target and the supervisors above it, and all count at the root."""
        spec = Supervisor("root", [Supervisor("pool", [Worker("x", idle)]), Worker("a", idle)])
        with gensup.start(spec) as tree:
            tree.signal("NOPE", to="root/pool/x")
            tree.signal("NOPE", to="root/pool")
            tree.signal("NOPE", to="root/a")
            tree.signal("NOPE")
            stats = tree.statistics()
        assert stats["root/pool/x"].dropped == 1
        assert stats["root/pool"].dropped == 2
        assert stats["root/a"].dropped == 1
        assert stats["root"].dropped == 4


class TestDeadLetters:
    def test_dropped_events_are_kept(self) -> None:
        """Each dropped event is kept with its args, target path and clock time."""
        clock = VirtualClock()
        with gensup.start(Supervisor("root", [Worker("a", idle)]), clock=clock) as tree:
            tree.signal("NOPE", 1, 2, to="root/a")
            clock.advance(4)
            tree.signal("ALSO")
            letters = tree.dead_letters()
        assert letters == (
            DeadLetter(event="NOPE", args=(1, 2), to="root/a", at=0.0),
            DeadLetter(event="ALSO", args=(), to=None, at=4.0),
        )

    def test_emitted_events_too(self) -> None:
        """An emitted event that reaches nobody is a dead letter as a signalled one is."""
        with gensup.start(Supervisor("root", [Worker("e", echo)])) as tree:
            tree.signal("PING", "x")
            assert [(d.event, d.args) for d in tree.dead_letters()] == [("NOBODY_WAITS", ("x",))]

    def test_backlog_dropped_on_stop(self) -> None:
        """Events held in a backlog become dead letters when their supervisor stops."""
        spec = Supervisor("root", [Supervisor("pool", [Worker("w", idle)], backlog=5)])
        with gensup.start(spec) as tree:
            assert tree.signal("JOB", 1, to="root/pool", one=True) == 0
            assert tree.dead_letters() == ()
            tree.terminate_child("root/pool")
            assert [(d.event, d.args, d.to) for d in tree.dead_letters()] == [
                ("JOB", (1,), "root/pool")
            ]

    def test_bounded_oldest_go_first(self) -> None:
        """Past its bound the store lets the oldest go, and counts them."""
        with gensup.start(Supervisor("root", [Worker("a", idle)]), dead_letters=3) as tree:
            for i in range(5):
                tree.signal("NOPE", i)
            assert [d.args for d in tree.dead_letters()] == [(2,), (3,), (4,)]
            stats = tree.statistics()
        assert (stats.dead_letters_lost, stats.dropped) == (2, 5)

    def test_zero_keeps_none(self) -> None:
        """dead_letters=0 keeps no letters, while drops are still counted."""
        with gensup.start(Supervisor("root", [Worker("a", idle)]), dead_letters=0) as tree:
            tree.signal("NOPE")
            assert tree.dead_letters() == ()
            assert tree.dropped == 1

    @pytest.mark.parametrize(
        ("value", "error"), [(-1, InvalidSpec), ("3", InvalidSpecType), (True, InvalidSpecType)]
    )
    def test_bound_is_validated(self, value: object, error: type[Exception]) -> None:
        """gensup.start refuses a dead_letters that is not an int >= 0, naming the option."""
        with pytest.raises(error, match="'dead_letters'"):
            gensup.start(Supervisor("root", [Worker("a", idle)]), dead_letters=value)  # type: ignore[arg-type]

    def test_redeliver_reaches_a_new_waiter(self) -> None:
        """Redelivered letters leave the store and reach whoever waits now, at the same target."""
        spec = Supervisor("root", [Worker("a", idle, args=("GO",))])
        with gensup.start(spec) as tree:
            tree.signal("LATE", 7)
            tree.signal("GO", 1)
            tree.start_child("root", Worker("b", idle, args=("LATE",)))
            late = [d for d in tree.dead_letters() if d.event == "LATE"]
            assert tree.redeliver(late) == [1]
            assert tree.dead_letters() == ()

    def test_redeliver_drops_again(self) -> None:
        """A redelivered letter that still reaches nobody is dropped and stored again."""
        with gensup.start(Supervisor("root", [Worker("a", idle)])) as tree:
            tree.signal("NOPE", to="root/a")
            assert tree.redeliver(tree.dead_letters()) == [0]
            assert [(d.event, d.to) for d in tree.dead_letters()] == [("NOPE", "root/a")]
            assert tree.dropped == 2

    def test_redeliver_refuses_other_things(self) -> None:
        """redeliver names what it got when given something that is not a DeadLetter."""
        with (
            gensup.start(Supervisor("root", [Worker("a", idle)])) as tree,
            pytest.raises(TypeError, match="DeadLetter"),
        ):
            tree.redeliver(["GO"])  # type: ignore[list-item]
