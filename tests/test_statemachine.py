"""The whole tree against a reference model: random trees, random calls.

`TreeMachine` starts a random tree of controlled workers (`controlled`) on a
virtual clock and applies random rules: crashes, normal exits, emitted events
that make another worker crash, one event that several workers wait for,
clock moves, start failures planned for a worker's next start (once or
always), and OTP's dynamic API on random paths, valid or not.  After every
step the reports, the deliveries, the result or error of the call,
``which_children`` / ``count_children`` of every running supervisor,
``status`` and ``alive`` must be what `model.Model` predicts.

Besides the model, independent checks watch the reports and what the workers
themselves log: nothing starts under a dead supervisor or stops twice, a
supervisor stops after its children, siblings stop last to first and start
first to last, an event only reaches the live incarnation of a worker that
waits for it, and every live worker is waiting.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Hashable
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

import gensup
from gensup import (
    ChildNotFound,
    GensupError,
    StartFailed,
    Supervisor,
    SupervisorGaveUp,
    Tree,
    Worker,
    emit,
    waitfor,
)
from gensup.reports import Dropped, GaveUp, Reason, Report, Started, Stopped
from gensup.testing import Recorder, VirtualClock
from model import ALL, ChildRow, Model, Program, Shape, SupervisorShape, WorkerShape, walk_shape
from strategies import child_shapes, programs, start_programs, tree_shapes

ROOT = "r"
#: Paths that never name a child: `to` targets and dynamic calls use them too.
INVALID_PATHS = ("r/nope", "q", "r/w0/deeper")
_REPORT_TYPES = (Started, Stopped, GaveUp, Dropped)


# ---- The controlled worker ----


class Boom(Exception):
    """What a controlled worker raises when its program says crash."""


@attrs.frozen
class Began:
    """A controlled worker's generator began running (logged by the worker)."""

    path: str
    token: int


@attrs.frozen
class Received:
    """A controlled worker was resumed with ``event`` (logged by the worker)."""

    path: str
    token: int
    event: Hashable


@attrs.define
class Plan:
    """What the test shares with its workers.

    Attributes:
        starts: Start plans by worker path: ``(program, always)``; a plan
            that is not ``always`` is used up by the next start attempt.
        log: Reports and worker log entries, in the order they happened.
    """

    starts: dict[str, tuple[Program, bool]] = attrs.Factory(dict)
    log: list[object] = attrs.Factory(list)
    tokens: Any = attrs.Factory(itertools.count)


def _perform(path: str, program: Program) -> Any:
    """Carry out ``program``'s steps; return True when it says exit."""
    for step in program:
        if step[0] == "emit":
            _, event, payload, to = step
            yield emit(event, payload, to=to)
        elif step[0] == "crash":
            raise Boom(path)
        else:
            return True
    return False


def controlled(path: str, plan: Plan, listens: bool, stubborn: bool) -> Any:
    """The one worker of the tests: waits for its own path (and `ALL` if it
    ``listens``) and does what the event's payload says (see `model`)."""
    token = next(plan.tokens)
    plan.log.append(Began(path, token))
    entry = plan.starts.get(path)
    if entry is not None:
        program, always = entry
        if not always:
            del plan.starts[path]
        if (yield from _perform(path, program)):
            return
    wait = waitfor(path, ALL) if listens else waitfor(path)
    try:
        while True:
            event, payload = yield wait
            plan.log.append(Received(path, token, event))
            program = dict(payload).get(path, ()) if event == ALL else payload
            if (yield from _perform(path, program)):
                return
    except GeneratorExit:
        if stubborn:
            # Yielding while being closed: the tree reports this worker killed.
            yield waitfor("never")
        raise


