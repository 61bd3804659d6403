"""Reports through loguru: levels, extra keys, tracebacks (gensup._log)."""

from __future__ import annotations

import contextlib
import functools
import inspect
import pathlib
import subprocess
import sys
import textwrap
from collections.abc import Callable, Generator
from typing import Any

import pytest
from loguru import logger

import gensup
from gensup import StartFailed, Supervisor, SupervisorGaveUp, VirtualClock, Worker, emit, waitfor
from gensup.reports import Dropped, Reason, Stopped

Gen = Generator[Any, Any, None]
Records = list[dict[str, Any]]

KEYS = {"path", "incarnation", "event", "reason", "report"}


def mortal() -> Gen:
    while True:
        event, *_ = yield waitfor("CRASH", "EXIT")
        if event == "CRASH":
            raise RuntimeError("crash requested")
        return


def stubborn() -> Gen:
    while True:
        with contextlib.suppress(GeneratorExit):
            yield waitfor("NEVER")


def gensup_records(records: Records) -> Records:
    """The records gensup made: those with its five extra keys (these tests log nothing)."""
    return [r for r in records if set(r["extra"]) >= KEYS]


def by_level(records: Records, level: str) -> Records:
    return [r for r in gensup_records(records) if r["level"].name == level]


class TestCrashReport:
    def test_error_with_exception_and_extra(self, log_records: Records) -> None:
        """A crash is logged at ERROR with its exception and the path, incarnation and reason."""
        tree = gensup.start(
            Supervisor("root", [Worker("a", mortal)], intensity=5), clock=VirtualClock()
        )
        tree.signal("CRASH", to="root/a")
        tree.signal("CRASH", to="root/a")
        errors = by_level(log_records, "ERROR")
        assert len(errors) == 2
        for incarnation, record in enumerate(errors, start=1):
            report = record["extra"]["report"]
            assert isinstance(report, Stopped)
            assert report.reason is Reason.CRASH
            assert record["extra"] == {
                "path": "root/a",
                "incarnation": incarnation,
                "event": None,
                "reason": "crash",
                "report": report,
            }
            assert record["exception"] is not None
            assert record["exception"].type is RuntimeError
            assert str(record["exception"].value) == "crash requested"
            assert "root/a" in record["message"]
            assert "crash requested" in record["message"]

    def test_traceback_starts_in_the_worker(self, log_records: Records) -> None:
        """The crash report's traceback reaches the worker's own frame."""
        tree = gensup.start(
            Supervisor("root", [Worker("a", mortal)], intensity=5), clock=VirtualClock()
        )
        tree.signal("CRASH", to="root/a")
        (record,) = by_level(log_records, "ERROR")
        tb = record["exception"].traceback
        names = []
        while tb is not None:
            names.append(tb.tb_frame.f_code.co_name)
            tb = tb.tb_next
        assert names[-1] == "mortal"

    def test_failed_start_is_a_crash_report(self, log_records: Records) -> None:
        """A worker that fails to start gets a crash report too."""

        def fails() -> Gen:
            raise ValueError("cannot start")
            yield  # pragma: no cover

        with pytest.raises(StartFailed):
            gensup.start(Supervisor("root", [Worker("bad", fails)]))
        (record,) = by_level(log_records, "ERROR")
        assert record["extra"]["path"] == "root/bad"
        assert record["extra"]["reason"] == "crash"
        assert record["exception"].type is ValueError

    def test_killed_is_an_error(self, log_records: Records) -> None:
        """A worker killed because it yielded while being closed is logged at ERROR."""
        tree = gensup.start(Supervisor("root", [Worker("s", stubborn)]))
        tree.stop()
        (record,) = by_level(log_records, "ERROR")
        assert record["extra"]["path"] == "root/s"
        assert record["extra"]["reason"] == "killed"


