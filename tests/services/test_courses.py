"""services.courses on every backend: import, visibility, list/show/export, declare, review."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jjadmin.errors import (
    Conflict,
    InputRejected,
    InvalidValue,
    NotFound,
    PermissionDenied,
)
from jjadmin.importers.common import run_file_import
from jjadmin.importers.course import COURSE_COLUMNS
from jjadmin.models import AuditLog, BatchChange, Course, School
from jjadmin.rules.courses import course_visible_to_teacher
from jjadmin.services import courses
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.imports import ImportOptions
from jjadmin.services.results import ImportReport
from tests.conftest import CtxFactory
from tests.factories import make_account, make_school, make_teacher
from tests.helpers_courses import make_course, make_period

HEADERS = list(courses.HEADERS.values())
XlsxFactory = Callable[[str, list[str], list[list[Any]]], Path]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def row(code: str, **over: Any) -> dict[str, Any]:
    """One 课程 row by header; a 全员培训 course of 2601 unless overridden."""
    values: dict[str, Any] = {
        "期数": "2601",
        "课程编号": code,
        "课程名称": f"课程{code}",
        "培训级别": "全员培训",
        "课程属性": "选修",
        "课程类型": "面授",
        "学时类型": "专业科目",
        "学时": "24",
        "培训费用": "120",
        "教材费用": "",
        "主讲教师": "张老师",
        "申报单位": "广州市教师继续教育指导中心",
        "收费单位": "广州市广播电视大学",
        "培训对象": "全市中小学教师",
        "容量": "",
        "状态": "上线",
        "所属区代码": "",
        "学校代码": "",
        "提升工程类别": "",
        "适用学段": "",
        "适用学科": "",
    }
    values.update(over)
    return values


def sheet(xlsx: XlsxFactory, rows: list[dict[str, Any]], headers: list[str] = HEADERS) -> Path:
    return xlsx("课程.xlsx", headers, [[r.get(h) for h in headers] for r in rows])


def run(
    ctx: ServiceContext, path: Path, *, dry_run: bool = False, skip_invalid: bool = False
) -> ImportReport:
    outcome = run_file_import(
        ctx,
        path,
        COURSE_COLUMNS,
        courses.import_courses,
        options=ImportOptions(dry_run, skip_invalid),
    )
    return outcome.report


def errors(report: ImportReport) -> list[tuple[int, str | None, str]]:
    return [(i.row, i.column, i.message) for i in report.sorted_issues()]


def count(session: Session) -> int:
    n = int(session.execute(select(func.count()).select_from(Course)).scalar_one())
    session.rollback()  # the in-memory SQLite connection is shared with the services
    return n


def stored(session: Session, code: str, period: str = "2601") -> Course:
    """A detached snapshot of the stored course (the test session's transaction is ended)."""
    course = session.execute(
        select(Course).where(Course.period == period, Course.code == code)
    ).scalar_one()
    session.expunge(course)
    session.rollback()
    return course


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    """Period 2601, two schools in 440104 and one in 440105, and their admins."""
    make_period(session, "2601")
    a = make_school(session, "4401040001", district="440104", name="越秀一小")
    b = make_school(session, "4401040002", district="440104", name="越秀二小")
    c = make_school(session, "4401050001", district="440105", name="海珠一小")
    w = {
        "a": a,
        "b": b,
        "c": c,
        "city": make_account(session, "city"),
        "d104": make_account(session, "district", district="440104"),
        "d105": make_account(session, "district", district="440105"),
        "sa": make_account(session, "school", school=a),
        "sb": make_account(session, "school", school=b),
        "sc": make_account(session, "school", school=c),
        "inst": make_account(session, "institution", institution="广州市广播电视大学"),
    }
    session.commit()
    return w


# ---------------------------------------------------------------------------------------------
# import


def test_city_imports_all_five_levels_with_money_hours_and_lists_normalised(
    world: dict[str, Any], session: Session, make_ctx: CtxFactory, xlsx: XlsxFactory
) -> None:
    path = sheet(
        xlsx,
        [
            row("QY001", 培训费用="1,200.50", 学时="2.5", 容量="30", 适用学段="初中,小学"),
            row("QJ001", 培训级别="区级培训", 所属区代码="440104", 适用学科="语文、数学"),
            row("XB001", 培训级别="校本培训", 学校代码="4401040001", 收费单位="越秀一小"),
            row("ZX001", 培训级别="专项培训", 教材费用="35.5", 状态="下线"),
            row("TS001", 培训级别="提升工程", 提升工程类别="通识必修", 学时="8"),
        ],
    )
    report = run(make_ctx(world["city"]), path)
    assert report.ok, errors(report)
    assert (report.created, report.updated, report.skipped) == (5, 0, 0)
    assert report.batch_id is not None
    qy = courses.show_course(make_ctx(world["city"]), period="2601", code="QY001")
    assert (qy.fee, qy.hours, qy.capacity, qy.stages) == ("1200.50", "2.5", 30, "小学、初中")
    assert (qy.material_fee, qy.status, qy.approval, qy.enrolled) == ("0.00", "上线", "approved", 0)
    xb = courses.show_course(make_ctx(world["city"]), period="2601", code="XB001")
    assert (xb.school_code, xb.district_code, xb.training_level) == (
        "4401040001",
        "440104",
        "校本培训",
    )
    zx = courses.show_course(make_ctx(world["city"]), period="2601", code="ZX001")
    assert (zx.material_fee, zx.status) == ("35.50", "下线")
    ts = courses.show_course(make_ctx(world["city"]), period="2601", code="TS001")
    assert ts.ability_category == "通识必修"
    assert stored(session, "QY001").created_batch_id == report.batch_id


def test_importing_the_same_file_twice_changes_nothing_the_second_time(
    world: dict[str, Any], session: Session, make_ctx: CtxFactory, xlsx: XlsxFactory
) -> None:
    path = sheet(xlsx, [row("QY001", 学时="2.5"), row("QY002", 培训费用="1,200.50")])
    first = run(make_ctx(world["city"]), path)
    second = run(make_ctx(world["city"]), path)
    assert (first.created, second.created, second.updated, second.skipped) == (2, 0, 0, 2)
    assert second.batch_id is None
    assert stored(session, "QY001").version == 1


def test_a_changed_row_updates_only_what_changed_and_records_it_for_undo(
    world: dict[str, Any], session: Session, make_ctx: CtxFactory, xlsx: XlsxFactory
) -> None:
    run(make_ctx(world["city"]), sheet(xlsx, [row("QY001"), row("QY002")]))
    report = run(
        make_ctx(world["city"]),
        sheet(xlsx, [row("QY001", 培训费用="150", 容量="40"), row("QY002")]),
    )
    assert (report.created, report.updated, report.skipped) == (0, 1, 1)
    course = stored(session, "QY001")
    assert (course.fee, course.capacity, course.version) == (15000, 40, 2)
    change = session.execute(
        select(BatchChange).where(BatchChange.batch_id == report.batch_id)
    ).scalar_one()
    assert change.before == {"fee": 12000, "capacity": None}
    assert change.after == {"fee": 15000, "capacity": 40}


def test_a_missing_optional_column_keeps_the_stored_value_and_a_blank_cell_clears_it(
    world: dict[str, Any], session: Session, make_ctx: CtxFactory, xlsx: XlsxFactory
) -> None:
    run(make_ctx(world["city"]), sheet(xlsx, [row("QY001", 容量="30", 主讲教师="李老师")]))
    without = [h for h in HEADERS if h not in ("容量", "主讲教师")]
    report = run(make_ctx(world["city"]), sheet(xlsx, [row("QY001")], without))
    assert report.skipped == 1
    assert (stored(session, "QY001").capacity, stored(session, "QY001").lecturer) == (30, "李老师")
    run(make_ctx(world["city"]), sheet(xlsx, [row("QY001", 容量="", 主讲教师="")]))
    assert (stored(session, "QY001").capacity, stored(session, "QY001").lecturer) == (None, None)


BAD_ROWS: list[tuple[dict[str, Any], str, str]] = [
    ({"培训级别": "省级培训"}, "培训级别", "不在培训级别的取值范围内"),
    ({"培训级别": "校本培训"}, "学校代码", "校本培训课程必须填写学校代码"),
    ({"培训级别": "校本培训", "学校代码": "4401049999"}, "学校代码", "学校不存在"),
    (
        {"培训级别": "校本培训", "学校代码": "4401040001", "所属区代码": "440105"},
        "所属区代码",
        "不一致",
    ),
    ({"培训级别": "区级培训"}, "所属区代码", "区级培训课程必须填写所属区代码"),
    ({"培训级别": "区级培训", "所属区代码": "440199"}, "所属区代码", "区代码不存在"),
    ({"培训级别": "提升工程"}, "提升工程类别", "提升工程课程必须填写提升工程类别"),
    ({"期数": "2702"}, "期数", "期数不存在：2702"),
    ({"期数": "2600"}, "期数", "YYNN"),
    ({"容量": "abc"}, "容量", "容量“abc”无效"),
    ({"容量": "0"}, "容量", "正整数"),
    ({"学时": "abc"}, "学时", "不是有效的数字"),
    ({"学时": "0"}, "学时", "学时必须大于 0"),
    ({"学时": "2.55"}, "学时", "一位小数"),
    ({"培训费用": "-5"}, "培训费用", "不能为负数"),
    ({"培训费用": "12.345"}, "培训费用", "两位小数"),
    ({"学时类型": "必修科目"}, "学时类型", "学时类型"),
    ({"课程类型": "直播"}, "课程类型", "课程类型"),
    ({"状态": "停用"}, "状态", "上线"),
    ({"课程编号": "A" * 21}, "课程编号", "过长"),
    ({"课程名称": ""}, "课程名称", "必填项为空"),
    ({"适用学科": "炼丹"}, "适用学科", "任教学科"),
]


def test_every_bad_row_is_reported_with_its_column_and_nothing_is_written(
    world: dict[str, Any], session: Session, make_ctx: CtxFactory, xlsx: XlsxFactory
) -> None:
    rows = [row("OK001")] + [row(f"BAD{i:02d}", **over) for i, (over, _, _) in enumerate(BAD_ROWS)]
    report = run(make_ctx(world["city"]), sheet(xlsx, rows))
    assert not report.ok
    found = errors(report)
    assert [(r, c) for r, c, _ in found] == [(i + 3, c) for i, (_, c, _) in enumerate(BAD_ROWS)]
    for (_, _, message), (_, _, got) in zip(BAD_ROWS, found, strict=True):
        assert message in got
    assert report.created == 0 and report.batch_id is None
    assert count(session) == 0


def test_a_course_code_repeated_in_one_period_is_an_error_on_the_later_rows_only(
    world: dict[str, Any], session: Session, make_ctx: CtxFactory, xlsx: XlsxFactory
) -> None:
    make_period(session, "2602")
    session.commit()
    path = sheet(
        xlsx, [row("QY001"), row("QY002"), row("QY001", 课程名称="重复"), row("QY001", 期数="2602")]
    )
    report = run(make_ctx(world["city"]), path)
    assert errors(report) == [
        (4, "课程编号", "与第 2 行重复（同一期数内课程编号必须唯一）"),
    ]


def test_skip_invalid_writes_the_good_rows_and_still_reports_the_bad(
    world: dict[str, Any], session: Session, make_ctx: CtxFactory, xlsx: XlsxFactory
) -> None:
    path = sheet(xlsx, [row("QY001"), row("QY002", 容量="abc"), row("QY003")])
    report = run(make_ctx(world["city"]), path, skip_invalid=True)
    assert (report.ok, report.created, report.skipped) == (False, 2, 0)
    assert count(session) == 2


def test_dry_run_validates_without_writing(
    world: dict[str, Any], session: Session, make_ctx: CtxFactory, xlsx: XlsxFactory
) -> None:
    report = run(make_ctx(world["city"]), sheet(xlsx, [row("QY001")]), dry_run=True)
    assert report.ok and report.dry_run
    assert count(session) == 0


def test_a_district_imports_its_own_district_and_school_courses_only(
    world: dict[str, Any], session: Session, make_ctx: CtxFactory, xlsx: XlsxFactory
) -> None:
    path = sheet(
        xlsx,
        [
            row("QJ104", 培训级别="区级培训", 所属区代码="440104"),
            row("XB104", 培训级别="校本培训", 学校代码="4401040002"),
            row("QJ105", 培训级别="区级培训", 所属区代码="440105"),
            row("XB105", 培训级别="校本培训", 学校代码="4401050001"),
            row("QY001"),
        ],
    )
    report = run(make_ctx(world["d104"]), path, skip_invalid=True)
    assert report.created == 2
    assert [(r, c) for r, c, _ in errors(report)] == [
        (4, "培训级别"),
        (5, "培训级别"),
        (6, "培训级别"),
    ]
    assert "只能导入本区的区级培训" in errors(report)[0][2]
    assert {c.code for c in session.execute(select(Course)).scalars()} == {"QJ104", "XB104"}


def test_a_district_cannot_overwrite_a_course_of_another_unit_with_the_same_code(
    world: dict[str, Any], session: Session, make_ctx: CtxFactory, xlsx: XlsxFactory
) -> None:
    make_course(session, "2601", "QJ001", level="区级培训", district="440105")
    session.commit()
    path = sheet(xlsx, [row("QJ001", 培训级别="区级培训", 所属区代码="440104")])
    report = run(make_ctx(world["d104"]), path)
    assert errors(report) == [(2, "课程编号", "本期已有课程 QJ001，且不属于本单位，无权修改")]
    assert stored(session, "QJ001").district_code == "440105"


def test_an_institution_imports_only_courses_it_charges_for(
    world: dict[str, Any], session: Session, make_ctx: CtxFactory, xlsx: XlsxFactory
) -> None:
    path = sheet(
        xlsx,
        [
            row("QY001"),
            row("QY002", 收费单位="别的机构"),
            row("XB001", 培训级别="校本培训", 学校代码="4401040001"),
        ],
    )
    report = run(make_ctx(world["inst"]), path, skip_invalid=True)
    assert report.created == 1
    assert [r for r, _, _ in errors(report)] == [3, 4]
    assert "收费单位为本机构（广州市广播电视大学）" in errors(report)[0][2]


@pytest.mark.parametrize("role", ["sa", "sc"])
def test_school_admins_cannot_import_courses(
    role: str, world: dict[str, Any], make_ctx: CtxFactory, xlsx: XlsxFactory
) -> None:
    with pytest.raises(PermissionDenied, match="无权导入课程"):
        run(make_ctx(world[role]), sheet(xlsx, [row("QY001")]))


def test_capacity_cannot_drop_below_the_enrolled_count(
    world: dict[str, Any], session: Session, make_ctx: CtxFactory, xlsx: XlsxFactory
) -> None:
    make_course(session, "2601", "QY001", capacity=50, enrolled=10)
    session.commit()
    report = run(make_ctx(world["city"]), sheet(xlsx, [row("QY001", 容量="5")]))
    assert errors(report) == [(2, "容量", "容量不能小于已选人数 10")]


# ---------------------------------------------------------------------------------------------
# visibility, list, show, export


@pytest.fixture
def catalogue(world: dict[str, Any], session: Session) -> dict[str, Any]:
    a, b, c = world["a"], world["b"], world["c"]
    make_course(session, "2601", "QY001", subjects="语文、数学", stages="小学")
    make_course(session, "2601", "ZX001", level="专项培训", hour_type="公需科目")
    make_course(session, "2601", "TS001", level="提升工程", ability_category="通识必修")
    make_course(session, "2601", "QJ104", level="区级培训", district="440104", subjects="数学")
    make_course(session, "2601", "QJ105", level="区级培训", district="440105", status="下线")
    make_course(session, "2601", "XBA", level="校本培训", school=a)
    make_course(session, "2601", "XBA-P", level="校本培训", school=a, approval="pending")
    make_course(session, "2601", "XBB", level="校本培训", school=b)
    make_course(session, "2601", "XBC", level="校本培训", school=c)
    session.commit()
    return world


def codes(views: list[courses.CourseView]) -> list[str]:
    return sorted(v.course_code for v in views)


OPEN = ["QY001", "TS001", "ZX001"]


VISIBLE = [
    ("city", sorted([*OPEN, "QJ104", "QJ105", "XBA", "XBA-P", "XBB", "XBC"])),
    ("inst", sorted([*OPEN, "QJ104", "QJ105", "XBA", "XBA-P", "XBB", "XBC"])),
    ("d104", sorted([*OPEN, "QJ104", "XBA", "XBA-P", "XBB"])),
    ("d105", sorted([*OPEN, "QJ105", "XBC"])),
    ("sa", sorted([*OPEN, "QJ104", "XBA", "XBA-P"])),
    ("sb", sorted([*OPEN, "QJ104", "XBB"])),
    ("sc", sorted([*OPEN, "QJ105", "XBC"])),
]


def test_each_role_lists_the_courses_its_scope_allows(
    catalogue: dict[str, Any], make_ctx: CtxFactory
) -> None:
    for who, expected in VISIBLE:
        views, total = courses.list_courses(make_ctx(catalogue[who]), period="2601")
        assert (who, codes(views), total) == (who, expected, len(expected))


def test_a_teacher_sees_open_courses_its_districts_and_its_schools_approved_courses(
    catalogue: dict[str, Any], session: Session, make_ctx: CtxFactory
) -> None:
    teacher = make_teacher(session, catalogue["a"])
    session.commit()
    actor = Actor(None, teacher.learner_no, "teacher", teacher.name, teacher_id=teacher.id)
    views, _ = courses.list_courses(make_ctx(actor), period="2601")
    assert codes(views) == sorted([*OPEN, "QJ104", "XBA"])


def test_the_sql_clause_and_the_pure_rule_agree_on_what_a_teacher_sees(
    catalogue: dict[str, Any], session: Session
) -> None:
    school = catalogue["a"]
    clause = courses.teacher_course_clause(school.id, school.district_code)
    by_sql = set(session.execute(select(Course.code).where(clause)).scalars())
    by_rule = {
        c.code
        for c in session.execute(select(Course)).scalars()
        if course_visible_to_teacher(c, school.id, school.district_code)
    }
    assert by_sql == by_rule == {*OPEN, "QJ104", "XBA"}


FILTERS: list[tuple[dict[str, str], list[str]]] = [
    ({"level": "区级培训"}, ["QJ104", "QJ105"]),
    ({"hour_type": "公需科目"}, ["ZX001"]),
    ({"subject": "数学"}, ["QJ104", "QY001"]),
    ({"subject": "语文"}, ["QY001"]),
    ({"stage": "小学"}, ["QY001"]),
    ({"status": "下线"}, ["QJ105"]),
    ({"school": "4401040001"}, ["XBA", "XBA-P"]),
    ({"approval": "pending"}, ["XBA-P"]),
    ({"level": "校本培训", "approval": "approved"}, ["XBA", "XBB", "XBC"]),
    ({"code": "XBA"}, ["XBA", "XBA-P"]),
]


def test_list_filters_narrow_the_result(catalogue: dict[str, Any], make_ctx: CtxFactory) -> None:
    for filters, expected in FILTERS:
        views, total = courses.list_courses(
            make_ctx(catalogue["city"]), period="2601", filters=courses.CourseFilter(**filters)
        )
        assert (filters, codes(views), total) == (filters, expected, len(expected))


BAD_FILTERS = [
    ({"level": "省级"}, "培训级别"),
    ({"hour_type": "x"}, "学时类型"),
    ({"subject": "炼丹"}, "任教学科"),
    ({"stage": "大学"}, "任教学段"),
    ({"status": "停用"}, "上线"),
    ({"approval": "ok"}, "审核状态"),
]


def test_a_filter_value_outside_its_list_is_rejected(
    catalogue: dict[str, Any], make_ctx: CtxFactory
) -> None:
    for filters, message in BAD_FILTERS:
        with pytest.raises(InvalidValue, match=message):
            courses.list_courses(
                make_ctx(catalogue["city"]), period="2601", filters=courses.CourseFilter(**filters)
            )


def test_list_pages_with_limit_and_offset_and_counts_all_matches(
    catalogue: dict[str, Any], make_ctx: CtxFactory
) -> None:
    page, total = courses.list_courses(
        make_ctx(catalogue["city"]), period="2601", limit=2, offset=1
    )
    assert total == 9
    assert [v.course_code for v in page] == ["QJ105", "QY001"]


def test_listing_an_unknown_period_is_not_found(
    catalogue: dict[str, Any], make_ctx: CtxFactory
) -> None:
    with pytest.raises(NotFound, match="期数不存在：2602"):
        courses.list_courses(make_ctx(catalogue["city"]), period="2602")


def test_show_hides_another_schools_course_without_naming_it(
    catalogue: dict[str, Any], make_ctx: CtxFactory
) -> None:
    assert courses.show_course(make_ctx(catalogue["sa"]), period="2601", code="XBA").name
    with pytest.raises(PermissionDenied) as exc:
        courses.show_course(make_ctx(catalogue["sa"]), period="2601", code="XBB")
    assert "越秀二小" not in exc.value.message and "XBB" not in exc.value.message
    with pytest.raises(PermissionDenied):
        courses.show_course(make_ctx(catalogue["d105"]), period="2601", code="QJ104")
    with pytest.raises(NotFound, match="课程不存在"):
        courses.show_course(make_ctx(catalogue["sa"]), period="2601", code="NOPE")


def test_export_rows_carry_template_keys_with_decimal_money(
    catalogue: dict[str, Any], make_ctx: CtxFactory
) -> None:
    rows = courses.export_rows(
        make_ctx(catalogue["sb"]),
        period="2601",
        filters=courses.CourseFilter(level="校本培训"),
    )
    assert [r["course_code"] for r in rows] == ["XBB"]
    assert set(courses.HEADERS) <= set(rows[0])
    assert str(rows[0]["fee"]) == "120.00" and rows[0]["approval"] == "已通过"


# ---------------------------------------------------------------------------------------------
# declare, approve, reject


def declaration(code: str = "XB001", **over: Any) -> courses.Declaration:
    values: dict[str, Any] = {
        "code": code,
        "name": "校本研修：课堂观察",
        "hours": "16",
        "hour_type": "专业科目",
        "course_type": "面授",
    }
    values.update(over)
    return courses.Declaration(**values)


def test_a_school_declares_a_pending_course_in_the_current_period(
    world: dict[str, Any], session: Session, make_ctx: CtxFactory
) -> None:
    view = courses.declare_course(
        make_ctx(world["sa"]), declaration=declaration(fee="0", capacity="40", stages="小学")
    )
    assert (view.period, view.training_level, view.approval) == ("2601", "校本培训", "pending")
    assert (view.school_code, view.district_code, view.charging_unit) == (
        "4401040001",
        "440104",
        "越秀一小",
    )
    assert (view.hours, view.fee, view.capacity, view.stages) == ("16", "0.00", 40, "小学")
    course = stored(session, "XB001")
    assert course.declared_by == world["sa"].account_id
    actions = list(session.execute(select(AuditLog.action)).scalars())
    assert "course.declare" in actions


def test_declaring_without_any_period_asks_for_one(session: Session, make_ctx: CtxFactory) -> None:
    school = make_school(session)
    admin = make_account(session, "school", school=school)
    session.commit()
    with pytest.raises(InputRejected, match="--period"):
        courses.declare_course(make_ctx(admin), declaration=declaration())


def test_declaring_into_an_unknown_period_is_not_found(
    world: dict[str, Any], make_ctx: CtxFactory
) -> None:
    with pytest.raises(NotFound, match="期数不存在：2702"):
        courses.declare_course(make_ctx(world["sa"]), declaration=declaration(), period="2702")


def test_declarations_close_after_december_31st_of_the_periods_year(
    world: dict[str, Any], make_ctx: CtxFactory
) -> None:
    last = make_ctx(world["sa"], now=at("2026-12-31T23:00:00+08:00"))
    assert courses.declare_course(last, declaration=declaration(), period="2601")
    late = make_ctx(world["sa"], now=at("2027-01-01T00:00:01+08:00"))
    with pytest.raises(Conflict, match="申报已于 2026-12-31 截止"):
        courses.declare_course(late, declaration=declaration("XB002"), period="2601")


BAD_DECLARATIONS: list[tuple[dict[str, Any], str]] = [
    ({"hours": "abc"}, "学时"),
    ({"hours": "0"}, "学时必须大于 0"),
    ({"hour_type": "必修"}, "学时类型"),
    ({"course_type": "直播"}, "课程类型"),
    ({"fee": "-1"}, "培训费用"),
    ({"capacity": "abc"}, "容量"),
    ({"code": "有 空格"}, "课程编号"),
    ({"name": "  "}, "课程名称不能为空"),
]


def test_a_declaration_with_a_bad_value_is_rejected(
    world: dict[str, Any], session: Session, make_ctx: CtxFactory
) -> None:
    for over, message in BAD_DECLARATIONS:
        with pytest.raises(InvalidValue, match=message):
            courses.declare_course(make_ctx(world["sa"]), declaration=declaration(**over))
    assert count(session) == 0


@pytest.mark.parametrize("who", ["city", "d104", "inst"])
def test_only_schools_declare_school_based_courses(
    who: str, world: dict[str, Any], make_ctx: CtxFactory
) -> None:
    with pytest.raises(PermissionDenied, match="申报校本课程"):
        courses.declare_course(make_ctx(world[who]), declaration=declaration())


def test_a_pending_declaration_is_revised_by_declaring_the_same_code_again(
    world: dict[str, Any], session: Session, make_ctx: CtxFactory
) -> None:
    courses.declare_course(make_ctx(world["sa"]), declaration=declaration())
    view = courses.declare_course(
        make_ctx(world["sa"]), declaration=declaration(hours="2.5", name="改名")
    )
    assert (view.hours, view.name, view.approval) == ("2.5", "改名", "pending")
    assert stored(session, "XB001").version == 2
    assert count(session) == 1


def test_an_approved_course_can_no_longer_be_revised(
    world: dict[str, Any], make_ctx: CtxFactory
) -> None:
    courses.declare_course(make_ctx(world["sa"]), declaration=declaration())
    courses.approve_course(make_ctx(world["d104"]), period="2601", code="XB001")
    with pytest.raises(Conflict, match="已审核通过，不能再修改"):
        courses.declare_course(make_ctx(world["sa"]), declaration=declaration(hours="8"))


def test_a_rejected_course_may_be_revised_and_goes_back_to_pending(
    world: dict[str, Any], make_ctx: CtxFactory
) -> None:
    courses.declare_course(make_ctx(world["sa"]), declaration=declaration())
    rejected = courses.reject_course(
        make_ctx(world["d104"]), period="2601", code="XB001", reason="学时过多"
    )
    assert (rejected.approval, rejected.approval_reason) == ("rejected", "学时过多")
    again = courses.declare_course(make_ctx(world["sa"]), declaration=declaration(hours="8"))
    assert (again.approval, again.approval_reason, again.hours) == ("pending", None, "8")


def test_a_code_used_by_another_course_cannot_be_declared(
    world: dict[str, Any], session: Session, make_ctx: CtxFactory
) -> None:
    make_course(session, "2601", "XB001", level="校本培训", school=world["b"], approval="pending")
    make_course(session, "2601", "QY001")
    session.commit()
    for code in ("XB001", "QY001"):
        with pytest.raises(Conflict, match=f"本期已有课程使用编号 {code}") as exc:
            courses.declare_course(make_ctx(world["sa"]), declaration=declaration(code))
        assert "越秀二小" not in exc.value.message


def test_the_schools_district_approves_and_the_approval_is_audited(
    world: dict[str, Any], session: Session, make_ctx: CtxFactory
) -> None:
    courses.declare_course(make_ctx(world["sa"]), declaration=declaration())
    view = courses.approve_course(make_ctx(world["d104"]), period="2601", code="XB001")
    assert view.approval == "approved"
    course = stored(session, "XB001")
    assert course.approved_by == world["d104"].account_id
    audit = session.execute(
        select(AuditLog).where(AuditLog.action == "course.approve")
    ).scalar_one()
    assert audit.target == "2601/XB001" and audit.after == {"approval": "approved", "reason": None}


def test_the_city_may_review_too(world: dict[str, Any], make_ctx: CtxFactory) -> None:
    courses.declare_course(make_ctx(world["sc"]), declaration=declaration())
    assert courses.reject_course(
        make_ctx(world["city"]), period="2601", code="XB001", reason="重复"
    ).approval == ("rejected")


def test_another_district_cannot_review_and_learns_nothing(
    world: dict[str, Any], make_ctx: CtxFactory
) -> None:
    courses.declare_course(make_ctx(world["sa"]), declaration=declaration())
    with pytest.raises(PermissionDenied) as exc:
        courses.approve_course(make_ctx(world["d105"]), period="2601", code="XB001")
    assert "越秀" not in exc.value.message


@pytest.mark.parametrize("who", ["sa", "inst"])
def test_schools_and_institutions_cannot_review(
    who: str, world: dict[str, Any], make_ctx: CtxFactory
) -> None:
    courses.declare_course(make_ctx(world["sa"]), declaration=declaration())
    with pytest.raises(PermissionDenied, match="审核校本课程"):
        courses.approve_course(make_ctx(world[who]), period="2601", code="XB001")


def test_a_reviewed_course_cannot_be_reviewed_again(
    world: dict[str, Any], make_ctx: CtxFactory
) -> None:
    courses.declare_course(make_ctx(world["sa"]), declaration=declaration())
    courses.approve_course(make_ctx(world["d104"]), period="2601", code="XB001")
    with pytest.raises(Conflict, match="已审核（已通过）"):
        courses.approve_course(make_ctx(world["d104"]), period="2601", code="XB001")
    with pytest.raises(Conflict, match="已审核（已通过）"):
        courses.reject_course(make_ctx(world["d104"]), period="2601", code="XB001", reason="x")


def test_a_rejection_needs_a_reason(world: dict[str, Any], make_ctx: CtxFactory) -> None:
    courses.declare_course(make_ctx(world["sa"]), declaration=declaration())
    with pytest.raises(InputRejected, match="必须填写原因"):
        courses.reject_course(make_ctx(world["d104"]), period="2601", code="XB001", reason="  ")


def test_only_school_based_courses_are_reviewed(
    world: dict[str, Any], session: Session, make_ctx: CtxFactory
) -> None:
    make_course(session, "2601", "QY001")
    session.commit()
    with pytest.raises(Conflict, match="不需要审核"):
        courses.approve_course(make_ctx(world["city"]), period="2601", code="QY001")
    with pytest.raises(NotFound):
        courses.approve_course(make_ctx(world["city"]), period="2601", code="NOPE")


def test_reviews_close_after_december_31st(world: dict[str, Any], make_ctx: CtxFactory) -> None:
    courses.declare_course(make_ctx(world["sa"]), declaration=declaration())
    late = make_ctx(world["d104"], now=at("2027-01-02T09:00:00+08:00"))
    with pytest.raises(Conflict, match="审核已于 2026-12-31 截止"):
        courses.approve_course(late, period="2601", code="XB001")


def test_school_lookup_uses_the_courses_school_not_a_stale_district(
    world: dict[str, Any], session: Session, make_ctx: CtxFactory
) -> None:
    """A school-based course belongs to the district its school is in."""
    courses.declare_course(make_ctx(world["sa"]), declaration=declaration())
    school = session.get(School, world["a"].id)
    assert school is not None
    assert stored(session, "XB001").district_code == school.district_code


def test_batch_undo_reverts_a_course_import_update_and_deletes_its_created_courses(
    world: dict[str, Any], session: Session, make_ctx: CtxFactory, xlsx: XlsxFactory
) -> None:
    from jjadmin.services.imports import undo_batch

    run(make_ctx(world["city"]), sheet(xlsx, [row("QY001", 学时="24", 培训费用="120")]))
    second = run(
        make_ctx(world["city"]),
        sheet(xlsx, [row("QY001", 学时="2.5", 培训费用="1,200.50"), row("QY002")]),
    )
    assert (second.created, second.updated) == (1, 1)
    assert second.batch_id is not None
    undo_batch(make_ctx(world["city"]), second.batch_id)
    course = stored(session, "QY001")
    assert (course.hours, course.fee) == (Decimal("24"), 12000)
    assert count(session) == 1