def to_spec(shape: Shape, path: str, plan: Plan) -> Worker | Supervisor:
    """The gensup spec of a model shape whose path is ``path``."""
    if isinstance(shape, WorkerShape):
        return Worker(
            shape.id,
            controlled,
            args=(path, plan, shape.listens, shape.stubborn),
            restart=shape.restart,
            significant=shape.significant,
        )
    return Supervisor(
        shape.id,
        [to_spec(child, f"{path}/{child.id}", plan) for child in shape.children],
        strategy=shape.strategy,
        intensity=shape.intensity,
        period=shape.period,
        auto_shutdown=shape.auto_shutdown,
        restart=shape.restart,
        significant=shape.significant,
    )


# ---- Checks that do not use the model ----


class LifecycleTracker:
    """Follows the reports and the workers' own log, and checks them as they come.

    Nothing starts twice or under a supervisor that is not live; nothing that
    is not live stops; a supervisor stops after everything under it; an event
    reaches only the live incarnation of a worker, and only an event it waits for.
    """

    def __init__(self) -> None:
        # Paths started and not stopped since.
        self.live: set[str] = set()
        # Worker path -> the token of its live generator.
        self.instances: dict[str, int] = {}

    def feed(self, entries: list[object]) -> None:
        """Check ``entries`` (reports and worker log entries) in order."""
        live = self.live
        for entry in entries:
            if type(entry) is Started:
                path = entry.path
                assert path not in live, f"{path} started twice"
                parent = path.rpartition("/")[0]
                assert not parent or parent in live, f"{path} started under a dead {parent}"
                live.add(path)
            elif type(entry) is Began:
                assert entry.path in live, f"{entry}: not started"
                assert entry.path not in self.instances, f"{entry}: two live generators"
                self.instances[entry.path] = entry.token
            elif type(entry) is Received:
                assert entry.path in live, f"{entry} reached a dead worker"
                assert self.instances.get(entry.path) == entry.token, f"{entry}: an old incarnation"
                assert entry.event in (entry.path, ALL), f"{entry}: not an event it waits for"
            elif type(entry) is Stopped:
                path = entry.path
                assert path in live, f"{path} stopped but was not running"
                under = [p for p in live if p.startswith(path + "/")]
                assert not under, f"{path} stopped before {under}"
                live.remove(path)
                self.instances.pop(path, None)
            elif type(entry) is GaveUp:
                assert entry.path in live, f"{entry.path} gave up but was not running"

    def live_workers(self) -> set[str]:
        return {path for path in self.instances if path in self.live}

    def live_supervisors(self) -> set[str]:
        return self.live - self.instances.keys()


def check_stop_order(
    reports: list[Report], top: str, running: bool, children: dict[str, list[ChildRow]]
) -> None:
    """``reports`` are exactly the stop of the subtree at ``top`` (if it was
    running): each supervisor after its children, siblings last to first.

    ``children`` is ``which_children`` of every running supervisor before the call.
    """
    expected: list[str] = []

    def visit(path: str) -> None:
        for child_id, _, _, state, _ in reversed(children.get(path, [])):
            if state == "running":
                visit(f"{path}/{child_id}")
        expected.append(path)

    if running:
        visit(top)
    assert [r.path for r in reports if type(r) is Stopped] == expected, _lines(reports)
    assert all(
        type(r) is Stopped and r.reason in (Reason.SHUTDOWN, Reason.KILLED) for r in reports
    ), _lines(reports)


def check_start_order(reports: list[Report], shape: Shape | None, path: str) -> None:
    """The ``Started`` reports a call begins with follow ``shape``'s start
    order: each supervisor before its children, siblings first to last."""
    started = [r.path for r in itertools.takewhile(lambda r: type(r) is Started, reports)]
    if shape is None:
        assert not started, _lines(reports)
        return
    order = [p for p, _ in walk_shape(shape, path)]
    assert started == order[: len(started)], _lines(reports)


def _lines(reports: list[Report]) -> str:
    recorder = Recorder()
    for report in reports:
        recorder(report)
    return "\n".join(recorder.lines())


def _outcome(call: Callable[[], object]) -> tuple[object, GensupError | None]:
    try:
        return call(), None
    except GensupError as exc:
        return None, exc


def _parent(path: str) -> str:
    return path.rpartition("/")[0] or path


# ---- The state machine ----


