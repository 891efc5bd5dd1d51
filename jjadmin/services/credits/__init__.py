"""学时 (SPEC §6 Grade, Credits), one module per step:

- `ledger`: the credit-hour ledger every credited hour goes through (grades, approved
  declarations, the ability project), keyed by (teacher, source, source_ref);
- `grades`: 成绩导入 (the ledger follows every grade; batch undo brings it back in line);
- `grade_queries`: 成绩查询, 课程通过率.
"""

from __future__ import annotations

from jjadmin.services.credits import grades as grades
from jjadmin.services.credits.grade_queries import GradeView, PassRate, list_grades, pass_rates
from jjadmin.services.credits.grades import import_grades
from jjadmin.services.credits.ledger import (
    HOUR_TYPES,
    SOURCES,
    Credit,
    post_credit,
    post_credit_groups,
    post_credits,
    withdraw_credit,
    withdraw_credits,
)

__all__ = [
    "HOUR_TYPES",
    "SOURCES",
    "Credit",
    "GradeView",
    "PassRate",
    "import_grades",
    "list_grades",
    "pass_rates",
    "post_credit",
    "post_credit_groups",
    "post_credits",
    "withdraw_credit",
    "withdraw_credits",
]
