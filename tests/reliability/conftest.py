"""The reliability suite's shared world: one built database per backend and worker."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.conftest import BACKENDS
from tests.reliability.world import World, world_database


@pytest.fixture(scope="session", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp(f"world-{request.param}")
    yield from world_database(request.param, tmp)


FULL = os.environ.get("JJADMIN_TEST_FULL") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`make test` runs the reliability suite's quick cases; .ci/run (JJADMIN_TEST_FULL=1)
    every kill point and the PostgreSQL permission cells too (`slow`)."""
    if FULL:
        return
    skip = pytest.mark.skip(reason="完整的可靠性用例：JJADMIN_TEST_FULL=1（.ci/run）")
    for item in items:
        if "reliability" in item.nodeid and "slow" in item.keywords:
            item.add_marker(skip)
