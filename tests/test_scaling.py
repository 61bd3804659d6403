"""Costs that must grow linearly with the size of the tree, checked by timing two sizes.

Each test times the same operation at a size ``n`` and at ``FACTOR * n``
(CPU time, best of three, the garbage collector paused) and asserts that the
larger one costs at most ``SLACK * FACTOR`` times the smaller: a linear cost
passes with room to spare, a quadratic one, ``FACTOR`` times worse again,
fails.  Only the operation is timed; what it needs is prepared beforehand.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Generator
from typing import Any

import gensup
from gensup import Supervisor, Worker, render, waitfor

FACTOR = 8
SLACK = 2.5

Gen = Generator[Any, Any, None]


def cpu_seconds(prepare: Callable[[], Callable[[], object]]) -> float:
    """The least CPU time of three runs, each prepared afresh and untimed."""
    best = math.inf
    for _ in range(3):
        run = prepare()
        gc.collect()
        gc.disable()
        try:
            began = time.process_time()
            run()
            best = min(best, time.process_time() - began)
        finally:
            gc.enable()
    return best


def growth(prepare: Callable[[int], Callable[[], object]], n: int) -> float:
    """How many times more the operation costs at ``FACTOR * n`` than at ``n``."""
    small = cpu_seconds(lambda: prepare(n))
    large = cpu_seconds(lambda: prepare(FACTOR * n))
    return large / max(small, 1e-9)


def assert_linear(prepare: Callable[[int], Callable[[], object]], n: int) -> None:
    """The operation that ``prepare(size)`` sets up costs O(size)."""
    ratio = growth(prepare, n)
    assert ratio < SLACK * FACTOR, f"x{FACTOR} in size cost x{ratio:.0f} in time"


class TestTemporaryChildren:
    def test_ending_last_first_is_linear(self) -> None:
        """Temporary children that end last-first, all in one signal, cost O(1) each."""

        def ender(me: int) -> Gen:
            yield waitfor(("ARM", me))
            yield waitfor("END")

        def prepare(n: int) -> Callable[[], object]:
            spec = Supervisor(
                "root", [Worker(f"w{i}", ender, args=(i,), restart="temporary") for i in range(n)]
            )
            tree = gensup.start(spec)
            # Armed last to first, so that END reaches them (and they end) last to first.
            for i in reversed(range(n)):
                tree.signal(("ARM", i))

            def run() -> None:
                assert tree.signal("END") == n
                assert tree.which_children("root") == []

            return run

        assert_linear(prepare, 2_000)


def chain(depth: int) -> Supervisor:
    """Supervisors ``depth`` levels deep above one worker."""
    spec = Supervisor("leaf", [Worker("w", idle)])
    for level in range(depth):
        spec = Supervisor(f"s{level}", [spec])
    return spec


def idle() -> Gen:
    """Wait forever."""
    while True:
        yield waitfor("NEVER")


class TestMermaid:
    def test_running_chain_is_linear(self) -> None:
        """render.mermaid of a running tree costs O(depth) for a chain, not O(depth²)."""

        def prepare(depth: int) -> Callable[[], object]:
            tree = gensup.start(chain(depth))
            return lambda: render.mermaid(tree)

        assert_linear(prepare, 1_000)

    def test_spec_chain_is_linear(self) -> None:
        """render.mermaid of a spec costs O(depth) for a chain, not O(depth²)."""

        def prepare(depth: int) -> Callable[[], object]:
            spec = chain(depth)
            return lambda: render.mermaid(spec)

        assert_linear(prepare, 4_000)
