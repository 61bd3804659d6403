"""The test kit on the demo tree: helpers, strategies and check_supervision.

Run them with ``pytest docs/examples/howto_test_kit.py``, or as a script.
"""

import sys
from pathlib import Path

from hypothesis import given

import gensup
from gensup import Supervisor, Worker, call, waitfor
from gensup.testing import (
    Recorder,
    VirtualClock,
    check_supervision,
    complete,
    crash,
    finish,
    strategies,
)

# The demo tree: shop over flaky and pool (one_for_all over db and cache).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
from restarts import SPEC


def test_the_demo_tree_keeps_otps_invariants():
    """Random crashes, exits, clock steps and events: every invariant holds."""
    events = [("JOB", 1), ("QUERY", "stock"), ("QUERY", "poison")]
    check_supervision(SPEC, events=events, max_examples=100, seed=2024)


def test_a_crash_of_db_restarts_the_whole_pool():
    """crash() raises in db at its yield; one_for_all restarts cache too."""
    recorder = Recorder()
    with gensup.start(SPEC, clock=VirtualClock(), observer=recorder) as tree:
        recorder.clear()
        crash(tree, "shop/pool/db", ValueError("disk on fire"))
        assert recorder.lines() == [
            "stop shop/pool/db crash",
            "stop shop/pool/cache shutdown",
            "start shop/pool/db",
            "start shop/pool/cache",
        ]


def test_a_normal_exit_of_a_permanent_worker_restarts_it():
    """finish() makes flaky return: it is permanent, shop starts it again."""
    recorder = Recorder()
    with gensup.start(SPEC, clock=VirtualClock(), observer=recorder) as tree:
        recorder.clear()
        finish(tree, "shop/flaky")
        assert recorder.lines() == [
            "stop shop/flaky normal",
            "start shop/flaky",
        ]


async def fetch(url):
    raise NotImplementedError("a test settles the call by hand")


def downloader():
    body = yield call(fetch, "https://example.org")
    print("downloaded", body)
    yield waitfor("NEVER")


def test_the_outside_world_by_hand(capsys):
    """complete() settles the call of a worker named by its path."""
    with gensup.start(Supervisor("root", [Worker("dl", downloader)])) as tree:
        complete(tree, "root/dl", "<html>")
    assert capsys.readouterr().out == "downloaded <html>\n"


def idle():
    while True:
        yield waitfor("PING")


@given(strategies.specs(workers=[idle], max_depth=2, max_width=3))
def test_any_small_tree_starts_and_stops(spec):
    """specs() draws valid trees that run your worker functions."""
    with gensup.start(spec) as tree:
        assert set(tree.status()) == set(strategies.worker_paths(spec))


if __name__ == "__main__":
    # In a fresh interpreter: this one imported hypothesis already, which
    # pytest's hypothesis plugin wants to import first.
    import subprocess

    pytest_args = ["-q", "-p", "no:cacheprovider", "--no-header", __file__]
    sys.exit(subprocess.call([sys.executable, "-m", "pytest", *pytest_args]))
