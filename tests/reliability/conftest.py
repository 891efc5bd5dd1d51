"""The reliability suite's shared world: one built database per backend and worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import BACKENDS
from tests.reliability.world import World, world_database

_worlds: dict[str, Iterator[World]] = {}


@pytest.fixture(scope="session", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp(f"world-{request.param}")
    yield from world_database(request.param, tmp)
