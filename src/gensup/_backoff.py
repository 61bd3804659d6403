"""Restart backoff: a delay before a child is restarted, growing while it keeps failing.

OTP restarts at once and has no backoff; Akka's ``BackoffSupervisor`` and many
users' hand-written loops do.  Here it is a spec value, `Backoff`, and a pure
formula, `delay`: the engine asks it how long to wait and sets a timer.
"""

from __future__ import annotations

import math
import random
from typing import Any

import attrs

from ._errors import InvalidSpec, InvalidSpecType

__all__ = ["Backoff", "delay"]


def _number(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidSpecType(f"Backoff: {attribute.name!r} must be a number (got {value!r})")
    if math.isnan(value) or math.isinf(value):
        raise InvalidSpec(f"Backoff: {attribute.name!r} must be finite (got {value!r})")


def _at_least(minimum: float):  # type: ignore[no-untyped-def]
    def check(inst: object, attribute: attrs.Attribute[Any], value: float) -> None:
        _number(inst, attribute, value)
        if value < minimum:
            raise InvalidSpec(f"Backoff: {attribute.name!r} must be >= {minimum} (got {value!r})")

    return check


def _positive(inst: object, attribute: attrs.Attribute[Any], value: float) -> None:
    _number(inst, attribute, value)
    if not value > 0:
        raise InvalidSpec(
            f"Backoff: 'initial' must be > 0 (got {value!r}); a delay of 0 would never grow"
        )


def _check_jitter(inst: object, attribute: attrs.Attribute[Any], value: float) -> None:
    _number(inst, attribute, value)
    if not 0 <= value < 1:
        raise InvalidSpec(f"Backoff: 'jitter' must be >= 0 and < 1 (got {value!r})")


def _check_reset_after(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _at_least(0)(inst, attribute, value)


@attrs.frozen(repr=False)
class Backoff:
    """How long to wait before restarting a child, growing while it keeps failing.

    Example:
        >>> from gensup import Backoff, Worker, waitfor
        >>> def connect():
        ...     yield waitfor("NEVER")
        >>> Worker("conn", connect, backoff=Backoff(0.5, 30))
        Worker('conn', connect, backoff=Backoff(0.5, 30))

    The n-th consecutive restart (n = 0, 1, 2, ...) of the child waits
    ``min(maximum, initial * factor ** n)`` seconds of the tree's clock,
    multiplied, when ``jitter`` is ``j > 0``, by a uniform draw from
    ``[1 - j, 1 + j]`` (from the tree's random generator, seeded by
    ``gensup.start(..., seed=...)``).  A child that ran ``reset_after``
    seconds without ending (by default ``maximum``) starts again from
    ``initial``.  Each restart counts toward its supervisor's intensity when
    it is attempted, at the end of its delay.

    Args:
        initial: The first delay, in seconds (> 0: a delay of 0 would never grow).
        maximum: The longest delay, before jitter (>= ``initial``).
        factor: How much the delay grows per consecutive restart (>= 1).
        jitter: The spread of the random factor, in ``[0, 1)``.
        reset_after: Seconds of running after which the delay starts again
            from ``initial``; ``None`` means ``maximum``.

    Raises:
        InvalidSpec: a value out of range (a ``ValueError``).
        InvalidSpecType: a value that is not a number (a ``TypeError``).
    """

    initial: float = attrs.field(validator=_positive)
    maximum: float = attrs.field(validator=_at_least(0))
    factor: float = attrs.field(default=2.0, kw_only=True, validator=_at_least(1))
    jitter: float = attrs.field(default=0.0, kw_only=True, validator=_check_jitter)
    reset_after: float | None = attrs.field(
        default=None, kw_only=True, validator=_check_reset_after
    )

    def __attrs_post_init__(self) -> None:
        if self.maximum < self.initial:
            raise InvalidSpec(
                f"Backoff: 'maximum' must be >= 'initial' (got initial={self.initial!r}, "
                f"maximum={self.maximum!r})"
            )

    def __repr__(self) -> str:
        parts = [repr(self.initial), repr(self.maximum)]
        for name, default in (("factor", 2.0), ("jitter", 0.0), ("reset_after", None)):
            value = getattr(self, name)
            if value != default:
                parts.append(f"{name}={value!r}")
        return f"Backoff({', '.join(parts)})"

    @property
    def reset_time(self) -> float:
        """``reset_after``, or ``maximum`` when it is not set."""
        return self.maximum if self.reset_after is None else self.reset_after


def delay(backoff: Backoff, n: int, rng: random.Random | None) -> float:
    """The delay before the ``n``-th consecutive restart (from 0).

    Example:
        >>> [delay(Backoff(1, 10), n, None) for n in range(6)]
        [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]

    ``rng`` is used only when the backoff has jitter.
    """
    try:
        base = min(float(backoff.maximum), backoff.initial * float(backoff.factor) ** n)
    except OverflowError:  # far past the cap
        base = float(backoff.maximum)
    if backoff.jitter and rng is not None:
        base *= rng.uniform(1 - backoff.jitter, 1 + backoff.jitter)
    return base
