"""`jjadmin transfer …` end to end: exit codes, JSON shapes, Chinese messages (SPEC §7)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from jjadmin.db import make_engine, session_factory
from jjadmin.services.auth import hash_password
from jjadmin.services.transfers import SPECIAL_USER_RULE
from tests.conftest import Cli
from tests.factories import make_account, make_school, make_teacher
from tests.helpers_transfers import flag_special

YUEXIU, TIANHE = "440104", "440106"
LIST_KEYS = {
    "id",
    "learner_no",
    "name",
    "from_school_code",
    "from_school_name",
    "to_school_code",
    "to_school_name",
    "state",
    "approver_level",
    "requested_at",
    "decided_at",
    "reason",
    "note",
}


@cache
def password_hash() -> str:
    """The hash of the Cli fixture's default password, computed once (argon2 is slow)."""
    return hash_password("Passw0rd!")


@dataclass
class Env:
    a1: str  # school codes: a1, a2 in 越秀, b1 in 天河
    a2: str
    b1: str
    teacher: str  # 学号 of 张老师 at a1
    other: str  # a second teacher at a1
    special: str  # a special user at a1
    far: str  # a teacher at b1


@pytest.fixture
def env(cli: Cli) -> Env:
    engine = make_engine(cli.db_url)
    with session_factory(engine)() as s:
        a1 = make_school(s, district=YUEXIU, name="越秀一小")
        a2 = make_school(s, district=YUEXIU, name="越秀二小")
        b1 = make_school(s, district=TIANHE, name="天河一小")
        teacher = make_teacher(s, a1, name="张老师", id_number="440104199001011236")
        other = make_teacher(s, a1, name="李老师")
        special = make_teacher(s, a1, name="王老师")
        flag_special(s, special, "2502")
        far = make_teacher(s, b1, name="赵老师")
        found = Env(
            a1.code,
            a2.code,
            b1.code,
            teacher.learner_no,
            other.learner_no,
            special.learner_no,
            far.learner_no,
        )
        make_account(s, "school", username="sa2", school=a2, password_hash=password_hash())
        make_account(s, "district", username="da", district=YUEXIU, password_hash=password_hash())
        s.commit()
    engine.dispose()
    return found


def test_request_prints_the_transfer_id_and_json_gives_it(cli: Cli, env: Env) -> None:
    cli.login("sa2")
    result = cli.run("transfer", "request", env.teacher, "--to", env.a2, "--note", "调入")
    first = int(result.stdout.strip())
    assert "张老师" in result.stderr and "越秀二小" in result.stderr
    doc = cli.json("transfer", "request", env.other, "--to", env.a2)
    assert doc == {"id": first + 1}


def test_request_errors_exit_with_their_code_and_say_why(cli: Cli, env: Env) -> None:
    cases = [
        ("sa2", ["44012699999999", "--to", env.a2], 4, "学号不存在"),
        ("sa2", [env.special, "--to", env.a2], 5, SPECIAL_USER_RULE),
        ("sa2", [env.far, "--to", env.b1], 3, "无权访问"),
        ("admin", [env.teacher, "--to", env.a1], 1, "无需调动"),
        ("admin", [env.teacher, "--to", "4401049999"], 4, "学校不存在"),
        ("admin", ["123", "--to", env.a2], 1, "学号“123”无效"),
    ]
    for who, argv, code, message in cases:
        cli.login(who)
        result = cli.run("transfer", "request", *argv, code=code)
        assert message in result.stderr, (argv, result.stderr)
        doc = cli.json("transfer", "request", *argv, code=code)
        assert doc["ok"] is False and message in doc["error"]["message"]
    assert cli.json("transfer", "list") == {"items": [], "total": 0}


def test_a_pending_transfer_blocks_a_second_request(cli: Cli, env: Env) -> None:
    tid = cli.json("transfer", "request", env.teacher, "--to", env.b1)["id"]
    result = cli.run("transfer", "request", env.teacher, "--to", env.a2, code=5)
    assert f"已有待审批的调动申请 #{tid}" in result.stderr


def test_lookup_shows_only_name_and_current_school(cli: Cli, env: Env) -> None:
    cli.login("sa2")
    doc = cli.json("transfer", "lookup", env.teacher)
    assert doc == {"learner_no": env.teacher, "name": "张老师", "school_name": "越秀一小"}
    assert "越秀一小" in cli.run("transfer", "lookup", env.teacher).stdout
    assert "学号不存在" in cli.run("transfer", "lookup", "44012699999999", code=4).stderr