def _alive(machine: TreeMachine) -> bool:
    return machine.tree is not None and machine.tree.alive


@settings(max_examples=200, stateful_step_count=40, deadline=None)
class TreeMachine(RuleBasedStateMachine):
    """A random tree driven by random rules, compared with `model.Model` after every step."""

    def __init__(self) -> None:
        super().__init__()
        self.plan = Plan()
        self.tree: Tree | None = None
        self.model = Model(SupervisorShape(ROOT))
        self.clock = VirtualClock()
        self.tracker = LifecycleTracker()
        # Every path a child ever had in this run, for drawing paths valid or not.
        self.worker_paths: set[str] = set()
        self.sup_paths: set[str] = set()
        # which_children of every running supervisor after the last step.
        self.children: dict[str, list[ChildRow]] = {}
        self.fresh_ids = itertools.count()
        # Calls made on the current tree: it is replaced only once it has had a few.
        self.calls = 0

    def teardown(self) -> None:
        if self.tree is not None and self.tree.alive:
            self.tree.stop()

    # ---- Helpers ----

    def _observe(self, report: Report) -> None:
        self.plan.log.append(report)

    def _register(self, shape: Shape, path: str) -> None:
        for sub_path, sub in walk_shape(shape, path):
            (self.sup_paths if isinstance(sub, SupervisorShape) else self.worker_paths).add(
                sub_path
            )

    def _targets(self) -> tuple[str | None, ...]:
        return (None, ROOT, *sorted(self.sup_paths | self.worker_paths), *INVALID_PATHS)

    def _check_call(
        self, impl_call: Callable[[], object], model_call: Callable[[], object]
    ) -> list[Report]:
        """Make the same call on the tree and on the model, and compare everything."""
        self.calls += 1
        model = self.model
        model.reports.clear()
        model.deliveries.clear()
        mark = len(self.plan.log)
        got, got_error = _outcome(impl_call)
        want, want_error = _outcome(model_call)
        entries = self.plan.log[mark:]
        reports: list[Report] = [e for e in entries if isinstance(e, _REPORT_TYPES)]
        deliveries = [(e.path, e.event) for e in entries if type(e) is Received]
        assert reports == model.reports, (
            f"reports:\n{_lines(reports)}\nexpected:\n{_lines(model.reports)}"
        )
        assert deliveries == model.deliveries, f"{deliveries} != expected {model.deliveries}"
        assert type(got_error) is type(want_error), f"raised {got_error!r}, expected {want_error!r}"
        if isinstance(got_error, StartFailed):
            assert got_error.__cause__ is not None, "StartFailed is chained to its cause"
        assert got == want, f"returned {got!r}, expected {want!r}"
        self.tracker.feed(entries)
        self._compare_state()
        return reports

    def _compare_state(self) -> None:
        model, tree = self.model, self.tree
        assert _alive(self) == model.alive
        expected = model.which_children()
        self.children = {}
        if tree is None:
            assert not self.tracker.live, self.tracker.live
            return
        for path, rows in expected.items():
            got = [
                (c.id, c.kind.value, c.restart.value, c.state.value, c.incarnation)
                for c in tree.which_children(path)
            ]
            assert got == rows, f"which_children({path!r}) = {got}, expected {rows}"
            counts = tree.count_children(path)
            workers = sum(1 for row in rows if row[1] == "worker")
            active = sum(1 for row in rows if row[3] == "running")
            assert (counts.specs, counts.active, counts.supervisors, counts.workers) == (
                len(rows),
                active,
                len(rows) - workers,
                workers,
            ), f"count_children({path!r})"
            self.children[path] = got
        for path in sorted(self.sup_paths - expected.keys()):
            with pytest.raises(ChildNotFound):
                tree.which_children(path)
        status = tree.status()
        assert list(status.items()) == list(model.status().items()), status
        assert self.tracker.live_workers() == set(status)
        assert self.tracker.live_supervisors() == set(expected)

    def _new_tree(self, shape: SupervisorShape, data: st.DataObject) -> None:
        self.calls = 0
        self.plan = Plan()
        self.clock = VirtualClock()
        self.tracker = LifecycleTracker()
        self.worker_paths.clear()
        self.sup_paths.clear()
        self._register(shape, ROOT)
        starts: dict[str, tuple[Program, bool]] = {}
        if self.worker_paths and data.draw(st.integers(0, 3), label="plan a start") == 0:
            path = data.draw(st.sampled_from(sorted(self.worker_paths)), label="planned")
            program = data.draw(start_programs(tuple(sorted(self.worker_paths)), self._targets()))
            starts[path] = (program, False)
        self.plan.starts.update(starts)
        self.model = Model(shape, starts)
        spec = to_spec(shape, ROOT, self.plan)

        def start() -> None:
            self.tree = None
            self.tree = gensup.start(spec, clock=self.clock, observer=self._observe)

        reports = self._check_call(start, self.model.start)
        check_start_order(reports, shape, ROOT)

    def _signal(self, event: Hashable, payload: object, to: str | None) -> None:
        tree = self.tree
        assert tree is not None
        self._check_call(
            lambda: tree.signal(event, payload, to=to),
            lambda: self.model.signal(event, payload, to),
        )

    # ---- Rules: trees ----

    @initialize(shape=tree_shapes(ROOT), data=st.data())
    def first_tree(self, shape: SupervisorShape, data: st.DataObject) -> None:
        """A random tree starts, maybe with a start plan for one of its workers."""
        self._new_tree(shape, data)

    @precondition(lambda self: not _alive(self) or self.calls >= 8)
    @rule(
        shape=tree_shapes(ROOT),
        data=st.data(),
        dead_call=st.sampled_from(
            ["signal", "start_child", "terminate_child", "restart_child", "delete_child", "stop"]
        ),
    )
    def replace_tree(self, shape: SupervisorShape, data: st.DataObject, dead_call: str) -> None:
        """Stop the tree (if it still runs), make one call on it dead, start a new one."""
        if _alive(self):
            self._stop_tree()
        if self.tree is not None:
            self._call_dead_tree(dead_call)
        self._new_tree(shape, data)

    def _stop_tree(self) -> None:
        tree = self.tree
        assert tree is not None
        before = self.children
        reports = self._check_call(tree.stop, self.model.stop)
        check_stop_order(reports, ROOT, True, before)

    def _call_dead_tree(self, call: str) -> None:
        tree = self.tree
        assert tree is not None
        shape = WorkerShape("late")
        impl: dict[str, Callable[[], object]] = {
            "signal": lambda: tree.signal(ALL, ()),
            "start_child": lambda: tree.start_child(ROOT, to_spec(shape, "r/late", self.plan)),
            "terminate_child": lambda: tree.terminate_child("r/w0"),
            "restart_child": lambda: tree.restart_child("r/w0"),
            "delete_child": lambda: tree.delete_child("r/w0"),
            "stop": tree.stop,
        }
        model: dict[str, Callable[[], object]] = {
            "signal": lambda: self.model.signal(ALL, ()),
            "start_child": lambda: self.model.start_child(ROOT, shape),
            "terminate_child": lambda: self.model.terminate_child("r/w0"),
            "restart_child": lambda: self.model.restart_child("r/w0"),
            "delete_child": lambda: self.model.delete_child("r/w0"),
            "stop": self.model.stop,
        }
        self._check_call(impl[call], model[call])

    # ---- Rules: workers end, events ----

    @precondition(lambda self: _alive(self) and self.model.running_workers())
    @rule(
        data=st.data(),
        how=st.sampled_from(["crash", "exit"]),
        route=st.sampled_from(["tree", "worker", "parent", "root"]),
    )
    def end_a_worker(self, data: st.DataObject, how: str, route: str) -> None:
        """A running worker crashes or returns, its event sent through the tree, its
        supervisor, its root or to the worker itself."""
        path = data.draw(st.sampled_from(self.model.running_workers()), label="worker")
        to = {"tree": None, "worker": path, "parent": _parent(path), "root": ROOT}[route]
        self._signal(path, ((how,),), to)

    @precondition(lambda self: _alive(self) and self.model.running_workers())
    @rule(data=st.data(), always=st.booleans())
    def crash_and_fail_to_restart(self, data: st.DataObject, always: bool) -> None:
        """A worker crashes after the next start of it or a sibling was set to fail."""
        path = data.draw(st.sampled_from(self.model.running_workers()), label="worker")
        siblings = sorted(p for p in self.worker_paths if _parent(p) == _parent(path))
        failing = data.draw(st.sampled_from(siblings), label="failing")
        self.plan.starts[failing] = self.model.starts[failing] = ((("crash",),), always)
        self._signal(path, (("crash",),), None)

    @precondition(lambda self: _alive(self) and self.model.running_workers())
    @rule(data=st.data(), how=st.sampled_from(["crash", "exit"]))
    def make_another_end(self, data: st.DataObject, how: str) -> None:
        """A running worker emits the event that makes another (maybe gone) worker end."""
        sender = data.draw(st.sampled_from(self.model.running_workers()), label="sender")
        target = data.draw(st.sampled_from(sorted(self.worker_paths)), label="target")
        to = data.draw(st.sampled_from([None, target, _parent(target), ROOT]), label="to")
        self._signal(sender, (("emit", target, ((how,),), to),), None)

    @precondition(lambda self: _alive(self) and self.model.running_workers(listening=True))
    @rule(data=st.data())
    def one_event_for_many(self, data: st.DataObject) -> None:
        """One `ALL` event reaches several workers; some crash, some return in one delivery."""
        listeners = self.model.running_workers(listening=True)
        chosen = data.draw(
            st.lists(st.sampled_from(listeners), min_size=1, unique=True), label="chosen"
        )
        ends = st.sampled_from([(("crash",),), (("exit",),), ()])
        payload = tuple((path, data.draw(ends, label=path)) for path in chosen)
        to = data.draw(st.sampled_from([None, *sorted(self.children)]), label="to")
        self._signal(ALL, payload, to)

    @precondition(_alive)
    @rule(data=st.data())
    def any_event(self, data: st.DataObject) -> None:
        """Any event, with a random program, to any path, valid or not."""
        paths = tuple(sorted(self.worker_paths))
        targets = self._targets()
        event = data.draw(st.sampled_from([*paths, ALL, "NOBODY"]), label="event")
        payload: object
        if event == ALL:
            inner = programs(paths, targets, depth=1)
            payload = tuple(
                data.draw(
                    st.lists(st.tuples(st.sampled_from(paths), inner), unique_by=lambda p: p[0])
                    if paths
                    else st.just([]),
                    label="payload",
                )
            )
        else:
            payload = data.draw(programs(paths, targets), label="program")
        to = data.draw(
            st.one_of(st.sampled_from([None, ROOT]), st.sampled_from(targets)), label="to"
        )
        self._signal(event, payload, to)

    @precondition(_alive)
    @rule(seconds=st.sampled_from([0.5, 1, 2, 3, 5, 10]))
    def advance_clock(self, seconds: float) -> None:
        """Time passes: past restarts leave the intensity windows."""
        self.clock.advance(seconds)
        self.model.advance(seconds)

    # ---- Rules: start plans ----

    @precondition(lambda self: _alive(self) and self.worker_paths)
    @rule(data=st.data(), always=st.integers(0, 3).map(lambda n: n == 3))
    def plan_next_start(self, data: st.DataObject, always: bool) -> None:
        """The next start of a worker (or every start) fails, is ignored, or emits."""
        running = self.model.running_workers()
        path = data.draw(
            st.one_of(st.sampled_from(running), st.sampled_from(sorted(self.worker_paths)))
            if running
            else st.sampled_from(sorted(self.worker_paths)),
            label="planned",
        )
        program = data.draw(start_programs(tuple(sorted(self.worker_paths)), self._targets()))
        self.plan.starts[path] = (program, always)
        self.model.starts[path] = (program, always)

    @precondition(lambda self: _alive(self) and self.plan.starts)
    @rule(data=st.data())
    def forget_plan(self, data: st.DataObject) -> None:
        """A worker starts normally again."""
        path = data.draw(st.sampled_from(sorted(self.plan.starts)), label="forget")
        del self.plan.starts[path]
        del self.model.starts[path]

    # ---- Rules: OTP's dynamic API ----

    @precondition(_alive)
    @rule(data=st.data())
    def start_child(self, data: st.DataObject) -> None:
        """start_child of a new or existing id under any path, valid or not."""
        tree = self.tree
        assert tree is not None
        sup_path = data.draw(
            st.one_of(
                st.sampled_from(sorted(self.children)),
                st.sampled_from(
                    [*sorted(self.sup_paths), *sorted(self.worker_paths)[:1], "r/nope"]
                ),
            ),
            label="supervisor",
        )
        sup_shape = self.model.shape_at(sup_path)
        fresh = f"d{next(self.fresh_ids)}"
        present = [row[0] for row in self.children.get(sup_path, [])]
        static = (
            [child.id for child in sup_shape.children]
            if isinstance(sup_shape, SupervisorShape)
            else []
        )
        child_id = data.draw(
            st.one_of(st.just(fresh), st.sampled_from(sorted({*present, *static, fresh}))),
            label="id",
        )
        policy = sup_shape.auto_shutdown if isinstance(sup_shape, SupervisorShape) else "never"
        shape = data.draw(child_shapes(child_id, policy), label="shape")
        path = f"{sup_path}/{child_id}"
        self._register(shape, path)
        spec = to_spec(shape, path, self.plan)
        reports = self._check_call(
            lambda: tree.start_child(sup_path, spec),
            lambda: self.model.start_child(sup_path, shape),
        )
        check_start_order(reports, shape, path)

    @precondition(_alive)
    @rule(
        data=st.data(),
        call=st.sampled_from(["terminate_child", "restart_child", "delete_child"]),
    )
    def child_call(self, data: st.DataObject, call: str) -> None:
        """terminate_child, restart_child or delete_child of any path, valid or not."""
        tree = self.tree
        assert tree is not None
        current = [f"{sup}/{row[0]}" for sup, rows in self.children.items() for row in rows]
        known = [ROOT, *sorted(self.sup_paths | self.worker_paths), *INVALID_PATHS]
        path = data.draw(
            st.one_of(st.sampled_from(current), st.sampled_from(known))
            if current
            else st.sampled_from(known),
            label="path",
        )
        before = self.children
        parent_rows = before.get(path.rpartition("/")[0], [])
        running = any(
            row[0] == path.rpartition("/")[2] and row[3] == "running" for row in parent_rows
        )
        shape = self.model.shape_at(path)
        reports = self._check_call(
            lambda: getattr(tree, call)(path),
            lambda: getattr(self.model, call)(path),
        )
        if call == "terminate_child":
            check_stop_order(reports, path, running, before)
        elif call == "restart_child" and not running:
            check_start_order(reports, shape, path)

    # ---- Invariants ----

    @invariant()
    def restarts_within_intensity(self) -> None:
        """A running supervisor never holds more restarts in its window than its intensity."""
        for path, (count, intensity) in self.model.restarts_in_window().items():
            assert count <= intensity, f"{path}: {count} restarts in the window > {intensity}"

    @invariant()
    def start_plans_used_alike(self) -> None:
        """The workers used up exactly the start plans the model used up."""
        assert self.plan.starts == self.model.starts


