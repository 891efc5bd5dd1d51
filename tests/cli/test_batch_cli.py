"""`jjadmin batch list | show | undo` (SPEC §5)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.helpers_school import school_row, write_csv


def _import(cli: Cli, path: Path) -> int:
    batch_id: int = cli.json("school", "import", str(path))["batch_id"]
    return batch_id


def test_list_and_show_describe_the_import(cli: Cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "学校名单.csv", [school_row("4401040001")])
    batch_id = _import(cli, path)
    (item,) = cli.json("batch", "list")["items"]
    assert item["id"] == batch_id
    shown = cli.json("batch", "show", str(batch_id))
    assert shown == item
    assert (shown["kind"], shown["actor"], shown["file_name"]) == (
        "school",
        "admin",
        "学校名单.csv",
    )
    assert shown["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (shown["total"], shown["created"], shown["state"]) == (1, 1, "applied")
    assert shown["started_at"] == "2026-03-15T10:00:00+08:00"
    assert "批次不存在" in cli.run("batch", "show", "99", code=4).stderr
    assert "学校名单.csv" in cli.run("batch", "list").stdout


def test_undo_removes_the_schools_the_batch_created(cli: Cli, tmp_path: Path) -> None:
    keep = _import(cli, write_csv(tmp_path / "a.csv", [school_row("4401040001")]))
    batch_id = _import(
        cli, write_csv(tmp_path / "b.csv", [school_row("4401040002"), school_row("4401040003")])
    )
    doc = cli.json("batch", "undo", str(batch_id), "--yes")
    assert doc == {"ok": True, "batch_id": batch_id, "reverted": 0, "deleted": 2}
    assert [s["school_code"] for s in cli.json("school", "list")["items"]] == ["4401040001"]
    assert cli.json("batch", "show", str(batch_id))["state"] == "undone"
    assert cli.json("batch", "show", str(keep))["state"] == "applied"
    (entry,) = cli.json("audit", "list", "--action", "batch.undo")["items"]
    assert entry["target"] == str(batch_id)
    assert "已撤销" in cli.run("batch", "undo", str(batch_id), "--yes", code=5).stderr


def test_undo_is_refused_when_a_school_was_changed_later(cli: Cli, tmp_path: Path) -> None:
    batch_id = _import(
        cli, write_csv(tmp_path / "a.csv", [school_row("4401040001"), school_row("4401040002")])
    )
    cli.run("school", "set", "4401040002", "--seal-name", "后改的公章")
    result = cli.run("batch", "undo", str(batch_id), "--yes", code=5)
    assert "又被修改过" in result.stderr and "学校 4401040002" in result.stderr
    assert "未撤销任何数据" in result.stderr
    doc = cli.json("batch", "undo", str(batch_id), "--yes", code=5)
    assert doc["error"]["conflicts"] == ["学校 4401040002"]
    assert cli.json("school", "list")["total"] == 2
    assert cli.json("school", "show", "4401040002")["seal_name"] == "后改的公章"
    assert cli.json("batch", "show", str(batch_id))["state"] == "applied"


def test_undo_of_an_update_batch_restores_the_old_values(cli: Cli, tmp_path: Path) -> None:
    _import(cli, write_csv(tmp_path / "a.csv", [school_row("4401040001", 学校公章名="旧公章")]))
    update = _import(
        cli,
        write_csv(
            tmp_path / "b.csv", [school_row("4401040001", 学校公章名="新公章", 所在镇街="新街")]
        ),
    )
    assert cli.json("school", "show", "4401040001")["seal_name"] == "新公章"
    assert cli.json("batch", "undo", str(update), "--yes")["reverted"] == 1
    shown = cli.json("school", "show", "4401040001")
    assert (shown["seal_name"], shown["town"]) == ("旧公章", "北京街")
    # the restored school is again the first batch's state: re-importing b.csv updates again
    assert cli.json("school", "import", str(tmp_path / "b.csv"))["updated"] == 1


def test_undo_never_prompts_without_a_terminal_and_needs_yes(cli: Cli, tmp_path: Path) -> None:
    batch_id = _import(cli, write_csv(tmp_path / "a.csv", [school_row("4401040001")]))
    refused = cli.run("batch", "undo", str(batch_id), code=2)
    assert "--yes" in refused.stderr
    assert cli.json("school", "list")["total"] == 1  # nothing went
    result = cli.run("batch", "undo", str(batch_id), "--yes")
    assert "已撤销" in result.stdout
    assert cli.json("school", "list")["total"] == 0


def test_a_district_cannot_undo_a_city_batch(cli: Cli, tmp_path: Path) -> None:
    batch_id = _import(cli, write_csv(tmp_path / "a.csv", [school_row("4401040001")]))
    cli.add_account("yx", "district", "--district", "440104")
    cli.login("yx")
    assert cli.json("batch", "list")["total"] == 0
    cli.run("batch", "undo", str(batch_id), "--yes", code=3)
    cli.run("batch", "show", str(batch_id), code=3)


@pytest.fixture
def cli(any_cli: Cli) -> Cli:
    """This module's commands run on SQLite and on PostgreSQL (issue 16)."""
    return any_cli