class TestGiveUp:
    def test_error_with_path(self, log_records: Records) -> None:
        """A give-up is logged at ERROR with the supervisor's path and reason shutdown."""
        tree = gensup.start(Supervisor("root", [Worker("a", mortal)], intensity=0))
        with pytest.raises(SupervisorGaveUp):
            tree.signal("CRASH", to="root/a")
        gave_up = [r for r in by_level(log_records, "ERROR") if r["extra"]["path"] == "root"]
        assert len(gave_up) == 1
        assert gave_up[0]["extra"]["reason"] == "shutdown"
        assert "intensity" in gave_up[0]["message"]


class TestProgress:
    def test_starts_and_stops_at_trace(self, log_records: Records) -> None:
        """Starts and orderly stops are TRACE progress reports with path and incarnation."""
        tree = gensup.start(Supervisor("root", [Worker("a", mortal)]))
        tree.stop()
        records = gensup_records(log_records)
        assert [r["level"].name for r in records] == ["TRACE"] * 4
        assert [(r["extra"]["path"], r["extra"]["reason"]) for r in records] == [
            ("root", None),
            ("root/a", None),
            ("root/a", "shutdown"),
            ("root", "shutdown"),
        ]
        assert records[1]["extra"]["incarnation"] == 1

    def test_normal_exit_at_trace(self, log_records: Records) -> None:
        """A normal exit is a TRACE record with reason normal."""
        tree = gensup.start(Supervisor("root", [Worker("a", mortal, restart="transient")]))
        log_records.clear()
        tree.signal("EXIT", to="root/a")
        (record,) = gensup_records(log_records)
        assert record["level"].name == "TRACE"
        assert record["extra"]["reason"] == "normal"

    def test_default_sink_shows_no_progress(self) -> None:
        """With loguru's default sink, a clean start and stop print nothing; a crash does."""
        script = textwrap.dedent(
            """
            import gensup
            from gensup import Supervisor, Worker, waitfor

            def idle():
                yield waitfor("CRASH")
                raise RuntimeError("crashed")

            tree = gensup.start(Supervisor("root", [Worker("a", idle)], intensity=5))
            tree.stop()
            print("clean", flush=True)
            tree = gensup.start(Supervisor("root", [Worker("a", idle)], intensity=5))
            tree.signal("CRASH")
            tree.stop()
            """
        )
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        )
        assert done.stdout == "clean\n"
        lines = done.stderr.splitlines()
        assert " | ERROR    | __main__:idle:" in lines[0]
        assert lines[0].endswith(" - crash report: root/a crashed: RuntimeError('crashed')")
        assert "DEBUG" not in done.stderr
        assert "TRACE" not in done.stderr
        assert "started" not in done.stderr


