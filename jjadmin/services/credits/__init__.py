"""学时 (SPEC §6 Grade, Credits), one module per step:

- `ledger`: the credit-hour ledger every credited hour goes through (grades, approved
  declarations, the ability project), keyed by (teacher, source, source_ref), written through
  `bulk` (driver-level executemany);
- `grades`: 成绩导入 (the ledger follows every grade; batch undo brings it back in line);
- `grade_queries`: 成绩查询, 课程通过率; `ledger_queries`: 学时台账, `me hours`;
- `verification`: 年度验证, 周期验证 — on the DB-API driver, without SQLAlchemy, so this
  package re-exports lazily (PEP 562), as services.teachers does;
- `certificates`: 学习证明 and its check;
- 学时申报: `declare` (declare, resubmit) → `review` (初审, 终审; 通过 posts to the ledger),
  `queries` (list, show), `declaration_import` (the 学时申报 sheet); imported from their
  modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jjadmin.services._lazy import lazy_exports

EXPORTS = {
    "ledger": (
        "HOUR_TYPES", "SOURCES", "Credit", "post_credit", "post_credit_groups", "post_credits",
        "withdraw_credit", "withdraw_credits",
    ),
    "grades": ("import_grades",),
    "grade_queries": ("GradeView", "PassRate", "list_grades", "pass_rates"),
    "verification": ("Verification", "annual_verification", "cycle_verification"),
}  # fmt: skip

if TYPE_CHECKING:
    from jjadmin.services.credits.grade_queries import GradeView as GradeView
    from jjadmin.services.credits.grade_queries import PassRate as PassRate
    from jjadmin.services.credits.grade_queries import list_grades as list_grades
    from jjadmin.services.credits.grade_queries import pass_rates as pass_rates
    from jjadmin.services.credits.grades import import_grades as import_grades
    from jjadmin.services.credits.ledger import HOUR_TYPES as HOUR_TYPES
    from jjadmin.services.credits.ledger import SOURCES as SOURCES
    from jjadmin.services.credits.ledger import Credit as Credit
    from jjadmin.services.credits.ledger import post_credit as post_credit
    from jjadmin.services.credits.ledger import post_credit_groups as post_credit_groups
    from jjadmin.services.credits.ledger import post_credits as post_credits
    from jjadmin.services.credits.ledger import withdraw_credit as withdraw_credit
    from jjadmin.services.credits.ledger import withdraw_credits as withdraw_credits
    from jjadmin.services.credits.verification import Verification as Verification
    from jjadmin.services.credits.verification import annual_verification as annual_verification
    from jjadmin.services.credits.verification import cycle_verification as cycle_verification
else:
    __getattr__ = lazy_exports(__name__, EXPORTS)
