"""Issue 13, daily use: what a school admin relies on at the terminal, end to end."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl

from tests.cli.test_teacher_cli import add, city, new_id, sheet  # noqa: F401 (fixture)
from tests.conftest import TEACHER_PASSWORD, Cli


def test_a_table_at_80_columns_keeps_the_key_columns_whole() -> None:
    from rich.console import Console

    from jjadmin.commands._output import Col, Output

    out = Output()
    buffer = io.StringIO()
    out.__dict__["out"] = Console(file=buffer, width=80, force_terminal=True, color_system=None)
    rows = [
        {
            "learner_no": "44012600000001",
            "course_code": "C2601000123",
            "name": "一个很长很长的课程名称，需要换行才能放下" * 2,
            "school_name": "广州市越秀区某某某某某某实验小学",
        }
    ]
    out.table(
        rows,
        [
            Col("learner_no", "学号"),
            Col("course_code", "课程编号"),
            Col("name", "课程名称"),
            Col("school_name", "学校"),
        ],
    )
    text = buffer.getvalue()
    assert "44012600000001" in text and "C2601000123" in text
    assert "…" not in text  # the others wrap, never cut
    assert "实验小学" in text.replace("\n", "").replace("│", "").replace(" ", "")


def test_a_list_written_to_a_file_is_plain_tab_separated_rows(city: Cli) -> None:  # noqa: F811
    learner = add(city)
    lines = city.run("teacher", "list").stdout.splitlines()
    assert lines[0].split("\t")[:2] == ["学号", "姓名"]
    assert lines[1].split("\t")[:2] == [learner, "张三"]
    picked = city.run("teacher", "list", "--columns", "学号,school_name").stdout.splitlines()
    assert picked == ["学号\t学校", f"{learner}\t越秀一小"]
    wrong = city.run("teacher", "list", "--columns", "学号,生日", code=2)
    assert "生日" in wrong.stderr and "可选的列" in wrong.stderr


def test_filters_take_the_label_or_the_code_and_name_the_allowed_values(
    city: Cli,  # noqa: F811
) -> None:
    add(city)
    by_label = city.json("teacher", "list", "--review-state", "正常")
    by_code = city.json("teacher", "list", "--review-state", "normal")
    assert by_label == by_code and by_label["total"] == 1
    bad = city.run("teacher", "list", "--review-state", "已提交", code=2)
    assert "已提交未审核" in bad.stderr and "submitted" in bad.stderr
    assert city.json("transfer", "list", "--state", "待审批")["total"] == 0
    assert "取值无效" in city.run("audit", "list", "--action", "选客", code=2).stderr
    assert city.json("audit", "list", "--action", "教师·新增")["total"] == 1
    assert city.json("audit", "list", "--action", "teacher.add")["total"] == 1


def test_files_are_never_overwritten_without_overwrite(
    city: Cli,  # noqa: F811
    tmp_path: Path,
    xlsx: Callable[..., Path],
) -> None:
    template = tmp_path / "roster.xlsx"
    city.run("teacher", "template", str(template))
    refused = city.run("teacher", "template", str(template), code=5)
    assert "--overwrite" in refused.stderr
    city.run("teacher", "template", str(template), "--overwrite")
    path = sheet(xlsx, [{"身份证号": "1"}])
    before = path.read_bytes()
    same = city.run("teacher", "import", str(path), "--errors-to", str(path), "--overwrite", code=2)
    assert "正在读取" in same.stderr and path.read_bytes() == before
    export = tmp_path / "t.csv"
    add(city)
    city.run("school", "export", str(export))
    city.run("school", "export", str(export), code=5)


def test_a_csv_template_is_a_csv_file(city: Cli, tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / "模板.csv"
    city.run("teacher", "template", str(path))
    text = path.read_bytes()
    assert not text.startswith(b"PK")
    assert text.decode("utf-8-sig").splitlines()[0].startswith("学号,姓名,身份证号")


def test_the_error_workbook_of_a_refusal_imports_every_row_once_fixed(
    city: Cli,  # noqa: F811
    tmp_path: Path,
    xlsx: Callable[..., Path],
) -> None:
    good = [{"身份证号": new_id(), "姓名": f"好{i}"} for i in range(3)]
    bad = [{"身份证号": "110101199001011230", "姓名": "坏"}]  # wrong checksum
    path = sheet(xlsx, [*good[:2], *bad, good[2]])
    errors = tmp_path / "错误.xlsx"
    doc = city.json("teacher", "import", str(path), "--errors-to", str(errors), code=1)
    assert doc["created"] == 0 and [e["row"] for e in doc["errors"]] == [4]
    wb = openpyxl.load_workbook(errors)
    ws = wb.active
    assert ws is not None and ws.max_row == 5  # header + all four rows
    headers = [c.value for c in ws[1]]
    id_col = headers.index("身份证号") + 1
    ws.cell(row=4, column=id_col, value=new_id())
    fixed = tmp_path / "改正.xlsx"
    wb.save(fixed)
    again = city.json("teacher", "import", str(fixed))
    assert (again["ok"], again["created"]) == (True, 4)


def test_counts_add_up(city: Cli, xlsx: Callable[..., Path]) -> None:  # noqa: F811
    rows = [{"身份证号": new_id()}, {"身份证号": "1"}, {"身份证号": new_id()}]
    path = sheet(xlsx, rows)
    dry = city.json("teacher", "import", str(path), "--dry-run", code=1)
    assert (dry["created"], dry["skipped"], len(dry["errors"])) == (2, 0, 1)
    human = city.run("teacher", "import", str(path), "--dry-run", code=1).stdout
    assert "可新增 2" in human
    partial = city.json("teacher", "import", str(path), "--skip-invalid", code=1)
    assert (partial["created"], partial["skipped"], len(partial["errors"])) == (2, 0, 1)
    total = partial["created"] + partial["updated"] + partial["skipped"] + len(partial["errors"])
    assert total == partial["total"]
    empty = city.json("teacher", "import", str(sheet(xlsx, [], name="e.xlsx")), code=1)
    assert empty["total"] == 0 and not empty["ok"]


def test_usage_errors_are_chinese_and_json_with_json(cli: Cli) -> None:
    result = cli.run("enroll", "drop", "--json", code=2)
    doc = json.loads(result.stdout)
    assert doc["ok"] is False and doc["error"]["code"] == "usage"
    assert "缺少选项 --teacher" in doc["error"]["message"]
    assert "Error" not in result.stderr and "缺少选项" in result.stderr
    bad = cli.run("teacher", "list", "--limit", "x", code=2)
    assert "--limit 的取值无效" in bad.stderr and "应为整数" in bad.stderr


def test_version_and_short_help(cli: Cli) -> None:
    from jjadmin import __version__

    assert cli.run("-V").stdout.strip() == f"jjadmin {__version__}"
    assert cli.run("--version").stdout.strip() == f"jjadmin {__version__}"
    assert "用法" in cli.run("teacher", "list", "-h").stdout
    assert "--install-completion" in cli.run("-h").stdout


def test_period_defaults_to_the_current_period(cli: Cli) -> None:
    none_yet = cli.run("enroll", "stats", code=4)
    assert "--period" in none_yet.stderr
    cli.run(
        "period",
        "create",
        "2601",
        "--select-from",
        "2026-03-01",
        "--select-to",
        "2026-03-31",
        "--pay-by",
        "2026-04-15",
    )
    assert cli.json("enroll", "stats")["period"] == "2601"


def test_the_supermarket_shows_what_the_teacher_pays_and_says_already_chosen(cli: Cli) -> None:
    from decimal import Decimal

    from jjadmin.db import make_engine, session_factory
    from tests.factories import make_school, make_teacher
    from tests.helpers_courses import make_course, make_period

    engine = make_engine(cli.db_url)
    with session_factory(engine)() as s:
        school = make_school(s, "4401040001", "440104")
        t = make_teacher(s, school, subject="数学", stage="初中")
        p = make_period(s)
        make_course(s, p, "M01", fee=6000, material_fee=2000, hours=Decimal(24))
        s.commit()
        learner_no, first = t.learner_no, t.id_number[-6:].upper()
    engine.dispose()
    cli.login_teacher(learner_no, first)
    (item,) = cli.json("me", "courses")["items"]
    assert (item["fee"], item["material_fee"], item["price"]) == ("60.00", "20.00", "80.00")
    assert "80.00" in cli.run("me", "courses").stdout
    cli.run("me", "enroll", "M01")
    again = cli.run("me", "enroll", "M01")
    assert "已选" in again.stdout and "跳过" not in again.stdout
    cli.set_now("2026-04-02T10:00:00+08:00")  # after the window
    cli.login(learner_no, TEACHER_PASSWORD)
    after = cli.run("me", "courses")
    assert "me enroll" not in after.stderr and "选课时间已结束" in after.stderr
    assert cli.json("me", "courses")["recommended"] == []


def test_a_school_admin_need_not_name_its_own_school_and_scope_is_one_answer(
    city: Cli,  # noqa: F811
) -> None:
    missing = city.run(
        "teacher",
        "add",
        "--name",
        "王五",
        "--id-number",
        new_id(),
        "--mobile",
        "13800138000",
        "--stage",
        "小学",
        "--subject",
        "语文",
        code=2,
    )
    assert "缺少选项 --school" in missing.stderr  # the city has no school of its own
    city.add_account("school01", "school", "--school", "4401040001")
    city.add_account("yx", "district", "--district", "440104")
    city.login("school01")
    learner = city.json(
        "teacher",
        "add",
        "--name",
        "王五",
        "--id-number",
        new_id(),
        "--mobile",
        "13800138000",
        "--stage",
        "小学",
        "--subject",
        "语文",
    )
    assert city.json("teacher", "show", learner["learner_no"])["school_code"] == "4401040001"
    city.login("yx")
    assert city.json("school", "list", "--district", "440104")["total"] == 2
    refused = city.run("school", "list", "--district", "440105", code=3)
    assert "管辖范围" in refused.stderr
    assert city.run("teacher", "list", "--district", "440105", code=3)


def test_a_csv_export_keeps_ids_as_text_and_imports_back(
    city: Cli,  # noqa: F811
    tmp_path: Path,
) -> None:
    learner = add(city)
    city.verify()
    path = tmp_path / "教师.csv"
    city.run("teacher", "export", str(path))
    rows = path.read_text(encoding="utf-8-sig").splitlines()
    header, first = rows[0].split(","), rows[1].split(",")
    ident = first[header.index("身份证号")]
    # all digits: Excel would make it a number, so it is text; an X at the end already is
    assert ident.startswith("\t") == ident.strip().isdigit() and len(ident.strip()) == 18
    assert first[header.index("学号")] == "\t" + learner
    again = city.json("teacher", "import", str(path), "--upsert")
    assert again["ok"] and again["created"] == 0


def test_click_usage_errors_carry_no_english(cli: Cli) -> None:
    import re

    for args in (
        ("nosuch",),
        ("--bogus",),
        ("teacher", "lst"),
        ("teacher", "list", "--shw-id"),
        ("teacher", "list", "--limit", "0"),
        ("teacher", "show"),
        ("teacher", "list", "--limit"),
        ("teacher", "show", "1", "2"),
    ):
        result = cli.run(*args, code=2)
        assert result.stderr.startswith("错误："), (args, result.stderr)
        text = re.sub(r"--[\w-]+", "", result.stderr.replace("jjadmin", ""))
        words = re.findall(r"\b[A-Za-z]{4,}\b", text)
        assert not [
            w
            for w in words
            if w not in ("root", "python", "list", "show", "teacher", "nosuch", "bogus")
        ], (args, result.stderr)


def test_batch_audit_and_account_lists_on_the_raw_path_agree_with_the_orm_for_every_role(
    city: Cli,  # noqa: F811
    xlsx: Callable[..., Path],
    monkeypatch: Any,
) -> None:
    from jjadmin.services import account_listing, accounts, audit, history_views, imports

    city.add_account("yx", "district", "--district", "440104")
    city.add_account("hz", "district", "--district", "440105")
    city.add_account("s1", "school", "--school", "4401040001")
    city.add_account("s3", "school", "--school", "4401050001")
    city.add_account("org", "institution", "--institution", "越秀区教师发展中心")
    city.login("s1")
    city.run("teacher", "import", str(sheet(xlsx, [{"身份证号": new_id()}], name="s1.xlsx")))
    city.login("s3")
    rows = [{"身份证号": new_id(), "学校代码": "4401050001"}]
    city.run("teacher", "import", str(sheet(xlsx, rows, name="s3.xlsx")))
    for user in ("admin", "yx", "hz", "s1", "s3", "org"):
        city.login(user)
        raw_batches = city.json("batch", "list")
        raw_audit = city.json("audit", "list", "--limit", "1000")
        raw_accounts = city.json("account", "list") if user != "org" else None
        with monkeypatch.context() as m:
            m.setattr(history_views, "list_batches", imports.list_batches)
            m.setattr(history_views, "list_audit", audit.list_audit)
            m.setattr(account_listing, "list_accounts", accounts.list_accounts)
            assert city.json("batch", "list") == raw_batches, user
            assert city.json("audit", "list", "--limit", "1000") == raw_audit, user
            if raw_accounts is not None:
                assert city.json("account", "list") == raw_accounts, user
        if user in ("s1", "s3"):
            assert raw_batches["total"] == 1, user
        if user == "hz":
            assert [b["unit"] for b in raw_batches["items"]] == ["school:4401050001"]
