"""Tests of your own workers and trees: a virtual clock, a recorder, no sleep.

Run them with ``pytest docs/examples/howto_testing.py``, or as a script.
"""

import pytest

import gensup
from gensup import Supervisor, SupervisorGaveUp, Worker, waitfor
from gensup.testing import Recorder, VirtualClock


def thermostat(limit):
    """The worker under test: warns when too hot, crashes on bad readings."""
    while True:
        event, celsius = yield waitfor("READING")
        if celsius is None:
            raise ValueError("no reading")
        if celsius > limit:
            print(f"too hot: {celsius}")


SPEC = Supervisor(
    "home",
    [Worker("thermostat", thermostat, args=(25,))],
    intensity=2,
    period=60,
)


def test_worker_alone(capsys):
    """A worker is a generator: drive it by hand, no tree needed."""
    gen = thermostat(25)
    assert next(gen) == waitfor("READING")
    assert gen.send(("READING", 30)) == waitfor("READING")
    assert capsys.readouterr().out == "too hot: 30\n"


def test_bad_reading_restarts_the_worker():
    """A bad reading crashes the thermostat; its supervisor restarts it."""
    recorder = Recorder()
    with gensup.start(SPEC, clock=VirtualClock(), observer=recorder) as tree:
        recorder.clear()
        tree.signal("READING", None)
        assert recorder.lines() == [
            "stop home/thermostat crash",
            "start home/thermostat",
        ]
        assert tree.which_children("home")[0].incarnation == 2


def test_three_bad_readings_in_a_minute_stop_the_tree():
    """A third restart within 60 seconds is one too many: the root gives up."""
    clock, recorder = VirtualClock(), Recorder()
    tree = gensup.start(SPEC, clock=clock, observer=recorder)
    tree.signal("READING", None)
    clock.advance(59)
    tree.signal("READING", None)
    with pytest.raises(SupervisorGaveUp):
        tree.signal("READING", None)
    assert recorder.gave_up() == ["home"]
    assert not tree.alive


def test_bad_readings_spread_out_are_fine():
    """Restarts more than 60 seconds apart never add up."""
    clock = VirtualClock()
    with gensup.start(SPEC, clock=clock) as tree:
        for _ in range(10):
            tree.signal("READING", None)
            clock.advance(31)
        assert tree.alive


if __name__ == "__main__":
    import sys

    from loguru import logger

    logger.remove()
    sys.exit(
        pytest.main(["-q", "-p", "no:cacheprovider", "--no-header", __file__])
    )
