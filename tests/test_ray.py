"""gensup.ray: the Actor placement's checks, and its link to a Ray actor.

The link's tests run stand-ins for ``gensup._remote.serve`` (``ray_serve.py``)
in the actor, so that they pin what the link does (bytes in order both ways,
the actor's death reported once, nothing left behind by close) apart from
what the subtree does.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("ray")

import ray
import ray.exceptions

import gensup
import gensup.ray
import gensup.render
from gensup._placement import Link

#: How long a test waits for what the actor does before it fails.
PATIENCE = 30.0


class Collected:
    """What a link handed back: its batches and its ``ended`` texts, with a way to wait."""

    def __init__(self) -> None:
        self.batches: list[list[bytes]] = []
        self.ended: list[str] = []
        self.changed = threading.Condition()

    def received(self, batch: list[bytes]) -> None:
        with self.changed:
            self.batches.append(batch)
            self.changed.notify_all()

    def end(self, why: str) -> None:
        with self.changed:
            self.ended.append(why)
            self.changed.notify_all()

    def items(self) -> list[bytes]:
        """Every item of every batch, in the order they came."""
        with self.changed:
            return [item for batch in self.batches for item in batch]

    def wait_items(self, count: int) -> list[bytes]:
        """The first ``count`` items, once they came."""
        with self.changed:
            assert self.changed.wait_for(
                lambda: sum(map(len, self.batches)) >= count, timeout=PATIENCE
            ), f"only {sum(map(len, self.batches))} of {count} items came"
        return self.items()[:count]

    def wait_ended(self) -> str:
        with self.changed:
            assert self.changed.wait_for(lambda: self.ended, timeout=PATIENCE), "no ended()"
            return self.ended[0]


def open_link(
    monkeypatch: pytest.MonkeyPatch,
    serve: str,
    boot: bytes = b"boot",
    actor: gensup.ray.Actor | None = None,
) -> tuple[Any, Collected]:
    """Open a link whose actor runs ``ray_serve.<serve>``."""
    monkeypatch.setattr(gensup.ray, "_SERVE", f"ray_serve:{serve}")
    collected = Collected()
    link = (actor or gensup.ray.Actor(num_cpus=0)).open(boot, collected.received, collected.end)
    return link, collected


def gone(pid: int) -> bool:
    """Whether no process has id ``pid`` any more (waiting for it a while)."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


# ---- Without a cluster ----


class TestImport:
    def test_without_ray_names_the_extra(self) -> None:
        """Importing gensup.ray where Ray cannot be imported raises ImportError naming the extra."""
        code = (
            "import sys\n"
            "sys.modules['ray'] = None\n"
            "try:\n"
            "    import gensup.ray\n"
            "except ImportError as error:\n"
            "    print(error)\n"
            "import gensup\n"
            "print('gensup imported')\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
        )
        assert "pip install 'gensup[ray]'" in done.stdout
        assert "gensup imported" in done.stdout

    def test_reached_as_an_attribute_of_gensup(self) -> None:
        """As gensup.aio is: `import gensup` then `gensup.ray.Actor`, without Ray started."""
        code = (
            "import sys, gensup\n"
            "print('gensup.ray' in sys.modules)\n"
            "print(gensup.ray.Actor(num_cpus=2).describe())\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
        )
        assert done.stdout.split("\n")[:2] == ["False", "Ray actor (num_cpus=2)"]

    def test_import_does_not_start_ray(self) -> None:
        """Importing gensup.ray, and making an Actor, leaves Ray uninitialised."""
        code = (
            "import gensup.ray, ray\n"
            "gensup.ray.Actor(num_cpus=2).describe()\n"
            "print(ray.is_initialized())\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
        )
        assert done.stdout.strip() == "False"