class TestSource:
    """A record names the code it is about, not gensup's logging module."""

    def test_crash_names_the_line_that_raised(self, log_records: Records) -> None:
        """A crash report's name, function and line are the worker's, where it raised."""
        tree = gensup.start(Supervisor("root", [Worker("a", mortal)], intensity=5))
        tree.signal("CRASH", to="root/a")
        (record,) = by_level(log_records, "ERROR")
        assert (record["name"], record["function"], record["line"]) == (
            __name__,
            "mortal",
            line_of(mortal, 'raise RuntimeError("crash requested")'),
        )
        assert record["module"] == "test_log"
        assert record["file"].name == "test_log.py"
        assert record["file"].path == __file__

    def test_crash_in_a_callee_names_the_worker(self, log_records: Records) -> None:
        """A crash inside code the worker called names the worker's line that called it."""

        def parse(text: str) -> int:
            return int(text)

        def parser() -> Gen:
            _event, text = yield waitfor("TEXT")
            parse(text)

        tree = gensup.start(Supervisor("root", [Worker("p", parser)], intensity=5))
        tree.signal("TEXT", "not a number")
        (record,) = by_level(log_records, "ERROR")
        assert (record["function"], record["line"]) == ("parser", line_of(parser, "parse(text)"))

    def test_failed_start_names_the_worker(self, log_records: Records) -> None:
        """A crash at start names the worker's line that raised."""

        def fails() -> Gen:
            raise ValueError("cannot start")
            yield  # pragma: no cover

        with pytest.raises(StartFailed):
            gensup.start(Supervisor("root", [Worker("bad", fails)]))
        (record,) = by_level(log_records, "ERROR")
        assert (record["function"], record["line"]) == (
            "fails",
            line_of(fails, 'raise ValueError("cannot start")'),
        )

    def test_progress_names_the_worker_function(self, log_records: Records) -> None:
        """A worker's start and stop records name its function where it is defined."""
        tree = gensup.start(Supervisor("root", [Worker("a", mortal)]))
        tree.stop()
        worker = [r for r in gensup_records(log_records) if r["extra"]["path"] == "root/a"]
        assert len(worker) == 2
        for record in worker:
            assert (record["name"], record["function"], record["line"]) == (
                __name__,
                "mortal",
                mortal.__code__.co_firstlineno,
            )

    def test_callables_name_their_code(self, log_records: Records) -> None:
        """A partial names its function; an instance, its __call__."""

        class Pump:
            def __call__(self) -> Gen:
                yield waitfor("NEVER")

        pump = Pump()
        spec = Supervisor("root", [Worker("p", functools.partial(mortal)), Worker("i", pump)])
        gensup.start(spec).stop()
        starts = {
            r["extra"]["path"]: r["function"]
            for r in gensup_records(log_records)
            if r["extra"]["reason"] is None
        }
        assert starts["root/p"] == "mortal"
        assert starts["root/i"] == "__call__"

    def test_supervisor_and_dropped_name_the_caller(self, log_records: Records) -> None:
        """A supervisor's records and a dropped event name the user's call into the tree."""
        tree = gensup.start(Supervisor("root", [Worker("a", mortal)]))
        start_line = sys._getframe().f_lineno - 1
        tree.signal("NOBODY")
        signal_line = sys._getframe().f_lineno - 1
        records = gensup_records(log_records)
        root_start = records[0]
        assert root_start["extra"]["path"] == "root"
        assert (root_start["function"], root_start["line"]) == (
            "test_supervisor_and_dropped_name_the_caller",
            start_line,
        )
        (dropped,) = by_level(log_records, "INFO")
        assert (dropped["name"], dropped["line"]) == (__name__, signal_line)
        tree.stop()

    def test_disable_still_silences_at_the_source(self, log_records: Records) -> None:
        """logger.disable("gensup") drops every gensup record, though they name user code."""
        logger.disable("gensup")
        try:
            tree = gensup.start(Supervisor("root", [Worker("a", mortal)], intensity=5))
            tree.signal("CRASH", to="root/a")
            tree.signal("NOBODY")
            tree.stop()
        finally:
            logger.enable("gensup")
        assert log_records == []


def line_of(func: Callable[..., Any], text: str) -> int:
    """The line number of the first line of ``func``'s source that contains ``text``."""
    lines, first = inspect.getsourcelines(func)
    return first + next(i for i, line in enumerate(lines) if text in line)


class TestDropped:
    def test_info_with_event_and_target(self, log_records: Records) -> None:
        """A dropped event is an INFO record with the event and its target path."""
        tree = gensup.start(Supervisor("root", [Worker("a", mortal)]))
        log_records.clear()
        tree.signal("NOBODY", to="root/a")
        tree.signal(("req", 1))
        records = gensup_records(log_records)
        assert [r["level"].name for r in records] == ["INFO", "INFO"]
        assert records[0]["extra"] == {
            "path": "root/a",
            "incarnation": None,
            "event": "NOBODY",
            "reason": None,
            "report": Dropped("NOBODY", (), "root/a"),
        }
        assert records[1]["extra"]["event"] == ("req", 1)
        assert records[1]["extra"]["path"] is None
        assert "dropped" in records[0]["message"]

    def test_emitted_event_dropped(self, log_records: Records) -> None:
        """An emitted event that reaches nobody is logged like a signalled one."""

        def sender() -> Gen:
            yield waitfor("GO")
            yield emit("LOST")
            yield waitfor("NEVER")

        tree = gensup.start(Supervisor("root", [Worker("s", sender)]))
        log_records.clear()
        tree.signal("GO")
        (record,) = by_level(log_records, "INFO")
        assert record["extra"]["event"] == "LOST"


