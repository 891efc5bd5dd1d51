"""诊断测评 (`ability assess`): the answer sheet judged like every import (row, column, value
errors; nothing recorded unless the whole sheet is right), scored per dimension, the weakest
named as the topic. At most 3 attempts per period (选课指引 3.(4) "再测一次，共有3次机会"); the
last confirmed attempt counts. Once the teacher has confirmed their 提升工程 courses, the
assessment is settled (the required courses it chose can never be dropped)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from jjadmin.errors import Conflict, NotFound
from jjadmin.models import AbilityAssessment, AbilitySelection
from jjadmin.rules import ability as rules
from jjadmin.rules.codes import parse_period_code
from jjadmin.services import audit
from jjadmin.services.ability.common import participant, raw_of, require_pilot
from jjadmin.services.context import ServiceContext
from jjadmin.services.period_lookup import get_period
from jjadmin.services.results import FileMeta, ImportOptions, ImportReport, RowIssue, RowLike

ROLES = ("teacher", "school", "district", "city")


def _answers(
    rows: Sequence[RowLike], pre_issues: Sequence[RowIssue], report: ImportReport
) -> dict[int, str]:
    """题号 → 答案 of the sheet; every problem (cells, duplicates, missing items) a row issue."""
    report.issues.extend(pre_issues)
    answers: dict[int, str] = {}
    seen: set[int] = set()
    for r in rows:
        report.issues.extend(r.issues)
        item = r.values.get("item")
        if isinstance(item, int):
            seen.add(item)
            if not r.issues:
                answers[item] = str(r.values["answer"])
    if not pre_issues:
        header = min((r.row for r in rows), default=2) - 1
        for n in rules.missing_items(dict.fromkeys(seen, "")):
            report.add(
                RowIssue(
                    header,
                    "题号",
                    str(n),
                    f"缺少第 {n} 题的答案（共 {rules.item_count()} 题，每题必答）",
                    "item-missing",
                )
            )
    return answers


def assess_answers(
    ctx: ServiceContext,
    *,
    rows: Sequence[RowLike],
    pre_issues: Sequence[RowIssue],
    file: FileMeta,
    options: ImportOptions,
    notes: Sequence[str] = (),
    present: Any = None,
    period: str,
    learner_no: str | None = None,
    confirm: bool = False,
) -> ImportReport:
    """Score one answer sheet for the teacher (`learner_no`, default the logged-in teacher).

    Returns the report; when the sheet is right, `report.extra["assessment"]` holds
    {"attempt", "attempts_left", "scores", "topic"} (SPEC §7) and
    `report.extra["confirmed"]` whether it was confirmed. With row issues nothing is
    recorded (the command exits 1).
    Raises PermissionDenied (3), NotFound (4), Conflict (5: not a pilot teacher, a 4th
    attempt, courses already confirmed).
    """
    actor = ctx.require(*ROLES, action="进行诊断测评")
    code = parse_period_code(period)
    report = ImportReport(total=len(rows))
    report.notes.extend(notes)
    with ctx.transaction() as session:
        get_period(session, code)
        p = participant(raw_of(session), actor, learner_no, "进行诊断测评")
        require_pilot(raw_of(session), code, p)
        done = session.execute(
            select(func.count()).where(
                col(AbilityAssessment.teacher_id) == p.id, col(AbilityAssessment.period) == code
            )
        ).scalar_one()
        selected = session.execute(
            select(
                exists().where(
                    col(AbilitySelection.teacher_id) == p.id, col(AbilitySelection.period) == code
                )
            )
        ).scalar_one()
        if selected:
            raise Conflict(
                f"{p.name}（{p.learner_no}）已确认 {code} 期提升工程选课，不能再次测评",
                hint="选修课程可在选课时间内用 jjadmin ability confirm --electives … 修改",
            )
        if done >= rules.MAX_ATTEMPTS:
            raise Conflict(
                f"{p.name}（{p.learner_no}）{code} 期的诊断测评已达 {rules.MAX_ATTEMPTS} 次"
                "，不能再测",
                hint="以最后一次确认的测评结果为准：jjadmin ability recommend --period " + code,
            )
        answers = _answers(rows, pre_issues, report)
        if report.issues:
            session.rollback()
            return report
        scores = rules.score(answers)
        topic = rules.topic(scores)
        attempt = int(done) + 1
        session.add(
            AbilityAssessment(
                teacher_id=p.id,
                period=code,
                attempt=attempt,
                answers={str(k): v for k, v in sorted(answers.items())},
                result={"scores": scores, "topic": topic},
                confirmed=confirm,
                created_at=ctx.now,
            )
        )
        try:
            session.flush()
        except IntegrityError as exc:
            raise Conflict("同一教师的另一次测评刚刚提交，请重试") from exc
        audit.record(
            session,
            actor,
            ctx.now,
            "ability.assess",
            "teacher",
            p.learner_no,
            after={
                "period": code,
                "attempt": attempt,
                "topic": topic,
                "confirmed": confirm,
                "file": file.name,
                "sha256": file.sha256,
            },
        )
        report.created = 1
        report.extra["assessment"] = {
            "attempt": attempt,
            "attempts_left": rules.MAX_ATTEMPTS - attempt,
            "scores": scores,
            "topic": topic,
        }
        report.extra["confirmed"] = confirm
    return report


def confirm_last_attempt(
    ctx: ServiceContext, *, period: str, learner_no: str | None = None
) -> dict[str, Any]:
    """Confirm the latest attempt as it is (选课指引 3.(4): "系统会提示学员确认测评结果");
    no new attempt. Returns {"attempt", "attempts_left", "scores", "topic"}.

    Raises PermissionDenied (3), NotFound (4: no attempt yet), Conflict (5: not a pilot
    teacher, courses already confirmed).
    """
    actor = ctx.require(*ROLES, action="确认诊断测评结果")
    code = parse_period_code(period)
    with ctx.transaction() as session:
        get_period(session, code)
        p = participant(raw_of(session), actor, learner_no, "确认诊断测评结果")
        require_pilot(raw_of(session), code, p)
        last = session.execute(
            select(AbilityAssessment)
            .where(col(AbilityAssessment.teacher_id) == p.id, col(AbilityAssessment.period) == code)
            .order_by(col(AbilityAssessment.attempt).desc())
            .limit(1)
            .with_for_update()
        ).scalar_one_or_none()
        if last is None:
            raise NotFound(
                f"{p.name}（{p.learner_no}）还没有 {code} 期的诊断测评",
                hint="jjadmin ability questionnaire --out 答题卡.xlsx 生成答题卡，填好后提交",
            )
        if not last.confirmed:
            last.confirmed = True
            audit.record(
                session,
                actor,
                ctx.now,
                "ability.assess.confirm",
                "teacher",
                p.learner_no,
                after={"period": code, "attempt": last.attempt},
            )
        return {
            "attempt": last.attempt,
            "attempts_left": rules.MAX_ATTEMPTS - last.attempt,
            "scores": dict(last.result["scores"]),
            "topic": last.result["topic"],
        }
