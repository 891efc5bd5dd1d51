"""What the enrollment services share: roles, states, table handles, the two conflicts, a
requested row, and the selection window and teacher scope every way of enrolling checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple

from sqlalchemy import Table
from sqlalchemy.orm import Session

from jjadmin.clock import local
from jjadmin.errors import Conflict, PermissionDenied
from jjadmin.models import Course, Enrollment, Period
from jjadmin.rules.enums import EnrollmentState, TrainingLevel
from jjadmin.rules.windows import in_selection_window
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.enrollment.listing import READ_ROLES as _READ_ROLES
from jjadmin.services.period_lookup import get_period
from jjadmin.services.results import RowIssue

ADMIN_ROLES = ("city", "district", "school")
READ_ROLES = _READ_ROLES  # the list's roles (listing.py, on the DB-API path)

ACTIVE = EnrollmentState.ACTIVE.value
DROPPED = EnrollmentState.DROPPED.value
ONLINE = "上线"
ABILITY = TrainingLevel.ABILITY_PROJECT.value
ABILITY_ONLY_SELF = "“能力提升工程”的课程只能由教师个人自主测评后选课，不支持学校管理员集体选课"
ABILITY_CONFIRM_HINT = (
    "先做诊断测评（jjadmin ability assess --period 期数 --answers 答题卡.xlsx --confirm），"
    "再确认选课：jjadmin ability confirm --period 期数 --electives 选修课程编号,…"
)
CHUNK = 500


COL_LEARNER = "学号"
COL_COURSE = "课程编号"
COL_NAME = "姓名"

# "ability": the teacher's own 提升工程 courses, confirmed through `ability confirm` (the
# only way to select them)
Mode = Literal["admin", "import", "self", "ability"]
COURSE_T: Table = Course.__table__  # type: ignore[attr-defined]
ENROLLMENT_T: Table = Enrollment.__table__  # type: ignore[attr-defined]


class SelectionWindowClosed(Conflict):
    """Outside the period's selection window (exit 5)."""

    code = "window-closed"


class CapacityExceeded(Conflict):
    """Seats ran out while writing (another run took them first) (exit 5)."""

    code = "capacity-exceeded"


@dataclass
class EnrollRow:
    """One requested (teacher, course) pair; `row` is its row number in the sheet or list."""

    row: int
    values: dict[str, Any]
    issues: list[RowIssue] = field(default_factory=list)


class _Teacher(NamedTuple):
    id: int
    learner_no: str
    name: str
    school_id: int
    status: str
    district: str


# a (teacher, course) pair as one int: teacher id << 32 | course id (ids are 32-bit)
PAIR_SHIFT = 32
COURSE_MASK = (1 << PAIR_SHIFT) - 1


def _day(moment: datetime) -> str:
    return local(moment).strftime("%Y-%m-%d")


def _window_text(p: Period) -> str:
    return f"{_day(p.select_from)} 至 {_day(p.select_to)}"


def _open_period(
    session: Session, ctx: ServiceContext, actor: Actor, code: str, *, force: bool
) -> tuple[Period, bool]:
    """The period if enrolling is allowed now; (period, True) when the city forces it.

    Raises InvalidValue (1), NotFound (4), PermissionDenied (3, --force by a non-city
    account), SelectionWindowClosed (5).
    """
    if force and actor.role != "city":
        raise PermissionDenied(
            "只有市级培训中心可以在选课时间外强制选课（--force）",
            hint="请在选课时间内操作，或联系市级培训中心",
        )
    p = get_period(session, code)
    if in_selection_window(p, ctx.now):
        return p, False
    if force:
        return p, True
    hint = None
    if actor.role == "city":
        hint = "市级培训中心可加 --force 强制选课（记入审计日志）"
    raise SelectionWindowClosed(f"不在选课时间内（{_window_text(p)}）", hint=hint)


def _teacher_in_scope(actor: Actor, t: _Teacher) -> bool:
    if actor.role in ("city", "system"):
        return True
    if actor.role == "district":
        return actor.district_code is not None and t.district == actor.district_code
    if actor.role == "teacher" and actor.principal_school_id is None:
        return actor.teacher_id == t.id
    sid = actor.acting_school_id
    return sid is not None and t.school_id == sid


def _scope_hint(actor: Actor) -> str:
    if actor.role == "district":
        return "只能为本区学校的教师选课"
    return "只能为本校教师选课"