class TestRecords:
    def test_every_record_has_the_fixed_keys(self, log_records: Records) -> None:
        """Every record gensup emits binds exactly path, incarnation, event, reason and report."""

        def broken_observer(report: object) -> None:
            raise RuntimeError("observer bug")

        tree = gensup.start(
            Supervisor("root", [Worker("a", mortal), Worker("s", stubborn)], intensity=5),
            clock=VirtualClock(),
            observer=broken_observer,
        )
        tree.signal("CRASH", to="root/a")
        tree.signal("NOBODY")
        tree.stop()
        records = gensup_records(log_records)
        assert {r["level"].name for r in records} == {"TRACE", "INFO", "ERROR"}
        assert all(set(r["extra"]) == KEYS for r in records)

    def test_report_key_is_the_report_or_none(self, log_records: Records) -> None:
        """A lifecycle record's report key is its report; other records carry None."""

        def broken_observer(report: object) -> None:
            raise RuntimeError("observer bug")

        tree = gensup.start(
            Supervisor("root", [Worker("a", mortal)], intensity=5),
            clock=VirtualClock(),
            observer=broken_observer,
        )
        tree.signal("CRASH", to="root/a")
        tree.stop()
        records = gensup_records(log_records)
        kinds = {type(r["extra"]["report"]).__name__ for r in records}
        assert {"Started", "Stopped", "NoneType"} <= kinds
        for record in records:
            report = record["extra"]["report"]
            if "observer raised" in record["message"]:
                assert report is None
            else:
                assert getattr(report, "path", None) == record["extra"]["path"]


class TestDropRateLimit:
    def test_flood_is_summarized(self, log_records: Records) -> None:
        """Past ten dropped events in a second of the clock, the rest become one summary line."""
        clock = VirtualClock()
        tree = gensup.start(Supervisor("root", [Worker("a", mortal)]), clock=clock)
        log_records.clear()
        for i in range(25):
            tree.signal("NOBODY", i)
        assert len(gensup_records(log_records)) == 10
        clock.advance(1)
        tree.signal("NOBODY", "late")
        messages = [r["message"] for r in gensup_records(log_records)]
        assert messages[10] == "... and 15 more dropped"
        assert "'NOBODY' dropped" in messages[11]
        assert tree.dropped == 26
        assert len(tree.dead_letters()) == 26

    def test_summary_at_stop(self, log_records: Records) -> None:
        """Drops not yet summarized are summarized when the tree stops."""
        tree = gensup.start(Supervisor("root", [Worker("a", mortal)]), clock=VirtualClock())
        for i in range(12):
            tree.signal("NOBODY", i)
        log_records.clear()
        tree.stop()
        messages = [r["message"] for r in gensup_records(log_records)]
        assert "... and 2 more dropped" in messages

    def test_observer_gets_every_drop(self) -> None:
        """The rate limit is the log's only: the observer gets every Dropped report."""
        seen: list[object] = []
        tree = gensup.start(
            Supervisor("root", [Worker("a", mortal)]), clock=VirtualClock(), observer=seen.append
        )
        for i in range(30):
            tree.signal("NOBODY", i)
        assert sum(type(r) is Dropped for r in seen) == 30

    def test_package_adds_no_sink(self) -> None:
        """The package never adds or removes a loguru sink: users route records themselves."""
        src = pathlib.Path(gensup.__file__).parent
        for module in src.glob("*.py"):
            text = module.read_text(encoding="utf-8")
            assert "logger.add(" not in text, module.name
            assert "logger.remove(" not in text, module.name
