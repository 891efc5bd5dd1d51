"""学校管理: import (create/update/skip, scope, all-or-nothing), list, show, set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jjadmin.errors import Conflict, InputRejected, NotFound, PermissionDenied
from jjadmin.importers.common import run_file_import
from jjadmin.importers.school import SCHOOL_COLUMNS
from jjadmin.models import AuditLog, ImportBatch, School
from jjadmin.services import schools
from jjadmin.services.context import ServiceContext
from jjadmin.services.imports import ImportOptions
from jjadmin.services.results import ImportReport
from tests.conftest import CtxFactory
from tests.factories import make_account, make_school
from tests.helpers_school import school_row, write_csv


def _import(ctx: ServiceContext, path: Path, **options: bool) -> ImportReport:
    outcome = run_file_import(
        ctx, path, SCHOOL_COLUMNS, schools.import_schools, options=ImportOptions(**options)
    )
    return outcome.report


def _count(session: Session, model: Any) -> int:
    n = session.execute(select(func.count()).select_from(model)).scalar_one()
    session.rollback()
    return int(n)


def _school(session: Session, code: str) -> dict[str, Any]:
    row = session.execute(select(School).where(School.code == code)).scalar_one()
    values = {"name": row.name, "seal_name": row.seal_name, "version": row.version}
    session.rollback()
    return values


def test_import_creates_then_updates_then_skips(
    session: Session, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    city = make_account(session, "city")
    session.commit()
    first = write_csv(tmp_path / "a.csv", [school_row("4401040001"), school_row("4401040002")])
    report = _import(make_ctx(city), first)
    assert (report.ok, report.created, report.updated, report.skipped) == (True, 2, 0, 0)
    assert report.batch_id is not None

    changed = write_csv(
        tmp_path / "b.csv",
        [school_row("4401040001", 学校公章名="新公章"), school_row("4401040002")],
    )
    report = _import(make_ctx(city), changed)
    assert (report.created, report.updated, report.skipped) == (0, 1, 1)
    assert _school(session, "4401040001") == {
        "name": "测试学校0001",
        "seal_name": "新公章",
        "version": 2,
    }


def test_reimporting_the_same_file_changes_nothing_and_records_no_batch(
    session: Session, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    city = make_account(session, "city")
    session.commit()
    path = write_csv(tmp_path / "a.csv", [school_row("4401040001"), school_row("4401040002")])
    _import(make_ctx(city), path)
    audit_rows = _count(session, AuditLog)
    again = _import(make_ctx(city), path)
    assert again.to_json() == {
        "ok": True,
        "total": 2,
        "created": 0,
        "updated": 0,
        "skipped": 2,
        "errors": [],
    }
    assert _count(session, ImportBatch) == 1
    assert _count(session, AuditLog) == audit_rows


def test_one_bad_row_means_nothing_is_written(
    session: Session, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    city = make_account(session, "city")
    session.commit()
    path = write_csv(
        tmp_path / "a.csv",
        [school_row("4401040001"), school_row("4401040002", 办学类型="大学"), school_row("123")],
    )
    report = _import(make_ctx(city), path)
    assert not report.ok
    assert {(e["row"], e["column"]) for e in report.to_json()["errors"]} == {
        (3, "办学类型"),
        (4, "学校代码"),
    }
    assert (report.created, report.batch_id) == (0, None)
    assert _count(session, School) == 0
    assert _count(session, ImportBatch) == 0


def test_skip_invalid_writes_the_valid_rows_and_still_reports_the_bad_ones(
    session: Session, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    city = make_account(session, "city")
    session.commit()
    path = write_csv(
        tmp_path / "a.csv", [school_row("4401040001"), school_row("4401040002", 学校名称="")]
    )
    report = _import(make_ctx(city), path, skip_invalid=True)
    assert not report.ok
    assert (report.created, report.skipped) == (1, 0)
    assert report.to_json()["errors"] == [
        {"row": 3, "column": "学校名称", "value": None, "message": "必填项为空"}
    ]
    assert _count(session, School) == 1


def test_dry_run_reports_what_would_change_and_writes_nothing(
    session: Session, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    city = make_account(session, "city")
    session.commit()
    path = write_csv(tmp_path / "a.csv", [school_row("4401040001"), school_row("4401040002")])
    report = _import(make_ctx(city), path, dry_run=True)
    assert report.to_json() == {
        "ok": True,
        "total": 2,
        "created": 2,
        "updated": 0,
        "skipped": 0,
        "errors": [],
        "dry_run": True,
    }
    assert _count(session, School) == 0
    assert _count(session, ImportBatch) == 0
    assert _count(session, AuditLog) == 0


def test_the_same_code_twice_in_a_file_is_an_error_on_the_later_row(
    session: Session, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    city = make_account(session, "city")
    session.commit()
    path = write_csv(
        tmp_path / "a.csv",
        [school_row("4401040001"), school_row("4401040002"), school_row("4401040001")],
    )
    report = _import(make_ctx(city), path)
    assert report.to_json()["errors"] == [
        {"row": 4, "column": "学校代码", "value": "4401040001", "message": "与第 2 行重复"}
    ]


def test_an_unknown_district_code_is_a_row_error(
    session: Session, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    city = make_account(session, "city")
    session.commit()
    path = write_csv(tmp_path / "a.csv", [school_row("4401990001", district="440199")])
    report = _import(make_ctx(city), path)
    assert report.to_json()["errors"][0]["message"] == "区代码不存在：440199"


def test_a_district_imports_only_its_own_schools(
    session: Session, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    theirs = make_school(session, "4401060001", district="440106", name="天河学校")
    district = make_account(session, "district", district="440104")
    session.commit()
    path = write_csv(
        tmp_path / "a.csv",
        [
            school_row("4401040001"),
            school_row("4401060002", district="440106"),
            school_row(theirs.code, district="440104"),
        ],
    )
    report = _import(make_ctx(district), path)
    errors = {e["row"]: e["message"] for e in report.to_json()["errors"]}
    assert errors == {3: "只能导入本区的学校", 4: "该学校不属于本区，无权修改"}
    assert _count(session, School) == 1

    ok = _import(make_ctx(district), write_csv(tmp_path / "b.csv", [school_row("4401040001")]))
    assert (ok.ok, ok.created) == (True, 1)


def test_school_admins_and_institutions_cannot_import_schools(
    session: Session, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    school = make_school(session)
    admin = make_account(session, "school", school=school)
    institution = make_account(session, "institution", institution="某机构")
    session.commit()
    path = write_csv(tmp_path / "a.csv", [school_row("4401040009")])
    for actor in (admin, institution):
        with pytest.raises(PermissionDenied):
            _import(make_ctx(actor), path)


def test_list_and_show_are_limited_to_the_actors_scope(
    session: Session, make_ctx: CtxFactory
) -> None:
    yx1 = make_school(session, "4401040001", district="440104")
    make_school(session, "4401040002", district="440104")
    th = make_school(session, "4401060001", district="440106", name="天河秘密学校")
    city = make_account(session, "city")
    district = make_account(session, "district", district="440104")
    admin = make_account(session, "school", school=yx1)
    session.commit()

    rows, total = schools.list_schools(make_ctx(city))
    assert total == 3
    rows, total = schools.list_schools(make_ctx(city), district="440106")
    assert [r.school_code for r in rows] == [th.code]
    rows, total = schools.list_schools(make_ctx(district))
    assert {r.school_code for r in rows} == {"4401040001", "4401040002"}
    rows, total = schools.list_schools(make_ctx(admin))
    assert [r.school_code for r in rows] == ["4401040001"]
    assert total == 1

    assert schools.show_school(make_ctx(admin), "4401040001").district_name == "越秀区"
    for actor in (admin, district):
        with pytest.raises(PermissionDenied) as denied:
            schools.show_school(make_ctx(actor), th.code)
        assert "天河秘密学校" not in denied.value.message + (denied.value.hint or "")
    with pytest.raises(NotFound):
        schools.show_school(make_ctx(city), "4409999999")


def test_set_changes_fields_and_audits_before_and_after(
    session: Session, make_ctx: CtxFactory
) -> None:
    school = make_school(session, "4401040001")
    admin = make_account(session, "school", school=school)
    session.commit()
    view = schools.set_school(
        make_ctx(admin), "4401040001", seal_name="广州市新公章学校", head_mobile="+8613912345678"
    )
    assert (view.seal_name, view.head_mobile) == ("广州市新公章学校", "13912345678")
    row = session.execute(select(AuditLog).where(AuditLog.action == "school.set")).scalar_one()
    assert row.target == "4401040001"
    assert row.before == {"seal_name": "广州市测试学校0001", "head_mobile": "13800138000"}
    assert row.after == {"seal_name": "广州市新公章学校", "head_mobile": "13912345678"}
    session.rollback()
    with pytest.raises(Conflict, match="没有变化"):
        schools.set_school(make_ctx(admin), "4401040001", seal_name="广州市新公章学校")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("seal_name", "  ", "学校公章名为必填项"),
        ("name", "", "学校名称为必填项"),
        ("head_name", "\u3000", "负责人姓名为必填项"),
        ("school_type", "幼儿园大班", "办学类型"),
        ("nature", "外星", "学校性质"),
        ("head_mobile", "12345", "手机"),
    ],
)
def test_set_refuses_blank_required_fields_and_values_outside_the_lists(
    session: Session, make_ctx: CtxFactory, field: str, value: str, message: str
) -> None:
    make_school(session, "4401040001")
    city = make_account(session, "city")
    session.commit()
    with pytest.raises(InputRejected, match=message):
        schools.set_school(make_ctx(city), "4401040001", **{field: value})
    assert _school(session, "4401040001")["version"] == 1


def test_set_is_refused_outside_the_scope(session: Session, make_ctx: CtxFactory) -> None:
    mine = make_school(session, "4401040001")
    make_school(session, "4401060001", district="440106", name="别人的学校")
    admin = make_account(session, "school", school=mine)
    district = make_account(session, "district", district="440104")
    session.commit()
    for actor in (admin, district):
        with pytest.raises(PermissionDenied) as denied:
            schools.set_school(make_ctx(actor), "4401060001", seal_name="篡改")
        assert "别人的学校" not in denied.value.message
    assert _school(session, "4401060001")["seal_name"] == "广州市测试学校0001"
    with pytest.raises(InputRejected, match="没有要修改的字段"):
        schools.set_school(make_ctx(admin), "4401040001")
