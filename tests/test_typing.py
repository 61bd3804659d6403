"""Worker code type-checks under ``mypy --strict`` with the public aliases (gensup.WorkerGen)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parent.parent

GOOD = """
    import functools
    from collections.abc import Generator
    from typing import Any

    from gensup import Supervisor, Worker, WorkerFunc, WorkerGen, emit, waitfor


    def counter(start: int) -> WorkerGen:
        total = start
        while True:
            event, *args = yield waitfor("ADD", "STOP")
            if event == "STOP":
                return
            total += args[0]
            yield emit("TOTAL", total)


    def ticker() -> WorkerGen:
        tick = waitfor("TICK")
        for expected in range(1, 4):
            event, n = yield tick
            assert event == "TICK" and n == expected


    class Pump:
        def __call__(self, label: str) -> WorkerGen:
            _event, *_args = yield waitfor("PUMP")


    def old_style() -> Generator[Any, Any, None]:
        yield waitfor("ANY")


    func: WorkerFunc = counter
    spec = Supervisor(
        "root",
        [
            Worker("c", func, args=(1,)),
            Worker("t", ticker),
            Worker("p", Pump(), args=("p",)),
            Worker("f", functools.partial(counter, 2)),
            Worker("l", lambda: counter(3)),
            Worker("o", old_style),
        ],
    )
"""

BAD = """
    from gensup import WorkerGen, waitfor


    def yields_a_string() -> WorkerGen:
        yield "TICK"


    def takes_an_int() -> WorkerGen:
        number: int = yield waitfor("TICK")


    def returns_a_value() -> WorkerGen:
        yield waitfor("TICK")
        return 1
"""


def check(tmp_path: Path, source: str) -> tuple[str, int]:
    """Run mypy --strict on ``source`` as a module of its own; return its report and status."""
    module = tmp_path / "snippet.py"
    module.write_text(textwrap.dedent(source), encoding="utf-8")
    report, errors, status = api.run(
        [
            "--strict",
            "--no-error-summary",
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            "--config-file",
            "",
            str(module),
        ]
    )
    return report + errors, status


class TestWorkerGen:
    def test_worker_code_type_checks(self, tmp_path: Path) -> None:
        """Workers annotated -> WorkerGen, unpacking what waitfor resumes them with, pass."""
        report, status = check(tmp_path, GOOD)
        assert status == 0, report

    def test_mistakes_are_caught(self, tmp_path: Path) -> None:
        """Yielding a non-command, taking the resumed tuple for something else or
        returning a value (which would be ignored) are errors."""
        report, status = check(tmp_path, BAD)
        assert status == 1, report
        lines = report.splitlines()
        assert len(lines) == 3, report
        assert 'snippet.py:6: error: Incompatible types in "yield"' in lines[0]
        assert "snippet.py:10: error: Incompatible types in assignment" in lines[1]
        assert "snippet.py:15: error: No return value expected" in lines[2]
