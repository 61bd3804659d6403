"""Reports through loguru: levels, extra keys, tracebacks (gensup._log)."""

from __future__ import annotations

import contextlib
import pathlib
from collections.abc import Generator
from typing import Any

import pytest

import gensup
from gensup import StartFailed, Supervisor, SupervisorGaveUp, VirtualClock, Worker, emit, waitfor

Gen = Generator[Any, Any, None]
Records = list[dict[str, Any]]

KEYS = {"path", "incarnation", "event", "reason"}


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
    return [r for r in records if r["name"].startswith("gensup")]


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
            assert record["extra"] == {
                "path": "root/a",
                "incarnation": incarnation,
                "event": None,
                "reason": "crash",
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
    def test_starts_and_stops_at_debug(self, log_records: Records) -> None:
        """Starts and orderly stops are DEBUG progress reports with path and incarnation."""
        tree = gensup.start(Supervisor("root", [Worker("a", mortal)]))
        tree.stop()
        records = gensup_records(log_records)
        assert [r["level"].name for r in records] == ["DEBUG"] * 4
        assert [(r["extra"]["path"], r["extra"]["reason"]) for r in records] == [
            ("root", None),
            ("root/a", None),
            ("root/a", "shutdown"),
            ("root", "shutdown"),
        ]
        assert records[1]["extra"]["incarnation"] == 1

    def test_normal_exit_at_debug(self, log_records: Records) -> None:
        """A normal exit is a DEBUG record with reason normal."""
        tree = gensup.start(Supervisor("root", [Worker("a", mortal, restart="transient")]))
        log_records.clear()
        tree.signal("EXIT", to="root/a")
        (record,) = gensup_records(log_records)
        assert record["level"].name == "DEBUG"
        assert record["extra"]["reason"] == "normal"


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
        """Every record gensup emits binds exactly path, incarnation, event and reason."""

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
        assert {r["level"].name for r in records} == {"DEBUG", "INFO", "ERROR"}
        assert all(set(r["extra"]) == KEYS for r in records)

    def test_package_adds_no_sink(self) -> None:
        """The package never adds or removes a loguru sink: users route records themselves."""
        src = pathlib.Path(gensup.__file__).parent
        for module in src.glob("*.py"):
            text = module.read_text(encoding="utf-8")
            assert "logger.add(" not in text, module.name
            assert "logger.remove(" not in text, module.name
