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


# Click's English chrome and Typer's placeholders: none may reach a help page (issue 13)
ENGLISH_CHROME = (
    "Usage:",
    "Options:",
    "Arguments:",
    "Commands:",
    "Show this message",
    "[required]",
    "[default:",
    "<int",
    "<str>",
    "<text>",
    "<bool>",
    "<path>",
    "{file}",
    "[OPTIONS]",
    "COMMAND [ARGS]",
    "<=x<=",
    "x>=",
)


@pytest.mark.parametrize(("path", "command"), NODES, ids=[" ".join(p) or "root" for p, _ in NODES])
def test_every_help_page_is_chinese_in_one_format(path: tuple[str, ...], command: Any) -> None:
    result = CliRunner().invoke(app, [*path, "-h"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("用法："), result.stdout[:80]
    leftovers = [word for word in ENGLISH_CHROME if word in result.stdout]
    assert not leftovers, f"jjadmin {' '.join(path)} -h shows {leftovers}"
    assert "╭" not in result.stdout  # no Rich panels: the root's plain format everywhere


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_every_command_shows_an_example(path: tuple[str, ...], command: Any) -> None:
    text = f"{command.help or ''}\n{command.epilog or ''}"
    assert "示例" in text and "jjadmin " in text, f"jjadmin {' '.join(path)} has no example"


def _is_list(path: tuple[str, ...], command: Any) -> bool:
    return path[-1] == "list" or "--limit" in _options(command)


LISTS = [(p, c) for p, c in LEAVES if _is_list(p, c)]


@pytest.mark.parametrize(("path", "command"), LISTS, ids=[" ".join(p) for p, _ in LISTS])
def test_every_list_takes_columns(path: tuple[str, ...], command: Any) -> None:
    assert "--columns" in _options(command)


def _writes_a_file(path: tuple[str, ...], command: Any) -> bool:
    opts = _options(command)
    return path[-1] in ("template", "export", "backup") or "--out" in opts or "--errors-to" in opts


WRITERS = [(p, c) for p, c in LEAVES if _writes_a_file(p, c)]


@pytest.mark.parametrize(("path", "command"), WRITERS, ids=[" ".join(p) for p, _ in WRITERS])
def test_every_command_that_writes_a_file_takes_overwrite(
    path: tuple[str, ...], command: Any
) -> None:
    assert "--overwrite" in _options(command), f"jjadmin {' '.join(path)} lacks --overwrite"


# destructive: they delete, archive or revert many rows at once (SPEC §2)
DESTRUCTIVE = [("batch", "undo"), ("teacher", "import")]


@pytest.mark.parametrize("path", DESTRUCTIVE, ids=[" ".join(p) for p in DESTRUCTIVE])
def test_destructive_commands_take_yes(path: tuple[str, ...]) -> None:
    command = dict(LEAVES)[path]
    assert "--yes" in _options(command)


def test_every_vocabulary_accepts_its_labels_and_codes() -> None:
    from jjadmin.rules import labels

    for name, vocabulary in labels.VOCABULARIES.items():
        for code, label in vocabulary.items():
            assert labels.to_code(vocabulary, label) == code, (name, label)
            assert labels.to_code(vocabulary, code) == code, (name, code)
        assert labels.to_code(vocabulary, "没有这个值") is None
    assert labels.action_to_prefix("选课·本人") == "enroll.self"
    assert labels.action_to_prefix("选课") == "enroll"
    assert labels.action_label("enroll.self") == "选课·本人"
