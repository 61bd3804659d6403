"""Shared test set-up: hypothesis profiles and quiet logging."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from loguru import logger

# `ci` is deterministic and bounded; `dev` explores more.  CI sets CI=true.
settings.register_profile(
    "ci",
    max_examples=100,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(autouse=True, scope="session")
def _quiet_loguru() -> None:
    """Tests look at reports, not at stderr: loguru's default sink is removed."""
    logger.remove()


@pytest.fixture
def log_records() -> Iterator[list[dict[str, object]]]:
    """Every loguru record gensup emits during the test, as loguru's record dicts."""
    records: list[dict[str, object]] = []
    sink_id = logger.add(lambda message: records.append(message.record), level="TRACE")
    yield records
    logger.remove(sink_id)


@pytest.fixture(
    params=[
        # Debug mode reports coroutines never awaited and callbacks left behind.
        pytest.param(("asyncio", {"debug": True}), id="asyncio"),
        pytest.param("trio", id="trio"),
    ]
)
def anyio_backend(request: pytest.FixtureRequest) -> object:
    """Async tests (``@pytest.mark.anyio``) run under both of anyio's backends."""
    return request.param


# The tests' local Ray stays on the loopback address: Ray reads this switch
# (named for macOS and Windows, where that is its default) when it is
# imported, so it is set here, before any test module imports it.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[None]:
    """A local Ray, started once for the session and only if a test asks for it.

    It listens on the loopback address only, has no dashboard, keeps its
    workers' output out of the tests', and puts this directory on its
    workers' ``PYTHONPATH`` so that they can import ``ray_serve``.
    """
    ray = pytest.importorskip("ray")
    here = str(Path(__file__).resolve().parent)
    path = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH", "")) if p)
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        object_store_memory=80 * 2**20,
        runtime_env={"env_vars": {"PYTHONPATH": path}},
    )
    assert ray.util.get_node_ip_address() == "127.0.0.1", "Ray was imported before conftest"
    yield
    ray.shutdown()
