"""The deadline schedule (gensup._timers)."""

from __future__ import annotations

import heapq

from hypothesis import given
from hypothesis import strategies as st

from gensup._timers import Schedule


class TestSchedule:
    def test_pops_by_deadline_then_by_order_set(self) -> None:
        """Timers come out by deadline, and timers with the same deadline in the order set."""
        schedule = Schedule()
        for deadline, name in [(2.0, "b"), (1.0, "a1"), (2.0, "c"), (1.0, "a2")]:
            schedule.add(deadline, name, None, None)
        assert [timer[2] for timer in schedule.take_due(10.0)] == ["a1", "a2", "b", "c"]

    def test_nothing_due_before_its_deadline(self) -> None:
        """take_due returns nothing while the first deadline is later than now."""
        schedule = Schedule()
        schedule.add(5.0, "x", None, None)
        assert schedule.take_due(4.999) == []
        assert [timer[2] for timer in schedule.take_due(5.0)] == ["x"]
        assert len(schedule) == 0

    def test_cancelled_timers_are_never_returned(self) -> None:
        """A cancelled timer is skipped by first() and take_due(), and not counted."""
        schedule = Schedule()
        a = schedule.add(1.0, "a", None, None)
        schedule.add(2.0, "b", None, None)
        schedule.cancel(a)
        schedule.cancel(a)  # twice is harmless
        assert len(schedule) == 1
        first = schedule.first()
        assert first is not None
        assert first[2] == "b"

    def test_cancelling_many_keeps_the_heap_small(self) -> None:
        """Cancelled timers are swept once they are most of the heap, so it does not grow."""
        schedule = Schedule()
        for i in range(10_000):
            schedule.cancel(schedule.add(float(i), "t", None, None))
        assert len(schedule._heap) < 200
        assert len(schedule) == 0

    def test_made_timers_are_outside_the_heap(self) -> None:
        """A timer made for the queue is not in the heap; cancelling it counts nothing."""
        schedule = Schedule()
        timer = schedule.make(0.0, "now", None, None)
        schedule.cancel(timer)
        assert timer[2] is None
        assert len(schedule) == 0
        assert schedule.first() is None

    def test_clear_cancels_everything(self) -> None:
        """After clear(), nothing is set and the old timers read as cancelled."""
        schedule = Schedule()
        timers = [schedule.add(float(i), "t", None, None) for i in range(5)]
        schedule.clear()
        assert len(schedule) == 0
        assert schedule.first() is None
        assert all(timer[2] is None for timer in timers)

    @given(
        st.lists(
            st.tuples(st.integers(0, 20), st.booleans()),
            max_size=60,
        ),
        st.integers(0, 20),
    )
    def test_matches_a_sorted_list(self, entries: list[tuple[int, bool]], now: int) -> None:
        """take_due(now) gives exactly the live timers due by now, in (deadline, order) order."""
        schedule = Schedule()
        expected = []
        for index, (deadline, cancel) in enumerate(entries):
            timer = schedule.add(float(deadline), index, None, None)
            if cancel:
                schedule.cancel(timer)
            else:
                heapq.heappush(expected, (deadline, index))
        due = [timer[2] for timer in schedule.take_due(float(now))]
        want = []
        while expected and expected[0][0] <= now:
            want.append(heapq.heappop(expected)[1])
        assert due == want
        assert len(schedule) == len(expected)
