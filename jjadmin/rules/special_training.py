"""专项培训 applications: the three reviews in their order and the states (SPEC §6 Special
training; seed 学员平台 · 专项培训课程: "经过学员所在学校的校长\\各区行政管理员以及
承担项目的培训机构审核通过后，即可获得培训资格").

Pure: which stage an application waits for, what an approval leads to, and why a stage may
not decide now (out of order, twice, or already decided).
"""

from __future__ import annotations

from jjadmin.errors import InvalidValue
from jjadmin.rules.ids import normalize_text

__all__ = [
    "APPROVED",
    "DISTRICT",
    "INSTITUTION",
    "REJECTED",
    "SCHOOL",
    "STAGES",
    "STAGE_LABELS",
    "STATES",
    "WAITING",
    "after_approval",
    "parse_state",
    "review_problem",
    "stage_waiting",
]

# the reviewing stages in their order; each is also the role (SPEC §3) that decides it
SCHOOL = "school"
DISTRICT = "district"
INSTITUTION = "institution"
STAGES: tuple[str, ...] = (SCHOOL, DISTRICT, INSTITUTION)
STAGE_LABELS = {SCHOOL: "学校审核", DISTRICT: "区审核", INSTITUTION: "机构审核"}
REVIEWERS = {
    SCHOOL: "学员所在学校的校长或学校继续教育管理员",
    DISTRICT: "学校所在区的培训管理员",
    INSTITUTION: "承担项目的培训机构",
}

WAITING = {SCHOOL: "待学校审核", DISTRICT: "待区审核", INSTITUTION: "待机构审核"}
APPROVED = "已通过"  # 获得培训资格: the teacher is enrolled
REJECTED = "未通过"
STATES: tuple[str, ...] = (*WAITING.values(), APPROVED, REJECTED)
FIRST_STATE = WAITING[SCHOOL]


def stage_waiting(state: str) -> str | None:
    """The stage an application in `state` waits for; None once it is decided."""
    for stage, waiting in WAITING.items():
        if waiting == state:
            return stage
    return None


def after_approval(stage: str) -> str:
    """The state an approval at `stage` leads to: the next stage's, or 已通过 after the last."""
    i = STAGES.index(stage)
    return WAITING[STAGES[i + 1]] if i + 1 < len(STAGES) else APPROVED


def review_problem(state: str, stage: str) -> str | None:
    """Why `stage` may not decide an application in `state` now (None: it may).

    Decided applications take no more decisions; a stage never decides before the stages
    ahead of it (out of order) nor twice.
    """
    if state in (APPROVED, REJECTED):
        return f"该申请已审核完毕（{state}），不能再审核"
    waiting = stage_waiting(state)
    if waiting is None or waiting == stage:
        return None
    label = STAGE_LABELS[stage]
    if STAGES.index(stage) < STAGES.index(waiting):
        return f"{label}已完成（现为{state}），不能重复审核"
    return f"该申请{state}，{label}须在{STAGE_LABELS[waiting]}通过之后进行"


def parse_state(value: object) -> str:
    """A state as the list filter takes it (the Chinese state). Raises InvalidValue."""
    text = normalize_text(value)
    if text not in STATES:
        raise InvalidValue(
            f"申请状态“{text}”无效，应为 {'、'.join(STATES)}", code="value-not-in-list"
        )
    return text
