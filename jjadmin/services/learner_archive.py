"""`me archive` (我的档案): the teacher's own learning record — every period's chosen courses
with their state, payment and grade, the hours each passed course credits, by year, and the
专项培训 applications (专项培训记录).

The seed (我的档案): "可查询学习结果，专项培训记录，学时申报，年度验证统计，周期验证统计"; 学习结果
"查询全员培训和区级培训的学习记录". The hours here are read from the grades themselves
(a passed grade of an active enrollment credits its course's hours to the period's year),
and each year also shows the ledger's hours from every source (grades, approved
declarations, the ability project: what 年度验证 counts; `me hours` compares them with the
year's requirement). Read on the DB-API path, one query per part.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from jjadmin.errors import PermissionDenied
from jjadmin.rawdb import as_bool, as_utc
from jjadmin.rules.codes import parse_period_code
from jjadmin.services.context import ServiceContext

_COURSES = """
SELECT e.period, c.code, c.name, c.level, c.hour_type, c.hours, e.state, e.paid,
       g.score, g.passed
FROM enrollment e
JOIN course c ON c.id = e.course_id
LEFT JOIN grade g ON g.enrollment_id = e.id
WHERE e.teacher_id = :t {extra}
ORDER BY e.period DESC, c.code
"""

_LEDGER = """
SELECT year, hour_type, sum(hours) FROM credit_record WHERE teacher_id = :t {extra}
GROUP BY year, hour_type ORDER BY year, hour_type
"""

_APPLICATIONS = """
SELECT a.id, c.period, c.code, c.name, a.state, a.applied_at, a.decided_at
FROM special_training_application a JOIN course c ON c.id = a.course_id
WHERE a.teacher_id = :t ORDER BY a.applied_at DESC, a.id DESC
"""

ZERO = Decimal(0)


@dataclass
class ArchiveCourse:
    year: int
    period: str
    course_code: str
    name: str
    level: str
    hour_type: str
    hours: Decimal
    state: str  # active | dropped | voided
    paid: bool
    score: Decimal | None
    passed: bool | None  # None: no grade yet
    credited_hours: Decimal


@dataclass
class ArchiveYear:
    year: int
    courses: int
    passed: int
    credited_hours: Decimal  # from this archive's passed courses
    by_type: dict[str, Decimal]
    # the ledger's year, every source (grades, approved declarations, the ability project):
    # what 年度验证 counts (`me hours` compares it with the year's requirement)
    ledger_hours: Decimal = Decimal(0)
    ledger_by_type: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class ArchiveApplication:
    id: int
    period: str
    course_code: str
    name: str
    state: str
    applied_at: datetime | None
    decided_at: datetime | None


@dataclass
class Archive:
    learner_no: str
    name: str
    items: list[ArchiveCourse] = field(default_factory=list)
    years: list[ArchiveYear] = field(default_factory=list)
    special_training: list[ArchiveApplication] = field(default_factory=list)


def _dec(value: object) -> Decimal:
    """A stored number as the JSON shows hours: "24", "7.5" (either backend)."""
    d = Decimal(str(value))
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()


def period_year(period: str) -> int:
    return 2000 + int(period[:2])


def my_archive(
    ctx: ServiceContext, *, year: int | None = None, period: str | None = None
) -> Archive:
    """The logged-in teacher's archive, newest period first; `year` / `period` narrow the
    courses (the 专项培训 records are always all). Raises PermissionDenied (3: not a
    teacher), InvalidValue (1: a malformed period)."""
    actor = ctx.require("teacher", action="查看本人学习档案")
    if actor.teacher_id is None:
        raise PermissionDenied("只有教师本人有学习档案")
    params: dict[str, object] = {"t": actor.teacher_id}
    extra = ""
    if period is not None:
        extra += " AND e.period = :p"
        params["p"] = parse_period_code(period)
    if year is not None:
        extra += " AND e.period LIKE :y"
        params["y"] = f"{year % 100:02d}__"
    ledger_year = year
    if period is not None:
        ledger_year = period_year(str(params["p"]))
    with ctx.raw_reading() as db:
        who = db.one_or_none(
            "SELECT learner_no, name FROM teacher WHERE id = :t", {"t": actor.teacher_id}
        )
        rows = db.rows(_COURSES.format(extra=extra), params)
        apps = db.rows(_APPLICATIONS, {"t": actor.teacher_id})
        ledger_params: dict[str, object] = {"t": actor.teacher_id}
        if ledger_year is not None:
            ledger_params["y"] = ledger_year
        ledger = db.rows(
            _LEDGER.format(extra="" if ledger_year is None else "AND year = :y"), ledger_params
        )
    assert who is not None
    archive = Archive(str(who[0]), str(who[1]))
    summary: dict[int, ArchiveYear] = {}
    for r in rows:
        period_code, state = str(r[0]), str(r[6])
        hours = _dec(r[5])
        passed = None if r[9] is None else as_bool(r[9])
        credited = hours if passed and state == "active" else ZERO
        item = ArchiveCourse(
            year=period_year(period_code),
            period=period_code,
            course_code=str(r[1]),
            name=str(r[2]),
            level=str(r[3]),
            hour_type=str(r[4]),
            hours=hours,
            state=state,
            paid=as_bool(r[7]),
            score=None if r[8] is None else _dec(r[8]),
            passed=passed,
            credited_hours=credited,
        )
        archive.items.append(item)
        y = summary.setdefault(item.year, ArchiveYear(item.year, 0, 0, ZERO, {}))
        if state == "active":
            y.courses += 1
        if credited:
            y.passed += 1
            y.credited_hours += credited
            y.by_type[item.hour_type] = y.by_type.get(item.hour_type, ZERO) + credited
    for ledger_year, hour_type, hours in ledger:
        y = summary.setdefault(int(ledger_year), ArchiveYear(int(ledger_year), 0, 0, ZERO, {}))
        y.ledger_by_type[str(hour_type)] = _dec(hours)
        y.ledger_hours += _dec(hours)
    archive.years = sorted(summary.values(), key=lambda y: -y.year)
    archive.special_training = [
        ArchiveApplication(
            int(a[0]), str(a[1]), str(a[2]), str(a[3]), str(a[4]), as_utc(a[5]), as_utc(a[6])
        )
        for a in apps
    ]
    return archive