class TestTreeMachine(TreeMachine.TestCase):
    """Random trees under random crashes, exits, events, clock moves, start
    failures and dynamic calls behave exactly as the reference model predicts."""


# ---- Small, readable cases of the same machinery ----


def _scenario(
    shape: SupervisorShape,
    signals: list[tuple[Hashable, object]],
    *,
    then_starts: dict[str, tuple[Program, bool]] | None = None,
) -> tuple[list[str], list[str]]:
    """Start ``shape`` on the tree and on the model, set the start plans
    ``then_starts``, send ``signals`` to both and stop both; return the report
    lines of each after the start."""
    plan = Plan()
    model = Model(shape)
    model.start()
    tree = gensup.start(to_spec(shape, shape.id, plan), observer=plan.log.append)
    mark = len(plan.log)
    model.reports.clear()
    plan.starts.update(then_starts or {})
    model.starts.update(then_starts or {})
    for event, payload in signals:
        with contextlib.suppress(SupervisorGaveUp):
            tree.signal(event, payload)
        with contextlib.suppress(SupervisorGaveUp):
            model.signal(event, payload)
    tree.stop()
    model.stop()
    got = [e for e in plan.log[mark:] if isinstance(e, _REPORT_TYPES)]
    return _lines(got).splitlines(), _lines(model.reports).splitlines()


