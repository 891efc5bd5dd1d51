"""Fixtures of the credits service tests."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.services.credits.declaration_world import World, build_world


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)
