"""Hypothesis strategies for your own tests: random valid trees and crash schedules.

Example:
    >>> from hypothesis import given
    >>> from gensup import waitfor
    >>> from gensup.testing import strategies
    >>> def idle():
    ...     yield waitfor("NEVER")
    >>> @given(strategies.specs(workers=[idle], max_depth=2))
    ... def test_starts(spec):
    ...     assert spec.id == "root"
    >>> test_starts()

This module needs hypothesis, which gensup itself does not: install the
``testing`` extra (``pip install "gensup[testing]"``).  ``import gensup`` and
``import gensup.testing`` work without it.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from ._check import MISSING_HYPOTHESIS

try:
    from hypothesis import strategies as st
except ImportError as exc:  # tested in a subprocess without hypothesis
    raise ImportError(MISSING_HYPOTHESIS.format(name="strategies")) from exc

from .._spec import ChildSpec, Supervisor, Worker, WorkerFunc
from ._drive import Advance, Crash, Finish, Signal, Step

__all__ = ["crash_schedules", "specs", "worker_paths"]

_STRATEGIES = ("one_for_one", "one_for_all", "rest_for_one")
_RESTARTS = ("permanent", "transient", "temporary")


def specs(
    *,
    workers: Sequence[WorkerFunc] | st.SearchStrategy[WorkerFunc],
    max_depth: int = 3,
    max_width: int = 4,
    root_id: str = "root",
) -> st.SearchStrategy[Supervisor]:
    """Random valid root specs whose workers run your worker functions.

    Example:
        >>> from hypothesis import given
        >>> from gensup import waitfor
        >>> def idle():
        ...     yield waitfor("NEVER")
        >>> @given(specs(workers=[idle], max_depth=2, max_width=3))
        ... def test_shape(spec):
        ...     assert spec.id == "root" and 1 <= len(spec.children) <= 3
        >>> test_shape()

    Supervisors nest down to ``max_depth`` (the root is at depth 0) with up to
    ``max_width`` children each; every strategy, restart type, intensity
    0..3 and period 1..10 s comes up.  Ids are unique among siblings: ``w0``
    for a worker, ``s1`` for a supervisor (kind and position).  Children are
    never significant, so no supervisor shuts itself down.

    Args:
        workers: The generator functions the workers run, called without
            arguments: a list (drawn from) or a strategy of them.
        max_depth: The deepest level with children.
        max_width: Most children of one supervisor.
        root_id: The root's id.
    """
    if not isinstance(workers, st.SearchStrategy):
        funcs = list(workers)
        if not funcs:
            raise ValueError("specs: 'workers' must name at least one worker function")
        workers = st.sampled_from(funcs)
    funcs_st: st.SearchStrategy[WorkerFunc] = workers

    def leaf() -> st.SearchStrategy[Any]:
        return st.tuples(st.just("w"), funcs_st, st.sampled_from(_RESTARTS))

    def node(depth: int) -> st.SearchStrategy[Any]:
        if depth >= max_depth:
            return leaf()
        children = st.lists(node(depth + 1), max_size=max_width)
        sup = st.tuples(
            st.just("s"),
            children,
            st.sampled_from(_STRATEGIES),
            st.integers(0, 3),
            st.integers(1, 10),
            st.sampled_from(_RESTARTS),
        )
        return st.one_of(leaf(), sup)

    def build(raw: Any, id: str, root: bool) -> ChildSpec:
        if raw[0] == "w":
            return Worker(id, raw[1], restart=raw[2])
        _, children, strategy, intensity, period, restart = raw
        kids = [build(child, f"{child[0]}{i}", False) for i, child in enumerate(children)]
        options: dict[str, Any] = {}
        if not root:
            options["restart"] = restart
        return Supervisor(
            id, kids, strategy=strategy, intensity=intensity, period=period, **options
        )

    root = st.tuples(
        st.just("s"),
        st.lists(node(1), min_size=1, max_size=max_width),
        st.sampled_from(_STRATEGIES),
        st.integers(0, 3),
        st.integers(1, 10),
        st.just("permanent"),
    )

    def build_root(raw: Any) -> Supervisor:
        spec = build(raw, root_id, True)
        assert isinstance(spec, Supervisor)
        return spec

    return root.map(build_root)


def worker_paths(spec: Supervisor) -> list[str]:
    """The paths of the workers in ``spec``, in tree order.

    Example:
        >>> from gensup import Supervisor, Worker, waitfor
        >>> def idle():
        ...     yield waitfor("NEVER")
        >>> spec = Supervisor("root", [Worker("a", idle), Supervisor("s", [Worker("b", idle)])])
        >>> worker_paths(spec)
        ['root/a', 'root/s/b']
    """
    out: list[str] = []
    stack: list[tuple[str, ChildSpec]] = [(spec.id, spec)]
    while stack:
        path, child = stack.pop()
        if isinstance(child, Supervisor):
            stack.extend((f"{path}/{c.id}", c) for c in reversed(child.children))
        else:
            out.append(path)
    return out


def crash_schedules(
    spec: Supervisor,
    *,
    events: Sequence[Hashable | tuple[Any, ...]] = (),
    max_steps: int = 20,
    max_advance: float = 12.0,
) -> st.SearchStrategy[list[Step]]:
    """Random schedules of steps against a tree started from ``spec``.

    Example:
        >>> from hypothesis import given
        >>> from gensup import Supervisor, Worker, waitfor
        >>> def idle():
        ...     yield waitfor("NEVER")
        >>> @given(crash_schedules(Supervisor("root", [Worker("w", idle)]), events=["PING"]))
        ... def test_steps(schedule):
        ...     assert {str(step).split()[0] for step in schedule} <= {
        ...         "crash", "finish", "advance", "signal"
        ...     }
        >>> test_steps()

    Each step is one of `gensup.testing.Crash` or `gensup.testing.Finish` a
    worker path of ``spec``, `gensup.testing.Advance` the clock by up to
    ``max_advance`` seconds, or `gensup.testing.Signal` one of ``events``.
    A step on a worker that does not run when it comes does nothing.  Crashes
    are drawn most often; schedules shrink towards fewer, earlier steps.

    Args:
        spec: The root spec the schedules are for.
        events: What ``Signal`` steps signal: an event, or a tuple of an
            event and its arguments, as ``("QUERY", "poison")``.
        max_steps: Most steps in a schedule.
        max_advance: Longest single clock step, in seconds.
    """
    paths = worker_paths(spec)
    choices: list[st.SearchStrategy[Step]] = []
    if paths:
        path = st.sampled_from(paths)
        choices += [path.map(Crash), path.map(Crash), path.map(Finish)]
    choices.append(st.floats(0, max_advance, allow_nan=False).map(lambda s: Advance(round(s, 1))))
    if events:
        signals = [
            Signal(e[0], tuple(e[1:])) if isinstance(e, tuple) else Signal(e) for e in events
        ]
        choices.append(st.sampled_from(signals))
    step: st.SearchStrategy[Step] = st.one_of(*choices)
    return st.lists(step, max_size=max_steps)
