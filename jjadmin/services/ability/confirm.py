"""确认提升工程选课 (`ability confirm`): the teacher confirms the three required courses
recommended to them plus the electives they chose; at ≥ 50 学时 in all they are enrolled
through the enrollment writer (seats, the selection window, the pilot), below nothing is
written and the missing hours are named (选课指引 4.(2): "总学时数未到达50学时，则不能确定
选课"). Confirming again inside the window changes the electives only (5.(2)②): dropped
electives release their seats, new ones take seats; the required courses never change.

Self-selection only (seed: "只能由教师个人自主测评后选课，不支持学校管理员集体选课"): an
administrator may drop an elective for a teacher inside the window (`enroll drop`), never add.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Table, case, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.errors import Conflict, InputRejected, InvalidValue, PermissionDenied
from jjadmin.models import AbilitySelection, Course, Enrollment
from jjadmin.rules import ability as rules
from jjadmin.rules.codes import normalize_course_code, parse_period_code
from jjadmin.rules.money import format_hours
from jjadmin.services import audit
from jjadmin.services.ability.common import Participant, participant, raw_of, require_pilot
from jjadmin.services.ability.recommend import plan_for
from jjadmin.services.billing.bills import refresh_open_bills
from jjadmin.services.billing.common import lock_period
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.enrollment.gate import enrollment_gate
from jjadmin.services.enrollment.planner import _plan, _rows_by_teacher
from jjadmin.services.enrollment.writer import _apply
from jjadmin.services.results import ImportReport

E: Table = Enrollment.__table__  # type: ignore[attr-defined]
C: Table = Course.__table__  # type: ignore[attr-defined]
ACTIVE, DROPPED = "active", "dropped"
SELF_ONLY = (
    "“能力提升工程”的课程只能由教师个人自主测评后选课，不支持学校管理员集体选课"
    "（学校管理员可在选课时间内协助删除任意选修课程：jjadmin enroll drop）"
)


@dataclass(frozen=True)
class ConfirmedCourse:
    course_code: str
    course_name: str
    category: str
    hours: str
    required: bool
    reason: str


@dataclass(frozen=True)
class ConfirmResult:
    period: str
    learner_no: str
    name: str
    courses: list[ConfirmedCourse]
    total_hours: str
    created: int  # enrollments created now
    dropped: int  # electives dropped now


@dataclass(frozen=True)
class _Want:
    course_id: int
    code: str
    name: str
    category: str
    hours: Decimal
    required: bool
    reason: str


def _elective_codes(electives: Sequence[str]) -> list[str]:
    out: list[str] = []
    bad: list[str] = []
    for raw in electives:
        for part in str(raw).replace("，", ",").split(","):
            if not part.strip():
                continue
            try:
                code = normalize_course_code(part)
            except InvalidValue:
                bad.append(part.strip())
                continue
            if code not in out:
                out.append(code)
    if bad:
        raise InvalidValue(f"课程编号无效：{'、'.join(bad)}", code="course-code-invalid")
    return out


def _required(
    session: Session, p: Participant, period: str, assessment_id: int
) -> tuple[list[_Want], dict[int, AbilitySelection], int]:
    """The required courses (the confirmed ones, else the recommended), the teacher's
    selection rows by course id, and the assessment the selection follows."""
    rows = {
        s.course_id: s
        for s in session.execute(
            select(AbilitySelection)
            .where(col(AbilitySelection.teacher_id) == p.id, col(AbilitySelection.period) == period)
            .with_for_update()
        ).scalars()
    }
    kept = [s for s in rows.values() if s.required]
    if not kept:
        return [], rows, assessment_id
    courses = {
        c.id: c
        for c in session.execute(
            select(Course).where(col(Course.id).in_([s.course_id for s in kept]))
        ).scalars()
    }
    wants = [
        _Want(
            s.course_id,
            courses[s.course_id].code,
            courses[s.course_id].name,
            s.category,
            Decimal(courses[s.course_id].hours),
            True,
            s.reason,
        )
        for s in kept
    ]
    wants.sort(key=lambda w: rules.REQUIRED_CATEGORIES.index(w.category))
    return wants, rows, kept[0].assessment_id


def confirm_selection(
    ctx: ServiceContext,
    *,
    period: str,
    electives: Sequence[str],
    learner_no: str | None = None,
) -> ConfirmResult:
    """Confirm (or change the electives of) the teacher's 提升工程 courses.

    Raises PermissionDenied (3: not the teacher), InputRejected (1: below 50 学时 — the
    message names the hours missing; an unknown or non-elective course; a full course),
    NotFound (4), Conflict (5: not a pilot teacher, no confirmed assessment, no course of a
    required category, outside the selection window, a paid elective dropped).
    """
    actor = ctx.require("teacher", action="确认提升工程选课")
    if actor.teacher_id is None:
        raise PermissionDenied(SELF_ONLY)
    code = parse_period_code(period)
    chosen = _elective_codes(electives)
    with ctx.transaction() as session:
        db = raw_of(session)
        p = participant(db, actor, learner_no, "确认提升工程选课")
        if p.id != actor.teacher_id:
            raise PermissionDenied(SELF_ONLY)
        require_pilot(db, code, p)
        assessment_id, _topic, rec, catalogue = plan_for(db, code, p)
        required, selections, assessment_id = _required(session, p, code, assessment_id)
        if not required:
            if rec.missing_categories:
                raise Conflict(
                    f"{code} 期没有适合您（学科：{p.subject}，学段：{p.stage}）且有名额的"
                    f"{'、'.join(rec.missing_categories)}课程，暂不能确认提升工程选课",
                    hint="请联系市级培训中心",
                )
            required = [
                _Want(catalogue[k.code][0], k.code, k.name, k.category, k.hours, True, k.reason)
                for k in rec.required
            ]
        wants = required + _electives(chosen, catalogue, rec, {w.code for w in required})
        total = sum((w.hours for w in wants), Decimal(0))
        missing = rules.shortfall([total])
        if missing:
            raise InputRejected(
                f"提升工程选课共 {format_hours(total)} 学时（必修 "
                f"{format_hours(sum((w.hours for w in required), Decimal(0)))} 学时），"
                f"不足 {format_hours(rules.TOTAL_MIN_HOURS)} 学时，"
                f"还差 {format_hours(missing)} 学时",
                hint="再选任意选修课程（jjadmin ability recommend --period " + code + " 查看）",
                data={"missing_hours": format_hours(missing), "total_hours": format_hours(total)},
            )
        codes = [w.code for w in wants]
        p_row, _ = enrollment_gate(session, ctx, actor, code, codes, force=False, mode="ability")
        lock_period(session, p_row.code, exclusive=False)
        wanted_ids = {w.course_id for w in wants}
        dropped = _drop_electives(
            session,
            ctx,
            actor,
            code,
            p,
            [
                s
                for s in selections.values()
                if s.state == ACTIVE and not s.required and s.course_id not in wanted_ids
            ],
        )
        rows = _rows_by_teacher(p.learner_no, list(enumerate(codes, start=1)))
        report = ImportReport(total=len(rows))
        plan = _plan(session, actor, code, rows, report, mode="ability", skip_invalid=False)
        if report.issues:
            raise InputRejected(
                "；".join(dict.fromkeys(i.message for i in report.sorted_issues())),
                hint="本次未写入任何选课",
            )
        created = _apply(session, ctx, actor, plan, report, source="ability")
        changed = bool(created or dropped)
        for w in wants:
            s = selections.get(w.course_id)
            if s is None:
                changed = True
                session.add(
                    AbilitySelection(
                        teacher_id=p.id,
                        period=code,
                        assessment_id=assessment_id,
                        course_id=w.course_id,
                        category=w.category,
                        required=w.required,
                        reason=w.reason[:200],
                        state=ACTIVE,
                        created_at=ctx.now,
                        updated_at=ctx.now,
                    )
                )
            elif s.state != ACTIVE:
                s.state, s.updated_at = ACTIVE, ctx.now
                changed = True
        if changed:  # confirming the same selection again changes nothing
            audit.record(
                session,
                actor,
                ctx.now,
                "ability.confirm",
                "teacher",
                p.learner_no,
                after={
                    "period": code,
                    "courses": codes,
                    "total_hours": format_hours(total),
                    "enrolled": created,
                    "dropped": dropped,
                },
            )
        return ConfirmResult(
            code,
            p.learner_no,
            p.name,
            [
                ConfirmedCourse(
                    w.code, w.name, w.category, format_hours(w.hours), w.required, w.reason
                )
                for w in wants
            ],
            format_hours(total),
            created,
            dropped,
        )


def _electives(
    chosen: list[str],
    catalogue: dict[str, tuple[int, rules.CatalogueCourse]],
    rec: rules.Recommendation,
    required: set[str],
) -> list[_Want]:
    """The chosen electives: online 任意选修 courses of the period (recommended or not —
    选课指引 4.(4) "重新选课" opens the others too). Raises InputRejected (1)."""
    reasons = {p.code: p.reason for p in rec.electives}
    out: list[_Want] = []
    problems: list[str] = []
    for code in chosen:
        if code in required:
            continue  # already one of the required courses
        found = catalogue.get(code)
        if found is None:
            problems.append(f"{code}（本期没有该提升工程课程，或未上线）")
            continue
        cid, c = found
        if c.category != rules.ELECTIVE:
            problems.append(f"{code}（{c.category or '未分类'}课程，不是任意选修课程）")
            continue
        reason = reasons.get(code, "任意选修（学员自选）")
        out.append(_Want(cid, c.code, c.name, c.category, c.hours, False, reason))
    if problems:
        raise InputRejected(
            "不能作为任意选修课程确认：" + "；".join(problems),
            hint="jjadmin ability recommend --period 期数 列出可选的任意选修课程",
        )
    return out


def _drop_electives(
    session: Session,
    ctx: ServiceContext,
    actor: Actor,
    period: str,
    p: Participant,
    gone: list[AbilitySelection],
) -> int:
    """Drop the electives no longer chosen (set-based): the enrollments, their seats, the
    school's unpaid bills, the selection rows. Raises Conflict (5) for a paid one."""
    if not gone:
        return 0
    ids = [s.course_id for s in gone]
    found = session.execute(
        select(E.c.id, E.c.course_id, E.c.paid, E.c.school_id).where(
            E.c.teacher_id == p.id, E.c.course_id.in_(ids), E.c.state == ACTIVE
        )
    ).all()
    paid = [int(r.course_id) for r in found if r.paid]
    if paid:
        raise Conflict(f"已缴费的提升工程选修课程不能取消（课程 id {paid}）")
    if found:
        session.execute(
            update(E)
            .where(E.c.id.in_([int(r.id) for r in found]))
            .values(state=DROPPED, dropped_by=actor.account_id, dropped_at=ctx.now)
        )
        session.execute(
            update(C)
            .where(C.c.id.in_([int(r.course_id) for r in found]))
            .values(enrolled=case((C.c.enrolled > 0, C.c.enrolled - 1), else_=0))
        )
        refresh_open_bills(session, actor, ctx.now, period, {int(r.school_id) for r in found})
    for s in gone:
        s.state, s.updated_at = DROPPED, ctx.now
    return len(found)
