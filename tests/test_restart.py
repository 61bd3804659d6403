"""Pure restart decisions (gensup._restart)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gensup import AutoShutdown, Restart, Strategy
from gensup._restart import Action, IntensityWindow, after_exit, auto_shutdown_due, restart_group
from gensup.reports import Reason


class TestIntensityWindow:
    def test_first_restart_within_intensity(self) -> None:
        """With intensity 1 the first restart is allowed and the second in the window is not."""
        window = IntensityWindow(intensity=1, period=5)
        assert window.add(0.0) is True
        assert window.add(1.0) is False

    def test_intensity_zero_refuses_the_first(self) -> None:
        """With intensity 0 the very first restart is refused."""
        assert IntensityWindow(intensity=0, period=5).add(0.0) is False

    def test_restart_number_intensity_plus_one_refused(self) -> None:
        """Restarts 1..intensity in one instant are allowed; number intensity + 1 is not."""
        window = IntensityWindow(intensity=3, period=5)
        assert [window.add(0.0) for _ in range(4)] == [True, True, True, False]

    def test_exactly_period_ago_still_counts(self) -> None:
        """A past restart with now - t == period still counts (OTP's =<)."""
        window = IntensityWindow(intensity=1, period=5)
        assert window.add(10.0) is True
        assert window.add(15.0) is False

    def test_just_older_than_period_does_not_count(self) -> None:
        """A past restart with now - t > period no longer counts."""
        window = IntensityWindow(intensity=1, period=5)
        assert window.add(10.0) is True
        assert window.add(15.001) is True

    def test_float_period(self) -> None:
        """A fractional period bounds the window the same way."""
        window = IntensityWindow(intensity=1, period=0.5)
        assert window.add(1.0) is True
        assert window.add(1.5) is False
        window = IntensityWindow(intensity=1, period=0.5)
        assert window.add(1.0) is True
        assert window.add(1.5000001) is True

    def test_old_entries_dropped(self) -> None:
        """Restarts older than the period are forgotten as time passes."""
        window = IntensityWindow(intensity=10, period=5)
        for t in (0.0, 1.0, 2.0):
            window.add(t)
        assert len(window) == 3
        window.add(6.5)
        assert len(window) == 2  # 0.0 and 1.0 are more than 5 s before 6.5

    def test_spaced_restarts_never_give_up(self) -> None:
        """Restarts spaced more than a period apart never exceed intensity 1."""
        window = IntensityWindow(intensity=1, period=5)
        assert all(window.add(t * 5.5) for t in range(100))

    @given(
        st.integers(min_value=0, max_value=4),
        st.sampled_from([0.5, 1, 5]),
        st.lists(st.sampled_from([0, 0.25, 0.5, 1, 2, 5, 6]), min_size=1, max_size=30),
    )
    def test_agrees_with_otps_list_filter(
        self, intensity: int, period: float, gaps: list[float]
    ) -> None:
        """Each answer is OTP's: count restarts with now - t <= period, refuse above intensity."""
        window = IntensityWindow(intensity, period)
        history: list[float] = []
        now = 0.0
        for gap in gaps:
            now += gap
            history.append(now)
            in_window = [t for t in history if now - t <= period]
            assert window.add(now) is (len(in_window) <= intensity)


REASONS = list(Reason)

AFTER_EXIT = {
    (Restart.PERMANENT, Reason.NORMAL): Action.RESTART,
    (Restart.PERMANENT, Reason.CRASH): Action.RESTART,
    (Restart.PERMANENT, Reason.SHUTDOWN): Action.RESTART,
    (Restart.PERMANENT, Reason.KILLED): Action.RESTART,
    (Restart.TRANSIENT, Reason.NORMAL): Action.KEEP,
    (Restart.TRANSIENT, Reason.CRASH): Action.RESTART,
    (Restart.TRANSIENT, Reason.SHUTDOWN): Action.KEEP,
    (Restart.TRANSIENT, Reason.KILLED): Action.RESTART,
    (Restart.TEMPORARY, Reason.NORMAL): Action.REMOVE,
    (Restart.TEMPORARY, Reason.CRASH): Action.REMOVE,
    (Restart.TEMPORARY, Reason.SHUTDOWN): Action.REMOVE,
    (Restart.TEMPORARY, Reason.KILLED): Action.REMOVE,
}


class TestAfterExit:
    def test_table_is_complete(self) -> None:
        """The table below covers every restart type and every reason."""
        assert set(AFTER_EXIT) == {(r, why) for r in Restart for why in Reason}

    @pytest.mark.parametrize(("restart", "reason"), list(AFTER_EXIT))
    def test_decision(self, restart: Restart, reason: Reason) -> None:
        """permanent always restarts, transient only after an abnormal exit, temporary never."""
        assert after_exit(restart, reason) is AFTER_EXIT[restart, reason]


CHILDREN = ["a", "b", "c", "d"]


class TestRestartGroup:
    @pytest.mark.parametrize("failed", CHILDREN)
    def test_one_for_one(self, failed: str) -> None:
        """one_for_one restarts just the child that ended."""
        assert restart_group(Strategy.ONE_FOR_ONE, CHILDREN, failed) == [failed]

    @pytest.mark.parametrize("failed", CHILDREN)
    def test_one_for_all(self, failed: str) -> None:
        """one_for_all restarts every child, in child order."""
        assert restart_group(Strategy.ONE_FOR_ALL, CHILDREN, failed) == CHILDREN

    @pytest.mark.parametrize(
        ("failed", "group"),
        [("a", ["a", "b", "c", "d"]), ("b", ["b", "c", "d"]), ("d", ["d"])],
    )
    def test_rest_for_one(self, failed: str, group: list[str]) -> None:
        """rest_for_one restarts the child that ended and those after it, in child order."""
        assert restart_group(Strategy.REST_FOR_ONE, CHILDREN, failed) == group

    @pytest.mark.parametrize("strategy", list(Strategy))
    def test_returns_a_new_list(self, strategy: Strategy) -> None:
        """The group is a new list: changing the children afterwards does not change it."""
        children = list(CHILDREN)
        group = restart_group(strategy, children, "a")
        children.clear()
        assert group


class TestAutoShutdownDue:
    @pytest.mark.parametrize("running", [True, False])
    def test_never(self, running: bool) -> None:
        """never: no auto-shutdown whatever runs."""
        assert auto_shutdown_due(AutoShutdown.NEVER, running) is False

    @pytest.mark.parametrize("running", [True, False])
    def test_any_significant(self, running: bool) -> None:
        """any_significant: shut down even if other significant children still run."""
        assert auto_shutdown_due(AutoShutdown.ANY_SIGNIFICANT, running) is True

    def test_all_significant(self) -> None:
        """all_significant: shut down only when no other significant child runs."""
        assert auto_shutdown_due(AutoShutdown.ALL_SIGNIFICANT, True) is False
        assert auto_shutdown_due(AutoShutdown.ALL_SIGNIFICANT, False) is True
