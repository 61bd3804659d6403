"""Who would get an event, and why not (gensup._explain, Tree.explain)."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import attrs
import pytest

import gensup
from gensup import (
    Backoff,
    ChildNotFound,
    Supervisor,
    VirtualClock,
    Worker,
    call,
    emit,
    sleep,
    waitfor,
)

Gen = Generator[Any, Any, None]


def idle(*events: str) -> Gen:
    while True:
        yield waitfor(*events)


def napper() -> Gen:
    yield sleep(30)
    yield waitfor("GO")


async def lookup() -> int:
    return 1


def caller() -> Gen:
    yield call(lookup)


def fragile() -> Gen:
    yield waitfor("BREAK")
    raise RuntimeError("broken")


def emitter() -> Gen:
    yield emit("GO")
    yield waitfor("NEVER")


def waiter(id: str, *events: str) -> Worker:
    return Worker(id, idle, args=events)


def whys(explanation: gensup.Explanation) -> dict[str, str]:
    return {w.path: w.why for w in explanation.workers}


class TestExplainEvent:
    def test_receivers_and_other_waits(self) -> None:
        """Workers that wait for the event receive it; the others say what they wait for."""
        spec = Supervisor("root", [waiter("a", "GO"), waiter("b", "X", "Y")])
        with gensup.start(spec) as tree:
            found = tree.explain("GO")
        assert found.receivers == ("root/a",)
        assert whys(found) == {"root/a": "waits for it", "root/b": "waits for 'X', 'Y' (not this)"}

    def test_sleeping_and_busy(self) -> None:
        """A sleeping worker says until when; a worker in a call says which call."""
        spec = Supervisor("root", [Worker("n", napper), Worker("c", caller)])
        with gensup.start(spec, clock=VirtualClock()) as tree:
            found = tree.explain("GO")
        assert whys(found) == {"root/n": "sleeping until 30", "root/c": "busy in a call to lookup"}
        assert found.receivers == ()

    def test_restarting_with_backoff(self) -> None:
        """A worker waiting out its backoff says when it restarts."""
        clock = VirtualClock()
        spec = Supervisor(
            "root", [Worker("f", fragile, backoff=Backoff(initial=2, maximum=8))], intensity=5
        )
        with gensup.start(spec, clock=clock) as tree:
            clock.advance(1)
            tree.signal("BREAK")
            assert whys(tree.explain("BREAK")) == {"root/f": "restarting at 3 (backoff)"}

    def test_stopped(self) -> None:
        """A terminated worker is reported stopped."""
        spec = Supervisor("root", [waiter("a", "GO")])
        with gensup.start(spec) as tree:
            tree.terminate_child("root/a")
            assert whys(tree.explain("GO")) == {"root/a": "stopped"}

    def test_outside_the_subtree(self) -> None:
        """With ``to``, workers outside it are marked outside, even if they wait for the event."""
        spec = Supervisor(
            "root",
            [
                Supervisor("pool", [waiter("x", "GO")]),
                waiter("a", "GO"),
            ],
        )
        with gensup.start(spec) as tree:
            found = tree.explain("GO", to="root/pool")
        assert found.receivers == ("root/pool/x",)
        assert whys(found)["root/a"] == "outside 'root/pool'"

    def test_unknown_target(self) -> None:
        """A ``to`` that names no child raises ChildNotFound, naming explain."""
        with (
            gensup.start(Supervisor("root", [waiter("a", "GO")])) as tree,
            pytest.raises(ChildNotFound, match="explain"),
        ):
            tree.explain("GO", to="root/nope")

    def test_frozen(self) -> None:
        """An explanation cannot be changed."""
        with gensup.start(Supervisor("root", [waiter("a", "GO")])) as tree:
            found = tree.explain("GO")
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            found.to = "root"  # type: ignore[misc]


class TestExplainWaits:
    def test_every_wait_listed(self) -> None:
        """Without an event, each worker's wait is listed, and waiting workers are marked."""
        spec = Supervisor("root", [waiter("a", "GO"), Worker("n", napper)])
        with gensup.start(spec, clock=VirtualClock()) as tree:
            found = tree.explain()
        assert found.event is None
        assert not found.asked
        assert found.receivers == ("root/a",)
        assert str(found) == (
            "workers at 0:\n"
            "+ root/a: waits for 'GO'\n"
            "- root/n: sleeping until 30\n"
            "never signalled or emitted, but waited for: 'GO'"
        )

    def test_never_sent_forgets_signalled_and_emitted(self) -> None:
        """An event once signalled or emitted is no longer listed as never sent."""
        spec = Supervisor(
            "root",
            [
                waiter("a", "GO"),
                waiter("b", "HALT"),
                Worker("e", emitter),
            ],
        )
        with gensup.start(spec) as tree:
            assert tree.explain().never_sent == ("HALT", "NEVER")
            tree.signal("HALT")
            assert tree.explain().never_sent == ("NEVER",)

    def test_text_report_with_event(self) -> None:
        """str() of an explanation names the event, the count and each worker's line."""
        spec = Supervisor("root", [waiter("a", "GO"), waiter("b", "GO")])
        with gensup.start(spec) as tree:
            tree.signal("GO")
            text = str(tree.explain("GO", to="root/a"))
        assert text == (
            "'GO' would reach 1 worker under 'root/a':\n"
            "+ root/a: waits for it\n"
            "- root/b: outside 'root/a'"
        )


class TestSeenIsBounded:
    def test_ever_new_events_do_not_grow_the_memory(self) -> None:
        """Past SEEN_LIMIT distinct events, the tree forgets them and starts again."""
        from gensup._core import SEEN_LIMIT

        with gensup.start(Supervisor("root")) as tree:
            for i in range(SEEN_LIMIT + 10):
                tree.signal(("request", i))
            assert len(tree._seen) <= SEEN_LIMIT
