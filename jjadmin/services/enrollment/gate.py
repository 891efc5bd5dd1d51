"""Which courses a way of enrolling may take at all, and when (SPEC §6 Enroll) — judged on
the requested courses' levels before any row is planned:

- 专项培训 is never selected directly: the teacher applies and the school, the district and
  the project's institution approve (seed 学员平台 · 专项培训课程; `special-training apply`);
- 校本培训 is enrolled by the school (or the district, the city), never self-selected
  (seed 校本培训管理 (二): "校本课程申报获审批通过后，学校继续教育管理员需要为学校的教师报读此
  课程"), and not bound to the period's selection window but to 12-31 of the course's year;
- 提升工程 is selected by a teacher of the period's pilot only (选课指引: "培训对象为……试点区的
  ……学科教师"; no pilot configured: nobody), and only through the assessment
  (`ability confirm`, mode "ability"; 选课指引: "测评+选课"), never by a plain `me enroll`;
- every other level only inside the selection window, the city overriding with --force.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.errors import Conflict
from jjadmin.models import AbilityConfig, Course, Period, School, Teacher
from jjadmin.rules.codes import parse_period_code
from jjadmin.rules.enums import TrainingLevel
from jjadmin.rules.windows import declaration_deadline, school_based_enrollment_open
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.enrollment.common import (
    ABILITY_CONFIRM_HINT,
    CHUNK,
    Mode,
    SelectionWindowClosed,
    _day,
    _open_period,
)
from jjadmin.services.period_lookup import get_period

SPECIAL = TrainingLevel.SPECIAL.value
SCHOOL_BASED = TrainingLevel.SCHOOL_BASED.value
ABILITY = TrainingLevel.ABILITY_PROJECT.value

SPECIAL_BY_APPLICATION = (
    "专项培训须由教师网上报名，经学员所在学校的校长（或学校继续教育管理员）、区培训管理员和"
    "承担项目的培训机构审核通过后获得培训资格，不能直接选课"
)
SPECIAL_HINT = (
    "报名：jjadmin special-training apply 课程编号 --teacher 学号"
    "（教师本人：jjadmin me apply 课程编号）"
)
SCHOOL_BASED_BY_SCHOOL = (
    "校本课程申报获审批通过后，由学校继续教育管理员为学校的教师报读（招生录取），教师不能自主选课"
)


class SchoolBasedClosed(Conflict):
    """校本 enrollment after 12-31 of the course's year (exit 5)."""

    code = "school-based-closed"


def _levels(session: Session, period: str, codes: set[str]) -> dict[str, str]:
    """Course code → 培训级别 of the period's courses among `codes` (unknown codes are left out:
    the planner names them row by row)."""
    found: dict[str, str] = {}
    wanted = sorted(codes)
    for i in range(0, len(wanted), CHUNK):
        rows = session.execute(
            select(col(Course.code), col(Course.level)).where(
                col(Course.period) == period, col(Course.code).in_(wanted[i : i + CHUNK])
            )
        )
        found.update((str(code), str(level)) for code, level in rows)
    return found


def _require_pilot(session: Session, actor: Actor, period: str, codes: list[str]) -> None:
    """The teacher selecting 提升工程 courses belongs to the period's pilot (district and
    subject). Raises Conflict (5) otherwise, also when no pilot is configured."""
    config = session.get(AbilityConfig, period)
    me = session.execute(
        select(col(School.district_code), col(Teacher.subject))
        .join(School, col(School.id) == col(Teacher.school_id))
        .where(col(Teacher.id) == actor.teacher_id)
    ).first()
    if config is not None and me is not None:
        if me[0] in (config.districts or []) and me[1] in (config.subjects or []):
            return
    pilot = (
        f"{period} 期试点区：{'、'.join(config.districts or []) or '无'}；"
        f"试点学科：{'、'.join(config.subjects or []) or '无'}"
        if config is not None
        else f"{period} 期未设置能力提升工程试点"
    )
    raise Conflict(
        f"{_listed(codes)} 是“能力提升工程”课程，只对试点区、试点学科的教师开放（{pilot}）",
        hint="能力提升工程试点由市级培训中心按期设置；请核对本人的任教学科（jjadmin me show）",
    )


def _listed(codes: list[str], limit: int = 5) -> str:
    shown = "、".join(codes[:limit])
    return shown + (f" 等 {len(codes)} 门" if len(codes) > limit else "")


def enrollment_gate(
    session: Session,
    ctx: ServiceContext,
    actor: Actor,
    period: str,
    course_codes: Iterable[object],
    *,
    force: bool,
    mode: Mode,
) -> tuple[Period, bool]:
    """The period, and whether enrolling these courses now is forced (the city's --force
    outside the selection window, or past a 校本 course's year).

    Raises InvalidValue (1), NotFound (4), PermissionDenied (3: --force by a non-city
    account), Conflict (5: a 专项 course; a 校本 course selected by a teacher; a 提升工程
    course selected by a teacher outside the period's pilot, or by `me enroll` at all),
    SelectionWindowClosed (5), SchoolBasedClosed (5: a 校本 course after 12-31 of its year).
    """
    code = parse_period_code(period)
    levels = _levels(session, code, {str(c) for c in course_codes if c})
    special = sorted(c for c, level in levels.items() if level == SPECIAL)
    if special:
        raise Conflict(
            f"{_listed(special)} 是专项培训课程：{SPECIAL_BY_APPLICATION}", hint=SPECIAL_HINT
        )
    school_based = sorted(c for c, level in levels.items() if level == SCHOOL_BASED)
    if school_based and mode == "self":
        raise Conflict(
            f"{_listed(school_based)} 是校本培训课程：{SCHOOL_BASED_BY_SCHOOL}",
            hint="请联系本校继续教育管理员报读",
        )
    ability = sorted(c for c, level in levels.items() if level == ABILITY)
    if ability and mode in ("self", "ability"):
        _require_pilot(session, actor, code, ability)
    if ability and mode == "self":
        raise Conflict(
            f"{_listed(ability)} 是“能力提升工程”课程：须先完成诊断测评，"
            "按测评结果确认提升工程选课，不能直接选课",
            hint=ABILITY_CONFIRM_HINT,
        )
    bound = any(level != SCHOOL_BASED for level in levels.values())
    try:
        p, forced = _open_period(session, ctx, actor, code, force=force)
    except SelectionWindowClosed as closed:
        if bound or not school_based:
            if school_based:
                raise SelectionWindowClosed(
                    f"{closed.message}；校本培训课程不受选课时间限制，可单独报读", hint=closed.hint
                ) from closed
            raise
        p, forced = get_period(session, code), False
    if school_based and not bound:
        forced = False  # 校本 alone is never bound to the window: nothing forced there
    if school_based and not school_based_enrollment_open(p.code, ctx.now):
        if not force:
            deadline = _day(declaration_deadline(p.code))
            raise SchoolBasedClosed(
                f"校本培训课程 {_listed(school_based)} 的招生录取截止于 {deadline}"
                f"（课程所属年度），已过截止日期",
                hint="市级培训中心可加 --force 强制选课（记入审计日志）"
                if actor.role == "city"
                else "校本课程只能在课程所属年度内报读，请联系市级培训中心",
            )
        forced = True
    return p, forced
