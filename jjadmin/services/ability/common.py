"""What every step of the ability project needs: whose project it is (the teacher, or an
administrator for a teacher in scope), whether that teacher is in the period's pilot, and the
assessment that counts.

Plain SQL on the DB-API connection (`rawdb.RawReader`, the same text on both backends):
`ability recommend` runs on the start-up-critical read path without SQLAlchemy
(ServiceContext.raw_reading), and the writing steps pass their session's own connection
(`raw_of`), so both read the same rules the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from jjadmin.errors import Conflict, NotFound, PermissionDenied
from jjadmin.rawdb import RawReader, as_json
from jjadmin.rules.codes import normalize_learner_no
from jjadmin.services.context import Actor
from jjadmin.services.scope_rules import OUT_OF_SCOPE, school_in_scope

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


def raw_of(session: Any) -> RawReader:
    """The DB-API connection of an ORM session's transaction as a RawReader."""
    conn = session.connection()
    return RawReader(conn.connection.driver_connection, conn.dialect.name, "session")


def require_period(db: RawReader, code: str) -> None:
    """Raises NotFound (4) for an unknown period."""
    if db.scalar("SELECT 1 FROM period WHERE code = :code", {"code": code}) is None:
        raise NotFound(f"期数不存在：{code}", hint="jjadmin period list 查看已有期数")


def participant(db: RawReader, actor: Actor, learner_no: str | None, action: str) -> Participant:
    """The teacher `learner_no` (default: the logged-in teacher), if `actor` may act for them:
    the teacher themself, or a school, district or city administrator in scope.

    Raises PermissionDenied (3), NotFound (4).
    """
    own = actor.role == "teacher" and actor.teacher_id is not None
    params: dict[str, object]
    if learner_no is None:
        if not own:
            raise PermissionDenied(
                f"请指定学号：管理员{action}须给出本辖区教师的学号", hint="例如 … 44012600000001"
            )
        where, params = "t.id = :id", {"id": actor.teacher_id}
    else:
        where, params = "t.learner_no = :ln", {"ln": normalize_learner_no(learner_no)}
    row = db.one_or_none(
        "SELECT t.id, t.learner_no, t.name, t.school_id, s.district_code, t.stage, t.subject,"
        " t.status FROM teacher t JOIN school s ON s.id = t.school_id WHERE " + where,
        params,
    )
    if row is None:
        raise NotFound(f"学号不存在：{learner_no}")
    p = Participant(
        int(row[0]), str(row[1]), str(row[2]), int(row[3]), str(row[4]), str(row[5]),
        str(row[6]), str(row[7]),
    )  # fmt: skip
    if own and actor.teacher_id == p.id:
        return p
    if not actor.has_role(*ADMIN_ROLES):
        raise PermissionDenied(f"只能为本人{action}", hint="教师本人操作时不必给出学号")
    if not school_in_scope(actor, SimpleNamespace(id=p.school_id, district_code=p.district)):
        raise PermissionDenied(OUT_OF_SCOPE)
    return p


def require_pilot(db: RawReader, period: str, p: Participant) -> None:
    """Nothing if `p` teaches a pilot subject in a pilot district of the period.

    Raises Conflict (5) otherwise, also when no pilot is configured.
    """
    row = db.one_or_none(
        "SELECT districts, subjects FROM ability_config WHERE period = :p", {"p": period}
    )
    districts: list[str] = list(as_json(row[0]) or []) if row else []
    subjects: list[str] = list(as_json(row[1]) or []) if row else []
    if p.district in districts and p.subject in subjects:
        return
    if row is None:
        where = f"{period} 期未设置能力提升工程试点"
    else:
        where = (
            f"{period} 期试点区：{'、'.join(districts) or '无'}；"
            f"试点学科：{'、'.join(subjects) or '无'}"
        )
    raise Conflict(
        f"{p.name}（{p.learner_no}，任教学科：{p.subject}）不是能力提升工程试点教师（{where}）",
        hint=PILOT_HINT,
    )


def counted_assessment(db: RawReader, period: str, teacher_id: int) -> tuple[int, str]:
    """(id, topic) of the last confirmed assessment of the period (the one that counts).

    Raises Conflict (5) when none is confirmed yet.
    """
    row = db.one_or_none(
        "SELECT id, result FROM ability_assessment WHERE teacher_id = :t AND period = :p"
        " AND confirmed = :yes ORDER BY attempt DESC LIMIT 1",
        {"t": teacher_id, "p": period, "yes": True},
    )
    if row is None:
        raise Conflict(
            f"{period} 期尚未确认诊断测评结果，系统须根据测评结果推荐课程",
            hint="先完成诊断测评：jjadmin ability assess --period 期数 --answers 答题卡.xlsx"
            " --confirm",
        )
    return int(row[0]), str(as_json(row[1])["topic"])
