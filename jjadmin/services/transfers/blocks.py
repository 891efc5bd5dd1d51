"""Why a teacher cannot be moved right now: special user, unpaid earlier enrollments, a pending
transfer (found set-based), and what to tell the school."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.models import (
    Course,
    District,
    Enrollment,
    Period,
    School,
    SpecialUser,
    Teacher,
    Transfer,
)
from jjadmin.services.dbroles.rows import row_security
from jjadmin.services.transfers.common import _chunks

CITY_CENTRE = "广州市教师远程培训中心"
TEACHERS_DISTRICT = "教师所在区（县）教师培训机构管理员"
SPECIAL_USER_RULE = "特殊用户必须先到市教师远程培训中心消除特殊用户后方可申请调动"


@dataclass
class _Blocks:
    """Why a teacher cannot be moved right now (all found at once, set-based)."""

    # open special-user flags: period, level, the district that raised a 区级 flag
    specials: list[tuple[str, str, str | None]] = field(default_factory=list)
    # unpaid earlier enrollments: period, level, the teacher's district
    unpaid: list[tuple[str, str, str | None]] = field(default_factory=list)
    pending: tuple[int, int] | None = None  # (transfer id, to_school_id)

    @property
    def special_periods(self) -> list[str]:
        return sorted({period for period, _, _ in self.specials})


def _find_blocks(session: Session, teacher_ids: Sequence[int], now: datetime) -> dict[int, _Blocks]:
    """Special-user flags, unpaid earlier enrollments and pending transfers per teacher.

    "Unpaid" is an active enrollment of a course with a fee due (培训费用 + 教材费用 > 0) that
    its bill has not paid; "earlier" is a period whose payment deadline has passed (seed:
    往期选课未缴费记录). A free 区级/专项/校本 enrollment never blocks anyone.
    """
    blocks: dict[int, _Blocks] = defaultdict(_Blocks)
    ids = sorted(set(teacher_ids))
    if row_security(session):
        return _blocks_through_owner(session, ids, now)
    for chunk in _chunks(ids):
        specials = session.execute(
            select(
                col(SpecialUser.teacher_id),
                col(SpecialUser.period),
                col(SpecialUser.level),
                col(SpecialUser.district_code),
            )
            .where(col(SpecialUser.teacher_id).in_(chunk), col(SpecialUser.cleared_at).is_(None))
            .order_by(col(SpecialUser.period), col(SpecialUser.level))
        ).all()
        for tid, period, level, district in specials:
            blocks[tid].specials.append((period, level, district))
        unpaid = session.execute(
            select(
                col(Enrollment.teacher_id),
                col(Enrollment.period),
                col(Course.level),
                col(School.district_code),
            )
            .join(Course, col(Course.id) == col(Enrollment.course_id))
            .join(Period, col(Period.code) == col(Enrollment.period))
            .join(Teacher, col(Teacher.id) == col(Enrollment.teacher_id))
            .join(School, col(School.id) == col(Teacher.school_id))
            .where(
                col(Enrollment.teacher_id).in_(chunk),
                col(Enrollment.state) == "active",
                col(Enrollment.paid).is_(False),
                col(Course.fee) + col(Course.material_fee) > 0,
                col(Period.pay_by) < now,
            )
            .order_by(col(Enrollment.period), col(Course.level))
        ).all()
        for tid, period, level, district in unpaid:
            blocks[tid].unpaid.append((period, level, district))
        pending = session.execute(
            select(col(Transfer.teacher_id), col(Transfer.id), col(Transfer.to_school_id)).where(
                col(Transfer.teacher_id).in_(chunk), col(Transfer.state) == "pending"
            )
        ).all()
        for tid, transfer_id, to_school_id in pending:
            blocks[tid].pending = (transfer_id or 0, to_school_id)
    return blocks


def _blocks_through_owner(session: Session, ids: list[int], now: datetime) -> dict[int, _Blocks]:
    """The same facts for a city's account role, which cannot read another school's rows:
    the owner's function jjadmin_transfer_blocks answers them (a test holds both equal)."""
    blocks: dict[int, _Blocks] = defaultdict(_Blocks)
    for chunk in _chunks(ids):
        rows = session.execute(
            text("SELECT * FROM jjadmin_transfer_blocks(CAST(:ids AS integer[]), :now)"),
            {"ids": list(chunk), "now": now},
        ).all()
        for tid, kind, period, level, district, transfer_id, to_school_id in rows:
            if kind == "special":
                blocks[tid].specials.append((period, level, district))
            elif kind == "unpaid":
                blocks[tid].unpaid.append((period, level, district))
            else:
                blocks[tid].pending = (transfer_id, to_school_id)
    return blocks


