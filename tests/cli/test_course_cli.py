"""`jjadmin course import/list/show/export/template/declare/approve/reject` end to end."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from jjadmin.db import make_engine, session_factory
from jjadmin.services.courses import HEADERS
from tests.conftest import Cli
from tests.factories import make_school

XlsxFactory = Callable[[str, list[str], list[list[Any]]], Path]
COLUMNS = list(HEADERS.values())
PERIOD = ("--select-from", "2026-03-01", "--select-to", "2026-03-31", "--pay-by", "2026-04-15")


def add_school(cli: Cli, code: str, district: str, name: str) -> None:
    engine = make_engine(cli.db_url)
    with session_factory(engine)() as s:
        make_school(s, code, district=district, name=name)
        s.commit()
    engine.dispose()


def row(code: str, **over: Any) -> list[Any]:
    values: dict[str, Any] = {
        "期数": "2601",
        "课程编号": code,
        "课程名称": f"课程{code}",
        "培训级别": "全员培训",
        "课程类型": "面授",
        "学时类型": "专业科目",
        "学时": "24",
        "培训费用": "120",
        "收费单位": "广州市广播电视大学",
    }
    values.update(over)
    return [values.get(h) for h in COLUMNS]


@pytest.fixture
def city(cli: Cli) -> Cli:
    """Period 2601 (selecting at JJADMIN_NOW) and two schools in 440104, one in 440105."""
    cli.run("period", "create", "2601", *PERIOD)
    add_school(cli, "4401040001", "440104", "越秀一小")
    add_school(cli, "4401040002", "440104", "越秀二小")
    add_school(cli, "4401050001", "440105", "海珠一小")
    return cli


def catalogue(city: Cli, xlsx: XlsxFactory) -> Path:
    path = xlsx(
        "课程.xlsx",
        COLUMNS,
        [
            row("QY001", 培训费用="1,200.50", 学时="2.5", 适用学科="语文", 适用学段="小学"),
            row("QJ104", 培训级别="区级培训", 所属区代码="440104", 学时类型="公需科目"),
            row("QJ105", 培训级别="区级培训", 所属区代码="440105", 状态="下线"),
            row("XB001", 培训级别="校本培训", 学校代码="4401040001", 收费单位="越秀一小"),
            row("TS001", 培训级别="提升工程", 提升工程类别="专业必修", 容量="30"),
        ],
    )
    city.json("course", "import", str(path))
    return path


def test_import_reports_counts_and_is_idempotent(city: Cli, xlsx: XlsxFactory) -> None:
    path = xlsx("课程.xlsx", COLUMNS, [row("QY001"), row("QY002", 培训级别="专项培训")])
    first = city.json("course", "import", str(path))
    assert (first["ok"], first["total"], first["created"], first["errors"]) == (True, 2, 2, [])
    again = city.json("course", "import", str(path))
    assert (again["created"], again["updated"], again["skipped"]) == (0, 0, 2)


def test_import_with_bad_rows_exits_1_and_lists_every_problem(
    city: Cli, xlsx: XlsxFactory, tmp_path: Path
) -> None:
    path = xlsx(
        "坏课程.xlsx",
        COLUMNS,
        [
            row("QY001"),
            row("BAD1", 培训级别="市级培训"),
            row("BAD2", 培训级别="校本培训"),
            row("BAD3", 期数="2702"),
            row("QY001", 课程名称="重复"),
            row("BAD4", 容量="abc", 培训费用="1,200.50", 学时="2.5"),
        ],
    )
    errors_to = tmp_path / "错误.xlsx"
    doc = city.json("course", "import", str(path), "--errors-to", str(errors_to), code=1)
    assert doc["ok"] is False and doc["created"] == 0
    assert [(e["row"], e["column"]) for e in doc["errors"]] == [
        (3, "培训级别"),
        (4, "学校代码"),
        (5, "期数"),
        (6, "课程编号"),
        (7, "容量"),
    ]
    assert "与第 2 行重复" in doc["errors"][3]["message"]
    assert errors_to.exists()
    assert city.json("course", "list", "--period", "2601")["total"] == 0
    human = city.run("course", "import", str(path), code=1)
    assert "未写入任何数据" in human.stderr and "校本培训课程必须填写学校代码" in human.stdout


def test_import_dry_run_writes_nothing(city: Cli, xlsx: XlsxFactory) -> None:
    path = xlsx("课程.xlsx", COLUMNS, [row("QY001")])
    doc = city.json("course", "import", str(path), "--dry-run")
    assert doc["ok"] is True and doc["dry_run"] is True
    assert city.json("course", "list", "--period", "2601")["total"] == 0


def test_list_and_show_print_course_json_with_money_as_strings(
    city: Cli, xlsx: XlsxFactory
) -> None:
    catalogue(city, xlsx)
    doc = city.json("course", "list", "--period", "2601")
    assert doc["total"] == 5
    shown = city.json("course", "show", "QY001", "--period", "2601")
    assert shown == {
        "period": "2601",
        "course_code": "QY001",
        "name": "课程QY001",
        "training_level": "全员培训",
        "attribute": None,
        "course_type": "面授",
        "hour_type": "专业科目",
        "hours": "2.5",
        "fee": "1200.50",
        "material_fee": "0.00",
        "lecturer": None,
        "declarer": None,
        "charging_unit": "广州市广播电视大学",
        "audience": None,
        "capacity": None,
        "enrolled": 0,
        "status": "上线",
        "district_code": None,
        "school_code": None,
        "ability_category": None,
        "stages": "小学",
        "subjects": "语文",
        "approval": "approved",
        "approval_reason": None,
        "ability_dimension": None,
    }
    assert doc["items"][[i["course_code"] for i in doc["items"]].index("QY001")] == shown
    xb = city.json("course", "show", "XB001", "--period", "2601")
    assert (xb["school_code"], xb["district_code"]) == ("4401040001", "440104")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--level", "区级培训"), ["QJ104", "QJ105"]),
        (("--hour-type", "公需科目"), ["QJ104"]),
        (("--subject", "语文"), ["QY001"]),
        (("--stage", "小学"), ["QY001"]),
        (("--status", "下线"), ["QJ105"]),
        (("--school", "4401040001"), ["XB001"]),
    ],
)
def test_list_filters(
    city: Cli, xlsx: XlsxFactory, args: tuple[str, str], expected: list[str]
) -> None:
    catalogue(city, xlsx)
    doc = city.json("course", "list", "--period", "2601", *args)
    assert sorted(i["course_code"] for i in doc["items"]) == expected


def test_list_pages_and_renders_a_chinese_table(city: Cli, xlsx: XlsxFactory) -> None:
    catalogue(city, xlsx)
    doc = city.json("course", "list", "--period", "2601", "--limit", "2", "--offset", "1")
    assert doc["total"] == 5 and [i["course_code"] for i in doc["items"]] == ["QJ105", "QY001"]
    human = city.run("course", "list", "--period", "2601", "--level", "提升工程").stdout
    assert "课程编号" in human and "TS001" in human and "收费单位" in human


def test_list_errors_exit_with_their_codes(city: Cli) -> None:
    assert "期数不存在：2602" in city.run("course", "list", "--period", "2602", code=4).stderr
    assert "YYNN" in city.run("course", "list", "--period", "26", code=1).stderr
    # a value no list knows is a usage error naming the allowed ones (issue 13)
    bad = city.run("course", "list", "--period", "2601", "--level", "省级", code=2)
    assert "培训级别" in bad.stderr
    # no --period: the current period (2601 here), as everywhere (issue 13)
    assert city.json("course", "list") == city.json("course", "list", "--period", "2601")


def test_show_errors_exit_with_their_codes(city: Cli, xlsx: XlsxFactory) -> None:
    catalogue(city, xlsx)
    assert "课程不存在" in city.run("course", "show", "NOPE", "--period", "2601", code=4).stderr
    city.add_account("hz", "school", "--school", "4401050001")
    city.login("hz")
    denied = city.run("course", "show", "XB001", "--period", "2601", code=3)
    assert "无权访问" in denied.stderr and "越秀" not in denied.stderr
    visible = city.json("course", "list", "--period", "2601")
    assert sorted(i["course_code"] for i in visible["items"]) == ["QJ105", "QY001", "TS001"]


def test_a_school_admin_cannot_import(city: Cli, xlsx: XlsxFactory) -> None:
    city.add_account("yx", "school", "--school", "4401040001")
    city.login("yx")
    path = xlsx("课程.xlsx", COLUMNS, [row("QY001")])
    assert "无权导入课程" in city.run("course", "import", str(path), code=3).stderr


def test_export_round_trips_through_import_unchanged(
    city: Cli, xlsx: XlsxFactory, tmp_path: Path
) -> None:
    catalogue(city, xlsx)
    out = tmp_path / "导出.xlsx"
    assert city.json("course", "export", str(out), "--period", "2601")["rows"] == 5
    ws = openpyxl.load_workbook(out).active
    assert ws is not None
    header = [c.value for c in ws[1]]
    assert header[: len(COLUMNS)] == COLUMNS and header[-2:] == ["已选人数", "审核状态"]
    again = city.json("course", "import", str(out))
    assert (again["ok"], again["created"], again["updated"], again["skipped"]) == (True, 0, 0, 5)
    csv_out = tmp_path / "导出.csv"
    city.run("course", "export", str(csv_out), "--period", "2601", "--level", "全员培训")
    text = csv_out.read_text("utf-8-sig")
    assert "QY001" in text and "1200.50" in text and "QJ104" not in text


def test_template_has_the_spec_columns(city: Cli, tmp_path: Path) -> None:
    out = tmp_path / "模板.xlsx"
    doc = city.json("course", "template", str(out))
    assert doc["ok"] is True
    wb = openpyxl.load_workbook(out)
    assert [c.value for c in wb.worksheets[0][1]] == COLUMNS
    assert "说明" in wb.sheetnames


def test_a_school_declares_and_its_district_approves(city: Cli) -> None:
    city.add_account("yx", "school", "--school", "4401040001", mobile="13900139002")
    city.add_account("qu104", "district", "--district", "440104", mobile="13900139003")
    city.login("yx")
    doc = city.json(
        "course",
        "declare",
        "--code",
        "XB001",
        "--name",
        "课堂观察",
        "--hours",
        "16",
        "--hour-type",
        "专业科目",
        "--type",
        "面授",
    )
    assert (doc["period"], doc["approval"], doc["training_level"]) == (
        "2601",
        "pending",
        "校本培训",
    )
    assert doc["charging_unit"] == "越秀一小" and doc["fee"] == "0.00"
    revised = city.json(
        "course",
        "declare",
        "--period",
        "2601",
        "--code",
        "XB001",
        "--name",
        "课堂观察",
        "--hours",
        "2.5",
        "--hour-type",
        "专业科目",
        "--type",
        "混合",
        "--fee",
        "50",
    )
    assert (revised["hours"], revised["course_type"], revised["fee"]) == ("2.5", "混合", "50.00")
    assert "无权审核" in city.run("course", "approve", "XB001", "--period", "2601", code=3).stderr
    city.login("qu104")
    approved = city.json("course", "approve", "XB001", "--period", "2601")
    assert approved["approval"] == "approved"
    again = city.run("course", "approve", "XB001", "--period", "2601", code=5)
    assert "不能重复审核" in again.stderr
    city.login("yx")
    late_edit = city.run(
        "course",
        "declare",
        "--code",
        "XB001",
        "--name",
        "改",
        "--hours",
        "8",
        "--hour-type",
        "专业科目",
        "--type",
        "面授",
        code=5,
    )
    assert "已审核通过，不能再修改" in late_edit.stderr


def test_reject_needs_a_reason_and_another_district_is_refused(city: Cli) -> None:
    city.add_account("yx", "school", "--school", "4401040001", mobile="13900139002")
    city.add_account("qu105", "district", "--district", "440105", mobile="13900139004")
    city.login("yx")
    declare = ("--code", "XB9", "--name", "n", "--hours", "4", "--hour-type", "个人选修")
    city.run("course", "declare", *declare, "--type", "远程")
    city.login("qu105")
    denied = city.run("course", "reject", "XB9", "--period", "2601", "--reason", "x", code=3)
    assert "无权访问" in denied.stderr
    city.login("admin")
    city.run("course", "reject", "XB9", "--period", "2601", code=2)
    blank = city.run("course", "reject", "XB9", "--period", "2601", "--reason", " ", code=1)
    assert "必须填写原因" in blank.stderr
    doc = city.json("course", "reject", "XB9", "--period", "2601", "--reason", "学时不足")
    assert (doc["approval"], doc["approval_reason"]) == ("rejected", "学时不足")


def test_declaration_errors_exit_with_their_codes(city: Cli) -> None:
    city.add_account("yx", "school", "--school", "4401040001", mobile="13900139002")
    city.login("yx")
    base = ("--code", "XB1", "--name", "n", "--hour-type", "专业科目", "--type", "面授")
    bad_hours = city.run("course", "declare", *base, "--hours", "abc", code=1)
    assert "学时" in bad_hours.stderr
    unknown = city.run("course", "declare", *base, "--hours", "4", "--period", "2702", code=4)
    assert "期数不存在：2702" in unknown.stderr
    city.set_now("2027-01-01T08:00:00+08:00")
    city.login("yx")
    late = city.run("course", "declare", *base, "--hours", "4", "--period", "2601", code=5)
    assert "申报已于 2026-12-31 截止" in late.stderr


def test_declaring_with_no_period_at_all_exits_1_with_a_hint(cli: Cli) -> None:
    add_school(cli, "4401040001", "440104", "越秀一小")
    cli.add_account("yx", "school", "--school", "4401040001", mobile="13900139002")
    cli.login("yx")
    result = cli.run(
        "course",
        "declare",
        "--code",
        "XB1",
        "--name",
        "n",
        "--hours",
        "4",
        "--hour-type",
        "专业科目",
        "--type",
        "面授",
        code=1,
    )
    assert "当前没有进行中的期数" in result.stderr and "--period" in result.stderr


def test_course_list_and_show_on_the_raw_path_agree_with_the_orm_for_every_role(
    city: Cli, xlsx: XlsxFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13: course list/show read through the DB-API; the visibility rule is the same."""
    from jjadmin.services import course_listing
    from jjadmin.services.courses import queries

    catalogue(city, xlsx)
    city.add_account("s1", "school", "--school", "4401040001", mobile="13900139002")
    city.add_account("s3", "school", "--school", "4401050001", mobile="13900139004")
    city.add_account("qu104", "district", "--district", "440104", mobile="13900139003")
    city.add_account("qu105", "district", "--district", "440105", mobile="13900139005")
    codes = ["QY001", "QJ104", "QJ105", "XB001", "TS001"]
    seen: dict[str, list[str]] = {}
    for user in ("admin", "s1", "s3", "qu104", "qu105"):
        city.login(user)
        raw = city.json("course", "list", "--period", "2601")
        shows = [city.run("course", "show", c, "--period", "2601", code=None) for c in codes]
        with monkeypatch.context() as m:
            m.setattr(course_listing, "list_courses", queries.list_courses)
            m.setattr(course_listing, "show_course", queries.show_course)
            assert city.json("course", "list", "--period", "2601") == raw, user
            for c, shown in zip(codes, shows, strict=True):
                orm = city.run("course", "show", c, "--period", "2601", code=None)
                assert (orm.exit_code, orm.stdout) == (shown.exit_code, shown.stdout), (user, c)
        seen[user] = [i["course_code"] for i in raw["items"]]
        for f in (
            ("--level", "区级培训"),
            ("--subject", "语文"),
            ("--code", "QY"),
            ("--status", "下线"),
            ("--school", "4401040001"),
        ):
            filtered = city.json("course", "list", "--period", "2601", *f)
            with monkeypatch.context() as m:
                m.setattr(course_listing, "list_courses", queries.list_courses)
                assert city.json("course", "list", "--period", "2601", *f) == filtered, (user, f)
        raw_periods = city.json("period", "list"), city.json("period", "show", "2601")
        with monkeypatch.context() as m:
            from jjadmin.services import period_views, periods

            m.setattr(period_views, "list_periods", periods.list_periods)
            m.setattr(period_views, "show_period", periods.show_period)
            orm_periods = city.json("period", "list"), city.json("period", "show", "2601")
            assert orm_periods == raw_periods, user
        assert raw_periods[1]["courses"] == len(seen[user]), user
    assert "QJ105" not in seen["s1"] and "XB001" in seen["s1"] and "XB001" not in seen["s3"]
