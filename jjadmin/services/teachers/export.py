"""教师导出 (`teacher export`): full ID numbers and mobiles, after SMS verification, audited."""

from __future__ import annotations

from typing import Any

from jjadmin.services import audit
from jjadmin.services.context import ServiceContext
from jjadmin.services.identity import require_verified
from jjadmin.services.teachers.views import ADMIN_ROLES, TeacherFilter, export_rows

EXPORT_FIELDS = (
    "learner_no",
    "name",
    "id_number",
    "gender",
    "birth_date",
    "mobile",
    "school_code",
    "stage",
    "subject",
    "title",
    "status",
    "email",
    "address",
    "school_name",
    "review_state",
    "is_special",
)


def export_teachers(
    ctx: ServiceContext, *, filters: TeacherFilter = TeacherFilter()
) -> list[tuple[Any, ...]]:
    """Rows for `teacher export` in EXPORT_FIELDS order (full ID numbers and mobiles).

    Raises VerificationRequired (3) unless the session passed SMS verification within
    30 minutes; PermissionDenied (3), NotFound (4).
    """
    actor = ctx.require(*ADMIN_ROLES, action="导出教师信息")
    require_verified(ctx, "导出教师信息（含身份证号、手机号）")
    rows = export_rows(ctx, actor, filters)
    with ctx.transaction() as session:
        audit.record(
            session,
            actor,
            ctx.now,
            "teacher.export",
            "teacher",
            filters.school or filters.district or "all",
            after={"rows": len(rows)},
        )
    return rows
