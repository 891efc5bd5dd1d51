"""专项培训申请查询 (`special-training list`, `show`): the applications the actor may see —
a school's teachers', a district's schools', the projects an institution undertakes, a
teacher's own (专项培训记录) — by stage (state), project, school and period."""

from __future__ import annotations

from dataclasses import dataclass

from jjadmin.errors import NotFound, PermissionDenied
from jjadmin.rules.codes import normalize_course_code, normalize_learner_no, parse_period_code
from jjadmin.rules.ids import normalize_text
from jjadmin.rules.special_training import parse_state
from jjadmin.services.context import ServiceContext
from jjadmin.services.scope_rules import OUT_OF_SCOPE, find_school, rule_for
from jjadmin.services.special_training.common import (
    READ_ROLES,
    VIEW_SQL,
    ApplicationView,
    views,
    visible_sql,
)


@dataclass(frozen=True)
class ApplicationFilter:
    state: str | None = None
    course: str | None = None
    school: str | None = None
    period: str | None = None
    learner: str | None = None


def list_applications(
    ctx: ServiceContext,
    *,
    filters: ApplicationFilter = ApplicationFilter(),
    limit: int = 1000,
    offset: int = 0,
) -> tuple[list[ApplicationView], int]:
    """Applications the actor may see, oldest first (the order they wait in); `total`
    counts every match.

    Raises InvalidValue (1: unknown state, malformed codes), PermissionDenied (3: a school
    outside the scope), NotFound (4: no such school).
    """
    actor = ctx.require(*READ_ROLES, action="查看专项培训申请")
    where, params = visible_sql(actor)
    conditions = [where]
    with ctx.raw_reading() as db:
        if filters.state:
            conditions.append("a.state = :f_state")
            params["f_state"] = parse_state(filters.state)
        if filters.course:
            conditions.append("c.code = :f_course")
            params["f_course"] = normalize_course_code(filters.course)
        if filters.period:
            conditions.append("c.period = :f_period")
            params["f_period"] = parse_period_code(filters.period)
        if filters.learner:
            conditions.append("t.learner_no = :f_learner")
            params["f_learner"] = normalize_learner_no(filters.learner)
        if filters.school:
            code = normalize_text(filters.school)
            if rule_for(actor, "school") is not False:  # a unit that has schools in its scope
                find_school(db, actor, code)
            conditions.append("s.code = :f_school")
            params["f_school"] = code
        sql = f"{VIEW_SQL} WHERE {' AND '.join(conditions)}"
        total = db.scalar(f"SELECT count(*) FROM ({sql}) q", params)
        rows = db.rows(
            f"{sql} ORDER BY a.applied_at, a.id LIMIT :limit OFFSET :offset",
            {**params, "limit": limit, "offset": offset},
        )
        return views(db, rows), int(total or 0)


def show_application(ctx: ServiceContext, application_id: int) -> ApplicationView:
    """One application with every decision (stage, 通过/未通过, who, when, why).

    Raises PermissionDenied (3: outside the scope), NotFound (4).
    """
    actor = ctx.require(*READ_ROLES, action="查看专项培训申请")
    where, params = visible_sql(actor)
    params["id"] = application_id
    with ctx.raw_reading() as db:
        rows = db.rows(f"{VIEW_SQL} WHERE a.id = :id AND {where}", params)
        if not rows:
            exists = db.scalar(
                "SELECT 1 FROM special_training_application WHERE id = :id", {"id": application_id}
            )
            if exists is None:
                raise NotFound(f"专项培训申请不存在：{application_id}")
            raise PermissionDenied(OUT_OF_SCOPE, hint="只能查看本单位范围内的专项培训申请")
        return views(db, rows)[0]
