"""The async driver's benchmarks run: each once, at a tiny size, untimed.

As tests/test_benchmarks.py does for the rest of the suite: the suite's
script runs in a fresh interpreter, and nothing is asserted about speed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
NAMES = ["aio-signal", "echo"]


@pytest.mark.parametrize("name", NAMES)
def test_benchmark_runs(tmp_path: Path, name: str) -> None:
    """Each benchmark runs at its tiny size and saves positive figures for both sides."""
    out = tmp_path / "bench.json"
    script = str(BENCHMARKS / "run.py")
    done = subprocess.run(
        [sys.executable, script, "--quick", "--no-peak", "--only", name, "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = json.loads(out.read_text())["rows"]
    assert rows
    for row in rows:
        assert row["bench"] == name
        assert row["gensup"]["median"] > 0
        assert row["floor"]["median"] > 0
        assert row["ratio"] > 0
