"""教师调动 service rules (SPEC §6 Transfer; seed 3、教师调动), on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jjadmin.errors import Conflict, InputRejected, NotFound, PermissionDenied
from jjadmin.importers.common import run_file_import
from jjadmin.importers.transfer import TRANSFER_COLUMNS
from jjadmin.models import Account, AuditLog, Principal, School, Teacher, Transfer
from jjadmin.services import imports, transfers
from jjadmin.services.context import Actor
from jjadmin.services.imports import ImportOptions
from jjadmin.services.results import ImportReport
from jjadmin.services.transfers import SPECIAL_USER_RULE
from tests.conftest import CtxFactory
from tests.factories import NOW, make_account, make_school, make_teacher
from tests.helpers_transfers import (
    enroll,
    flag_special,
    grant_principal,
    make_course,
    teacher_login,
)
from tests.xlsx_helpers import make_xlsx

YUEXIU, TIANHE, HAIZHU = "440104", "440106", "440105"


@dataclass
class World:
    a1: School  # 越秀 schools
    a2: School
    b1: School  # 天河
    city: Actor
    dist_a: Actor
    dist_b: Actor
    dist_c: Actor  # 海珠: touches none of the schools
    admin_a1: Actor
    admin_a2: Actor
    admin_b1: Actor
    teacher: Teacher  # works at a1


@pytest.fixture
def world(session: Session) -> World:
    a1 = make_school(session, district=YUEXIU, name="越秀一小")
    a2 = make_school(session, district=YUEXIU, name="越秀二小")
    b1 = make_school(session, district=TIANHE, name="天河一小")
    w = World(
        a1=a1,
        a2=a2,
        b1=b1,
        city=make_account(session, "city"),
        dist_a=make_account(session, "district", district=YUEXIU),
        dist_b=make_account(session, "district", district=TIANHE),
        dist_c=make_account(session, "district", district=HAIZHU),
        admin_a1=make_account(session, "school", school=a1),
        admin_a2=make_account(session, "school", school=a2),
        admin_b1=make_account(session, "school", school=b1),
        teacher=make_teacher(
            session, a1, name="张老师", id_number="440104199001011236", mobile="13712345678"
        ),
    )
    session.commit()
    return w


def request(make_ctx: CtxFactory, actor: Actor, teacher: Teacher, school: School) -> int:
    view = transfers.request_transfer(
        make_ctx(actor), learner_no=teacher.learner_no, to_school=school.code
    )
    return view.id


def teacher_row(session: Session, teacher_id: int) -> dict[str, Any]:
    """A fresh read of the teacher's columns (the read transaction ends before returning)."""
    row = session.execute(
        select(Teacher.school_id, Teacher.status, Teacher.version, Teacher.updated_at).where(  # type: ignore[call-overload]
            Teacher.id == teacher_id
        )
    ).one()
    session.commit()
    return {"school_id": row[0], "status": row[1], "version": row[2], "at": row[3]}


def audit_actions(session: Session) -> list[str]:
    rows = list(session.execute(select(AuditLog.action).order_by(AuditLog.id)).scalars())  # type: ignore[arg-type]
    session.commit()
    return rows


# --- request ---------------------------------------------------------------------------