def test_list_and_show_carry_the_documented_keys(cli: Cli, env: Env) -> None:
    cli.login("sa2")
    tid = cli.json("transfer", "request", env.teacher, "--to", env.a2, "--note", "新学期")["id"]
    doc = cli.json("transfer", "list")
    assert doc["total"] == 1
    item = doc["items"][0]
    assert LIST_KEYS <= set(item)
    assert "id_number" not in item and "mobile" not in item
    assert item["id"] == tid
    assert (item["learner_no"], item["name"]) == (env.teacher, "张老师")
    assert (item["from_school_code"], item["from_school_name"]) == (env.a1, "越秀一小")
    assert (item["to_school_code"], item["to_school_name"]) == (env.a2, "越秀二小")
    assert (item["state"], item["approver_level"], item["note"]) == (
        "pending",
        "district",
        "新学期",
    )
    assert item["requested_at"].startswith("2026-03-15T10:00:00")
    assert item["decided_at"] is None and item["reason"] is None
    assert cli.json("transfer", "list", "--state", "approved") == {"items": [], "total": 0}
    assert cli.json("transfer", "show", str(tid)) == item
    human = cli.run("transfer", "list").stdout
    assert "待审批" in human and "区级审批" in human
    assert cli.run("transfer", "show", str(tid + 50), code=4).stderr.count("调动申请不存在") == 1


def test_list_refuses_an_unknown_state_as_a_usage_error(cli: Cli, env: Env) -> None:
    result = cli.run("transfer", "list", "--state", "done", code=2)
    assert "--state" in result.stderr


def test_district_approves_a_same_district_transfer_and_the_teacher_moves(
    cli: Cli, env: Env
) -> None:
    cli.login("sa2")
    tid = cli.json("transfer", "request", env.teacher, "--to", env.a2)["id"]
    denied = cli.run("transfer", "approve", str(tid), code=3)
    assert "无权审批教师调动" in denied.stderr
    cli.login("da")
    cli.set_now("2026-03-15T16:30:00+08:00")
    doc = cli.json("transfer", "approve", str(tid))
    assert doc["state"] == "approved"
    assert doc["decided_at"].startswith("2026-03-15T16:30:00")
    assert doc["decided_by"] == "da"
    again = cli.run("transfer", "approve", str(tid), code=5)
    assert "已批准" in again.stderr
    listed = cli.json("transfer", "list", "--state", "approved")
    assert [i["id"] for i in listed["items"]] == [tid]
    audit = cli.json("audit", "list", "--action", "teacher.transfer")
    assert audit["total"] == 1


def test_a_cross_district_transfer_is_for_the_city(cli: Cli, env: Env) -> None:
    tid = cli.json("transfer", "request", env.far, "--to", env.a2)["id"]
    cli.login("da")
    result = cli.run("transfer", "approve", str(tid), code=3)
    assert "跨区调动必须由市级" in result.stderr
    cli.login("admin")
    assert cli.json("transfer", "approve", str(tid))["state"] == "approved"


def test_approval_is_refused_when_the_teacher_became_a_special_user(cli: Cli, env: Env) -> None:
    tid = cli.json("transfer", "request", env.teacher, "--to", env.a2)["id"]
    engine = make_engine(cli.db_url)
    with session_factory(engine)() as s:
        from sqlalchemy import select

        from jjadmin.models import Teacher

        teacher = s.execute(select(Teacher).where(Teacher.learner_no == env.teacher)).scalar_one()  # type: ignore[arg-type]
        flag_special(s, teacher, "2502")
        s.commit()
    engine.dispose()
    result = cli.run("transfer", "approve", str(tid), code=5)
    assert "消除特殊用户后方可申请调动" in result.stderr
    assert cli.json("transfer", "show", str(tid))["state"] == "pending"


def test_reject_requires_a_reason(cli: Cli, env: Env) -> None:
    tid = cli.json("transfer", "request", env.teacher, "--to", env.a2)["id"]
    cli.run("transfer", "reject", str(tid), code=2)
    blank = cli.run("transfer", "reject", str(tid), "--reason", " ", code=1)
    assert "必须填写原因" in blank.stderr
    doc = cli.json("transfer", "reject", str(tid), "--reason", "编制未落实")
    assert (doc["state"], doc["reason"]) == ("rejected", "编制未落实")
    assert "已驳回" in cli.run("transfer", "approve", str(tid), code=5).stderr


def test_the_requesting_school_cancels_a_pending_request(cli: Cli, env: Env) -> None:
    cli.login("sa2")
    tid = cli.json("transfer", "request", env.teacher, "--to", env.a2)["id"]
    assert cli.json("transfer", "cancel", str(tid))["state"] == "cancelled"
    assert "已撤销" in cli.run("transfer", "cancel", str(tid), code=5).stderr
    cli.login("admin")
    far = cli.json("transfer", "request", env.far, "--to", env.b1, code=1)
    assert "无需调动" in far["error"]["message"]


