"""Every `--json` document any CLI test makes speaks the glossary (issue 13: one JSON
vocabulary for the whole tree)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _json_speaks_the_glossary(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from jjadmin.commands import _output
    from jjadmin.rules.glossary import unknown_keys

    emit = _output.Output.emit
    unknown: list[str] = []

    def checked(self: Any, doc: Any) -> None:
        unknown.extend(k for k in unknown_keys(_output.to_jsonable(doc)) if k not in unknown)
        emit(self, doc)

    monkeypatch.setattr(_output.Output, "emit", checked)
    yield
    assert not unknown, (
        f"JSON keys not in jjadmin/rules/glossary.py (or retired): {unknown}; "
        "use the glossary's word or add the new one with its meaning"
    )
