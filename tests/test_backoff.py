"""Restart backoff: the spec value and its formula (gensup._backoff)."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gensup import Backoff, InvalidSpec, InvalidSpecType, Supervisor, Worker, waitfor
from gensup._backoff import delay


def idle():  # type: ignore[no-untyped-def]
    yield waitfor("NEVER")


class TestBackoffSpec:
    def test_defaults(self) -> None:
        """factor 2, no jitter, and reset_after defaulting to maximum."""
        backoff = Backoff(0.5, 30)
        assert (backoff.factor, backoff.jitter, backoff.reset_after) == (2.0, 0.0, None)
        assert backoff.reset_time == 30
        assert Backoff(1, 30, reset_after=5).reset_time == 5

    def test_repr_shows_what_differs_from_the_defaults(self) -> None:
        """The repr is short: initial and maximum, then only non-default options."""
        assert repr(Backoff(0.5, 30)) == "Backoff(0.5, 30)"
        assert repr(Backoff(1, 8, jitter=0.2)) == "Backoff(1, 8, jitter=0.2)"

    @pytest.mark.parametrize(
        ("kwargs", "error", "message"),
        [
            ({"initial": -1, "maximum": 1}, InvalidSpec, "'initial' must be > 0"),
            ({"initial": 0, "maximum": 1}, InvalidSpec, "a delay of 0 would never grow"),
            ({"initial": 2, "maximum": 1}, InvalidSpec, "'maximum' must be >= 'initial'"),
            ({"initial": 1, "maximum": math.nan}, InvalidSpec, "'maximum' must be finite"),
            ({"initial": 1, "maximum": math.inf}, InvalidSpec, "'maximum' must be finite"),
            ({"initial": "1", "maximum": 2}, InvalidSpecType, "'initial' must be a number"),
            ({"initial": True, "maximum": 2}, InvalidSpecType, "'initial' must be a number"),
            ({"initial": 1, "maximum": 2, "factor": 0.5}, InvalidSpec, "'factor' must be >= 1"),
            ({"initial": 1, "maximum": 2, "jitter": 1}, InvalidSpec, "'jitter' must be >= 0"),
            ({"initial": 1, "maximum": 2, "jitter": -0.1}, InvalidSpec, "'jitter'"),
            ({"initial": 1, "maximum": 2, "reset_after": -1}, InvalidSpec, "'reset_after'"),
        ],
    )
    def test_bad_values_are_rejected(
        self, kwargs: dict[str, object], error: type[Exception], message: str
    ) -> None:
        """Each bad value is a clear error naming the field."""
        with pytest.raises(error, match=message):
            Backoff(**kwargs)  # type: ignore[arg-type]

    def test_specs_take_a_backoff(self) -> None:
        """Worker and Supervisor specs carry a backoff, shown in their repr and compared."""
        worker = Worker("w", idle, backoff=Backoff(1, 2))
        assert worker.backoff == Backoff(1, 2)
        assert "backoff=Backoff(1, 2)" in repr(worker)
        assert worker != Worker("w", idle)
        sup = Supervisor("s", [worker], backoff=Backoff(1, 2))
        assert "backoff=Backoff(1, 2)" in repr(sup)

    def test_specs_reject_a_backoff_that_is_not_one(self) -> None:
        """backoff= must be a Backoff or None, named in the error."""
        with pytest.raises(
            InvalidSpecType, match=r"Worker 'w': 'backoff' must be a gensup\.Backoff"
        ):
            Worker("w", idle, backoff=(1, 2))  # type: ignore[arg-type]
        with pytest.raises(InvalidSpecType, match="Supervisor 's': 'backoff'"):
            Supervisor("s", backoff=1)  # type: ignore[arg-type]


class TestDelay:
    def test_grows_by_factor_up_to_maximum(self) -> None:
        """The n-th delay is initial * factor**n, capped at maximum."""
        backoff = Backoff(0.5, 10, factor=3)
        assert [delay(backoff, n, None) for n in range(5)] == [0.5, 1.5, 4.5, 10.0, 10.0]

    def test_far_past_the_cap_does_not_overflow(self) -> None:
        """A huge restart count gives maximum, not an OverflowError."""
        assert delay(Backoff(1, 60), 100_000, None) == 60

    @given(
        st.floats(0.001, 100),
        st.floats(0, 100),
        st.floats(1, 10),
        st.floats(0, 0.99),
        st.integers(0, 2000),
        st.integers(0, 2**32),
    )
    def test_jitter_stays_within_its_band(
        self, initial: float, extra: float, factor: float, jitter: float, n: int, seed: int
    ) -> None:
        """With jitter j the delay is the capped delay times a factor in [1 - j, 1 + j]."""
        backoff = Backoff(initial, initial + extra, factor=factor, jitter=jitter)
        base = delay(Backoff(initial, initial + extra, factor=factor), n, None)
        got = delay(backoff, n, random.Random(seed))
        assert base * (1 - jitter) - 1e-9 <= got <= base * (1 + jitter) + 1e-9

    def test_same_seed_same_delays(self) -> None:
        """The same seed draws the same jittered delays."""
        backoff = Backoff(1, 100, jitter=0.5)
        first = [delay(backoff, n, random.Random(7)) for n in range(5)]
        again = [delay(backoff, n, random.Random(7)) for n in range(5)]
        assert first == again
        assert len(set(first)) > 1
