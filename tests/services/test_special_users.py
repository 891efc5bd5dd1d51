"""特殊用户: list, history, clearing one teacher or a school's sheet (seed 取消特殊用户处理,
附表1 学员须知), the forms 附表1 / 附表2, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from jjadmin.errors import (
    Conflict,
    InputRejected,
    NotFound,
    PermissionDenied,
    VerificationRequired,
)
from jjadmin.importers.common import run_file_import
from jjadmin.importers.special_user import CLEARING_COLUMNS
from jjadmin.models import Attachment, AuditLog, Course, SpecialUser
from jjadmin.services.billing import bills, clearing, close, forms, special_users
from jjadmin.services.imports import ImportOptions
from jjadmin.services.results import ImportReport
from tests.conftest import CtxFactory
from tests.helpers_billing import (
    AFTER_DEADLINE,
    AFTER_SELECTION,
    NEXT_DEADLINE,
    TV,
    City,
    bills_by_key,
    build_city,
    enrollment_row,
    flags,
    next_period_debt,
)
from tests.xlsx_helpers import make_xlsx

LATER = AFTER_DEADLINE + timedelta(days=1)
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.fixture
def city(session: Session, make_ctx: CtxFactory) -> City:
    c = build_city(session, verified_until=LATER + timedelta(days=30))
    bills.generate_bills(make_ctx(c.city, now=AFTER_SELECTION), period="2601")
    close.close_period(make_ctx(c.city, now=AFTER_DEADLINE), period="2601")
    close.close_period(make_ctx(c.dist_a, now=AFTER_DEADLINE), period="2601", level="区级培训")
    return c


@pytest.fixture
def proof(tmp_path: Path) -> Path:
    path = tmp_path / "盖章证明.pdf"
    path.write_bytes(PDF)
    return path


def clear(
    make_ctx: CtxFactory, actor: object, key: str, *, at: object = LATER, **kw: object
) -> clearing.ClearResult:
    kw.setdefault("evidence", "本人持有效证件到中心办理")
    ctx = make_ctx(actor, now=at)  # type: ignore[arg-type]
    return clearing.clear_special_user(ctx, learner_no=key, **kw)  # type: ignore[arg-type]


def test_the_list_shows_each_unit_its_own_special_users(city: City, make_ctx: CtxFactory) -> None:
    def listed(actor: object, **kw: object) -> list[tuple[str, str]]:
        rows, total = special_users.list_special_users(make_ctx(actor), **kw)  # type: ignore[arg-type]
        assert total == len(rows)
        return sorted((r.learner_no, r.level) for r in rows)

    everyone = listed(city.city)
    assert len(everyone) == 4  # 张一 twice (全员 and 区级), 李二, 王三
    assert listed(city.admin_a1) == sorted(
        [
            (city.t1.learner_no, "全员培训"),
            (city.t1.learner_no, "区级培训"),
            (city.t2.learner_no, "全员培训"),
        ]
    )
    assert listed(city.dist_b) == [(city.t3.learner_no, "全员培训")]
    assert listed(city.city, level="区级培训") == [(city.t1.learner_no, "区级培训")]
    assert listed(city.city, school="4401060001") == [(city.t3.learner_no, "全员培训")]
    with pytest.raises(PermissionDenied):
        listed(city.admin_a1, school="4401060001")
    with pytest.raises(PermissionDenied):
        listed(city.tv)


def test_list_items_carry_the_spec_keys(city: City, make_ctx: CtxFactory) -> None:
    rows, _ = special_users.list_special_users(make_ctx(city.city), school="4401060001")
    (row,) = rows
    assert (row.learner_no, row.name, row.school_code, row.period, row.times, row.cleared) == (
        city.t3.learner_no,
        "王三",
        "4401060001",
        "2601",
        1,
        False,
    )


def test_clearing_a_first_flag_needs_only_the_evidence_and_voids_the_unpaid_enrollments(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    r = clear(make_ctx, city.city, city.t3.learner_no)
    assert (r.flags, r.periods, r.voided, r.times, r.seal_proof_sha256) == (1, ["2601"], 2, 1, None)
    for key in (("王三", "C1"), ("王三", "C2")):
        assert enrollment_row(session, city.enrollments[key]).state == "voided"
    bill = bills_by_key(session)[("4401060001", TV)]
    assert bill.state == "void"
    history = special_users.special_user_history(make_ctx(city.city), city.t3.learner_no)
    assert not history.is_special
    (item,) = history.items
    assert (item.cleared, item.evidence, item.enrollments) == (
        True,
        "本人持有效证件到中心办理",
        ["C1", "C2"],
    )
    assert [c.state for c in item.courses] == ["voided", "voided"]
    course = session.get(Course, city.courses["C2"].id)
    session.commit()
    assert course is not None and course.enrolled == 0


def test_a_teacher_who_is_not_flagged_cannot_be_cleared(city: City, make_ctx: CtxFactory) -> None:
    clear(make_ctx, city.city, city.t3.learner_no)
    with pytest.raises(Conflict, match="不是特殊用户"):
        clear(make_ctx, city.city, city.t3.learner_no)


def test_the_second_flag_needs_a_school_sealed_proof_stored_with_its_sha256(
    city: City, make_ctx: CtxFactory, session: Session, proof: Path
) -> None:
    clear(make_ctx, city.city, city.t2.learner_no)
    next_period_debt(session, city.t2)
    close.close_period(make_ctx(city.city, now=NEXT_DEADLINE), period="2602")
    with pytest.raises(InputRejected, match="第 2 次被列为特殊用户") as exc:
        clear(make_ctx, city.city, city.t2.learner_no, at=NEXT_DEADLINE)
    assert exc.value.hint is not None and "--seal-proof" in exc.value.hint
    history = special_users.special_user_history(make_ctx(city.city), city.t2.learner_no)
    assert (history.times, history.seal_proof_needed) == (2, True)
    r = clear(make_ctx, city.city, city.t2.learner_no, seal_proof=proof, at=NEXT_DEADLINE)
    assert r.seal_proof_sha256 == hashlib.sha256(PDF).hexdigest()
    stored = session.execute(select(Attachment)).scalar_one()
    mine = [f for f in flags(session) if f.teacher_id == city.t2.id]
    assert (stored.sha256, stored.size, stored.content) == (r.seal_proof_sha256, len(PDF), PDF)
    assert mine[-1].seal_proof_id == stored.id and mine[-1].seal_proof_name == "盖章证明.pdf"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04 a docx renamed", "不是 PDF、JPG、PNG 文件"),
        (b"", "空文件"),
        (b"%PDF-" + b"0" * (10 * 1024 * 1024), "过大"),
    ],
)
def test_a_proof_that_is_not_a_pdf_jpg_png_or_is_too_large_is_refused(
    city: City, make_ctx: CtxFactory, session: Session, tmp_path: Path, content: bytes, message: str
) -> None:
    bad = tmp_path / "证明.pdf"
    bad.write_bytes(content)
    with pytest.raises(InputRejected, match=message):
        clear(make_ctx, city.city, city.t3.learner_no, seal_proof=bad)
    assert all(f.cleared_at is None for f in flags(session))


def test_a_missing_proof_file_is_not_found(
    city: City, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    with pytest.raises(NotFound):
        clear(make_ctx, city.city, city.t3.learner_no, seal_proof=tmp_path / "none.pdf")


@pytest.mark.parametrize("who", ["admin_a1", "tv", "system"])
def test_a_school_admin_cannot_clear_a_special_user(
    city: City, make_ctx: CtxFactory, who: str
) -> None:
    with pytest.raises(PermissionDenied):
        clear(make_ctx, getattr(city, who), city.t2.learner_no)


def test_a_district_clears_only_the_district_level_flags_it_raised(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    with pytest.raises(PermissionDenied, match="只能由市级培训中心取消"):
        clear(make_ctx, city.dist_a, city.t2.learner_no)
    r = clear(make_ctx, city.dist_a, city.t1.learner_no)
    assert (r.flags, r.voided) == (1, 1)
    assert enrollment_row(session, city.enrollments[("张一", "D1")]).state == "voided"
    assert enrollment_row(session, city.enrollments[("张一", "C1")]).state == "active"
    left = [f for f in flags(session) if f.teacher_id == city.t1.id and f.cleared_at is None]
    assert [f.level for f in left] == ["全员培训"]


def test_a_teacher_is_found_by_id_number_too(city: City, make_ctx: CtxFactory) -> None:
    r = clear(make_ctx, city.city, city.t2.id_number)
    assert r.learner_no == city.t2.learner_no
    history = special_users.special_user_history(make_ctx(city.city), city.t2.id_number)
    assert history.learner_no == city.t2.learner_no


def test_clearing_is_audited(city: City, make_ctx: CtxFactory, session: Session) -> None:
    clear(make_ctx, city.city, city.t3.learner_no)
    row = session.execute(
        select(AuditLog).where(AuditLog.action == "special_user.clear")  # type: ignore[arg-type]
    ).scalar_one()
    session.commit()
    assert row.target == city.t3.learner_no
    assert row.after is not None and row.after["evidence"] == "本人持有效证件到中心办理"


def test_history_says_what_the_clerk_may_clear_and_whether_a_proof_is_needed(
    city: City, make_ctx: CtxFactory
) -> None:
    h = special_users.special_user_history(make_ctx(city.dist_a), city.t1.learner_no)
    assert [(i.level, i.clearable) for i in h.items] == [("全员培训", False), ("区级培训", True)]
    assert (h.is_special, h.times, h.seal_proof_needed) == (True, 1, False)
    with pytest.raises(PermissionDenied):
        special_users.special_user_history(make_ctx(city.admin_b1), city.t1.learner_no)
    with pytest.raises(NotFound):
        special_users.special_user_history(make_ctx(city.city), "44012699999999")


def _collective(
    make_ctx: CtxFactory, c: City, path: Path, proof: Path, *, school: str = "4401040001"
) -> ImportReport:
    return run_file_import(
        make_ctx(c.city, now=LATER),
        path,
        CLEARING_COLUMNS,
        clearing.import_clearing,
        options=ImportOptions(),
        school=school,
        seal_proof=proof,
    ).report


def test_a_school_sheet_clears_its_teachers_all_or_nothing(
    city: City, make_ctx: CtxFactory, session: Session, tmp_path: Path, proof: Path
) -> None:
    bad = make_xlsx(
        tmp_path / "bad.xlsx",
        [["学员学号", "学员姓名"], [city.t1.learner_no, "张一"], [city.t3.learner_no, "王三"]],
    )
    report = _collective(make_ctx, city, bad, proof)
    assert [(i.row, i.message) for i in report.issues] == [(3, "王三不是越秀一小的教师")]
    assert all(f.cleared_at is None for f in flags(session))
    good = make_xlsx(
        tmp_path / "good.xlsx",
        [["学号", "姓名"], [city.t1.learner_no, "张一"], [city.t2.learner_no, None]],
    )
    report = _collective(make_ctx, city, good, proof)
    assert (report.ok, report.updated, report.extra["flags"], report.extra["voided"]) == (
        True,
        2,
        3,
        4,
    )
    assert report.batch_id is not None
    cleared = [f for f in flags(session) if f.cleared_at is not None]
    assert {f.seal_proof_sha256 for f in cleared} == {hashlib.sha256(PDF).hexdigest()}
    assert {f.detail["how"] for f in cleared} == {"collective:4401040001"}
    again = _collective(make_ctx, city, good, proof)
    assert (again.ok, again.updated, again.skipped, again.batch_id) == (True, 0, 2, None)


def test_a_sheet_row_naming_another_teacher_or_a_teacher_never_flagged_is_refused(
    city: City, make_ctx: CtxFactory, session: Session, tmp_path: Path, proof: Path
) -> None:
    from tests.factories import make_teacher

    fresh = make_teacher(session, city.a1, name="赵四")
    session.commit()
    sheet = make_xlsx(
        tmp_path / "s.xlsx",
        [["学号", "姓名"], [city.t1.learner_no, "张三"], [fresh.learner_no, "赵四"]],
    )
    report = _collective(make_ctx, city, sheet, proof)
    assert [(i.row, i.column) for i in report.issues] == [(2, "姓名"), (3, "学号")]
    assert "不是特殊用户" in report.issues[1].message


def test_the_forms_are_prefilled_and_need_the_sms_verification(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    f1 = forms.individual_form(make_ctx(city.admin_a1, now=LATER), learner_no=city.t1.learner_no)
    assert (f1.name, f1.id_number, f1.school_name, f1.times) == (
        "张一",
        city.t1.id_number,
        "越秀一小",
        1,
    )
    assert sorted(c.course_name for c in f1.courses) == ["课程C1", "课程C2", "课程D1"]
    f2 = forms.collective_form(make_ctx(city.admin_a1, now=LATER), school="4401040001")
    assert [(ln.seq, ln.learner_no) for ln in f2.lines] == [
        (1, city.t1.learner_no),
        (2, city.t2.learner_no),
    ]
    assert f2.lines[1].courses == "2601期 课程C1"
    with pytest.raises(VerificationRequired):
        forms.collective_form(make_ctx(city.admin_b1, now=LATER), school="4401060001")
    with pytest.raises(PermissionDenied):
        forms.collective_form(make_ctx(city.admin_a1, now=LATER), school="4401060001")
    clear(make_ctx, city.city, city.t3.learner_no)
    with pytest.raises(Conflict, match="不是特殊用户"):
        forms.individual_form(make_ctx(city.city, now=LATER), learner_no=city.t3.learner_no)


def test_special_user_flags_are_kept_after_clearing(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    clear(make_ctx, city.city, city.t3.learner_no)
    rows, total = special_users.list_special_users(make_ctx(city.city), state="cleared")
    assert (total, rows[0].learner_no, rows[0].cleared) == (1, city.t3.learner_no, True)
    open_rows, open_total = special_users.list_special_users(make_ctx(city.city), state="open")
    assert open_total == 3
    assert session.execute(select(SpecialUser)).scalars().all()
