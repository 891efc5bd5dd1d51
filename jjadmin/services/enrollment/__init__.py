"""选课管理 (SPEC §6 Enroll), one module per step: collective enrollment and import
(`collective`), self-selection (`self_service`), drop, 选课查询 (`queries`), 选课统计 (`stats`)
and the 课程超市 with `me hours` (`market`).

Every way of enrolling goes through one planner (`planner`) and one writer (`writer`):

- the planner judges every requested (teacher, course) pair against the rules — teacher 在职,
  in the actor's scope, not a special user; course online, of the period, open to the
  teacher, not 提升工程 unless the teacher selects it; no duplicates; seats left — and
  collects row issues instead of stopping. It works set-based, column by column: the
  teacher rules are judged once per distinct teacher, the course rules once per course
  (and school, where the level depends on it), and only rows that fail a rule are looked at
  one by one;
- the writer takes the seats set-based, one guarded UPDATE per course
  (`enrolled = enrolled + n WHERE enrolled + n <= capacity`), then inserts the enrollments
  in large multi-row statements, all in the caller's transaction. The courses of a batch are locked
  first (PostgreSQL: SELECT … FOR UPDATE in id order; SQLite: the write transaction is
  BEGIN IMMEDIATE), so two runs competing for the last seats are serialised and the loser is
  told how many seats were left. The guarded UPDATE and the CHECK constraint stay as the
  last line of defence.

`stats` runs on the DB-API driver and imports no SQLAlchemy (`enroll stats`), so this package
re-exports its public names lazily (PEP 562), as services.teachers does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jjadmin.services._lazy import lazy_exports

EXPORTS = {
    "collective": ("add_enrollments", "import_enrollments"),
    "self_service": ("drop_own_enrollment", "enroll_self"),
    "drop": ("DropResult", "drop_enrollment"),
    "queries": ("export_enrollments",),
    "listing": ("EnrollmentFilter", "EnrollmentView", "list_enrollments"),
    "stats": ("STATS_BY", "StatsResult", "StatsRow", "enrollment_stats"),
    "market": (
        "RECOMMEND_MAX", "RECOMMEND_MIN", "HoursSummary", "Market", "MarketCourse", "course_market",
        "my_hours", "required_hours",
    ),
    "common": ("ABILITY_ONLY_SELF", "CapacityExceeded", "EnrollRow", "SelectionWindowClosed"),
    "planner": ("PairColumns", "PairSource"),
}  # fmt: skip

if TYPE_CHECKING:
    from jjadmin.services.enrollment.collective import add_enrollments as add_enrollments
    from jjadmin.services.enrollment.collective import import_enrollments as import_enrollments
    from jjadmin.services.enrollment.common import ABILITY_ONLY_SELF as ABILITY_ONLY_SELF
    from jjadmin.services.enrollment.common import CapacityExceeded as CapacityExceeded
    from jjadmin.services.enrollment.common import EnrollRow as EnrollRow
    from jjadmin.services.enrollment.common import SelectionWindowClosed as SelectionWindowClosed
    from jjadmin.services.enrollment.drop import DropResult as DropResult
    from jjadmin.services.enrollment.drop import drop_enrollment as drop_enrollment
    from jjadmin.services.enrollment.listing import EnrollmentFilter as EnrollmentFilter
    from jjadmin.services.enrollment.listing import EnrollmentView as EnrollmentView
    from jjadmin.services.enrollment.listing import list_enrollments as list_enrollments
    from jjadmin.services.enrollment.market import RECOMMEND_MAX as RECOMMEND_MAX
    from jjadmin.services.enrollment.market import RECOMMEND_MIN as RECOMMEND_MIN
    from jjadmin.services.enrollment.market import HoursSummary as HoursSummary
    from jjadmin.services.enrollment.market import Market as Market
    from jjadmin.services.enrollment.market import MarketCourse as MarketCourse
    from jjadmin.services.enrollment.market import course_market as course_market
    from jjadmin.services.enrollment.market import my_hours as my_hours
    from jjadmin.services.enrollment.market import required_hours as required_hours
    from jjadmin.services.enrollment.planner import PairColumns as PairColumns
    from jjadmin.services.enrollment.planner import PairSource as PairSource
    from jjadmin.services.enrollment.queries import export_enrollments as export_enrollments
    from jjadmin.services.enrollment.self_service import drop_own_enrollment as drop_own_enrollment
    from jjadmin.services.enrollment.self_service import enroll_self as enroll_self
    from jjadmin.services.enrollment.stats import STATS_BY as STATS_BY
    from jjadmin.services.enrollment.stats import StatsResult as StatsResult
    from jjadmin.services.enrollment.stats import StatsRow as StatsRow
    from jjadmin.services.enrollment.stats import enrollment_stats as enrollment_stats
else:
    __getattr__ = lazy_exports(__name__, EXPORTS)
