"""Commands a worker may yield: waitfor and emit (gensup._commands)."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gensup import Emit, WaitFor, _commands, emit, waitfor

events = st.one_of(st.text(max_size=5), st.integers(), st.tuples(st.text(max_size=3)))


class TestWaitfor:
    def test_single_event(self) -> None:
        """waitfor(event) builds a WaitFor holding just that event."""
        command = waitfor("TICK")
        assert isinstance(command, WaitFor)
        assert command.events == ("TICK",)

    def test_several_events_in_order(self) -> None:
        """Several events are kept in the order given."""
        assert waitfor("B", "A", "C").events == ("B", "A", "C")

    def test_duplicates_removed_first_kept(self) -> None:
        """Repeated events are kept once, at their first position."""
        assert waitfor("A", "B", "A", "C", "B").events == ("A", "B", "C")

    def test_same_instance_for_same_events(self) -> None:
        """The same events give back the same cached instance, so hot loops allocate nothing."""
        assert waitfor("CACHED", 1) is waitfor("CACHED", 1)

    def test_different_order_is_a_different_command(self) -> None:
        """The cache keys on the events in order: a different order is a different command."""
        first, second = waitfor("X", "Y"), waitfor("Y", "X")
        assert first is not second
        assert second.events == ("Y", "X")

    def test_any_hashable_event(self) -> None:
        """Events may be any hashable value, tuples and None included."""
        assert waitfor(("req", 7), None, 3).events == (("req", 7), None, 3)

    def test_no_event_rejected(self) -> None:
        """waitfor() with no event is a TypeError saying one is needed."""
        with pytest.raises(TypeError):
            waitfor()  # type: ignore[call-arg]

    @pytest.mark.parametrize("bad", [["TICK"], {"a": 1}, {"x"}])
    def test_unhashable_event_rejected(self, bad: object) -> None:
        """An unhashable event is a TypeError that names it."""
        with pytest.raises(TypeError, match="must be hashable") as excinfo:
            waitfor("OK", bad)  # type: ignore[arg-type]
        assert repr(bad) in str(excinfo.value)

    def test_cache_is_bounded(self) -> None:
        """Waiting on ever-new events does not grow the caches past their bound."""
        for n in range(_commands._CACHE_SIZE + 10):
            assert waitfor(("bounded", n)).events == (("bounded", n),)
            assert waitfor("many", n).events == ("many", n)
        assert len(_commands._SINGLE) <= _commands._CACHE_SIZE
        assert len(_commands._MULTI) <= _commands._CACHE_SIZE

    def test_frozen_and_equal_by_value(self) -> None:
        """A WaitFor is immutable and compares by its events."""
        command = waitfor("FROZEN")
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            command.events = ("OTHER",)  # type: ignore[misc]
        assert WaitFor(("FROZEN",)) == command
        assert hash(WaitFor(("FROZEN",))) == hash(command)

    def test_repr(self) -> None:
        """The repr reads like the call that builds it."""
        assert repr(waitfor("PING", "STOP")) == "waitfor('PING', 'STOP')"
        assert repr(waitfor(1)) == "waitfor(1)"

    @given(st.lists(events, min_size=1, max_size=6))
    def test_events_are_the_unique_events_in_order(self, given_events: list[object]) -> None:
        """For any events, the command holds each once, in order of first appearance."""
        expected: list[object] = []
        for event in given_events:
            if event not in expected:
                expected.append(event)
        assert list(waitfor(*given_events).events) == expected


class TestWaitForByHand:
    @pytest.mark.parametrize("bad", [(), ("A", ["B"]), "AB", ["A"]])
    def test_bad_events_rejected(self, bad: object) -> None:
        """A WaitFor built by hand needs a non-empty tuple of hashable events."""
        with pytest.raises(TypeError) as excinfo:
            WaitFor(bad)  # type: ignore[arg-type]
        assert repr(bad) in str(excinfo.value)

    def test_same_as_waitfor(self) -> None:
        """A WaitFor built by hand equals the one waitfor builds."""
        assert WaitFor(("A", "B")) == waitfor("A", "B")


class TestEmitByHand:
    @pytest.mark.parametrize(
        ("event", "args", "to"),
        [(["E"], (), None), ("E", [1], None), ("E", (), 5)],
        ids=["unhashable-event", "list-args", "non-string-to"],
    )
    def test_bad_fields_rejected(self, event: object, args: object, to: object) -> None:
        """An Emit built by hand needs a hashable event, a tuple of args and a str or None."""
        with pytest.raises(TypeError):
            Emit(event, args, to)  # type: ignore[arg-type]

    def test_same_as_emit(self) -> None:
        """An Emit built by hand equals the one emit builds."""
        assert Emit("E", (1,), "root") == emit("E", 1, to="root")


class TestEmit:
    def test_event_and_args(self) -> None:
        """emit(event, *args) builds an Emit with the event, the args and no target."""
        command = emit("PONG", "a", 2)
        assert isinstance(command, Emit)
        assert (command.event, command.args, command.to) == ("PONG", ("a", 2), None)

    def test_no_args(self) -> None:
        """Without args the Emit carries an empty tuple."""
        assert emit("E").args == ()

    def test_to_a_path(self) -> None:
        """to= is kept as the path to deliver under."""
        assert emit("E", to="root/pool").to == "root/pool"

    def test_unhashable_event_rejected(self) -> None:
        """An unhashable event is a TypeError that names it."""
        with pytest.raises(TypeError, match=r"must be hashable \(got \['E'\]\)"):
            emit(["E"])  # type: ignore[arg-type]

    @pytest.mark.parametrize("bad", [1, ["root"], b"root"])
    def test_non_string_to_rejected(self, bad: object) -> None:
        """A target that is not a path string is a TypeError that names it."""
        with pytest.raises(TypeError, match="'to' must be a path string") as excinfo:
            emit("E", to=bad)  # type: ignore[arg-type]
        assert repr(bad) in str(excinfo.value)

    def test_frozen_and_equal_by_value(self) -> None:
        """An Emit is immutable and compares by event, args and target."""
        command = emit("E", 1, to="root")
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            command.to = None  # type: ignore[misc]
        assert command == emit("E", 1, to="root")
        assert command != emit("E", 1)
        assert command != emit("E", 2, to="root")

    def test_repr(self) -> None:
        """The repr reads like the call that builds it."""
        assert repr(emit("PONG", 1, to="root/pool")) == "emit('PONG', 1, to='root/pool')"
        assert repr(emit("PONG")) == "emit('PONG')"
        assert repr(emit("PONG", "a", None)) == "emit('PONG', 'a', None)"