def _district_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(col(District.code), col(District.name))).all())


def _unpaid_message(unpaid: list[tuple[str, str, str | None]], districts: dict[str, str]) -> str:
    """Which unpaid enrollments block the move, and who can delete each kind (seed §3)."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for period, level, _ in unpaid:
        counts[(period, level)] += 1
    listed = "、".join(f"{p}期{lvl}{n}门" for (p, lvl), n in counts.items())
    who: list[str] = []
    levels = {lvl for _, lvl, _ in unpaid}
    if "全员培训" in levels:
        who.append(f"市级选课未缴费记录请向{CITY_CENTRE}申请删除记录")
    if "区级培训" in levels:
        names = sorted(
            {districts.get(d or "", "") for _, lvl, d in unpaid if lvl == "区级培训"} - {""}
        )
        office = (
            f"{'、'.join(names)}教师培训机构管理员"
            if names
            else "教师所在区（县）教师培训机构管理员"
        )
        who.append(f"区级选课未缴费记录请向{office}申请删除记录")
    if levels - {"全员培训", "区级培训"}:
        who.append("其他选课未缴费记录请向课程的收费单位申请删除记录")
    return f"有往期选课未缴费记录（{listed}），{'；'.join(who)}"


def _special_message(
    specials: list[tuple[str, str, str | None]], districts: dict[str, str]
) -> tuple[str, str]:
    """A special user: which flags, and who removes them (the city for 全员培训, the district
    that raised a 区级 flag)."""
    listed = "、".join(f"{period}期{level}" for period, level, _ in specials)
    if any(level != "区级培训" for _, level, _ in specials):
        return (
            f"是特殊用户（{listed}选课未缴费），{SPECIAL_USER_RULE}",
            "教师本人持有效证件到市教师远程培训中心办理（jjadmin special-user clear 学号 …）",
        )
    names = sorted({districts.get(d or "", "") for _, _, d in specials} - {""})
    office = f"{'、'.join(names)}教师培训机构管理员" if names else "所在区（县）教师培训机构管理员"
    return (
        f"是特殊用户（{listed}选课未缴费），须先由{office}取消特殊用户后方可申请调动",
        "区级培训的特殊用户由该区取消（jjadmin special-user clear 学号 …）",
    )


def _block_message(
    blocks: _Blocks,
    *,
    pending_ok_to: int | None,
    districts: dict[str, str],
    school_names: dict[int, str],
) -> tuple[str, str | None] | None:
    """(message, hint) for the first reason that blocks a move, or None.

    `pending_ok_to`: the transfer being decided (its own pending state does not block).
    """
    if blocks.pending is not None and blocks.pending[0] != pending_ok_to:
        tid, to_id = blocks.pending
        where = school_names.get(to_id)
        target = f"（调入{where}）" if where else ""
        return (
            f"已有待审批的调动申请 #{tid}{target}，不能重复申请",
            f"等待审批，或由申请学校撤销：jjadmin transfer cancel {tid}",
        )
    if blocks.specials:
        return _special_message(blocks.specials, districts)
    if blocks.unpaid:
        return _unpaid_message(blocks.unpaid, districts), None
    return None