def test_school_admin_requests_a_teacher_of_another_school_into_their_own(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    view = transfers.request_transfer(
        make_ctx(world.admin_a2),
        learner_no=world.teacher.learner_no,
        to_school=world.a2.code,
        note="新学期调入",
    )
    assert view.state == "pending"
    assert (view.from_school_code, view.to_school_code) == (world.a1.code, world.a2.code)
    assert (view.from_school_name, view.to_school_name) == ("越秀一小", "越秀二小")
    assert view.approver_level == "district"
    assert view.approver_district == YUEXIU
    assert view.note == "新学期调入"
    assert view.requested_at == NOW
    assert audit_actions(session) == ["transfer.request"]


def test_a_request_across_districts_goes_to_the_city(world: World, make_ctx: CtxFactory) -> None:
    view = transfers.request_transfer(
        make_ctx(world.admin_b1), learner_no=world.teacher.learner_no, to_school=world.b1.code
    )
    assert view.approver_level == "city"
    assert view.approver_district is None


def test_school_admin_may_only_request_into_their_own_school(
    world: World, make_ctx: CtxFactory
) -> None:
    with pytest.raises(PermissionDenied) as exc:
        transfers.request_transfer(
            make_ctx(world.admin_b1), learner_no=world.teacher.learner_no, to_school=world.a2.code
        )
    assert exc.value.exit_code == 3
    assert "越秀二小" not in exc.value.message


def test_district_admin_may_request_into_schools_of_their_district_only(
    world: World, make_ctx: CtxFactory
) -> None:
    view = transfers.request_transfer(
        make_ctx(world.dist_a), learner_no=world.teacher.learner_no, to_school=world.a2.code
    )
    assert view.state == "pending"
    with pytest.raises(PermissionDenied):
        transfers.request_transfer(
            make_ctx(world.dist_c), learner_no=world.teacher.learner_no, to_school=world.b1.code
        )


def test_an_unknown_learner_no_is_not_found(world: World, make_ctx: CtxFactory) -> None:
    with pytest.raises(NotFound) as exc:
        transfers.request_transfer(
            make_ctx(world.admin_a2), learner_no="44012699999999", to_school=world.a2.code
        )
    assert exc.value.exit_code == 4
    assert "学号不存在" in exc.value.message


def test_a_malformed_learner_no_is_rejected_as_input(world: World, make_ctx: CtxFactory) -> None:
    with pytest.raises(InputRejected) as exc:
        transfers.request_transfer(
            make_ctx(world.admin_a2), learner_no="12345", to_school=world.a2.code
        )
    assert "学号" in exc.value.message


def test_an_unknown_target_school_is_not_found(world: World, make_ctx: CtxFactory) -> None:
    with pytest.raises(NotFound, match="学校不存在"):
        transfers.request_transfer(
            make_ctx(world.city), learner_no=world.teacher.learner_no, to_school="4401049999"
        )


def test_a_teacher_already_in_the_target_school_is_rejected(
    world: World, make_ctx: CtxFactory
) -> None:
    with pytest.raises(InputRejected) as exc:
        transfers.request_transfer(
            make_ctx(world.admin_a1), learner_no=world.teacher.learner_no, to_school=world.a1.code
        )
    assert exc.value.exit_code == 1
    assert "已在越秀一小" in exc.value.message


def test_a_special_user_cannot_be_transferred_until_cleared(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    flag_special(session, world.teacher, "2502")
    session.commit()
    with pytest.raises(Conflict) as exc:
        request(make_ctx, world.admin_a2, world.teacher, world.a2)
    assert exc.value.exit_code == 5
    assert SPECIAL_USER_RULE in exc.value.message
    assert "2502" in exc.value.message
    assert exc.value.hint and "special-user clear" in exc.value.hint


def test_a_cleared_special_user_may_be_transferred(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    flag_special(session, world.teacher, "2502", cleared=True)
    session.commit()
    assert request(make_ctx, world.admin_a2, world.teacher, world.a2) > 0


def test_an_unpaid_city_level_enrollment_of_an_earlier_period_blocks_and_names_the_centre(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    enroll(session, world.teacher, make_course(session, "2502", "C1", level="全员培训"))
    session.commit()
    with pytest.raises(Conflict) as exc:
        request(make_ctx, world.admin_a2, world.teacher, world.a2)
    message = exc.value.message
    assert "往期选课未缴费" in message
    assert "2502期全员培训1门" in message
    assert "市级选课未缴费记录请向广州市教师远程培训中心申请删除" in message
    assert "区级选课" not in message


def test_an_unpaid_district_level_enrollment_names_the_district_office(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    course = make_course(session, "2502", "D1", level="区级培训", district=YUEXIU)
    enroll(session, world.teacher, course)
    session.commit()
    with pytest.raises(Conflict) as exc:
        request(make_ctx, world.admin_a2, world.teacher, world.a2)
    assert "区级选课未缴费记录请向越秀区教师培训机构管理员申请删除" in exc.value.message
    assert "市级选课" not in exc.value.message


@pytest.mark.parametrize(
    ("period", "paid", "state"),
    [
        ("2601", False, "active"),  # the current period: not 往期
        ("2502", True, "active"),
        ("2502", False, "dropped"),
        ("2502", False, "voided"),  # voided when the special-user flag was cleared
    ],
)
def test_enrollments_that_are_paid_current_or_not_active_do_not_block(
    world: World, make_ctx: CtxFactory, session: Session, period: str, paid: bool, state: str
) -> None:
    enroll(session, world.teacher, make_course(session, period, "C1"), paid=paid, state=state)
    session.commit()
    assert request(make_ctx, world.admin_a2, world.teacher, world.a2) > 0


def test_a_teacher_with_a_pending_transfer_cannot_be_requested_again(
    world: World, make_ctx: CtxFactory
) -> None:
    first = request(make_ctx, world.admin_a2, world.teacher, world.a2)
    with pytest.raises(Conflict) as exc:
        request(make_ctx, world.admin_b1, world.teacher, world.b1)
    assert f"#{first}" in exc.value.message
    assert "待审批" in exc.value.message


def test_a_receiving_school_finds_the_teacher_by_learner_no_with_name_and_school_only(
    world: World, make_ctx: CtxFactory
) -> None:
    found = transfers.find_teacher(make_ctx(world.admin_b1), world.teacher.learner_no)
    assert {f.name for f in fields(found)} == {"learner_no", "name", "school_name"}
    assert (found.name, found.school_name) == ("张老师", "越秀一小")
    with pytest.raises(NotFound):
        transfers.find_teacher(make_ctx(world.admin_b1), "44012699999999")


def test_transfer_views_carry_no_id_number_or_mobile(world: World, make_ctx: CtxFactory) -> None:
    request(make_ctx, world.admin_a2, world.teacher, world.a2)
    rows, _ = transfers.list_transfers(make_ctx(world.admin_a2))
    text = repr(rows)
    assert "440104199001011236" not in text
    assert "13712345678" not in text


# --- approve -----------------------------------------------------------------------------


def test_district_approval_moves_the_teacher_their_login_and_writes_audit_rows(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    login = teacher_login(session, world.teacher)
    session.commit()
    before = teacher_row(session, world.teacher.id or 0)
    tid = request(make_ctx, world.admin_a2, world.teacher, world.a2)
    later = NOW.replace(hour=15)
    view = transfers.approve_transfer(make_ctx(world.dist_a, now=later), tid)
    assert view.state == "approved"
    assert view.decided_at == later
    assert view.decided_by == world.dist_a.username
    after = teacher_row(session, world.teacher.id or 0)
    assert after["school_id"] == world.a2.id
    assert after["version"] == before["version"] + 1
    assert after["at"] == later
    account_school = session.execute(
        select(Account.school_id).where(Account.id == login.id)  # type: ignore[call-overload]
    ).scalar_one()
    session.commit()
    assert account_school == world.a2.id
    assert audit_actions(session) == ["transfer.request", "teacher.transfer", "transfer.approve"]


def test_approval_returns_a_left_teacher_to_active(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    gone = make_teacher(session, world.a1, status="离职")
    session.commit()
    tid = request(make_ctx, world.admin_a2, gone, world.a2)
    transfers.approve_transfer(make_ctx(world.dist_a), tid)
    assert teacher_row(session, gone.id or 0)["status"] == "在职"


def test_approval_ends_the_teachers_principal_grant(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    grant_principal(session, world.teacher)
    session.commit()
    tid = request(make_ctx, world.admin_a2, world.teacher, world.a2)
    transfers.approve_transfer(make_ctx(world.dist_a), tid)
    count = session.execute(select(func.count()).select_from(Principal)).scalar_one()
    session.commit()
    assert count == 0
    assert "principal.end" in audit_actions(session)


def test_approval_rechecks_that_the_teacher_did_not_become_a_special_user(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    tid = request(make_ctx, world.admin_a2, world.teacher, world.a2)
    flag_special(session, world.teacher, "2502")
    session.commit()
    with pytest.raises(Conflict) as exc:
        transfers.approve_transfer(make_ctx(world.dist_a), tid)
    assert SPECIAL_USER_RULE in exc.value.message
    assert teacher_row(session, world.teacher.id or 0)["school_id"] == world.a1.id
    assert transfers.show_transfer(make_ctx(world.city), tid).state == "pending"


def test_approval_rechecks_unpaid_enrollments_of_earlier_periods(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    tid = request(make_ctx, world.admin_a2, world.teacher, world.a2)
    enroll(session, world.teacher, make_course(session, "2502", "C9"))
    session.commit()
    with pytest.raises(Conflict, match="往期选课未缴费"):
        transfers.approve_transfer(make_ctx(world.dist_a), tid)


def test_approval_refuses_when_the_teacher_left_the_old_school_meanwhile(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    tid = request(make_ctx, world.admin_a2, world.teacher, world.a2)
    t = session.get(Teacher, world.teacher.id)
    assert t is not None
    t.school_id = world.b1.id or 0
    session.commit()
    with pytest.raises(Conflict, match="已失效"):
        transfers.approve_transfer(make_ctx(world.city), tid)


@pytest.mark.parametrize("decide", ["approve", "reject", "cancel"])
def test_a_decided_transfer_cannot_be_decided_again(
    world: World, make_ctx: CtxFactory, decide: str
) -> None:
    tid = request(make_ctx, world.admin_a2, world.teacher, world.a2)
    transfers.approve_transfer(make_ctx(world.dist_a), tid)
    ctx = make_ctx(world.city)
    with pytest.raises(Conflict) as exc:
        if decide == "approve":
            transfers.approve_transfer(ctx, tid)
        elif decide == "reject":
            transfers.reject_transfer(ctx, tid, reason="重复")
        else:
            transfers.cancel_transfer(ctx, tid)
    assert exc.value.exit_code == 5
    assert "已批准" in exc.value.message


def test_a_school_admin_cannot_approve(world: World, make_ctx: CtxFactory) -> None:
    tid = request(make_ctx, world.admin_a2, world.teacher, world.a2)
    for actor in (world.admin_a1, world.admin_a2):
        with pytest.raises(PermissionDenied) as exc:
            transfers.approve_transfer(make_ctx(actor), tid)
        assert exc.value.exit_code == 3


def test_another_districts_admin_cannot_approve_a_same_district_transfer(
    world: World, make_ctx: CtxFactory
) -> None:
    tid = request(make_ctx, world.admin_a2, world.teacher, world.a2)
    for actor in (world.dist_b, world.dist_c):
        with pytest.raises(PermissionDenied):
            transfers.approve_transfer(make_ctx(actor), tid)
        with pytest.raises(PermissionDenied):
            transfers.reject_transfer(make_ctx(actor), tid, reason="不同意")


def test_a_cross_district_transfer_needs_the_city(world: World, make_ctx: CtxFactory) -> None:
    tid = request(make_ctx, world.admin_b1, world.teacher, world.b1)
    for actor in (world.dist_a, world.dist_b):
        with pytest.raises(PermissionDenied) as exc:
            transfers.approve_transfer(make_ctx(actor), tid)
        assert "跨区调动必须由市级" in exc.value.message
    assert transfers.approve_transfer(make_ctx(world.city), tid).state == "approved"


def test_the_city_may_approve_a_same_district_transfer(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    tid = request(make_ctx, world.admin_a2, world.teacher, world.a2)
    assert transfers.approve_transfer(make_ctx(world.city), tid).state == "approved"
    assert teacher_row(session, world.teacher.id or 0)["school_id"] == world.a2.id


def test_approving_an_unknown_transfer_is_not_found(world: World, make_ctx: CtxFactory) -> None:
    with pytest.raises(NotFound, match="调动申请不存在"):
        transfers.approve_transfer(make_ctx(world.city), 999)


# --- reject and cancel -------------------------------------------------------------------


def test_reject_needs_a_reason(world: World, make_ctx: CtxFactory) -> None:
    tid = request(make_ctx, world.admin_a2, world.teacher, world.a2)
    with pytest.raises(InputRejected, match="必须填写原因"):
        transfers.reject_transfer(make_ctx(world.dist_a), tid, reason="  ")


def test_reject_keeps_the_reason_and_leaves_the_teacher(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    tid = request(make_ctx, world.admin_a2, world.teacher, world.a2)
    view = transfers.reject_transfer(make_ctx(world.dist_a), tid, reason="编制未落实")
    assert (view.state, view.reason) == ("rejected", "编制未落实")
    assert teacher_row(session, world.teacher.id or 0)["school_id"] == world.a1.id
    assert audit_actions(session)[-1] == "transfer.reject"
    # a rejected request no longer blocks a new one
    assert request(make_ctx, world.admin_a2, world.teacher, world.a2) != tid


def test_the_requesting_school_or_the_city_may_cancel_a_pending_request(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    tid = request(make_ctx, world.admin_a2, world.teacher, world.a2)
    view = transfers.cancel_transfer(make_ctx(world.admin_a2), tid)
    assert view.state == "cancelled"
    assert audit_actions(session)[-1] == "transfer.cancel"
    again = request(make_ctx, world.admin_a2, world.teacher, world.a2)
    assert transfers.cancel_transfer(make_ctx(world.city), again).state == "cancelled"


def test_the_releasing_school_and_outsiders_cannot_cancel(
    world: World, make_ctx: CtxFactory
) -> None:
    tid = request(make_ctx, world.admin_a2, world.teacher, world.a2)
    with pytest.raises(PermissionDenied, match="只有提出申请的调入学校"):
        transfers.cancel_transfer(make_ctx(world.admin_a1), tid)
    with pytest.raises(PermissionDenied, match="无权访问"):
        transfers.cancel_transfer(make_ctx(world.admin_b1), tid)


# --- list and show -----------------------------------------------------------------------


def test_list_scope_follows_the_schools_a_transfer_touches(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    other = make_teacher(session, world.a2)
    session.commit()
    inside = request(make_ctx, world.admin_a2, world.teacher, world.a2)  # a1 → a2 (越秀)
    across = request(make_ctx, world.admin_b1, other, world.b1)  # a2 → b1 (越秀 → 天河)

    def ids(actor: Actor, **kw: Any) -> list[int]:
        rows, total = transfers.list_transfers(make_ctx(actor), **kw)
        assert total == len(rows)
        return sorted(r.id for r in rows)

    assert ids(world.city) == sorted([inside, across])
    assert ids(world.dist_a) == sorted([inside, across])
    assert ids(world.dist_b) == [across]
    assert ids(world.dist_c) == []
    assert ids(world.admin_a1) == [inside]
    assert ids(world.admin_a2) == sorted([inside, across])
    assert ids(world.admin_b1) == [across]
    transfers.approve_transfer(make_ctx(world.city), across)
    assert ids(world.city, state="approved") == [across]
    assert ids(world.city, state="pending") == [inside]


def test_list_pages_with_limit_and_offset_and_keeps_the_total(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    teachers = [make_teacher(session, world.a1) for _ in range(3)]
    session.commit()
    made = [request(make_ctx, world.admin_a2, t, world.a2) for t in teachers]
    rows, total = transfers.list_transfers(make_ctx(world.city), limit=2, offset=1)
    assert total == 3
    assert [r.id for r in rows] == sorted(made, reverse=True)[1:3]


def test_list_rejects_an_unknown_state(world: World, make_ctx: CtxFactory) -> None:
    with pytest.raises(InputRejected):
        transfers.list_transfers(make_ctx(world.city), state="done")


def test_show_is_refused_outside_the_actors_scope(world: World, make_ctx: CtxFactory) -> None:
    tid = request(make_ctx, world.admin_a2, world.teacher, world.a2)
    assert transfers.show_transfer(make_ctx(world.admin_a1), tid).learner_no == (
        world.teacher.learner_no
    )
    with pytest.raises(PermissionDenied) as exc:
        transfers.show_transfer(make_ctx(world.admin_b1), tid)
    assert "张老师" not in exc.value.message
    with pytest.raises(NotFound):
        transfers.show_transfer(make_ctx(world.city), tid + 100)


# --- import and batch undo ---------------------------------------------------------------


def import_sheet(make_ctx: CtxFactory, actor: Actor, path: Path, **opts: bool) -> ImportReport:
    outcome = run_file_import(
        make_ctx(actor),
        path,
        TRANSFER_COLUMNS,
        transfers.import_transfers,
        options=ImportOptions(**opts),
    )
    return outcome.report


HEAD = ["学号", "调入学校代码", "备注"]


def test_import_reports_every_bad_row_and_writes_nothing(
    world: World, make_ctx: CtxFactory, session: Session, tmp_path: Path
) -> None:
    special = make_teacher(session, world.a1)
    flag_special(session, special, "2502")
    ok = make_teacher(session, world.b1)
    session.commit()
    path = make_xlsx(
        tmp_path / "t.xlsx",
        [
            HEAD,
            [world.teacher.learner_no, world.a2.code, "正常"],
            ["44012699999999", world.a2.code, None],
            [ok.learner_no, "4401049999", None],
            [special.learner_no, world.a2.code, None],
            [world.teacher.learner_no, world.a2.code, "重复"],
        ],
    )
    report = import_sheet(make_ctx, world.city, path)
    errors = {(i.row, i.column): i.message for i in report.issues}
    assert errors[(3, "学号")] == "学号不存在：44012699999999"
    assert errors[(4, "调入学校代码")] == "学校不存在：4401049999"
    assert SPECIAL_USER_RULE in errors[(5, "学号")]
    assert "与第 2 行重复" in errors[(6, "学号")]
    assert 2 not in {i.row for i in report.issues}
    assert report.created == 0
    count = session.execute(select(func.count()).select_from(Transfer)).scalar_one()
    session.commit()
    assert count == 0


def test_import_by_a_school_admin_refuses_rows_for_other_schools(
    world: World, make_ctx: CtxFactory, session: Session, tmp_path: Path
) -> None:
    other = make_teacher(session, world.b1)
    session.commit()
    path = make_xlsx(
        tmp_path / "t.xlsx",
        [HEAD, [world.teacher.learner_no, world.a2.code], [other.learner_no, world.b1.code]],
    )
    report = import_sheet(make_ctx, world.admin_a2, path, skip_invalid=True)
    assert [(i.row, i.message) for i in report.issues] == [
        (3, "只能申请调入本单位管辖范围内的学校")
    ]
    assert report.created == 1
    rows, _ = transfers.list_transfers(make_ctx(world.city))
    assert [(r.learner_no, r.approver_level) for r in rows] == [
        (world.teacher.learner_no, "district")
    ]


def test_importing_the_same_file_twice_changes_nothing_the_second_time(
    world: World, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEAD, [world.teacher.learner_no, world.a2.code]])
    first = import_sheet(make_ctx, world.admin_a2, path)
    assert (first.created, first.ok, first.batch_id is not None) == (1, True, True)
    second = import_sheet(make_ctx, world.admin_a2, path)
    assert (second.created, second.skipped, second.ok, second.batch_id) == (0, 1, True, None)


def test_batch_undo_deletes_the_pending_requests_of_the_batch(
    world: World, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [HEAD, [world.teacher.learner_no, world.a2.code]])
    report = import_sheet(make_ctx, world.admin_a2, path)
    assert report.batch_id is not None
    counts = imports.undo_batch(make_ctx(world.admin_a2), report.batch_id)
    assert counts["deleted"] == 1
    assert transfers.list_transfers(make_ctx(world.city)) == ([], 0)


def test_batch_undo_refuses_when_a_request_of_the_batch_was_decided(
    world: World, make_ctx: CtxFactory, session: Session, tmp_path: Path
) -> None:
    other = make_teacher(session, world.a1)
    session.commit()
    path = make_xlsx(
        tmp_path / "t.xlsx",
        [HEAD, [world.teacher.learner_no, world.a2.code], [other.learner_no, world.a2.code]],
    )
    report = import_sheet(make_ctx, world.admin_a2, path)
    assert report.batch_id is not None
    rows, _ = transfers.list_transfers(make_ctx(world.city))
    decided = rows[0].id
    transfers.approve_transfer(make_ctx(world.dist_a), decided)
    with pytest.raises(Conflict) as exc:
        imports.undo_batch(make_ctx(world.admin_a2), report.batch_id)
    assert "又被修改过" in exc.value.message and f"#{decided}" in exc.value.message
    _, total = transfers.list_transfers(make_ctx(world.city))
    assert total == 2
