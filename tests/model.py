"""A reference model of a running gensup tree, for the state machine test.

It is written from the rules of the core issue ("Semantics: OTP's supervisor,
exactly" and "Events"), not from ``gensup._core``: a tree of child slots with
a state, an incarnation count and, for supervisors, a restart window; one FIFO
queue of follow-ups drained before every call returns.  For every call it
predicts the exact ordered reports, which workers an event reaches and in what
order, what ``which_children`` and ``status`` return afterwards, whether the
tree is alive, and which error the call raises.

The workers it models are the test's controlled workers: each waits for its
own path as an event (and, if it ``listens``, for `ALL` as well) and, when
resumed, carries out a *program*, a tuple of steps:

* ``("emit", event, payload, to)``: emit ``event`` with the one argument
  ``payload``; ``to`` is ``None`` or a path; a path that names no child of
  the specs (see `Model._names_child`) is a crash at that step instead;
* ``("crash",)``: raise;
* ``("exit",)``: return.

Without ``crash`` or ``exit`` the worker waits again.  The payload of an event
that is a worker's own path is its program; the payload of `ALL` is a tuple of
``(path, program)`` pairs, and a worker missing from it just waits again.  A
start plan (``path -> (program, always)``) is carried out before the first
wait of a start attempt: ``crash`` makes it a failed start, ``exit`` an
ignored one (OTP's ``ignore``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterator
from typing import Any, TypeAlias

import attrs

from gensup import (
    ChildAlreadyPresent,
    ChildAlreadyStarted,
    ChildNotFound,
    ChildRestarting,
    ChildRunning,
    InvalidSpec,
    StartFailed,
    SupervisorGaveUp,
    TreeStopped,
)
from gensup.reports import Dropped, GaveUp, Reason, Report, Started, Stopped

__all__ = [
    "ALL",
    "ChildRow",
    "Model",
    "Program",
    "Shape",
    "SupervisorShape",
    "WorkerShape",
    "walk_shape",
]

#: The event that every listening worker waits for besides its own path.
ALL = "ALL"

#: What a worker does when resumed (see the module docstring).
Program: TypeAlias = tuple[tuple[Any, ...], ...]

#: ``which_children`` as plain values: (id, kind, restart, state, incarnation).
ChildRow: TypeAlias = tuple[str, str, str, str, int]

RUNNING = "running"
STOPPED = "stopped"
RESTARTING = "restarting"

_STARTED = "started"
_IGNORED = "ignored"
_FAILED = "failed"


# ---- Shapes: what a tree is made of, as plain data ----


@attrs.frozen
class WorkerShape:
    """A controlled worker.

    Attributes:
        listens: It also waits for `ALL`, not only for its own path.
        stubborn: It yields again when closed, so a stop reports it ``killed``.
    """

    id: str
    restart: str = "permanent"
    significant: bool = False
    listens: bool = True
    stubborn: bool = False


@attrs.frozen
class SupervisorShape:
    """A supervisor, with the options of `gensup.Supervisor`."""

    id: str
    children: tuple[Shape, ...] = ()
    strategy: str = "one_for_one"
    intensity: int = 1
    period: float = 5
    auto_shutdown: str = "never"
    restart: str = "permanent"
    significant: bool = False


Shape: TypeAlias = WorkerShape | SupervisorShape


def walk_shape(shape: Shape, path: str) -> Iterator[tuple[str, Shape]]:
    """Every node of ``shape`` with its path, in pre-order (start order)."""
    yield path, shape
    if isinstance(shape, SupervisorShape):
        for child in shape.children:
            yield from walk_shape(child, f"{path}/{child.id}")


# ---- Slots: one per child of a running supervisor ----


@attrs.define(eq=False)
class _Slot:
    shape: Shape
    parent: _Slot | None
    path: str
    state: str = STOPPED
    # Start attempts since the parent (this incarnation of it) started.
    incarnation: int = 0
    # The model's sequence number at the latest start attempt: events emitted
    # before it do not reach this incarnation.
    seq: int = 0
    # Ended on its own; the parent has not handled the exit yet.
    exit_pending: bool = False
    # Workers: when the current wait began (the delivery order), None if not waiting.
    waiting_since: int | None = None
    # Supervisors: children in child order, and the restart times in the window.
    children: list[_Slot] = attrs.Factory(list)
    restarts: list[float] = attrs.Factory(list)

    @property
    def is_worker(self) -> bool:
        return isinstance(self.shape, WorkerShape)

    @property
    def waits(self) -> tuple[Hashable, ...]:
        assert isinstance(self.shape, WorkerShape)
        return (self.path, ALL) if self.shape.listens else (self.path,)

    def child(self, child_id: str) -> _Slot | None:
        return next((c for c in self.children if c.shape.id == child_id), None)


# ---- The model ----


class Model:
    """The predicted behaviour of one tree.

    Each public method mirrors a `gensup.Tree` call: it updates the model,
    appends to `reports` and `deliveries`, and returns what the call returns
    or raises what it raises.  The caller clears both lists between calls.

    Args:
        shape: The root supervisor.
        starts: Start plans by worker path (see the module docstring).
    """

    def __init__(
        self, shape: SupervisorShape, starts: dict[str, tuple[Program, bool]] | None = None
    ) -> None:
        self.root = _Slot(shape, None, shape.id)
        self.starts: dict[str, tuple[Program, bool]] = dict(starts or {})
        self.now = 0.0
        self.alive = False
        #: The reports of the current call, in order.
        self.reports: list[Report] = []
        #: (worker path, event) for every resumption of a waiting worker, in order.
        self.deliveries: list[tuple[str, Hashable]] = []
        self._queue: deque[tuple[Any, ...]] = deque()
        self._seq = 0
        self._wait_clock = 0
        self._gave_up = False

    # ---- Calls ----

    def start(self) -> None:
        """``gensup.start``."""
        ok = self._start_sup(self.root)
        self.alive = ok
        self._drain()
        if not ok:
            raise StartFailed("model: the root failed to start")
        self._raise_if_gave_up()

    def stop(self) -> None:
        """``Tree.stop``."""
        if not self.alive:
            return
        self._stop(self.root)
        self.alive = False
        self._drop_queue()

    def signal(self, event: Hashable, payload: object, to: str | None = None) -> int:
        """``Tree.signal(event, payload, to=to)``."""
        self._check_alive()
        target = None
        if to is not None:
            target = self._find(to)
            if target is None:
                raise ChildNotFound(to)
        reached = self._deliver(event, (payload,), target, None)
        if not reached:
            self.reports.append(Dropped(event, (payload,), to))
        self._drain()
        self._raise_if_gave_up()
        return reached

    def advance(self, seconds: float) -> None:
        """The clock moves."""
        self.now += seconds

    def start_child(self, sup_path: str, shape: Shape) -> None:
        """``Tree.start_child``."""
        self._check_alive()
        sup = self._find(sup_path)
        if sup is None or sup.is_worker or sup.state != RUNNING:
            raise ChildNotFound(sup_path)
        assert isinstance(sup.shape, SupervisorShape)
        if shape.significant and sup.shape.auto_shutdown == "never":
            raise InvalidSpec(shape.id)
        old = sup.child(shape.id)
        if old is not None:
            if old.state == RUNNING:
                raise ChildAlreadyStarted(old.path)
            raise ChildAlreadyPresent(old.path)
        slot = _Slot(shape, sup, f"{sup.path}/{shape.id}")
        sup.children.append(slot)
        outcome = self._start(slot)
        if outcome == _FAILED or (outcome == _IGNORED and shape.restart == "temporary"):
            sup.children.remove(slot)
        self._drain()
        self._raise_if_gave_up()
        if outcome == _FAILED:
            raise StartFailed(slot.path)

    def terminate_child(self, path: str) -> None:
        """``Tree.terminate_child``."""
        slot = self._child(path)
        if slot.state == RUNNING:
            self._stop(slot)
        slot.state = STOPPED
        if slot.shape.restart == "temporary":
            self._remove(slot)
        self._drain()
        self._raise_if_gave_up()

    def restart_child(self, path: str) -> None:
        """``Tree.restart_child``."""
        slot = self._child(path)
        self._check_stopped(slot)
        outcome = self._start(slot)
        self._drain()
        self._raise_if_gave_up()
        if outcome == _FAILED:
            raise StartFailed(path)

    def delete_child(self, path: str) -> None:
        """``Tree.delete_child``."""
        slot = self._child(path)
        self._check_stopped(slot)
        self._remove(slot)

    # ---- Views ----

    def which_children(self) -> dict[str, list[ChildRow]]:
        """``which_children`` of every running supervisor, by path, in tree order."""
        return {
            slot.path: [
                (
                    c.shape.id,
                    "worker" if c.is_worker else "supervisor",
                    c.shape.restart,
                    c.state,
                    c.incarnation,
                )
                for c in slot.children
            ]
            for slot in self._walk()
            if not slot.is_worker and slot.state == RUNNING
        }

    def status(self) -> dict[str, tuple[Hashable, ...]]:
        """``Tree.status``: every running worker and what it waits for, in tree order."""
        return {
            slot.path: slot.waits
            for slot in self._walk()
            if slot.is_worker and slot.state == RUNNING
        }

    def shape_at(self, path: str) -> Shape | None:
        """The shape of the child at ``path`` in the running tree, or None."""
        slot = self._find(path)
        return None if slot is None else slot.shape

    def running_workers(self, *, listening: bool = False) -> list[str]:
        """The paths of the running workers (only those waiting for `ALL`, if asked)."""
        return [path for path, waits in self.status().items() if not listening or ALL in waits]

    def restarts_in_window(self) -> dict[str, tuple[int, int]]:
        """For every running supervisor: restarts within its period now, and its intensity."""
        out = {}
        for slot in self._walk():
            if isinstance(slot.shape, SupervisorShape) and slot.state == RUNNING:
                recent = [t for t in slot.restarts if self.now - t <= slot.shape.period]
                out[slot.path] = (len(recent), slot.shape.intensity)
        return out

    def _walk(self) -> Iterator[_Slot]:
        """The running tree in pre-order, children in child order."""
        if not self.alive:
            return
        stack = [self.root]
        while stack:
            slot = stack.pop()
            yield slot
            if slot.state == RUNNING:
                stack.extend(reversed(slot.children))

    # ---- Paths and checks ----

    def _find(self, path: object) -> _Slot | None:
        """The slot at ``path``: every supervisor on the way must be running."""
        if not isinstance(path, str):
            return None
        first, *rest = path.split("/")
        if first != self.root.shape.id or not self.alive:
            return None
        slot = self.root
        for part in rest:
            if slot.is_worker or slot.state != RUNNING:
                return None
            child = slot.child(part)
            if child is None:
                return None
            slot = child
        return slot

    def _child(self, path: str) -> _Slot:
        self._check_alive()
        slot = self._find(path)
        if slot is None or slot is self.root:
            raise ChildNotFound(path)
        return slot

    def _check_alive(self) -> None:
        if not self.alive:
            raise TreeStopped("model: the tree is not running")

    @staticmethod
    def _check_stopped(slot: _Slot) -> None:
        if slot.state == RUNNING:
            raise ChildRunning(slot.path)
        if slot.state == RESTARTING:
            raise ChildRestarting(slot.path)

    def _raise_if_gave_up(self) -> None:
        if self._gave_up:
            self._gave_up = False
            raise SupervisorGaveUp("model: the root gave up")

    def _remove(self, slot: _Slot) -> None:
        assert slot.parent is not None
        slot.parent.children.remove(slot)

    # ---- Starting ----

    def _begin(self, slot: _Slot) -> None:
        slot.incarnation += 1
        self._seq += 1
        slot.seq = self._seq
        slot.exit_pending = False
        self.reports.append(Started(slot.path))

    def _start(self, slot: _Slot) -> str:
        if slot.is_worker:
            return self._start_worker(slot)
        return _STARTED if self._start_sup(slot) else _FAILED

    def _start_worker(self, slot: _Slot) -> str:
        """Run the worker to its first wait: a crash before it is a failed start,
        a return before it is OTP's ``ignore``."""
        self._begin(slot)
        program: Program = ()
        plan = self.starts.get(slot.path)
        if plan is not None:
            program, always = plan
            if not always:
                del self.starts[slot.path]
        for step in program:
            if step[0] == "emit" and self._names_child(step[3]):
                self._emit(step)
            elif step[0] in ("emit", "crash"):
                self.reports.append(Stopped(slot.path, Reason.CRASH))
                return _FAILED
            else:
                self.reports.append(Stopped(slot.path, Reason.NORMAL))
                return _IGNORED
        slot.state = RUNNING
        self._wait(slot)
        return _STARTED

    def _start_sup(self, slot: _Slot) -> bool:
        """A fresh supervisor: empty history, its spec's children started in order."""
        shape = slot.shape
        assert isinstance(shape, SupervisorShape)
        self._begin(slot)
        slot.state = RUNNING
        slot.restarts = []
        slot.children = [_Slot(c, slot, f"{slot.path}/{c.id}") for c in shape.children]
        if self._start_group(slot, list(slot.children)) is None:
            return True
        self._stop(slot)
        return False

    def _start_group(self, sup: _Slot, group: list[_Slot]) -> _Slot | None:
        """Start ``group`` in order; stop at the first failure and return it."""
        for slot in group:
            outcome = self._start(slot)
            if outcome == _FAILED:
                return slot
            if outcome == _IGNORED and slot.shape.restart == "temporary":
                sup.children.remove(slot)
        return None

    # ---- Stopping ----

    def _stop(self, slot: _Slot) -> None:
        """Stop a running child; a supervisor stops its children last to first."""
        if slot.is_worker:
            if slot.state == RUNNING:
                assert isinstance(slot.shape, WorkerShape)
                reason = Reason.KILLED if slot.shape.stubborn else Reason.SHUTDOWN
                slot.state = STOPPED
                slot.waiting_since = None
                slot.exit_pending = False
                self.reports.append(Stopped(slot.path, reason))
            return
        for child in reversed(slot.children):
            if child.state == RUNNING:
                self._stop(child)
        for child in slot.children:
            # What was still pending for them (exits, retries) is void.
            child.exit_pending = False
            child.state = STOPPED
        slot.children = []
        slot.state = STOPPED
        self.reports.append(Stopped(slot.path, Reason.SHUTDOWN))

    # ---- Events ----

    def _wait(self, slot: _Slot) -> None:
        self._wait_clock += 1
        slot.waiting_since = self._wait_clock

    def _emit(self, step: tuple[Any, ...]) -> None:
        _, event, payload, to = step
        self._seq += 1
        self._queue.append(("deliver", event, (payload,), to, self._seq))

    def _deliver(
        self, event: Hashable, args: tuple[Any, ...], target: _Slot | None, stamp: int | None
    ) -> int:
        """Resume every worker under ``target`` waiting for ``event`` when the
        delivery begins (and started before ``stamp``), longest waiting first."""
        top = self.root if target is None else target
        batch = [
            slot
            for slot in self._workers_under(top)
            if slot.waiting_since is not None
            and event in slot.waits
            and (stamp is None or slot.seq < stamp)
        ]
        batch.sort(key=lambda slot: slot.waiting_since or 0)
        (payload,) = args
        for slot in batch:
            slot.waiting_since = None
            self.deliveries.append((slot.path, event))
            program = dict(payload).get(slot.path, ()) if event == ALL else payload
            self._carry_out(slot, program)
        return len(batch)

    def _workers_under(self, top: _Slot) -> Iterator[_Slot]:
        stack = [top]
        while stack:
            slot = stack.pop()
            if slot.is_worker:
                if slot.state == RUNNING:
                    yield slot
            elif slot.state == RUNNING:
                stack.extend(slot.children)

    def _carry_out(self, slot: _Slot, program: Program) -> None:
        for step in program:
            if step[0] == "emit" and self._names_child(step[3]):
                self._emit(step)
            else:
                self._ended(slot, Reason.NORMAL if step[0] == "exit" else Reason.CRASH)
                return
        self._wait(slot)

    def _names_child(self, to: str | None) -> bool:
        """Whether an emit may go to ``to``: None, or a path each part of
        which names a child of the specs above it, running or not (a running
        supervisor's children include those added by start_child)."""
        if to is None:
            return True
        first, *rest = to.split("/")
        if first != self.root.shape.id:
            return False
        slot: _Slot | None = self.root
        shape: Shape = self.root.shape
        for part in rest:
            if not isinstance(shape, SupervisorShape):
                return False
            child = None if slot is None else slot.child(part)
            if child is not None:
                slot, shape = child, child.shape
                continue
            found = next((c for c in shape.children if c.id == part), None)
            if found is None:
                return False
            slot, shape = None, found
        return True

    def _ended(self, slot: _Slot, reason: Reason) -> None:
        """A running child ended on its own: reported now, handled from the queue."""
        slot.state = STOPPED
        slot.waiting_since = None
        slot.exit_pending = True
        self.reports.append(Stopped(slot.path, reason))
        self._queue.append(("exit", slot, slot.seq, reason))

    # ---- The queue: run to completion ----

    def _drain(self) -> None:
        queue = self._queue
        while queue:
            if not self.alive:
                self._drop_queue()
                return
            item = queue.popleft()
            if item[0] == "deliver":
                _, event, args, to, stamp = item
                target = None
                if to is not None:
                    target = self._find(to)
                    if target is None:
                        self.reports.append(Dropped(event, args, to))
                        continue
                if not self._deliver(event, args, target, stamp):
                    self.reports.append(Dropped(event, args, to))
            elif item[0] == "exit":
                _, slot, seq, reason = item
                if slot.exit_pending and slot.seq == seq:
                    slot.exit_pending = False
                    self._child_exited(slot, reason)
            else:
                _, sup, sup_seq, slot = item
                if (
                    sup.state == RUNNING
                    and sup.seq == sup_seq
                    and slot.state == RESTARTING
                    and slot in sup.children
                ):
                    self._restart(sup, slot)

    def _drop_queue(self) -> None:
        """The tree has ended: queued events reach nobody."""
        while self._queue:
            item = self._queue.popleft()
            if item[0] == "deliver":
                self.reports.append(Dropped(item[1], item[2], item[3]))

    # ---- Restarts ----

    def _child_exited(self, slot: _Slot, reason: Reason) -> None:
        sup = slot.parent
        assert sup is not None
        restart = slot.shape.restart
        if restart == "permanent" or (
            restart == "transient" and reason not in (Reason.NORMAL, Reason.SHUTDOWN)
        ):
            self._restart(sup, slot)
            return
        if restart == "temporary":
            sup.children.remove(slot)
        if slot.shape.significant and self._auto_shutdown_due(sup):
            self._sup_exit(sup)

    def _auto_shutdown_due(self, sup: _Slot) -> bool:
        """OTP's all_significant: no significant sibling has a process left, a
        restarting one and one whose exit is not handled yet included."""
        assert isinstance(sup.shape, SupervisorShape)
        policy = sup.shape.auto_shutdown
        if policy == "never":
            return False
        if policy == "any_significant":
            return True
        return not any(
            c.shape.significant and (c.state != STOPPED or c.exit_pending) for c in sup.children
        )

    def _restart(self, sup: _Slot, slot: _Slot) -> None:
        """Count the restart, give up past the intensity, else restart by strategy."""
        shape = sup.shape
        assert isinstance(shape, SupervisorShape)
        sup.restarts = [t for t in sup.restarts if self.now - t <= shape.period]
        sup.restarts.append(self.now)
        if len(sup.restarts) > shape.intensity:
            slot.state = STOPPED
            self.reports.append(GaveUp(sup.path))
            if sup is self.root:
                self._gave_up = True
            self._sup_exit(sup)
            return
        if shape.strategy == "one_for_one":
            group = [slot]
        elif shape.strategy == "one_for_all":
            group = list(sup.children)
        else:
            group = sup.children[sup.children.index(slot) :]
        for member in reversed(group):
            if member.state == RUNNING:
                self._stop(member)
            else:
                # An exit still queued for it is consumed by this restart.
                member.exit_pending = False
                member.state = STOPPED
        keep = []
        for member in group:
            if member.shape.restart == "temporary":
                sup.children.remove(member)
            else:
                keep.append(member)
        failed = self._start_group(sup, keep)
        if failed is not None:
            failed.state = RESTARTING
            self._queue.append(("retry", sup, sup.seq, failed))

    def _sup_exit(self, sup: _Slot) -> None:
        """A supervisor ends itself (give-up or auto-shutdown) with reason shutdown."""
        self._stop(sup)
        if sup is self.root:
            self.alive = False
            self._drop_queue()
            return
        sup.exit_pending = True
        self._queue.append(("exit", sup, sup.seq, Reason.SHUTDOWN))