def _crash(*paths: str) -> tuple[Hashable, object]:
    return ALL, tuple((path, (("crash",),)) for path in paths)


@given(shape=tree_shapes(ROOT))
def test_start_then_stop_matches_model(shape: SupervisorShape) -> None:
    """Starting and stopping a random tree reports exactly the model's starts and stops."""
    got, expected = _scenario(shape, [])
    assert got == expected


def test_one_for_all_restart_order() -> None:
    """one_for_all stops the others last to first, then starts all first to last."""
    shape = SupervisorShape(
        "r", (WorkerShape("a"), WorkerShape("b"), WorkerShape("c")), strategy="one_for_all"
    )
    got, expected = _scenario(shape, [_crash("r/b")])
    assert expected[:6] == [
        "stop r/b crash",
        "stop r/c shutdown",
        "stop r/a shutdown",
        "start r/a",
        "start r/b",
        "start r/c",
    ]
    assert got == expected


def test_give_up_escalates_to_the_parent() -> None:
    """A supervisor past its intensity reports GaveUp, stops its children last
    to first, ends with shutdown, and its permanent parent restarts it."""
    inner = SupervisorShape("s", (WorkerShape("a"), WorkerShape("b")), intensity=0)
    shape = SupervisorShape("r", (inner,), intensity=1)
    got, expected = _scenario(shape, [_crash("r/s/a")])
    assert expected[:7] == [
        "stop r/s/a crash",
        "gaveup r/s",
        "stop r/s/b shutdown",
        "stop r/s shutdown",
        "start r/s",
        "start r/s/a",
        "start r/s/b",
    ]
    assert got == expected


