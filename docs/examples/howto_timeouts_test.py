"""Tests of a worker with a timeout: a virtual clock, advanced by hand.

Run them with ``pytest docs/examples/howto_timeouts_test.py``, or as a script.
"""

import pytest

import gensup
from gensup import TIMEOUT, Supervisor, Worker, emit, waitfor
from gensup.testing import VirtualClock


def watchdog(silence):
    """The worker under test: an ALARM after `silence` s without a BEAT."""
    while True:
        event, *args = yield waitfor("BEAT", timeout=silence)
        if event is TIMEOUT:
            yield emit("ALARM")


def siren(alarms, clock):
    """Notes the time of each alarm."""
    while True:
        yield waitfor("ALARM")
        alarms.append(clock.now())


@pytest.fixture
def clock():
    return VirtualClock()


@pytest.fixture
def alarms():
    return []


@pytest.fixture
def tree(clock, alarms):
    spec = Supervisor(
        "root",
        [
            Worker("watchdog", watchdog, args=(5,)),
            Worker("siren", siren, args=(alarms, clock)),
        ],
    )
    with gensup.start(spec, clock=clock) as tree:
        yield tree


def test_alarm_after_five_silent_seconds(tree, clock, alarms):
    """Nothing happens before the deadline; the alarm comes exactly at it."""
    clock.advance(4.9)
    assert alarms == []
    clock.advance(0.1)
    assert alarms == [5.0]


def test_beats_keep_it_quiet(tree, clock, alarms):
    """Each BEAT ends the wait, and the next wait sets a fresh timer."""
    for _ in range(10):
        clock.advance(4)
        tree.signal("BEAT")
    assert alarms == []
    assert tree.next_deadline() == 45.0


def test_the_alarm_repeats_while_silent(tree, clock, alarms):
    """One advance() fires every timer due on the way, in order."""
    clock.advance(16)
    assert alarms == [5.0, 10.0, 15.0]


if __name__ == "__main__":
    import sys

    from loguru import logger

    logger.remove()
    sys.exit(
        pytest.main(["-q", "-p", "no:cacheprovider", "--no-header", __file__])
    )