class TestModule:
    def test_public_names_have_docstrings(self) -> None:
        """gensup.ray exports Actor alone; it and its public methods have docstrings."""
        assert gensup.ray.__all__ == ["Actor"]
        assert (gensup.ray.__doc__ or "").strip()
        for name in ("Actor", "Actor.describe", "Actor.open"):
            obj: Any = gensup.ray
            for part in name.split("."):
                obj = getattr(obj, part)
            assert (obj.__doc__ or "").strip(), name

    def test_starts_ray_if_it_is_not(self, tmp_path: Path) -> None:
        """A link opened where Ray is not initialised starts a local Ray itself, and works."""
        here = Path(__file__).resolve().parent
        code = (
            "import threading, ray, gensup.ray\n"
            "gensup.ray._SERVE = 'ray_serve:echo'\n"
            "came = threading.Event()\n"
            "link = gensup.ray.Actor(num_cpus=0).open(b'up', lambda b: came.set(), print)\n"
            "assert came.wait(120)\n"
            "print('echoed', ray.is_initialized())\n"
            "link.close()\n"
            "assert link.wait_closed(30)\n"
            "ray.shutdown()\n"
        )
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(here), os.environ.get("PYTHONPATH", "")]),
            "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
            "RAY_USAGE_STATS_ENABLED": "0",
        }
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
            cwd=tmp_path,
            env=env,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.strip().splitlines()[-1] == "echoed True"


