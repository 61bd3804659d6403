"""Hypothesis strategies for gensup's tests: tree shapes, worker programs, start plans.

Trees are drawn as raw nested data with ``st.recursive`` and then finished by
`finish`: ids unique among siblings (``w0``, ``s1``: kind and position), the
depth and the node count bounded, and OTP's spec rules applied (a significant
child is never permanent and only sits under a supervisor whose
``auto_shutdown`` is not ``never``).  The shapes are the model's
(`model.WorkerShape`, `model.SupervisorShape`); the state machine turns them
into gensup specs.
"""

from __future__ import annotations

import functools
from typing import Any

import attrs
from hypothesis import strategies as st

from model import ALL, Program, Shape, SupervisorShape, WorkerShape

__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "child_shapes",
    "finish",
    "programs",
    "start_programs",
    "tree_shapes",
]

#: Deepest node of a drawn tree (the root is at depth 0).
MAX_DEPTH = 3
#: Most nodes in a drawn tree, the root included.
MAX_NODES = 12

restarts = st.sampled_from(["permanent", "transient", "temporary"])
supervisor_strategies = st.sampled_from(["one_for_one", "one_for_all", "rest_for_one"])
auto_shutdowns = st.sampled_from(["never", "any_significant", "all_significant"])


@attrs.frozen
class _RawWorker:
    restart: str
    significant: bool
    listens: bool
    stubborn: bool


@attrs.frozen
class _RawSupervisor:
    children: tuple[Any, ...]
    strategy: str
    intensity: int
    period: int
    auto_shutdown: str
    restart: str
    significant: bool


_raw_workers = st.builds(
    _RawWorker,
    restart=restarts,
    significant=st.booleans(),
    listens=st.integers(0, 3).map(lambda n: n != 3),
    stubborn=st.integers(0, 5).map(lambda n: n == 5),
)


def _raw_supervisors(children: st.SearchStrategy[Any]) -> st.SearchStrategy[_RawSupervisor]:
    return st.builds(
        _RawSupervisor,
        children=st.lists(children, max_size=4).map(tuple),
        strategy=supervisor_strategies,
        intensity=st.integers(0, 3),
        period=st.integers(1, 10),
        auto_shutdown=auto_shutdowns,
        restart=restarts,
        significant=st.booleans(),
    )


_raw_nodes = st.recursive(_raw_workers, _raw_supervisors, max_leaves=10)


def finish(
    raw: Any,
    id: str,
    *,
    parent_auto_shutdown: str = "never",
    depth: int = 0,
    budget: list[int] | None = None,
    keep_significant: bool = False,
) -> Shape:
    """Turn raw drawn data into a valid shape with id ``id``.

    Args:
        raw: A ``_RawWorker`` or ``_RawSupervisor``.
        id: The node's id.
        parent_auto_shutdown: Its supervisor's policy: under ``never`` no
            child is significant.
        depth: The node's depth; supervisors at `MAX_DEPTH` get no children.
        budget: Nodes left to place (a one-item list, shared down the tree).
        keep_significant: Keep this node's own significant flag whatever the
            parent's policy (for a ``start_child`` that must be refused).
    """
    if budget is None:
        budget = [MAX_NODES]
    budget[0] -= 1
    significant = raw.significant and raw.restart != "permanent"
    if parent_auto_shutdown == "never" and not keep_significant:
        significant = False
    if isinstance(raw, _RawWorker):
        return WorkerShape(
            id,
            restart=raw.restart,
            significant=significant,
            listens=raw.listens,
            stubborn=raw.stubborn,
        )
    children: list[Shape] = []
    if depth < MAX_DEPTH:
        for index, child in enumerate(raw.children):
            if budget[0] <= 0:
                break
            prefix = "w" if isinstance(child, _RawWorker) else "s"
            children.append(
                finish(
                    child,
                    f"{prefix}{index}",
                    parent_auto_shutdown=raw.auto_shutdown,
                    depth=depth + 1,
                    budget=budget,
                )
            )
    return SupervisorShape(
        id,
        tuple(children),
        strategy=raw.strategy,
        intensity=raw.intensity,
        period=raw.period,
        auto_shutdown=raw.auto_shutdown,
        restart=raw.restart,
        significant=significant,
    )


def tree_shapes(root_id: str = "r") -> st.SearchStrategy[SupervisorShape]:
    """Root supervisors of at most `MAX_NODES` nodes and depth `MAX_DEPTH`:
    nested supervisors, every strategy and restart type (the root's is
    permanent), intensity 0..3,
    period 1..10 s, some significant children."""
    # The root is permanent: gensup.start refuses restart types on a root.
    return _raw_supervisors(_raw_nodes).map(
        lambda raw: finish(attrs.evolve(raw, restart="permanent"), root_id)
    )


def child_shapes(id: str, parent_auto_shutdown: str) -> st.SearchStrategy[Shape]:
    """A worker or a small supervisor to add with ``start_child`` under a
    supervisor with that policy; it may be significant where that is refused."""
    raw = st.one_of(_raw_workers, _raw_supervisors(_raw_workers))
    return raw.map(
        lambda r: finish(
            r,
            id,
            parent_auto_shutdown=parent_auto_shutdown,
            depth=MAX_DEPTH - 1,
            budget=[4],
            keep_significant=True,
        )
    )


def _emits(
    paths: tuple[str, ...], targets: tuple[str | None, ...], depth: int
) -> st.SearchStrategy[tuple[Any, ...]]:
    """One ``("emit", event, payload, to)`` step whose payload is ``depth - 1`` deep."""
    inner = programs(paths, targets, depth - 1)
    to_path = st.builds(
        lambda event, payload, to: ("emit", event, payload, to),
        st.sampled_from(paths),
        inner,
        st.sampled_from(targets),
    )
    to_all = st.builds(
        lambda pairs, to: ("emit", ALL, tuple(pairs), to),
        st.lists(st.tuples(st.sampled_from(paths), inner), max_size=3, unique_by=lambda p: p[0]),
        st.sampled_from(targets),
    )
    return st.one_of(to_path, to_all)


_ENDS: st.SearchStrategy[Program] = st.sampled_from([(), (("crash",),), (("exit",),)])


@functools.lru_cache(maxsize=256)
def programs(
    paths: tuple[str, ...], targets: tuple[str | None, ...], depth: int = 2
) -> st.SearchStrategy[Program]:
    """What a worker does when resumed: up to two emits, then maybe crash or exit.

    The strategies are cached by ``paths`` and ``targets``, hence tuples.

    Emitted events are worker paths (whose payload is a program one level
    shallower) or `ALL` (whose payload gives some workers a program), sent
    to one of ``targets``.  Programs are finite data and each emit carries a
    shallower one, so no chain of events goes on for ever.
    """
    if depth <= 0 or not paths:
        return _ENDS
    emits = st.lists(_emits(paths, targets, depth), max_size=2).map(tuple)
    return st.builds(lambda e, end: e + end, emits, _ENDS)


@functools.lru_cache(maxsize=256)
def start_programs(
    paths: tuple[str, ...], targets: tuple[str | None, ...]
) -> st.SearchStrategy[Program]:
    """What a worker does before its first wait: fail (raise), be ignored
    (return), or emit one or two events and then wait."""
    fail_or_ignore = st.sampled_from([(("crash",),), (("exit",),)])
    if not paths:
        return fail_or_ignore
    emitting = st.lists(_emits(paths, targets, 2), min_size=1, max_size=2).map(tuple)
    return st.one_of(fail_or_ignore, emitting)
