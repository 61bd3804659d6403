"""Random timer schedules against a small reference model of time in the tree.

Workers run scripts of timed waits and sleeps; a random program signals
their events, crashes them and advances a virtual clock.  An independent
model, written from the rules (deadline order, ties in the order set, timers
owned by one incarnation, backoff delays by the formula, intensity counted at
the attempt), predicts every resume; the tree must do exactly that.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

import gensup
from gensup import TIMEOUT, Backoff, Supervisor, VirtualClock, Worker, sleep, waitfor

Gen = Generator[Any, Any, None]
Step = tuple[str, float]  # ("wait" | "sleep", seconds)

SECONDS = st.sampled_from([0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0])


def scripted(
    log: list[tuple[float, int, int, str]], clock: VirtualClock, i: int, script: list[Step]
) -> Gen:
    """Run ``script`` for ever: timed waits on E<i> (K<i> crashes it) and sleeps."""
    incarnation = next(_incarnations[i])
    k = 0
    while True:
        kind, seconds = script[k % len(script)]
        k += 1
        if kind == "wait":
            event, *_ = yield waitfor(f"E{i}", f"K{i}", timeout=seconds)
        else:
            event, *_ = yield sleep(seconds)
        what = "T" if event is TIMEOUT else event[0]
        log.append((clock.now(), i, incarnation, what))
        if what == "K":
            raise RuntimeError("killed by the test")


_incarnations: dict[int, Any] = {}


@attrs.define
class _W:
    script: list[Step]
    incarnation: int = 0
    k: int = 0
    # "wait", "sleep" or "restarting"
    mode: str = ""
    deadline: float = 0.0
    seq: int = 0
    n: int = 0
    started_at: float | None = None


class Model:
    """Time in the tree, from the rules alone."""

    def __init__(self, scripts: list[list[Step]], backoff: Backoff | None) -> None:
        self.now = 0.0
        self.seq = 0
        self.backoff = backoff
        self.log: list[tuple[float, int, int, str]] = []
        self.workers = [_W(script) for script in scripts]
        for i in range(len(scripts)):
            self._start(i)

    def _set(self, w: _W, mode: str, seconds: float) -> None:
        self.seq += 1
        w.mode, w.deadline, w.seq = mode, self.now + seconds, self.seq

    def _enter(self, w: _W) -> None:
        kind, seconds = w.script[w.k % len(w.script)]
        w.k += 1
        self._set(w, kind, seconds)

    def _start(self, i: int) -> None:
        w = self.workers[i]
        w.incarnation += 1
        w.k = 0
        w.started_at = self.now
        self._enter(w)

    def signal(self, event: str, i: int) -> int:
        w = self.workers[i]
        if w.mode != "wait":
            return 0
        self.log.append((self.now, i, w.incarnation, event))
        if event == "E":
            self._enter(w)
            return 1
        # A crash: restarted at once, or after the backoff delay.
        backoff = self.backoff
        if backoff is None:
            self._start(i)
            return 1
        if w.started_at is not None and self.now - w.started_at >= backoff.reset_time:
            w.n = 0
        w.started_at = None
        delay = min(backoff.maximum, backoff.initial * backoff.factor**w.n)
        w.n += 1
        self._set(w, "restarting", delay)
        return 1

    def advance(self, seconds: float) -> None:
        target = self.now + seconds
        while True:
            due = [
                (w.deadline, w.seq, i) for i, w in enumerate(self.workers) if w.deadline <= target
            ]
            if not due:
                break
            deadline, _, i = min(due)
            self.now = max(self.now, deadline)
            w = self.workers[i]
            if w.mode == "restarting":
                self._start(i)
            else:
                self.log.append((self.now, i, w.incarnation, "T"))
                self._enter(w)
        self.now = target

    def next_deadline(self) -> float | None:
        return min((w.deadline for w in self.workers), default=None)


scripts_st = st.lists(
    st.lists(st.tuples(st.sampled_from(["wait", "sleep"]), SECONDS), min_size=1, max_size=4),
    min_size=1,
    max_size=4,
)
backoff_st = st.none() | st.builds(
    lambda initial, extra, factor: Backoff(initial, initial + extra, factor=factor),
    st.sampled_from([0.25, 0.5, 1.0, 2.0]),
    st.sampled_from([0.0, 1.0, 4.0]),
    st.sampled_from([1.0, 2.0, 3.0]),
)


@st.composite
def programs(draw: st.DrawFn, workers: int) -> list[tuple[str, Any]]:
    step = st.one_of(
        st.tuples(st.just("advance"), st.sampled_from([0.25, 0.5, 1.0, 2.0, 3.0, 7.0])),
        st.tuples(st.sampled_from(["E", "K"]), st.integers(0, workers - 1)),
    )
    return draw(st.lists(step, max_size=50))


@given(scripts_st, backoff_st, st.data())
def test_timers_follow_the_model(
    scripts: list[list[Step]], backoff: Backoff | None, data: st.DataObject
) -> None:
    """Every resume by timer, event or restart happens when and in the order the model says."""
    program = data.draw(programs(len(scripts)))
    clock = VirtualClock()
    log: list[tuple[float, int, int, str]] = []
    for i in range(len(scripts)):
        _incarnations[i] = iter(range(1, 10**6))
    spec = Supervisor(
        "r",
        [
            Worker(f"w{i}", scripted, args=(log, clock, i, script), backoff=backoff)
            for i, script in enumerate(scripts)
        ],
        intensity=10**6,
        period=1,
    )
    model = Model(scripts, backoff)
    tree = gensup.start(spec, clock=clock)
    for kind, value in program:
        if kind == "advance":
            clock.advance(value)
            model.advance(value)
        else:
            assert tree.signal(f"{kind}{value}") == model.signal(kind, value)
        assert log == model.log
        assert tree.next_deadline() == model.next_deadline()
        states = [info.state.value for info in tree.which_children("r")]
        assert states == [
            "restarting" if w.mode == "restarting" else "running" for w in model.workers
        ]
    tree.stop()
    assert tree.next_deadline() is None
    clock.advance(100)
    assert log == model.log
