"""Chinese labels for every stored code (states, roles, batch kinds, audit actions).

Codes stay what the database and `--json` carry; people read the labels (issue 13: "one
output layer that labels every code in Chinese"). Filters take either (commands/_filters.py).
A new area adds its vocabulary here — `VOCABULARIES` — and gets labels in tables and label-or-
code filters for free. Pure data: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

ROLE = {
    "city": "市级管理员",
    "district": "区级管理员",
    "institution": "培训机构",
    "school": "学校管理员",
    "teacher": "教师",
    "system": "系统",
    "cron": "定时任务",
}
REVIEW_STATE = {
    "normal": "正常",
    "reopened": "重新更新（待教师提交）",
    "submitted": "已提交未审核",
    "rejected": "审核未通过",
}
TRANSFER_STATE = {
    "pending": "待审批",
    "approved": "已批准",
    "rejected": "已驳回",
    "cancelled": "已撤销",
}
APPROVAL_STATE = {"pending": "待审核", "approved": "已通过", "rejected": "已驳回"}
ENROLLMENT_STATE = {"active": "已选", "dropped": "已删除", "voided": "已作废"}
BILL_STATE = {"unpaid": "未缴费", "paid": "已缴费", "void": "已作废"}
SPECIAL_USER_STATE = {"open": "特殊用户", "cleared": "已取消"}
BATCH_STATE = {"applied": "已导入", "undone": "已撤销"}
BATCH_KIND = {
    "school": "学校",
    "teacher": "教师",
    "transfer": "调动",
    "course": "课程",
    "enroll": "选课",
    "payment": "缴费",
    "special_user_clear": "特殊用户取消",
    "grade": "成绩",
    "declaration": "学时申报",
    "ability": "提升工程",
    "notice": "通知",
}
LEVELS = ("全员培训", "区级培训", "校本培训", "专项培训", "提升工程")
HOUR_TYPES = ("公需科目", "专业科目", "个人选修")
# course status is stored in Chinese; the English words are accepted too
COURSE_STATUS = {"上线": "上线", "下线": "下线"}
ALIASES = {"online": "上线", "offline": "下线"}
STATS_BY = {"course": "课程", "school": "学校", "district": "区"}
PAID = {"yes": "已缴费", "no": "未缴费"}

AREA = {
    "account": "账号",
    "auth": "登录",
    "batch": "批次",
    "bill": "账单",
    "course": "课程",
    "db": "数据库",
    "enroll": "选课",
    "period": "期数",
    "principal": "校长",
    "school": "学校",
    "special_training": "专项培训",
    "special_user": "特殊用户",
    "teacher": "教师",
    "transfer": "调动",
    "verify": "短信验证",
    "grade": "成绩",
    "credits": "学时",
    "declaration": "学时申报",
    "ability": "提升工程",
    "notice": "通知",
    "complaint": "投诉",
}
VERB = {
    "add": "新增",
    "admin": "管理员授权",
    "apply": "报名",
    "approve": "通过",
    "archive": "归档",
    "cancel": "撤回",
    "check": "验证",
    "clear": "取消",
    "create": "创建",
    "declare": "申报",
    "disable": "停用",
    "drop": "退选",
    "enable": "启用",
    "end": "终止",
    "existing": "已有",
    "export": "导出",
    "force": "强制",
    "generate": "生成",
    "grant": "授权",
    "lock": "锁定",
    "login": "登录",
    "passwd": "修改密码",
    "passwd_reset": "重置密码",
    "pay": "缴费",
    "phone": "更换手机",
    "principal": "校长",
    "profile": "修改资料",
    "recover": "恢复",
    "reject": "驳回",
    "reopen": "重新更新",
    "request": "申请",
    "resubmit": "重新申报",
    "review": "审核",
    "revoke": "撤销授权",
    "roles_sync": "同步数据库角色",
    "self": "本人",
    "set": "修改",
    "special": "专项录取",
    "submit": "提交",
    "token": "令牌",
    "transfer": "调动",
    "undo": "撤销",
    "unlock": "解锁",
    "update": "更新",
    "void": "作废",
    "import": "导入",
}

# which JSON key carries which vocabulary (tables label these columns; filters use them)
VOCABULARIES: dict[str, Mapping[str, str]] = {
    "role": ROLE,
    "review_state": REVIEW_STATE,
    "transfer_state": TRANSFER_STATE,
    "approval": APPROVAL_STATE,
    "approval_state": APPROVAL_STATE,
    "enrollment_state": ENROLLMENT_STATE,
    "bill_state": BILL_STATE,
    "special_user_state": SPECIAL_USER_STATE,
    "batch_state": BATCH_STATE,
    "batch_kind": BATCH_KIND,
    "stats_by": STATS_BY,
    "paid": PAID,
}


def action_label(code: str) -> str:
    """`enroll.self` → 选课·本人; an unknown part stays as it is."""
    if not code or "." not in code:
        return AREA.get(code, code) if code else code
    area, *rest = code.split(".")
    words = [AREA.get(area, area), *(VERB.get(part, part) for part in rest)]
    return "·".join(words)


def label(vocabulary: str, code: object) -> str:
    """The Chinese label of `code` in `vocabulary` (the code itself when it has none)."""
    text = "" if code is None else str(code)
    if vocabulary == "action":
        return action_label(text)
    return VOCABULARIES.get(vocabulary, {}).get(text, text)


def to_code(vocabulary: Mapping[str, str], value: str) -> str | None:
    """A filter value given as the code or the label → the code; None when neither."""
    text = value.strip()
    text = ALIASES.get(text.lower(), text) if ALIASES.get(text.lower()) in vocabulary else text
    if text in vocabulary:
        return text
    lowered = text.lower()
    for code, shown in vocabulary.items():
        if code.lower() == lowered or shown == text:
            return code
    return None


def action_to_prefix(value: str) -> str | None:
    """An audit filter: `enroll`, `enroll.self`, 选课, 选课·本人 → the code prefix."""
    text = value.strip()
    if not text:
        return None
    known = {action_label(a): a for a in _all_actions()}
    if text in known:
        return known[text]
    head, _, tail = text.replace("·", ".").partition(".")
    area = head if head in AREA else next((k for k, v in AREA.items() if v == head), None)
    if area is None:
        return None
    if not tail:
        return area
    verbs = []
    for part in tail.split("."):
        verb = part if part in VERB else next((k for k, v in VERB.items() if v == part), None)
        if verb is None:
            return None
        verbs.append(verb)
    return ".".join([area, *verbs])


def _all_actions() -> list[str]:
    return [f"{a}.{v}" for a in AREA for v in VERB]


def allowed(vocabulary: Mapping[str, str]) -> str:
    """`pending（待审核）、approved（已通过）…` for an error message."""
    return "、".join(
        f"{shown}（{code}）" if shown != code else code for code, shown in vocabulary.items()
    )
