"""Every file in examples/ runs, and the documented ones print what the docs say."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
ALL = sorted(EXAMPLES.glob("*.py"))


def run(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_examples_exist() -> None:
    """The examples the docs and the Makefile name are there."""
    assert {"ticks.py", "restarts.py"} <= {path.name for path in ALL}


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_runs(path: pathlib.Path) -> None:
    """Every example, added later ones included, runs to the end and exits 0."""
    result = run(path.name)
    assert result.returncode == 0, result.stderr


class TestTicks:
    @pytest.mark.parametrize(
        ("args", "endcount"),
        [((), 12), (("3", "5"), 5), (("3", "0"), 1), (("1", "1"), 1)],
    )
    def test_endcount(self, args: tuple[str, ...], endcount: int) -> None:
        """The seed's driver ends with the seed's end count, logged last on stderr."""
        result = run("ticks.py", *args)
        assert result.returncode == 0, result.stderr
        lines = result.stderr.splitlines()
        assert lines[-1].endswith(f" Endcount {endcount}")
        assert lines[0].endswith(" Starting up")
        assert lines[-2].endswith(" Shutting down")

    def test_status_is_empty_at_the_end(self) -> None:
        """Nobody is still waiting when the driver stops signalling."""
        result = run("ticks.py", "4", "3")
        assert "is waiting for" not in result.stderr


class TestRestarts:
    def test_story(self) -> None:
        """The demo shows the pool giving up, then the root giving up, and a dead tree."""
        result = run("restarts.py")
        assert result.returncode == 0, result.stderr
        out = result.stdout
        assert "GAVE UP  shop/pool" in out
        assert "GAVE UP  shop:" in out
        assert out.index("GAVE UP  shop/pool") < out.index("GAVE UP  shop:")
        assert "SupervisorGaveUp" in out
        assert out.rstrip().splitlines()[-1].strip() == "tree alive: False"
