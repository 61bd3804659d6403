"""check_supervision: random schedules against a spec, and OTP's invariants checked.

The checker watches a run through its reports and through wrappers around the
workers' generators; it keeps no model of the tree of its own, so what it
checks is what any correct run must show:

* reports make sense: a child starts only when it is not running, stops only
  when it runs, and a supervisor stops after all its children;
* nothing is resumed after it died (nor before it started);
* siblings stopped together are stopped last started first;
* no supervisor restarts more than ``intensity`` times within ``period``
  without giving up, and none gives up before that;
* one_for_all and rest_for_one restarts are complete: every running sibling
  of the group is stopped and started again;
* a give-up escalates as configured: a permanent supervisor that gives up is
  restarted by its parent, another is not, and the root's stops the tree.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Generator, Hashable, Sequence
from typing import Any

import attrs

from .._clock import VirtualClock
from .._errors import SupervisorGaveUp
from .._spec import ChildSpec, Restart, Strategy, Supervisor, Worker
from .._tree import start
from ..reports import GaveUp, Reason, Report, Started, Stopped
from ._drive import Finish

__all__ = ["MISSING_HYPOTHESIS", "check_supervision"]

MISSING_HYPOTHESIS = (
    "gensup.testing.{name} needs hypothesis, which gensup does not install by itself: "
    "install the extra, as in pip install 'gensup[testing]'"
)


def check_supervision(
    spec: Supervisor,
    *,
    events: Sequence[Hashable | tuple[Any, ...]] = (),
    max_examples: int = 100,
    max_steps: int = 20,
    seed: int | None = None,
) -> None:
    """Run random schedules against ``spec`` and check OTP's supervision invariants.

    Example:
        >>> from gensup import Supervisor, Worker, waitfor
        >>> def idle():
        ...     yield waitfor("NEVER")
        >>> workers = [Worker("a", idle), Worker("b", idle)]
        >>> spec = Supervisor("root", workers, strategy="one_for_all")
        >>> check_supervision(spec, max_examples=20, seed=1)

    Each schedule (see `gensup.testing.strategies.crash_schedules`) crashes
    workers, ends them normally, advances a `VirtualClock` and signals
    ``events``, on a fresh tree started from ``spec``, then stops the tree.
    The run is checked as it goes: children start only when stopped and stop
    only when running, a supervisor after its children; no worker is resumed
    after it died; siblings are stopped last started first; no supervisor
    restarts more than ``intensity`` times within ``period`` without giving
    up, nor gives up sooner; one_for_all and rest_for_one restarts stop and
    start every running sibling of the group; a supervisor that gives up is
    restarted by its parent if permanent and not otherwise, and the root's
    give-up stops the tree.  Restarts delayed by a `gensup.Backoff` are not
    counted against the intensity here.

    Args:
        spec: Your root spec.  Its workers run your code, wrapped so that
            resumes can be watched.
        events: What the schedules may signal: an event, or a tuple of an
            event and its arguments.
        max_examples: How many schedules to run.
        max_steps: Most steps in one schedule.
        seed: Makes the schedules the same on every run (default: random).

    Raises:
        AssertionError: an invariant broke; the message names it and the
            shortest schedule found that breaks it, one step a line.
        ImportError: hypothesis is not installed (the ``testing`` extra).
    """
    try:
        import hypothesis
    except ImportError as exc:
        raise ImportError(MISSING_HYPOTHESIS.format(name="check_supervision")) from exc

    from . import strategies

    @hypothesis.settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        print_blob=False,
        phases=[hypothesis.Phase.generate, hypothesis.Phase.shrink],
    )
    @hypothesis.given(strategies.crash_schedules(spec, events=events, max_steps=max_steps))
    def run(schedule: list[Any]) -> None:
        _run(spec, schedule)

    if seed is not None:
        run = hypothesis.seed(seed)(run)
    run()


class _Broken(Exception):
    """An invariant broke: the message says which."""


def _run(spec: Supervisor, schedule: Sequence[Any]) -> None:
    """Start ``spec``, carry ``schedule`` out, stop; raise AssertionError on a broken invariant."""
    clock = VirtualClock()
    watch = _Watch(spec, clock)
    done: list[str] = []
    try:
        tree = start(watch.wrapped, clock=clock, observer=watch)
        watch.settle(tree.alive, gave_up=False)
        for step in schedule:
            if not tree.alive:
                break
            gave_up = False
            watch.finishing = step.path if isinstance(step, Finish) else None
            try:
                did = step.apply(tree, clock)
            except SupervisorGaveUp:
                did = gave_up = True
            if did:
                done.append(str(step))
            watch.settle(tree.alive, gave_up)
        tree.stop()
        watch.settle(tree.alive, gave_up=False)
        watch.check_broken()
    except _Broken as exc:
        steps = "\n".join(f"    {i}. {line}" for i, line in enumerate(done, 1)) or "    (none)"
        raise AssertionError(
            f"supervision invariant broken: {exc}\n"
            f"  schedule ({len(done)} step{'' if len(done) == 1 else 's'}):\n{steps}"
        ) from None


# One report of a step: the report, the clock reading then, and whether it is
# an end of the child's own (a worker that returned or raised, a supervisor that
# gave up) rather than a stop by its supervisor or a start that failed.
_Seen = tuple[Report, float, bool]


@attrs.define(eq=False)
class _Child:
    """What the checker knows of one child path."""

    spec: ChildSpec
    parent: str | None
    index: int  # position among its siblings
    alive: bool = False
    incarnation: int = 0  # Started reports so far
    waited: bool = False  # this incarnation yielded once: it started
    closing: bool = False  # this incarnation is being closed


class _Watch:
    """The observer of a checked run, and the wrapper of its workers."""

    def __init__(self, spec: Supervisor, clock: VirtualClock) -> None:
        self.clock = clock
        self.children: dict[str, _Child] = {}
        self.wrapped: Supervisor = self._wrap(spec, None, 0)
        self.root = spec.id
        # Invariant: the reports of the current step, in order.
        self.step: list[_Seen] = []
        # Invariant: per supervisor path, the clock readings of its children's
        # own ends that called for a restart since it last started, each with
        # whether it was surely counted (see _count).
        self.ends: dict[str, list[tuple[float, bool]]] = {}
        # Invariant: per supervisor path, the index of the child it stopped
        # last in the current run of stops (reset when it starts a child).
        self.stopping: dict[str, int] = {}
        # Invariant: the supervisors that gave up and have not stopped yet.
        self.giving_up: set[str] = set()
        # The worker that the current step ends with `finish`, if any.
        self.finishing: str | None = None
        self.broken: str | None = None

    # ---- Wrapping: the workers' resumes are watched ----

    def _wrap(self, spec: Any, parent: str | None, index: int) -> Any:
        path = spec.id if parent is None else f"{parent}/{spec.id}"
        self.children[path] = _Child(spec, parent, index)
        if isinstance(spec, Worker):
            return attrs.evolve(spec, func=self._watched(path, spec.func))
        kids = [self._wrap(child, path, i) for i, child in enumerate(spec.children)]
        return attrs.evolve(spec, children=kids)

    def _watched(self, path: str, func: Any) -> Any:
        watch = self
        child = self.children[path]

        @functools.wraps(func)
        def watched(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
            incarnation = child.incarnation
            gen = func(*args, **kwargs)
            value: Any = None
            error: BaseException | None = None
            while True:
                if not child.alive or child.incarnation != incarnation:
                    watch.fail(f"{path} (start {incarnation}) was resumed after it stopped")
                try:
                    command = gen.send(value) if error is None else gen.throw(error)
                except StopIteration as stop:
                    return stop.value
                value, error = None, None
                child.waited = True
                try:
                    value = yield command
                except GeneratorExit:
                    child.closing = True
                    try:
                        gen.close()
                    except RuntimeError:
                        if inspect.getgeneratorstate(gen) == inspect.GEN_SUSPENDED:
                            yield None  # it ignored the close: so does its wrapper
                        raise
                    raise
                except BaseException as exc:
                    error = exc

        return watched

    # ---- Reports, as they come ----

    def fail(self, why: str) -> None:
        if self.broken is None:
            self.broken = why

    def check_broken(self) -> None:
        if self.broken is not None:
            raise _Broken(self.broken)

    def __call__(self, report: Report) -> None:
        now = self.clock.now()
        own = False
        path = getattr(report, "path", None)
        child = None if path is None else self.children.get(path)
        if child is None:
            self.step.append((report, now, own))
            return
        if type(report) is Started:
            if child.alive:
                self.fail(f"{path} was started while it ran")
            child.alive, child.waited, child.closing = True, False, False
            child.incarnation += 1
            if child.parent is not None:
                self.stopping.pop(child.parent, None)
            self.stopping.pop(report.path, None)
        elif type(report) is GaveUp:
            self.giving_up.add(report.path)
        elif type(report) is Stopped:
            if not child.alive:
                self.fail(f"{path} was reported stopped while it was not running")
            if isinstance(child.spec, Supervisor):
                own = report.path in self.giving_up
                self.giving_up.discard(report.path)
                under = report.path + "/"
                running = [p for p, c in self.children.items() if c.alive and p.startswith(under)]
                if running:
                    self.fail(f"{path} stopped before its children {running}")
            else:
                # A return before the first wait is OTP's ignore: no restart.
                # A close raising is a crash of a stop, unless `finish` closed it.
                if report.reason is Reason.NORMAL:
                    own = child.waited
                else:
                    own = report.reason is Reason.CRASH and (
                        not child.closing or path == self.finishing
                    )
            child.alive = False
            if child.parent is not None and not own and report.reason is not Reason.NORMAL:
                self._stopped_by_parent(child, report.path)
        self.step.append((report, now, own))

    def _stopped_by_parent(self, child: _Child, path: str) -> None:
        assert child.parent is not None
        last = self.stopping.get(child.parent)
        if last is not None and child.index > last:
            first = next(
                p for p, c in self.children.items() if c.parent == child.parent and c.index == last
            )
            self.fail(
                f"{child.parent} stopped {first} before {path}: "
                f"siblings must stop last started first"
            )
        self.stopping[child.parent] = child.index

    # ---- After each step: the checks over what it caused ----

    def settle(self, alive: bool, gave_up: bool) -> None:
        """Check what the step that just ended caused, then forget its reports."""
        step, self.step = self.step, []
        self.check_broken()
        gave = [r.path for r, _, _ in step if type(r) is GaveUp]
        if self.root in gave and alive:
            self.fail("the root gave up but the tree went on")
        elif gave_up and self.root not in gave:
            self.fail("SupervisorGaveUp was raised but the root did not give up")
        for i, (report, now, own) in enumerate(step):
            if type(report) is Started and report.path in self.children:
                if isinstance(self.children[report.path].spec, Supervisor):
                    self.ends[report.path] = []  # a fresh window at every start
            elif type(report) is Stopped and own:
                self._own_end(step, i, now)
            elif type(report) is GaveUp and report.path in self.children:
                self._gave_up(step, i, now)
        self.check_broken()

    def _own_end(self, step: list[_Seen], i: int, now: float) -> None:
        """A child ended on its own: its supervisor restarts it (and its group) or gives up."""
        report = step[i][0]
        assert type(report) is Stopped
        child = self.children[report.path]
        if child.parent is None:
            return
        sup_path = child.parent
        sup = self.children[sup_path].spec
        assert isinstance(sup, Supervisor)
        restart = child.spec.restart
        due = restart is Restart.PERMANENT or (
            restart is Restart.TRANSIENT and report.reason is Reason.CRASH
        )
        if not due:
            return
        later = [r for r, _, _ in step[i + 1 :]]
        sup_ended = any(
            (type(r) is Stopped and (r.path == sup_path or sup_path.startswith(r.path + "/")))
            or (type(r) is GaveUp and r.path == sup_path)
            for r in later
        )
        if child.spec.backoff is not None:
            return  # restarted when its delay ends, and counted differently
        self._count(sup_path, sup, now, step, i, sup_ended)
        if sup_ended:
            return
        if Started(report.path) not in later:
            self.fail(f"{sup_path} did not restart {report.path} after it ended ({report.reason})")
            return
        if sup.strategy is Strategy.ONE_FOR_ONE:
            return
        for path, sib in self.children.items():
            if sib.parent != sup_path or path == report.path:
                continue
            if sup.strategy is Strategy.REST_FOR_ONE and sib.index < child.index:
                continue
            if not _alive_at(step, i, path, sib.alive):
                continue
            stop = next(
                (k for k, r in enumerate(later) if type(r) is Stopped and r.path == path), None
            )
            if stop is None:
                self.fail(
                    f"{sup_path} ({sup.strategy}) restarted {report.path} "
                    f"but did not stop its sibling {path}"
                )
                return
            if sib.spec.restart is not Restart.TEMPORARY and Started(path) not in later[stop:]:
                self.fail(
                    f"{sup_path} ({sup.strategy}) stopped {path} with {report.path} "
                    f"but did not start it again"
                )
                return

    def _count(
        self,
        sup_path: str,
        sup: Supervisor,
        now: float,
        step: list[_Seen],
        i: int,
        sup_ended: bool,
    ) -> None:
        """Count a restart of ``sup`` at ``now``: it must not pass the intensity
        unless the supervisor gives up (or is stopped from above, which voids
        the ends it had not handled yet).

        An end is surely counted unless another own end under the same
        supervisor is still undecided (a group restart under way takes both
        in one): the sure ones bound the count from below, all from above.
        """
        ends = self.ends.setdefault(sup_path, [])
        ends.append((now, not _undecided(step, i, sup_path, self)))
        low = sum(1 for t, sure in ends if sure and now - t <= sup.period)
        if low > sup.intensity and not sup_ended:
            self.fail(
                f"{sup_path} restarted children {low} times within {sup.period:g} s "
                f"(intensity {sup.intensity}) without giving up"
            )

    def _gave_up(self, step: list[_Seen], i: int, now: float) -> None:
        """A supervisor gave up: not too soon; it stops; a non-permanent one stays stopped."""
        path = step[i][0].path  # type: ignore[union-attr]
        child = self.children[path]
        assert isinstance(child.spec, Supervisor)
        high = sum(1 for t, _ in self.ends.get(path, []) if now - t <= child.spec.period)
        if high <= child.spec.intensity:
            self.fail(
                f"{path} gave up after {high} restart(s) within {child.spec.period:g} s "
                f"(intensity {child.spec.intensity})"
            )
            return
        later = [r for r, _, _ in step[i + 1 :]]
        stop = next((k for k, r in enumerate(later) if r == Stopped(path, Reason.SHUTDOWN)), None)
        if stop is None:
            self.fail(f"{path} gave up but did not stop")
            return
        if child.parent is None or child.spec.restart is Restart.PERMANENT:
            return  # the root's stops the tree; a permanent one's parent restarts it
        after = later[stop + 1 :]
        own = next((k for k, r in enumerate(after) if r == Started(path)), None)
        if own is None:
            return
        # Restarted with a sibling whose own end came in the same step (its
        # group restart), or with an ancestor: that is not a restart of it.
        above = _ancestors(path)
        before = step[: i + 1 + stop + 1 + own]
        other = any(
            type(r) is Stopped
            and o
            and r.path != path
            and self.children[r.path].parent == child.parent
            for r, _, o in before
            if r.path in self.children  # type: ignore[union-attr]
        ) or any(type(r) is Started and r.path in above for r, _, _ in before)
        if not other:
            self.fail(f"{path} ({child.spec.restart}) gave up and its parent restarted it")


def _ancestors(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:n]) for n in range(1, len(parts))]


def _alive_at(step: list[_Seen], i: int, path: str, alive_now: bool) -> bool:
    """Whether ``path`` ran when report ``i`` of the step was made, knowing
    whether it runs at the step's end."""
    for report, _, _ in reversed(step[i + 1 :]):
        if getattr(report, "path", None) == path:
            if type(report) is Started:
                alive_now = False
            elif type(report) is Stopped:
                alive_now = True
    return alive_now


def _undecided(step: list[_Seen], i: int, sup_path: str, watch: _Watch) -> bool:
    """Whether another child of ``sup_path`` ended on its own earlier in the
    step with no start under ``sup_path`` since: its end may be decided with
    this one."""
    for report, _, own in reversed(step[:i]):
        child = watch.children.get(getattr(report, "path", ""))
        if child is None or child.parent != sup_path:
            continue
        if type(report) is Started:
            return False
        if type(report) is Stopped and own:
            return True
    return False