class TestHowTo:
    def test_example_runs_and_prints_what_the_page_says(self, tmp_path: Path) -> None:
        """The how-to's shards.py and main.py, run as the page shows them, print its comment."""
        page = (Path(__file__).resolve().parent.parent / "docs/how-to/ray.md").read_text()
        blocks = re.findall(r"```python\n(# (\w+\.py)[^\n]*\n.*?)```", page, re.DOTALL)
        files = {name: code for code, name in blocks}
        assert set(files) == {"shards.py", "main.py"}
        for name, code in files.items():
            (tmp_path / name).write_text(code)
        expected = re.search(r"print\(totals\)\s+# (.*)", files["main.py"])
        assert expected is not None
        env = {
            **os.environ,
            "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
            "RAY_USAGE_STATS_ENABLED": "0",
        }
        done = subprocess.run(
            [sys.executable, "main.py"],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
            cwd=tmp_path,
            env=env,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.strip() == expected[1]


class TestActor:
    def test_defaults(self) -> None:
        """An Actor asks for one CPU, no GPU and nothing else, and says so."""
        actor = gensup.ray.Actor()
        assert (actor.num_cpus, actor.num_gpus, actor.resources, actor.memory) == (1, 0, None, None)
        assert actor.describe() == "Ray actor (num_cpus=1)"
        assert isinstance(actor, gensup.ray.Actor)

    def test_describe_names_every_resource(self) -> None:
        """describe() lists the resources asked for, in the order of the fields."""
        actor = gensup.ray.Actor(num_cpus=2, num_gpus=0.5, resources={"shard": 1}, memory=1024)
        assert actor.describe() == (
            "Ray actor (num_cpus=2, num_gpus=0.5, resources={'shard': 1}, memory=1024)"
        )

    def test_repr_shows_what_differs_from_the_defaults(self) -> None:
        """An Actor's repr, and so a spec's, shows only the fields that were given."""
        assert repr(gensup.ray.Actor()) == "Actor()"
        actor = gensup.ray.Actor(num_cpus=0, resources={"shard": 1})
        assert repr(actor) == "Actor(num_cpus=0, resources={'shard': 1})"
        spec = gensup.Supervisor("s", [], placement=actor)
        assert repr(spec) == "Supervisor('s', placement=Actor(num_cpus=0, resources={'shard': 1}))"

    def test_pictures_say_where_the_subtree_runs(self) -> None:
        """A tree's picture names the Ray actor and what it asks for."""
        placement = gensup.ray.Actor(num_cpus=0)
        spec = gensup.Supervisor("root", [gensup.Supervisor("shard", [], placement=placement)])
        assert "shard [supervisor one_for_one, intensity 1/5s, in a Ray actor (num_cpus=0)" in (
            gensup.render.text(spec)
        )

    def test_ray_options(self) -> None:
        """The actor's .options() get the fields and the extra options, and keep gensup's own."""
        actor = gensup.ray.Actor(
            num_cpus=2, resources={"shard": 1}, memory=2**20, options={"name": "a"}
        )
        assert actor._ray_options() == {
            "name": "a",
            "num_cpus": 2,
            "num_gpus": 0,
            "resources": {"shard": 1},
            "memory": 2**20,
        }

    def test_mappings_are_copied(self) -> None:
        """Changing the dict an Actor was given later does not change the Actor."""
        resources = {"shard": 1}
        actor = gensup.ray.Actor(resources=resources)
        resources["shard"] = 5
        assert actor.resources == {"shard": 1}

    def test_keyword_only_and_frozen(self) -> None:
        """Fields are given by keyword and cannot be changed after."""
        with pytest.raises(TypeError):
            gensup.ray.Actor(2)  # type: ignore[misc]
        actor = gensup.ray.Actor()
        with pytest.raises(AttributeError):
            actor.num_cpus = 2  # type: ignore[misc]

    @pytest.mark.parametrize(
        ("kwargs", "error", "message"),
        [
            (
                {"num_cpus": -1},
                gensup.InvalidSpec,
                "gensup.ray.Actor: 'num_cpus' must be a finite number >= 0 (got -1)",
            ),
            (
                {"num_cpus": "1"},
                gensup.InvalidSpecType,
                "gensup.ray.Actor: 'num_cpus' must be a number (got '1')",
            ),
            (
                {"num_cpus": True},
                gensup.InvalidSpecType,
                "gensup.ray.Actor: 'num_cpus' must be a number (got True)",
            ),
            (
                {"num_gpus": float("nan")},
                gensup.InvalidSpec,
                "gensup.ray.Actor: 'num_gpus' must be a finite number >= 0 (got nan)",
            ),
            (
                {"num_gpus": float("inf")},
                gensup.InvalidSpec,
                "gensup.ray.Actor: 'num_gpus' must be a finite number >= 0 (got inf)",
            ),
            (
                {"resources": [("shard", 1)]},
                gensup.InvalidSpecType,
                "gensup.ray.Actor: 'resources' must be a mapping of resource names to amounts, "
                "or None (got [('shard', 1)])",
            ),
            (
                {"resources": {"CPU": 1}},
                gensup.InvalidSpec,
                "gensup.ray.Actor: 'resources' must not name 'CPU' (use Actor(num_cpus=...))",
            ),
            (
                {"resources": {"GPU": 1}},
                gensup.InvalidSpec,
                "gensup.ray.Actor: 'resources' must not name 'GPU' (use Actor(num_gpus=...))",
            ),
            (
                {"resources": {1: 1}},
                gensup.InvalidSpecType,
                "gensup.ray.Actor: 'resources' keys must be non-empty strings (got 1)",
            ),
            (
                {"resources": {"shard": "1"}},
                gensup.InvalidSpecType,
                "gensup.ray.Actor: 'resources' amounts must be numbers (got '1' for 'shard')",
            ),
            (
                {"resources": {"shard": -2}},
                gensup.InvalidSpec,
                "gensup.ray.Actor: 'resources' amounts must be finite numbers >= 0 "
                "(got -2 for 'shard')",
            ),
            (
                {"memory": 1.5},
                gensup.InvalidSpecType,
                "gensup.ray.Actor: 'memory' must be an int (bytes) or None (got 1.5)",
            ),
            (
                {"memory": 0},
                gensup.InvalidSpec,
                "gensup.ray.Actor: 'memory' must be > 0 bytes (got 0)",
            ),
            (
                {"options": ["name"]},
                gensup.InvalidSpecType,
                "gensup.ray.Actor: 'options' must be a mapping of keyword arguments for "
                "Ray's .options(), or None (got ['name'])",
            ),
            (
                {"options": {"max_restarts": 3}},
                gensup.InvalidSpec,
                "gensup.ray.Actor: 'options' must not set 'max_restarts' "
                "(gensup's supervisors decide restarts, never Ray)",
            ),
            (
                {"options": {"max_task_retries": 1}},
                gensup.InvalidSpec,
                "gensup.ray.Actor: 'options' must not set 'max_task_retries' "
                "(gensup's supervisors decide restarts, never Ray)",
            ),
            (
                {"options": {"num_cpus": 1}},
                gensup.InvalidSpec,
                "gensup.ray.Actor: 'options' must not set 'num_cpus' (use Actor(num_cpus=...))",
            ),
        ],
    )
    def test_bad_values(self, kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
        """A bad value raises InvalidSpec (a ValueError) or InvalidSpecType (a TypeError),
        naming the field, what was expected and what came."""
        with pytest.raises(error) as raised:
            gensup.ray.Actor(**kwargs)
        assert str(raised.value) == message
        builtin = TypeError if error is gensup.InvalidSpecType else ValueError
        assert isinstance(raised.value, builtin)


class TestActorClass:
    """The actor's own class, run here without Ray: its order and its end."""

    @settings(max_examples=50, deadline=None)
    @given(order=st.permutations(range(8)))
    def test_pushes_out_of_order_reach_the_runner_in_order(self, order: list[int]) -> None:
        """Batches pushed in any order reach the runner by their numbers, and come back so."""
        actor = gensup.ray._PlacedSubtree.__ray_actor_class__("ray_serve:echo", b"boot")
        for number in order:
            actor.push(number, [number])
        came: list[Any] = []
        while len(came) < 9:
            came += actor.pull().batches
        assert came == [[b"boot"], *([n] for n in range(8))]
        assert actor._early == {}

    def test_pull_reports_the_end_once_and_after(self) -> None:
        """Once the runner returned, pull says so with the last batches, and again after."""
        actor = gensup.ray._PlacedSubtree.__ray_actor_class__("ray_serve:fail", b"boot")
        pulled = actor.pull()
        while not pulled.finished:
            pulled = actor.pull()
        again = actor.pull()
        assert (again.batches, again.finished) == ([], True)
        assert again.failure == "RuntimeError: the runner broke"


class TestDied:
    def test_killed_worker(self) -> None:
        """A killed worker's long text is cut to why, the process and the detail."""
        text = (
            "The actor died unexpectedly before finishing this task.\n"
            "\tclass_name: _PlacedSubtree\n\tactor_id: 60e6\n\tpid: 7416\n"
            "The actor is dead because its worker process has died. Worker exit type: "
            "SYSTEM_ERROR Worker exit detail: Worker unexpectedly exits with a connection "
            "error code 2. End of file. Some common causes include: (1) the OOM killer"
        )
        assert gensup.ray._died(RuntimeError(text)) == (
            "its worker process has died (process 7416): Worker unexpectedly exits with a "
            "connection error code 2"
        )

    def test_unknown_text(self) -> None:
        """A text of another shape gives its last line."""
        assert gensup.ray._died(RuntimeError("first\nModuleNotFoundError: x")) == (
            "ModuleNotFoundError: x"
        )


# ---- With a local Ray ----


@pytest.fixture
def closing() -> Iterator[list[Any]]:
    """Links to close after the test, whatever happened in it."""
    links: list[Any] = []
    yield links
    for link in links:
        link.close()
        assert link.wait_closed(PATIENCE)


@pytest.mark.usefixtures("ray_cluster")
class TestLink:
    def test_is_a_link(self, monkeypatch: pytest.MonkeyPatch, closing: list[Any]) -> None:
        """open() returns a Link at once, before the actor is up."""
        began = time.monotonic()
        link, _ = open_link(monkeypatch, "echo")
        closing.append(link)
        assert time.monotonic() - began < 1.0
        assert isinstance(link, Link)

    def test_boot_reaches_the_runner(
        self, monkeypatch: pytest.MonkeyPatch, closing: list[Any]
    ) -> None:
        """The runner gets the boot bytes; what it sends comes back through received()."""
        link, collected = open_link(monkeypatch, "echo", boot=b"\x00hello\xff")
        closing.append(link)
        assert collected.wait_items(1) == [b"\x00hello\xff"]

    def test_held_until_the_actor_is_up(
        self, monkeypatch: pytest.MonkeyPatch, closing: list[Any]
    ) -> None:
        """Batches sent before the actor is up are held, then delivered in order."""
        link, collected = open_link(monkeypatch, "echo")
        closing.append(link)
        sent = [[f"{n}.{i}".encode() for i in range(n % 4)] for n in range(50)]
        for batch in sent:
            link.send(batch)
        assert collected.wait_items(1 + sum(map(len, sent))) == [
            b"boot",
            *(item for batch in sent for item in batch),
        ]

    def test_batches_in_order_both_ways(
        self, monkeypatch: pytest.MonkeyPatch, closing: list[Any]
    ) -> None:
        """Batches of any size, sent back to back, come back in order (one actor, many rounds)."""
        link, collected = open_link(monkeypatch, "echo")
        closing.append(link)
        collected.wait_items(1)
        rounds = iter(range(10**9))

        @settings(max_examples=50, deadline=None)
        @given(sizes=st.lists(st.integers(min_value=0, max_value=300), min_size=1, max_size=30))
        def one_round(sizes: list[int]) -> None:
            before = len(collected.items())
            round_ = next(rounds)
            sent: list[bytes] = []
            for number, size in enumerate(sizes):
                batch = [f"{round_}.{number}.{i}".encode() for i in range(size)]
                link.send(batch)
                sent += batch
            assert collected.wait_items(before + len(sent))[before:] == sent

        one_round()
        assert collected.ended == []

    def test_sigkill_calls_ended_once(
        self, monkeypatch: pytest.MonkeyPatch, closing: list[Any]
    ) -> None:
        """When the actor's process is killed with SIGKILL, ended() is called once, saying so."""
        link, collected = open_link(monkeypatch, "echo")
        closing.append(link)
        collected.wait_items(1)
        pid = link.pid()
        os.kill(pid, signal.SIGKILL)
        why = collected.wait_ended()
        assert why.startswith(f"Ray actor {link._actor._actor_id.hex()} died: ")
        assert f"(process {pid})" in why
        assert link.wait_closed(PATIENCE)
        # Ray did not restart it (max_restarts=0): gensup's supervisors decide.
        with pytest.raises(ray.exceptions.RayActorError):
            ray.get(link._actor.pid.remote(), timeout=PATIENCE)
        link.send([b"after"])
        time.sleep(0.3)
        assert collected.ended == [why]
        assert collected.items() == [b"boot"]

    def test_close_leaves_no_actor(
        self, monkeypatch: pytest.MonkeyPatch, closing: list[Any]
    ) -> None:
        """close() kills the actor and its process, calls neither ended() nor received() after,
        and may be called again."""
        link, collected = open_link(monkeypatch, "echo")
        collected.wait_items(1)
        pid = link.pid()
        link.close()
        link.close()
        assert link.wait_closed(PATIENCE)
        with pytest.raises(ray.exceptions.RayActorError):
            ray.get(link._actor.pid.remote(), timeout=PATIENCE)
        assert gone(pid)
        link.send([b"after"])
        time.sleep(0.3)
        assert collected.ended == []
        assert collected.items() == [b"boot"]

    def test_close_before_the_actor_is_made(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A link closed as soon as it is opened still ends with no actor, and no ended()."""
        link, collected = open_link(monkeypatch, "echo")
        link.close()
        assert link.wait_closed(PATIENCE)
        assert link._actor is not None
        with pytest.raises(ray.exceptions.RayActorError):
            ray.get(link._actor.pid.remote(), timeout=PATIENCE)
        assert collected.ended == []

    def test_a_batch_that_cannot_cross_ends_the_link(
        self, monkeypatch: pytest.MonkeyPatch, closing: list[Any]
    ) -> None:
        """A batch Ray cannot serialise ends the link (once, saying why) instead of raising."""
        link, collected = open_link(monkeypatch, "echo")
        closing.append(link)
        collected.wait_items(1)
        link.send([(b"fine",), (threading.Lock(),)])
        why = collected.wait_ended()
        assert "a batch could not be sent" in why
        assert link.wait_closed(PATIENCE)
        assert collected.ended == [why]

    def test_runner_returns(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """When the runner returns, its last batches come, then ended() once; the actor goes."""
        link, collected = open_link(monkeypatch, "stop_on", boot=b"stop")
        link.send([b"a"])
        link.send([b"b", b"stop"])
        link.send([b"never echoed"])
        why = collected.wait_ended()
        assert collected.items() == [b"a", b"b", b"stop"]
        assert why.endswith("ended: the subtree's runner returned")
        assert link.wait_closed(PATIENCE)
        assert collected.ended == [why]

    def test_runner_fails(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """When the runner raises, ended() says with what, once."""
        link, collected = open_link(monkeypatch, "fail")
        why = collected.wait_ended()
        assert collected.items() == [b"boot"]
        assert why.endswith("ended: the subtree's runner failed: RuntimeError: the runner broke")
        assert link.wait_closed(PATIENCE)

    def test_runner_not_importable(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A runner the actor cannot import makes the actor die, and ended() says why."""
        link, collected = open_link(monkeypatch, "no_such_function")
        why = collected.wait_ended()
        assert "died" in why
        assert "no_such_function" in why
        assert link.wait_closed(PATIENCE)

    def test_options_reach_ray(self, monkeypatch: pytest.MonkeyPatch, closing: list[Any]) -> None:
        """Actor(options=...) are passed to Ray: a named actor can be looked up by its name."""
        actor = gensup.ray.Actor(num_cpus=0, options={"name": "gensup-test-named"})
        link, collected = open_link(monkeypatch, "echo", actor=actor)
        closing.append(link)
        collected.wait_items(1)
        named = ray.get_actor("gensup-test-named")
        assert ray.get(named.pid.remote()) == link.pid()
