"""The command tree itself: help everywhere, --json wherever data is printed (STYLE §12)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from jjadmin.cli import app


def _walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    if hasattr(command, "list_commands"):  # sub-apps load lazily: ask the group, not its dict
        for name in command.list_commands(None):
            yield from _walk(command.get_command(None, name), (*path, name))


ROOT = typer.main.get_command(app)
NODES = list(_walk(ROOT))
LEAVES = [(path, cmd) for path, cmd in NODES if path and not hasattr(cmd, "list_commands")]


def _options(command: Any) -> dict[str, Any]:
    return {opt: p for p in command.params for opt in getattr(p, "opts", [])}


def test_the_tree_has_the_spec_areas() -> None:
    top = set(ROOT.list_commands(None))  # type: ignore[attr-defined]
    assert {
        "db",
        "login",
        "logout",
        "whoami",
        "account",
        "verify",
        "school",
        "audit",
        "batch",
        "teacher",
        "transfer",
        "period",
        "course",
        "enroll",
        "me",
    } <= top
    assert {"--db", "--debug"} <= set(_options(ROOT))


@pytest.mark.parametrize(("path", "command"), NODES[1:], ids=[" ".join(p) for p, _ in NODES[1:]])
def test_every_command_and_group_has_help(path: tuple[str, ...], command: Any) -> None:
    text = (command.help or command.short_help or "").strip()
    assert text, f"jjadmin {' '.join(path)} has no help text"


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_every_command_prints_one_json_document_on_request(
    path: tuple[str, ...], command: Any
) -> None:
    """Stricter than SPEC §2 (list/show/report/import…): every command reports something."""
    option = _options(command).get("--json")
    assert option is not None, f"jjadmin {' '.join(path)} has no --json"
    assert option.is_flag and option.name == "as_json"


@pytest.mark.parametrize(("path", "command"), NODES[1:], ids=[" ".join(p) for p, _ in NODES[1:]])
def test_help_renders_for_every_command(path: tuple[str, ...], command: Any) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.stdout or "用法" in result.stdout
