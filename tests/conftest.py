"""Shared test set-up: hypothesis profiles and quiet logging."""

from __future__ import annotations

import os
from collections.abc import Iterator

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
