"""Clocks: the monotonic default and the virtual clock (gensup._clock)."""

from __future__ import annotations

import time

import pytest

import gensup
from gensup import Clock, MonotonicClock, VirtualClock


class TestVirtualClock:
    def test_starts_at_zero(self) -> None:
        """A new virtual clock reads 0."""
        assert VirtualClock().now() == 0.0

    def test_start_reading(self) -> None:
        """start= sets the first reading."""
        assert VirtualClock(start=100.0).now() == 100.0

    def test_advance_adds(self) -> None:
        """advance moves the reading forward by exactly the amount given."""
        clock = VirtualClock()
        clock.advance(2.5)
        clock.advance(0)
        clock.advance(1)
        assert clock.now() == 3.5

    def test_stands_still_between_advances(self) -> None:
        """Reading the clock does not move it."""
        clock = VirtualClock(start=7)
        assert clock.now() == clock.now() == 7

    def test_negative_advance_rejected(self) -> None:
        """Going back in time is a ValueError, and the reading is unchanged."""
        clock = VirtualClock(start=5)
        with pytest.raises(ValueError, match=r"'seconds' must be >= 0 and finite \(got -1\)"):
            clock.advance(-1)
        assert clock.now() == 5

    def test_public_homes(self) -> None:
        """The virtual clock is the same class in gensup and gensup.testing."""
        assert gensup.testing.VirtualClock is gensup.VirtualClock is VirtualClock


class TestMonotonicClock:
    def test_never_goes_back(self) -> None:
        """Successive readings never decrease."""
        clock = MonotonicClock()
        readings = [clock.now() for _ in range(100)]
        assert readings == sorted(readings)

    def test_reads_time_monotonic(self) -> None:
        """The reading is time.monotonic's."""
        before = time.monotonic()
        reading = MonotonicClock().now()
        after = time.monotonic()
        assert before <= reading <= after


class TestClockProtocol:
    def test_both_clocks_are_clocks(self) -> None:
        """Both clocks satisfy the Clock protocol."""
        assert isinstance(VirtualClock(), Clock)
        assert isinstance(MonotonicClock(), Clock)

    def test_any_object_with_now_is_a_clock(self) -> None:
        """The protocol is structural: any object with now() is a Clock, others are not."""

        class Fixed:
            def now(self) -> float:
                return 1.0

        assert isinstance(Fixed(), Clock)
        assert not isinstance(object(), Clock)
