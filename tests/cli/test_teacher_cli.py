"""`jjadmin teacher …` and `jjadmin me show|update` end to end (SQLite file, CliRunner)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from jjadmin.importers.teacher import TEACHER_HEADERS
from tests.conftest import Cli
from tests.factories import id_number

SCHOOL_HEADERS = [
    "学校代码",
    "学校名称",
    "所属区代码",
    "办学类型",
    "学校公章名",
    "所在镇街",
    "学校性质",
    "负责人姓名",
    "负责人移动电话",
]
_ids = itertools.count(7000)
LIST_KEYS = {
    "learner_no",
    "name",
    "id_number",
    "gender",
    "birth_date",
    "mobile",
    "school_code",
    "school_name",
    "stage",
    "subject",
    "title",
    "status",
    "review_state",
    "is_special",
    "locked",
    "is_principal",
    "is_school_admin",
}


def new_id() -> str:
    return id_number(seq=next(_ids))


@pytest.fixture
def city(cli: Cli, xlsx: Callable[..., Path]) -> Cli:
    rows = [
        [code, name, district, "小学", name, "街道", "公办", "校长", "13800138000"]
        for code, name, district in (
            ("4401040001", "越秀一小", "440104"),
            ("4401040002", "越秀二小", "440104"),
            ("4401050001", "海珠一小", "440105"),
        )
    ]
    cli.run("school", "import", str(xlsx("schools.xlsx", SCHOOL_HEADERS, rows)))
    return cli


def add(cli: Cli, school: str = "4401040001", **over: str) -> str:
    values = {
        "--name": "张三",
        "--id-number": new_id(),
        "--mobile": "13800138000",
        "--school": school,
        "--stage": "小学",
        "--subject": "语文",
    }
    values.update({f"--{k.replace('_', '-')}": v for k, v in over.items()})
    args = [a for pair in values.items() for a in pair]
    learner_no = cli.json("teacher", "add", *args)["learner_no"]
    assert isinstance(learner_no, str)
    return learner_no


def sheet(xlsx: Callable[..., Path], rows: list[dict[str, object]], name: str = "t.xlsx") -> Path:
    base: dict[str, object] = {
        "姓名": "李四",
        "手机号": "13900139000",
        "学校代码": "4401040001",
        "任教学段": "初中",
        "任教学科": "数学",
    }
    return xlsx(
        name, list(TEACHER_HEADERS), [[{**base, **r}.get(h) for h in TEACHER_HEADERS] for r in rows]
    )


def test_add_prints_only_the_new_learner_number(city: Cli) -> None:
    ident = new_id()
    result = city.run(
        "teacher", "add", "--name", "张三", "--id-number", ident, "--mobile", "13800138000",
        "--school", "4401040001", "--stage", "小学", "--subject", "语文",
    )  # fmt: skip
    assert result.stdout == "44012600000001\n"
    assert "初始密码" in result.stderr
    doc = json.loads(
        city.run(
            "teacher", "add", "--name", "李四", "--id-number", new_id(), "--mobile",
            "13800138000", "--school", "4401040001", "--stage", "小学", "--subject", "语文",
            "--json",
        ).stdout
    )  # fmt: skip
    assert doc == {"learner_no": "44012600000002"}


def test_add_help_documents_the_initial_password_rule(city: Cli) -> None:
    text = city.run("teacher", "add", "--help").stdout
    assert "初始密码" in text and "后 6 位" in text


def test_add_refuses_duplicates_and_other_schools_teachers(city: Cli) -> None:
    ident = new_id()
    first = add(city, id_number=ident)
    args = ["--name", "张三", "--id-number", ident, "--mobile", "13800138000",
            "--stage", "小学", "--subject", "语文"]  # fmt: skip
    same = city.run("teacher", "add", *args, "--school", "4401040001", code=5)
    assert "--upsert" in same.stderr and first in same.stderr
    other = city.run("teacher", "add", *args, "--school", "4401050001", code=5)
    assert first in other.stderr and "越秀一小" in other.stderr
    assert "transfer request" in other.stderr
    bad = city.run("teacher", "add", *args[:5], "123", *args[6:], "--school", "4401040001", code=1)
    assert "手机号" in bad.stderr


def test_import_then_list_with_the_documented_keys(city: Cli, xlsx: Callable[..., Path]) -> None:
    path = sheet(xlsx, [{"身份证号": new_id()} for _ in range(3)])
    report = city.json("teacher", "import", str(path))
    assert {k: report[k] for k in ("ok", "total", "created", "updated", "skipped", "errors")} == {
        "ok": True,
        "total": 3,
        "created": 3,
        "updated": 0,
        "skipped": 0,
        "errors": [],
    }
    page = city.json("teacher", "list", "--limit", "2", "--offset", "1")
    assert page["total"] == 3 and len(page["items"]) == 2
    item = page["items"][0]
    assert set(item) == LIST_KEYS
    assert item["learner_no"] == "44012600000002"
    assert item["id_number"][6:14] == "********" and item["mobile"] == "139****9000"
    assert (item["status"], item["review_state"], item["is_special"]) == ("在职", "normal", False)
    again = city.json("teacher", "import", str(path))
    assert (again["created"], again["skipped"]) == (0, 3)


def test_a_bad_sheet_exits_1_and_writes_every_row_with_the_bad_ones_marked(
    city: Cli, xlsx: Callable[..., Path], tmp_path: Path
) -> None:
    ident = new_id()
    path = sheet(
        xlsx,
        [{"身份证号": ident}, {"身份证号": new_id(), "手机号": "123"}, {"身份证号": ident}],
    )
    errors_to = tmp_path / "errors.xlsx"
    result = city.run(
        "teacher", "import", str(path), "--errors-to", str(errors_to), "--json", code=1
    )
    doc = json.loads(result.stdout)
    assert not doc["ok"]
    assert [(e["row"], e["column"]) for e in doc["errors"]] == [(3, "手机号"), (4, "身份证号")]
    assert "第 2 行" in doc["errors"][1]["message"]
    ws = openpyxl.load_workbook(errors_to).active
    assert ws is not None
    assert [c.value for c in ws[1]][-1] == "错误说明"
    assert ws.max_row == 4
    assert [bool(row[-1].value) for row in ws.iter_rows(min_row=2)] == [False, True, True]
    assert city.json("teacher", "list")["total"] == 0


def test_max_changes_without_sync_is_a_usage_error(city: Cli, xlsx: Callable[..., Path]) -> None:
    path = sheet(xlsx, [{"身份证号": new_id()}])
    result = city.run("teacher", "import", str(path), "--max-changes", "5", code=2)
    assert "--sync" in result.stderr


def test_sync_over_the_limit_exits_5_and_writes_nothing(
    city: Cli, xlsx: Callable[..., Path]
) -> None:
    kept = add(city)
    add(city, name="王五")
    path = sheet(xlsx, [{"身份证号": new_id()}])
    # without a terminal --sync needs --yes (it archives), and asks nothing
    assert "--yes" in city.run("teacher", "import", str(path), "--sync", code=2).stderr
    result = city.run("teacher", "import", str(path), "--sync", "--yes", code=5)
    assert "--max-changes" in result.stderr
    assert city.json("teacher", "list")["total"] == 2
    doc = city.json("teacher", "import", str(path), "--sync", "--max-changes", "100%", "--yes")
    assert doc["archived"] == 2 and doc["created"] == 1
    assert city.json("teacher", "show", kept)["status"] == "离职"


def test_show_of_an_unknown_learner_number_exits_4(city: Cli) -> None:
    result = city.run("teacher", "show", "44012699999999", code=4)
    assert "学号不存在" in result.stderr
    doc = json.loads(city.run("teacher", "show", "44012699999999", "--json", code=4).stdout)
    assert doc["ok"] is False and doc["error"]["code"] == "not-found"


def test_full_id_numbers_need_show_id_on_a_verified_session(city: Cli) -> None:
    ident = new_id()
    no = add(city, id_number=ident)
    assert city.json("teacher", "show", no)["id_number"] == ident[:6] + "********" + ident[-4:]
    refused = city.run("teacher", "show", no, "--show-id", code=3)
    assert "短信验证" in refused.stderr and "verify send" in refused.stderr
    city.verify()
    assert city.json("teacher", "show", no, "--show-id")["id_number"] == ident
    assert city.json("teacher", "list", "--show-id")["items"][0]["mobile"] == "13800138000"
    assert city.json("teacher", "list")["items"][0]["id_number"] != ident


def test_export_is_refused_until_verified_and_holds_no_formula_cells(
    city: Cli, tmp_path: Path
) -> None:
    ident = new_id()
    add(city, id_number=ident, address='=HYPERLINK("http://x","点我")', name="@SUM(A1)")
    out = tmp_path / "teachers.xlsx"
    refused = city.run("teacher", "export", str(out), code=3)
    assert "短信验证" in refused.stderr and not out.exists()
    city.verify()
    doc = city.json("teacher", "export", str(out))
    assert doc == {"ok": True, "file": str(out), "rows": 1}
    wb = openpyxl.load_workbook(out)
    ws = wb.active
    assert ws is not None
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    headers = [c.value for c in ws[1]]
    assert headers[: len(TEACHER_HEADERS)] == list(TEACHER_HEADERS)
    values = dict(zip(headers, [c.value for c in ws[2]], strict=True))
    assert values["身份证号"] == ident
    assert values["通讯地址"] == '\'=HYPERLINK("http://x","点我")'
    assert values["姓名"] == "'@SUM(A1)"
    csv_out = tmp_path / "teachers.csv"
    city.run("teacher", "export", str(csv_out))
    assert "'=HYPERLINK" in csv_out.read_text("utf-8-sig")


def test_verification_expires_after_30_minutes(city: Cli, tmp_path: Path) -> None:
    add(city)
    city.verify()
    city.set_now("2026-03-15T10:29:00+08:00")
    city.run("teacher", "export", str(tmp_path / "a.xlsx"))
    city.set_now("2026-03-15T10:31:00+08:00")
    result = city.run("teacher", "export", str(tmp_path / "b.xlsx"), code=3)
    assert "短信验证" in result.stderr


def test_review_flags_and_reasons(city: Cli) -> None:
    no = add(city)
    neither = city.run("teacher", "review", no, code=2)
    assert "--approve" in neither.stderr
    nothing = city.run("teacher", "review", no, "--approve", code=5)
    assert "没有已提交待审核" in nothing.stderr
    city.run("teacher", "reopen", no)
    city.run("teacher", "submit", no, "--name", "张叁")
    no_reason = city.run("teacher", "review", no, "--reject", code=2)
    assert "原因" in no_reason.stderr
    city.run("teacher", "review", no, "--reject", "--reason", "与证件不符")
    city.run("teacher", "submit", no, "--name", "张叁")
    doc = city.json("teacher", "review", no, "--approve")
    assert (doc["round"], doc["state"], doc["review_state"]) == (2, "approved", "normal")
    shown = city.json("teacher", "show", no)
    assert shown["name"] == "张叁"
    assert [(r["round"], r["state"], r["reason"]) for r in shown["review_rounds"]] == [
        (1, "rejected", "与证件不符"),
        (2, "approved", None),
    ]
    shown_human = city.run("teacher", "show", no)
    human = shown_human.stdout
    assert "信息审核记录" in shown_human.stderr and "与证件不符" in human


def test_archive_to_an_unknown_status_exits_1(city: Cli) -> None:
    no = add(city)
    result = city.run("teacher", "archive", no, "--as", "出国", code=1)
    assert "在岗状态" in result.stderr
    doc = city.json("teacher", "archive", no, "--as", "退休")
    assert (doc["changed"], doc["status"]) == (1, "退休")
    assert city.json("teacher", "list", "--status", "退休")["total"] == 1


def test_a_second_principal_exits_5(city: Cli) -> None:
    first, second = add(city), add(city, name="王五")
    city.run("teacher", "principal", "grant", first)
    result = city.run("teacher", "principal", "grant", second, code=5)
    assert "已有校长" in result.stderr and f"principal revoke {first}" in result.stderr
    assert city.json("teacher", "list", "--principal")["items"][0]["learner_no"] == first
    city.run("teacher", "principal", "revoke", first)
    city.run("teacher", "principal", "grant", second)


def test_授权_teacher_admin_grant_and_revoke(city: Cli) -> None:
    ident = new_id()
    granted, other = add(city, id_number=ident), add(city, name="王五")
    haizhu = add(city, school="4401050001")
    city.add_account("yx1", "school", "--school", "4401040001")
    city.login("yx1")
    doc = city.json("teacher", "admin", "grant", granted)
    assert doc == {"ok": True, "learner_no": granted, "school_code": "4401040001"}
    city.run("teacher", "admin", "grant", other)
    again = city.run("teacher", "admin", "grant", granted, code=5)
    assert "已是本校的学校继续教育管理员" in again.stderr
    city.run("teacher", "admin", "grant", haizhu, code=3)
    listed = city.json("teacher", "list", "--school-admin")
    assert sorted(i["learner_no"] for i in listed["items"]) == sorted([granted, other])
    assert "学校管理员" in city.run("teacher", "list").stdout
    city.login_teacher(granted, ident[-6:].upper())
    who = city.json("whoami")
    assert (who["is_school_admin"], who["is_principal"]) == (True, False)
    assert city.json("teacher", "list")["total"] == 2  # acting as the school's admin
    city.run("teacher", "admin", "revoke", other)
    city.login("yx1")
    assert city.json("teacher", "list", "--school-admin")["total"] == 1
    city.run("teacher", "admin", "revoke", other, code=5)
    archived = city.json("teacher", "archive", granted, "--as", "离职")
    assert archived["admins_revoked"] == [granted]


def test_能力提升工程选课指引_me_update_submits_stage_and_subject_and_edits_contacts(
    city: Cli,
) -> None:
    ident = new_id()
    no = add(city, id_number=ident)
    city.login_teacher(no, ident[-6:].upper())
    doc = city.json("me", "update", "--stage", "初中", "--subject", "数学", "--email", "a@b.cn")
    assert (doc["applied"], doc["submitted"], doc["round"]) == (["email"], ["stage", "subject"], 1)
    human = city.run("me", "update", "--address", "越秀区中山一路 1 号")
    assert "已修改通讯地址" in human.stdout
    bad = city.run("me", "update", "--stage", "大学", code=1)
    assert "任教学段" in bad.stderr
    shown = city.json("me", "show")
    assert (shown["stage"], shown["email"], shown["review_state"]) == (
        "小学",
        "a@b.cn",
        "submitted",
    )
    city.login("admin")
    city.run("teacher", "review", no, "--approve")
    assert city.json("teacher", "show", no)["subject"] == "数学"


def test_a_school_admin_sees_and_changes_only_their_own_school(city: Cli) -> None:
    mine = add(city)
    theirs = add(city, school="4401040002")
    city.add_account("yx1", "school", "--school", "4401040001")
    city.login("yx1")
    page = city.json("teacher", "list")
    assert [i["learner_no"] for i in page["items"]] == [mine]
    for args in (("show", theirs), ("set", theirs, "--title", "一级教师"), ("reopen", theirs)):
        result = city.run("teacher", *args, code=3)
        assert "越秀二小" not in result.stderr
    city.run("teacher", "list", "--school", "4401040002", code=3)
    city.run("teacher", "set", mine, "--title", "一级教师")


def test_a_district_admin_is_limited_to_their_district(city: Cli) -> None:
    add(city)
    haizhu = add(city, school="4401050001")
    city.add_account("yxq", "district", "--district", "440104")
    city.login("yxq")
    assert city.json("teacher", "list")["total"] == 1
    city.run("teacher", "show", haizhu, code=3)
    city.run("teacher", "archive", haizhu, "--as", "离职", code=3)


def test_a_teacher_logs_in_with_the_initial_password_and_updates_their_info(city: Cli) -> None:
    ident = new_id()
    no = add(city, id_number=ident)
    city.login(no, ident[-6:].upper())
    forced = city.run("me", "show", code=3)  # the first password must be replaced first
    assert "须先修改密码" in forced.stderr and "me passwd" in forced.stderr
    city.run("me", "passwd", "--password-stdin", input=f"{ident[-6:].upper()}\nTeach3rPass\n")
    shown = city.json("me", "show")
    assert shown["learner_no"] == no and shown["id_number"][6:14] == "********"
    refused = city.run("me", "update", "--name", "张叁", code=5)
    assert "重新更新" in refused.stderr
    doc = city.json("me", "update", "--mobile", "13500135000", "--title", "一级教师")
    assert (doc["applied"], doc["submitted"], doc["review_state"]) == (
        ["mobile"],
        ["title"],
        "submitted",
    )
    city.run("teacher", "list", code=3)
    city.login("admin")
    assert city.json("teacher", "list", "--review-state", "submitted")["total"] == 1
    city.verify()
    assert city.json("teacher", "show", no, "--show-id")["mobile"] == "13500135000"
    city.run("teacher", "review", no, "--approve")
    assert city.json("teacher", "show", no)["title"] == "一级教师"


def test_ten_wrong_passwords_lock_the_teacher_until_unlocked(city: Cli) -> None:
    ident = new_id()
    no = add(city, id_number=ident)
    unlocked = city.run("teacher", "unlock", no, code=5)
    assert "未被锁定" in unlocked.stderr
    for _ in range(10):
        city.run("login", no, "--password-stdin", input="wrong\n", code=3)
    locked = city.run("login", no, "--password-stdin", input=ident[-6:] + "\n", code=3)
    assert "锁定" in locked.stderr and "teacher unlock" in locked.stderr
    assert city.json("teacher", "list", "--locked")["items"][0]["locked"] is True
    city.run("teacher", "unlock", no)
    city.login(no, ident[-6:])


def test_template_has_the_documented_columns_and_notes(city: Cli, tmp_path: Path) -> None:
    out = tmp_path / "template.xlsx"
    city.run("teacher", "template", str(out))
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == list(TEACHER_HEADERS)
    assert "说明" in wb.sheetnames
    notes = " ".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    assert "初始密码" in notes
    assert ws["C2"].number_format == "@"


def test_set_and_archive_report_json(city: Cli) -> None:
    no = add(city)
    doc: dict[str, Any] = city.json(
        "teacher", "set", no, "--title", "一级教师", "--mobile", "13600136000"
    )
    assert doc == {"ok": True, "learner_no": no, "changed": ["mobile", "title"]}
    city.run("teacher", "set", "44012699999999", "--title", "一级教师", code=4)
