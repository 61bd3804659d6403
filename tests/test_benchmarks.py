"""The benchmark suite runs: each benchmark once, at a tiny size, untimed.

These tests prove that ``make bench`` works; they assert nothing about speed.
Each one runs the suite's script in a fresh interpreter, as ``make bench``
does, so that nothing the benchmarks do (tracemalloc, loguru's sinks) leaks
into the other tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
NAMES = [
    "ticks-flat",
    "ticks-deep",
    "bystanders",
    "restarts",
    "emit-chain",
    "memory",
    "start-up",
    "timers",
    "ending",
    "spec-start",
    "one-of-n",
    "backlog",
]


def run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a script of benchmarks/ with this interpreter and capture its output."""
    return subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def quick(tmp_path: Path, *names: str, extra: tuple[str, ...] = ()) -> dict[str, object]:
    """Run the named benchmarks at their tiny size and return the saved JSON."""
    out = tmp_path / "bench.json"
    done = run("run.py", "--quick", "--only", *names, "--json", str(out), *extra)
    assert done.returncode == 0, done.stdout + done.stderr
    data: dict[str, object] = json.loads(out.read_text())
    return data


class TestSuite:
    @pytest.mark.parametrize("name", NAMES)
    def test_benchmark_runs(self, tmp_path: Path, name: str) -> None:
        """Each benchmark runs at its tiny size and saves positive figures for both sides."""
        data = quick(tmp_path, name)
        rows = data["rows"]
        assert isinstance(rows, list)
        assert rows
        for row in rows:
            assert row["bench"] == name
            assert row["gensup"]["median"] > 0
            assert row["floor"]["median"] > 0
            assert row["ratio"] > 0

    def test_table_names_the_floor_and_the_silenced_logger(self, tmp_path: Path) -> None:
        """The printed table has a ratio column and says that loguru was silenced."""
        done = run("run.py", "--quick", "--only", "emit-chain", "--no-peak")
        assert done.returncode == 0, done.stderr
        assert "logger.remove()" in done.stdout
        assert "ratio" in done.stdout
        assert "emit-chain" in done.stdout

    def test_compare_flags_a_regression(self, tmp_path: Path) -> None:
        """--compare exits 1 and names the case when a ratio got more than 10% worse."""
        data = quick(tmp_path, "emit-chain")
        rows = data["rows"]
        assert isinstance(rows, list)
        for row in rows:
            row["ratio"] *= 100
        before = tmp_path / "before.json"
        before.write_text(json.dumps(data))
        done = run("run.py", "--quick", "--only", "emit-chain", "--compare", str(before))
        assert done.returncode == 1
        assert "REGRESSION" in done.stdout

    def test_compare_passes_an_improvement(self, tmp_path: Path) -> None:
        """--compare exits 0 when every ratio is better than before."""
        data = quick(tmp_path, "emit-chain")
        rows = data["rows"]
        assert isinstance(rows, list)
        for row in rows:
            row["ratio"] /= 100
        before = tmp_path / "before.json"
        before.write_text(json.dumps(data))
        done = run("run.py", "--quick", "--only", "emit-chain", "--compare", str(before))
        assert done.returncode == 0, done.stdout + done.stderr
        assert "REGRESSION" not in done.stdout


class TestRayLink:
    def test_runs_with_ray(self, tmp_path: Path) -> None:
        """ray-link runs at its tiny size on a Ray of its own: every case, both sides."""
        pytest.importorskip("ray")
        data = quick(tmp_path, "ray-link")
        rows = data["rows"]
        assert isinstance(rows, list)
        assert [row["case"] for row in rows] == [
            "batched, 1000 events per batch",
            "unbatched, 1 event per batch (round trips)",
            "tree: there and back, batched",
            "tree: there and back, one at a time",
        ]
        for row in rows:
            assert row["gensup"]["median"] > 0
            assert row["floor"]["median"] > 0

    def test_skipped_without_ray(self, tmp_path: Path) -> None:
        """Where Ray cannot be imported, ray-link says it was skipped and the suite goes on."""
        hide = tmp_path / "hide"
        hide.mkdir()
        # As if Ray were not installed: its import fails at once.
        (hide / "sitecustomize.py").write_text("import sys\nsys.modules['ray'] = None\n")
        out = tmp_path / "bench.json"
        done = subprocess.run(
            [
                sys.executable,
                str(BENCHMARKS / "run.py"),
                "--quick",
                "--only",
                "ray-link",
                "--json",
                str(out),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, "PYTHONPATH": str(hide)},
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "ray-link: skipped (Ray is not installed" in done.stdout
        assert json.loads(out.read_text())["rows"] == []


class TestTicksScript:
    def test_seed_workload(self) -> None:
        """benchmarks/ticks.py runs the seed's workload: both floors, both forms, the ratios."""
        done = run("ticks.py", "10", "12", "--reps", "1")
        assert done.returncode == 0, done.stderr
        assert "10 workers x 12 ticks = 120 dispatches" in done.stdout
        assert "floor" in done.stdout
        assert "floor (bare generators in lists)" in done.stdout
        assert done.stdout.count("x floor") == 3