def test_import_reports_row_errors_and_writes_them_to_the_errors_workbook(
    cli: Cli, env: Env, xlsx: Callable[..., Path], tmp_path: Path
) -> None:
    cli.login("sa2")
    path = xlsx(
        "调动.xlsx",
        ["学号", "调入学校代码", "备注"],
        [
            [env.teacher, env.a2, "正常"],
            ["44012699999999", env.a2, None],
            [env.other, "4401049999", None],
            [env.special, env.a2, None],
        ],
    )
    bad = tmp_path / "错误.xlsx"
    doc = cli.json("transfer", "import", str(path), "--errors-to", str(bad), code=1)
    assert doc["ok"] is False and doc["created"] == 0
    errors = {(e["row"], e["column"]): e["message"] for e in doc["errors"]}
    assert errors[(3, "学号")] == "学号不存在：44012699999999"
    assert errors[(4, "调入学校代码")] == "学校不存在：4401049999"
    assert "消除特殊用户后方可申请调动" in errors[(5, "学号")]
    ws = openpyxl.load_workbook(bad).active
    assert ws is not None
    rows: list[tuple[Any, ...]] = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("学号", "调入学校代码", "备注", "错误说明")
    # nothing was written: every row, the rejected ones explained in 错误说明
    assert [r[0] for r in rows[1:]] == [env.teacher, "44012699999999", env.other, env.special]
    assert [bool(r[3]) for r in rows[1:]] == [False, True, True, True]
    assert cli.json("transfer", "list") == {"items": [], "total": 0}

    dry = cli.json("transfer", "import", str(path), "--dry-run", code=1)
    assert dry["dry_run"] is True and dry["created"] == 1  # what the good row would add
    human = cli.run("transfer", "import", str(path), code=1)
    assert "未写入任何数据" in human.stderr

    refused = cli.run("transfer", "import", str(path), "--errors-to", str(bad), code=5)
    assert "文件已存在" in refused.stderr and "--overwrite" in refused.stderr
    same = cli.run("transfer", "import", str(path), "--errors-to", str(path), "--overwrite", code=2)
    assert "不能是正在读取的文件" in same.stderr
    assert cli.json("transfer", "list")["total"] == 0  # both refused before anything ran

    partial = cli.json(
        "transfer",
        "import",
        str(path),
        "--skip-invalid",
        "--errors-to",
        str(bad),
        "--overwrite",
        code=1,
    )
    assert (partial["created"], partial["skipped"]) == (1, 0)  # refused rows are errors
    kept = [r[0] for r in openpyxl.load_workbook(bad).active.iter_rows(min_row=2, values_only=True)]
    assert kept == ["44012699999999", env.other, env.special]  # the good row is already in
    listed = cli.json("transfer", "list")
    assert [i["learner_no"] for i in listed["items"]] == [env.teacher]


def test_batch_undo_removes_imported_requests_unless_one_was_decided(
    cli: Cli, env: Env, xlsx: Callable[..., Path]
) -> None:
    cli.login("sa2")
    head = ["学号", "调入学校代码"]
    first = xlsx("a.xlsx", head, [[env.teacher, env.a2]])
    batch = cli.json("transfer", "import", str(first))["batch_id"]
    assert cli.json("transfer", "import", str(first))["created"] == 0  # idempotent
    assert cli.json("batch", "undo", str(batch), "--yes")["deleted"] == 1
    assert cli.json("transfer", "list")["total"] == 0

    second = xlsx("b.xlsx", head, [[env.teacher, env.a2], [env.other, env.a2]])
    batch = cli.json("transfer", "import", str(second))["batch_id"]
    tid = cli.json("transfer", "list")["items"][0]["id"]
    cli.login("da")
    cli.json("transfer", "approve", str(tid))
    cli.login("sa2")
    refused = cli.run("batch", "undo", str(batch), "--yes", code=5)
    assert "又被修改过" in refused.stderr and f"#{tid}" in refused.stderr
    assert cli.json("transfer", "list")["total"] == 2


def test_template_writes_the_transfer_columns(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "模板.xlsx"
    cli.run("transfer", "template", str(out))
    ws = openpyxl.load_workbook(out).active
    assert ws is not None
    assert [c.value for c in ws[1]][:3] == ["学号", "调入学校代码", "备注"]


def test_transfer_list_on_the_raw_path_agrees_with_the_orm_for_every_role(
    cli: Cli, env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13: `transfer list` reads through the DB-API with the same scope."""
    from jjadmin.services import transfer_listing
    from jjadmin.services.transfers import views

    cli.login("sa2")
    cli.json("transfer", "request", env.teacher, "--to", env.a2)
    cli.json("transfer", "request", env.far, "--to", env.a2)
    cli.login("da")
    cli.json("transfer", "reject", "1", "--reason", "材料不全")
    for user in ("admin", "sa2", "da"):
        cli.login(user)
        for extra in ((), ("--state", "pending"), ("--state", "已驳回")):
            raw = cli.json("transfer", "list", *extra)
            with monkeypatch.context() as m:
                m.setattr(transfer_listing, "list_transfers", views.list_transfers)
                assert cli.json("transfer", "list", *extra) == raw, (user, extra)
    cli.login("da")
    assert cli.json("transfer", "list")["total"] == 2


@pytest.fixture
def cli(any_cli: Cli) -> Cli:
    """This module's commands run on SQLite and on PostgreSQL (issue 16)."""
    return any_cli
