"""成绩 sheet (SPEC §5: 学号*, 课程编号*, 成绩* (0–100 or 合格/不合格), 备注; 期数 optional)."""

from __future__ import annotations

from jjadmin.errors import InvalidValue
from jjadmin.importers.columns import ColumnSpec, cell_text
from jjadmin.importers.common import ImportKind, LoadedService
from jjadmin.importers.enroll import parse_course_code, parse_learner_no
from jjadmin.rules.codes import parse_period_code
from jjadmin.rules.grades import parse_score

REMARK_MAX = 200


def parse_remark(value: object) -> str | None:
    """备注: free text up to 200 characters."""
    text = (value if isinstance(value, str) else cell_text(value) or "").strip()
    if len(text) > REMARK_MAX:
        raise InvalidValue(f"备注过长（最多 {REMARK_MAX} 字）", code="too-long")
    return text or None


GRADE_COLUMNS = [
    ColumnSpec("学号", "learner_no", required=True, parse=parse_learner_no),
    ColumnSpec("课程编号", "course_code", required=True, parse=parse_course_code),
    ColumnSpec("成绩", "score", required=True, parse=parse_score),
    ColumnSpec("备注", "remark", parse=parse_remark),
    ColumnSpec("期数", "period", parse=parse_period_code),
]


def _load_grade_service() -> LoadedService:
    from jjadmin.services.credits.grades import import_grades

    return LoadedService(import_grades)


GRADE_IMPORT = ImportKind(
    name="grade",
    title="导入成绩",
    reading="读取成绩表",
    columns=GRADE_COLUMNS,
    load=_load_grade_service,
    roles=("city", "district", "institution", "school"),
    action="导入成绩",
    bulk=True,
)