def test_failed_group_restart_is_retried_through_the_queue() -> None:
    """A one_for_all restart that fails is retried from the queue, counting
    again, and stops what it had already restarted before retrying."""
    shape = SupervisorShape(
        "r", (WorkerShape("a"), WorkerShape("b")), strategy="one_for_all", intensity=2
    )
    starts = {"r/b": ((("crash",),), False)}
    got, expected = _scenario(shape, [_crash("r/a")], then_starts=starts)
    assert expected[:2] == ["stop r/a crash", "stop r/b shutdown"]
    assert expected[2:8] == [
        "start r/a",
        "start r/b",
        "stop r/b crash",
        "stop r/a shutdown",
        "start r/a",
        "start r/b",
    ]
    assert got == expected


def test_all_significant_counts_a_child_whose_exit_is_not_handled_yet() -> None:
    """Under all_significant, a significant child that ended but whose exit is
    still queued counts as running (OTP looks for a pid): two significant
    children crashing in one delivery restart the transient one instead of
    shutting the supervisor down."""
    shape = SupervisorShape(
        "r",
        (
            WorkerShape("a", restart="temporary", significant=True),
            WorkerShape("b", restart="transient", significant=True),
        ),
        auto_shutdown="all_significant",
    )
    got, expected = _scenario(shape, [_crash("r/a", "r/b")])
    assert expected == [
        "stop r/a crash",
        "stop r/b crash",
        "start r/b",
        "stop r/b shutdown",
        "stop r shutdown",
    ]
    assert got == expected
