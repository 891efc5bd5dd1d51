"""What every step of the ability project needs: whose project it is (the teacher, or an
administrator for a teacher in scope), whether that teacher is in the period's pilot, and the
assessment that counts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.errors import Conflict, NotFound, PermissionDenied
from jjadmin.models import AbilityAssessment, AbilityConfig, School, Teacher
from jjadmin.rules.codes import normalize_learner_no
from jjadmin.services.context import Actor
from jjadmin.services.enrollment.common import _Teacher, _teacher_in_scope
from jjadmin.services.scope import OUT_OF_SCOPE

ADMIN_ROLES = ("city", "district", "school")
PILOT_HINT = "能力提升工程试点由市级培训中心按期设置（jjadmin ability show --period 期数）"


@dataclass(frozen=True)
class Participant:
    """The teacher whose project it is, with what the rules read."""

    id: int
    learner_no: str
    name: str
    school_id: int
    district: str
    stage: str
    subject: str
    status: str


def participant(session: Session, actor: Actor, learner_no: str | None, action: str) -> Participant:
    """The teacher `learner_no` (default: the logged-in teacher), if `actor` may act for them:
    the teacher themself, or a school, district or city administrator in scope.

    Raises PermissionDenied (3), NotFound (4).
    """
    own = actor.role == "teacher" and actor.teacher_id is not None
    if learner_no is None:
        if not own:
            raise PermissionDenied(
                f"请指定学号：管理员{action}须给出本辖区教师的学号", hint="例如 … 44012600000001"
            )
        where = col(Teacher.id) == actor.teacher_id
    else:
        where = col(Teacher.learner_no) == normalize_learner_no(learner_no)
    row = session.execute(
        select(Teacher, col(School.district_code))
        .join(School, col(School.id) == col(Teacher.school_id))
        .where(where)
    ).one_or_none()
    if row is None:
        raise NotFound(f"学号不存在：{learner_no}")
    t, district = row
    p = Participant(
        int(t.id or 0),
        t.learner_no,
        t.name,
        t.school_id,
        str(district),
        t.stage,
        t.subject,
        t.status,
    )
    if own and actor.teacher_id == p.id:
        return p
    if not actor.has_role(*ADMIN_ROLES):
        raise PermissionDenied(f"只能为本人{action}", hint="教师本人操作时不必给出学号")
    scoped = _Teacher(p.id, p.learner_no, p.name, p.school_id, "", p.district)
    if not _teacher_in_scope(actor, scoped):
        raise PermissionDenied(OUT_OF_SCOPE)
    return p


def require_pilot(session: Session, period: str, p: Participant) -> AbilityConfig:
    """The period's pilot, if `p` teaches a pilot subject in a pilot district.

    Raises Conflict (5) otherwise, also when no pilot is configured.
    """
    config = session.get(AbilityConfig, period)
    if config is not None and p.district in config.districts and p.subject in config.subjects:
        return config
    if config is None:
        where = f"{period} 期未设置能力提升工程试点"
    else:
        where = (
            f"{period} 期试点区：{'、'.join(config.districts) or '无'}；"
            f"试点学科：{'、'.join(config.subjects) or '无'}"
        )
    raise Conflict(
        f"{p.name}（{p.learner_no}，任教学科：{p.subject}）不是能力提升工程试点教师（{where}）",
        hint=PILOT_HINT,
    )


def counted_assessment(session: Session, period: str, teacher_id: int) -> AbilityAssessment:
    """The last confirmed assessment of the period (the one that counts).

    Raises Conflict (5) when none is confirmed yet.
    """
    found = session.execute(
        select(AbilityAssessment)
        .where(
            col(AbilityAssessment.teacher_id) == teacher_id,
            col(AbilityAssessment.period) == period,
            col(AbilityAssessment.confirmed).is_(True),
        )
        .order_by(col(AbilityAssessment.attempt).desc())
        .limit(1)
    ).scalar_one_or_none()
    if found is None:
        raise Conflict(
            f"{period} 期尚未确认诊断测评结果，系统须根据测评结果推荐课程",
            hint="先完成诊断测评：jjadmin ability assess --period 期数 --answers 答题卡.xlsx"
            " --confirm",
        )
    return found
