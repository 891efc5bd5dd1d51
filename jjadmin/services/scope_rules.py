"""THE scope rule — which units an actor may see and change — written once, as data.

`SCOPE` says, per role, which column of which unit table must equal which attribute of the
actor (and, for the database itself, which column of the actor's `account` row holds that
value). Everything else is derived from it:

- `school_in_scope` / `course_in_scope` / `district_in_scope`: the Python checks;
- `school_scope_sql` / `course_scope_sql`: SQL text for the DB-API read paths (`rawdb`);
- `services.scope.school_clause` / `course_clause`: SQLAlchemy clauses for the ORM paths;
- the row-level security policies of a city's PostgreSQL (`db roles sync`).

A test walks every role and proves the forms agree on a real database (SQLite and
PostgreSQL). This module imports no SQLAlchemy: the start-up-critical reads use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from jjadmin.errors import NotFound, PermissionDenied
from jjadmin.rawdb import RawReader
from jjadmin.services.context import Actor

OUT_OF_SCOPE = "无权访问该单位的数据"


@dataclass(frozen=True)
class Limit:
    """Rows of `table` are in scope when `table.column` equals the actor's `attribute`
    (in the database: the `account_column` of the actor's own account row)."""

    table: str
    column: str
    attribute: str
    account_column: str


@dataclass(frozen=True)
class Scope:
    """What one role sees: everything (`all`), or the rows its limits allow (none when a
    table has no limit)."""

    all: bool = False
    school: Limit | None = None
    course: Limit | None = None


EVERYTHING = Scope(all=True)

SCOPE: dict[str, Scope] = {
    "city": EVERYTHING,
    "system": EVERYTHING,
    # 区级培训管理员: every school of its district
    "district": Scope(school=Limit("school", "district_code", "district_code", "district_code")),
    # 学校继续教育管理员 (and a principal acting as one): its own school
    "school": Scope(school=Limit("school", "id", "acting_school_id", "school_id")),
    # 培训机构/收费单位: the courses it charges for, and through them their enrollments
    "institution": Scope(course=Limit("course", "charging_unit", "institution", "institution")),
    # 学员: only themself (services check the teacher id); no unit
    "teacher": Scope(),
}


def scope_role(actor: Actor) -> str:
    """The role whose scope applies: a teacher granted 校长 acts as its school's admin."""
    if actor.role == "teacher" and actor.principal_school_id is not None:
        return "school"
    return actor.role


def scope_of(actor: Actor) -> Scope:
    return SCOPE.get(scope_role(actor), Scope())


def limit_value(actor: Actor, limit: Limit) -> Any:
    """The actor's value for a limit; None (nothing in scope) when the actor has none."""
    return getattr(actor, limit.attribute)


def rule_for(actor: Actor, table: str) -> tuple[str, Any] | bool:
    """True: every row of `table`; False: none; (column, value): rows with column = value."""
    scope = scope_of(actor)
    if scope.all:
        return True
    limit: Limit | None = getattr(scope, table)
    if limit is None:
        return False
    value = limit_value(actor, limit)
    if value is None or value == "":
        return False
    return limit.column, value


def _check(actor: Actor, table: str, row: Any) -> bool:
    rule = rule_for(actor, table)
    if isinstance(rule, bool):
        return rule
    column, value = rule
    return bool(getattr(row, column) == value)


def _sql(actor: Actor, table: str, alias: str, param: str) -> tuple[str, dict[str, Any]]:
    rule = rule_for(actor, table)
    if rule is True:
        return "1 = 1", {}
    if rule is False:
        return "1 = 0", {}
    column, value = rule
    return f"{alias}.{column} = :{param}", {param: value}


class SchoolLike(Protocol):
    @property
    def id(self) -> Any: ...

    @property
    def district_code(self) -> Any: ...


class CourseLike(Protocol):
    @property
    def charging_unit(self) -> Any: ...


def school_in_scope(actor: Actor, school: SchoolLike) -> bool:
    return _check(actor, "school", school)


def course_in_scope(actor: Actor, course: CourseLike) -> bool:
    """Whether a course is the actor's by the unit rule (an institution's own courses; every
    course for the city). Catalogue visibility for schools and teachers is another rule
    (services.courses)."""
    return _check(actor, "course", course)


def district_in_scope(actor: Actor, district_code: str) -> bool:
    """A whole district: the city's, or a district admin's own."""
    rule = rule_for(actor, "school")
    if isinstance(rule, bool):
        return rule
    column, value = rule
    return column == "district_code" and value == district_code


def school_scope_sql(actor: Actor, alias: str) -> tuple[str, dict[str, Any]]:
    """A WHERE condition on the school table aliased `alias`, with its parameters."""
    return _sql(actor, "school", alias, "scope_school")


def course_scope_sql(actor: Actor, alias: str) -> tuple[str, dict[str, Any]]:
    """A WHERE condition on the course table aliased `alias`, with its parameters."""
    return _sql(actor, "course", alias, "scope_course")


def find_school(db: RawReader, actor: Actor, code: str) -> tuple[int, str]:
    """(id, district_code) of the school with `code` if the actor may see it.

    Raises NotFound (4) when no such school exists, PermissionDenied (3) when it is outside
    the actor's scope; the message says nothing about the other school.
    """
    row = db.one_or_none("SELECT id, district_code FROM school WHERE code = :code", {"code": code})
    if row is None:
        raise NotFound(f"学校不存在：{code}")
    school_id, district_code = int(row[0]), str(row[1])
    if not school_in_scope(actor, _Found(school_id, district_code)):
        raise PermissionDenied(OUT_OF_SCOPE, hint="只能操作本单位管辖范围内的学校和教师")
    return school_id, district_code


class _Found:
    __slots__ = ("id", "district_code")

    def __init__(self, id_: int, district_code: str) -> None:
        self.id = id_
        self.district_code = district_code


# 专项培训 (seed: "承担项目的培训机构"): the projects whose applications a role reviews at the
# project's end — an institution's courses it charges for (收费单位, as SCOPE) or declared
# (申报单位). A row matches when any limit of the actor's role matches.
PROJECTS: dict[str, tuple[Limit, ...]] = {
    "institution": (
        Limit("course", "charging_unit", "institution", "institution"),
        Limit("course", "declarer", "institution", "institution"),
    ),
}


def _project_rules(actor: Actor) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for limit in PROJECTS.get(scope_role(actor), ()):
        value = limit_value(actor, limit)
        if value is not None and value != "":
            found.append((limit.column, value))
    return found


class ProjectLike(Protocol):
    @property
    def charging_unit(self) -> Any: ...

    @property
    def declarer(self) -> Any: ...


def project_in_scope(actor: Actor, course: ProjectLike) -> bool:
    """Whether the actor undertakes the 专项 project `course` (PROJECTS)."""
    return any(getattr(course, column) == value for column, value in _project_rules(actor))


def project_scope_sql(actor: Actor, alias: str) -> tuple[str, dict[str, Any]]:
    """A WHERE condition on the course table aliased `alias`: the projects the actor
    undertakes (PROJECTS), with its parameters."""
    rules = _project_rules(actor)
    if not rules:
        return "1 = 0", {}
    params = {f"scope_project{i}": value for i, (_, value) in enumerate(rules)}
    where = " OR ".join(
        f"{alias}.{column} = :scope_project{i}" for i, (column, _) in enumerate(rules)
    )
    return f"({where})", params


# 成绩登记 (SPEC §6 Grade; the seed's 培训成绩管理): which courses each role grades — the
# levels it grades (None: any) and the course columns that must hold the actor's value (any
# one matching; none listed: every course). A school grades only its own 校本 courses, and
# only those of the current year (seed: "此处只能登记本年度的校本培训成绩，其他年度成绩仅可查看").


@dataclass(frozen=True)
class Grader:
    levels: tuple[str, ...] | None = None
    limits: tuple[Limit, ...] = ()
    this_year_only: bool = False


GRADERS: dict[str, Grader] = {
    "city": Grader(),
    "district": Grader(
        levels=("区级培训",),
        limits=(Limit("course", "district_code", "district_code", "district_code"),),
    ),
    # the courses it charges for or declared, as its 专项 projects
    "institution": Grader(limits=PROJECTS["institution"]),
    "school": Grader(
        levels=("校本培训",),
        limits=(Limit("course", "school_id", "acting_school_id", "school_id"),),
        this_year_only=True,
    ),
}


class GradedLike(Protocol):
    @property
    def level(self) -> Any: ...

    @property
    def period(self) -> Any: ...


def grading_refusal(actor: Actor, course: GradedLike, year_now: int) -> str | None:
    """Why the actor may not grade `course` (None: it may). `course` carries level, period
    and the columns GRADERS name."""
    grader = GRADERS.get(scope_role(actor))
    if grader is None:
        return "无权登记成绩"
    if grader.levels is not None and course.level not in grader.levels:
        return f"无权登记{course.level}课程的成绩（只能登记{'、'.join(grader.levels)}课程）"
    if grader.limits and not any(
        getattr(course, limit.column) == limit_value(actor, limit)
        and limit_value(actor, limit) not in (None, "")
        for limit in grader.limits
    ):
        return "无权登记该课程的成绩（不是本单位的课程）"
    if grader.this_year_only and 2000 + int(str(course.period)[:2]) != year_now:
        return "只能登记本年度的校本培训成绩，其他年度成绩仅可查看"
    return None


# ---------------------------------------------------------------------------------------------
# The same rule, table by table: how a row of each table reaches a unit. The services use
# school_in_scope / course_in_scope on the unit a row leads to; a city's PostgreSQL turns these
# declarations into its row-level security policies (services/dbroles). Every table of the
# models is declared here — tests/unit/test_scope_tables.py fails for one that is not, and
# shows what the foreign keys suggest.


@dataclass(frozen=True)
class Link:
    """A column through which a row belongs to a unit: a foreign key `to` another table (the
    row is in scope when the row it references is), or, with `value`, a column that holds the
    actor's attribute of that name itself (`district_code`, `institution`)."""

    column: str
    to: str | None = None
    value: str | None = None
    # for a foreign key to a root table of SCOPE: the root's columns the actor's value may
    # match (default: the limit's own column) — an institution's 专项 projects are the
    # courses it charges for or declared (PROJECTS)
    via: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reach:
    """Rows are also *visible* (never writable) to `roles` when a row of `table` that is in
    their scope references them through `column` (a receiving school sees the teacher it asked
    for; an institution the teachers enrolled in its courses). `on`: the column of this table
    `column` matches (default its primary key) — an institution reviewing a 专项 application
    sees the applicant's special-user flags (special_user.teacher_id)."""

    table: str
    column: str
    roles: tuple[str, ...]
    on: str | None = None


UNIT = "unit"  # rows belong to units: read and written within scope
SHARED = "shared"  # the directory and the catalogue: read by every operator, written in scope
COUNTERS = "sequence"  # named counters: each role uses the names of its own numbers
INTERNAL = "internal"  # the migration tables and the role map: no account role touches them

ALL_COMMANDS = "SIUD"  # SELECT, INSERT, UPDATE, DELETE


@dataclass(frozen=True)
class TableRule:
    """How one table is scoped.

    `links`: how a row reaches a unit (see Link); the root tables of SCOPE (`school`,
    `course`) also reach it through their own limit column. `reach`: extra visibility.
    `commands`: what account roles may do at all (audit rows are only ever added).
    `writers`: for a SHARED table, which roles write which commands (always within their
    links). `counter_columns` / `counter_roles`: columns those roles may bump on any row they
    can see (a course's seat count when a school enrolls into a city course). `system`: what
    the `system` role (cron) may do. `readers`: for an INTERNAL table, who may read it.
    `names`: for COUNTERS, which roles use which counter names (by prefix).
    """

    kind: str
    links: tuple[Link, ...] = ()
    reach: tuple[Reach, ...] = ()
    commands: str = ALL_COMMANDS
    writers: tuple[tuple[str, str], ...] = ()
    counter_columns: tuple[str, ...] = ()
    counter_roles: tuple[str, ...] = ()
    system: str = "S"
    readers: tuple[str, ...] = ()
    names: tuple[tuple[str, tuple[str, ...]], ...] = ()


def unit(
    *links: Link, reach: tuple[Reach, ...] = (), commands: str = ALL_COMMANDS, system: str = "S"
) -> TableRule:
    return TableRule(UNIT, links, reach, commands, system=system)


def shared(
    *links: Link,
    writers: dict[str, str] | None = None,
    counter_columns: tuple[str, ...] = (),
    counter_roles: tuple[str, ...] = (),
    system: str = "S",
) -> TableRule:
    return TableRule(
        SHARED,
        links,
        writers=tuple(sorted((writers or {}).items())),
        counter_columns=counter_columns,
        counter_roles=counter_roles,
        system=system,
    )


def internal(*readers: str) -> TableRule:
    return TableRule(INTERNAL, commands="S", system="", readers=readers)


def to(table: str, column: str | None = None) -> Link:
    """A foreign key `column` (default `<table>_id`) to `table`."""
    return Link(column or f"{table}_id", to=table)


def holds(column: str, attribute: str | None = None) -> Link:
    """A column holding the actor's `attribute` (default: the column's own name)."""
    return Link(column, value=attribute or column)


# An institution's 专项 projects: the courses it charges for or declared (PROJECTS).
PROJECT_LINK = Link(
    "course_id", to="course", via=tuple(limit.column for limit in PROJECTS["institution"])
)

# Roles that add teachers (and so draw 学号 from the city-wide counter).
TEACHER_WRITERS = ("city", "district", "school", "system")
ENROLLING = ("district", "school", "institution")  # the last 专项 approval enrolls

TABLES: dict[str, TableRule] = {
    # the directory (学校, 区) and the catalogue (期数, 课程): every operator reads them
    "district": shared(),
    "period": shared(system="SU"),
    "school": shared(writers={"district": "IUD", "school": "U"}),
    "course": shared(
        to("school"),
        holds("district_code"),
        writers={"district": "IUD", "school": "IU", "institution": "IUD"},
        counter_columns=("enrolled",),
        counter_roles=ENROLLING,
    ),
    "ability_config": shared(),
    # 公告 (a broadcast, read by every operator): posted by the city or a district, to
    # audiences its targets name; the reads and the texts are the readers' own
    "notice": shared(to("account", "posted_by"), writers={"district": "IUD"}),
    "notice_target": shared(to("school"), holds("district_code"), writers={"district": "IUD"}),
    "complaint_window": shared(),
    # people and what they did: within the unit
    # a teacher's login follows the teacher (its school_id is the school it was made in)
    "account": unit(to("school"), to("teacher"), holds("district_code"), holds("institution")),
    "auth_token": unit(to("account"), commands="SIU"),
    "verification_code": unit(to("account"), commands="SIU"),
    "teacher": unit(
        to("school"),
        reach=(
            Reach("transfer", "teacher_id", ("district", "school")),
            Reach("enrollment", "teacher_id", ("institution",)),
            Reach("special_training_application", "teacher_id", ("institution",)),
        ),
    ),
    "teacher_change": unit(to("teacher")),
    "principal": unit(to("school")),
    "transfer": unit(to("school", "from_school_id"), to("school", "to_school_id")),
    "school_admin": unit(to("school")),
    # 专项培训: the applicant's school, and the project's institution (PROJECTS)
    "special_training_application": unit(to("school"), PROJECT_LINK),
    "special_training_review": unit(to("school"), PROJECT_LINK),
    "enrollment": unit(to("school"), to("course"), system="SU"),
    "grade": unit(to("enrollment")),
    "ability_assessment": unit(to("teacher")),
    # a file is its uploader's, and readable where the declaration it proves is
    "attachment": unit(
        to("account", "uploaded_by"),
        reach=(
            Reach("credit_declaration_attachment", "attachment_id", ("district", "school")),
            # a seal proof is seen where the flag it cleared is (a district's 区级 flags)
            Reach("special_user", "seal_proof_id", ("district",)),
        ),
    ),
    "credit_declaration": unit(to("teacher")),
    "credit_review": unit(to("credit_declaration", "declaration_id")),
    "credit_record": unit(to("teacher")),
    "complaint": unit(to("school")),
    "complaint_reply": unit(to("complaint")),
    "notice_read": unit(to("account")),
    "notice_sms": unit(to("account"), to("school")),
    "ability_selection": unit(to("teacher")),
    "certificate": unit(to("teacher"), to("course")),
    "credit_declaration_attachment": unit(to("credit_declaration", "declaration_id")),
    "bill": unit(to("school"), holds("charging_unit", "institution"), system="SIU"),
    "payment": unit(to("bill")),
    "special_user": unit(
        to("teacher"),
        holds("district_code"),  # a 区级 flag is the raising district's to clear
        reach=(
            Reach("special_training_application", "teacher_id", ("institution",), "teacher_id"),
        ),
        system="SIU",
    ),
    "audit_log": unit(to("account", "actor_id"), commands="SI", system="SI"),
    "import_batch": unit(to("account", "actor_id"), commands="SIU", system="SIU"),
    "batch_change": unit(to("import_batch", "batch_id"), commands="SI", system="SI"),
    # 学号 are drawn city-wide by every role that adds teachers; other counters (bill numbers)
    # are the city's and cron's
    "sequence": TableRule(
        COUNTERS, commands="SIU", system="SIU", names=(("learner_no:", TEACHER_WRITERS),)
    ),
    "alembic_version": internal("city", "system"),
    "db_role": internal(),
}

# Foreign keys that look like a unit link but are not the row's unit: each says why.
NOT_LINKS: dict[str, tuple[str, ...]] = {
    "credit_record": ("batch_id",),  # the import that posted it (the teacher's row is the unit)
    "certificate": ("issued_by",),  # who printed it: the teacher's and the course's row
    "special_training_review": ("application_id",),  # repeats the application's links
    "verification_code": ("token_id",),  # the session the code verifies: the account's own
    "notice": ("school_id", "district_code"),  # its audience is notice_target's (below)
    "ability_selection": ("assessment_id", "course_id"),  # its assessment; the course chosen
    "credit_declaration_attachment": ("attachment_id",),  # the declaration's file
    "complaint": ("teacher_id",),  # handled by the school at filing time (school_id)
    "enrollment": ("teacher_id", "bill_id"),  # the school at enrollment time; the paying bill
    "special_user": ("seal_proof_id",),  # the proof of its clearing (attachment reaches it)
    "principal": ("teacher_id",),  # a grant of its school (school_id)
    "school_admin": ("teacher_id",),  # a grant of its school (school_id)
    # the applicant's school when applying; the enrollment its approval made
    "special_training_application": ("teacher_id", "enrollment_id"),
    "transfer": ("teacher_id",),  # both schools' (from_school_id, to_school_id)
}


def unit_scope_sql(actor: Actor, table: str, alias: str) -> tuple[str, dict[str, Any]]:
    """`services/scope.unit_clause` as SQL text for the DB-API path: a WHERE condition on
    `table` aliased `alias` keeping the rows that belong to the actor's unit through the
    table's links (TABLES). Primary keys are `id` (every unit table's).
    tests/services/test_scope_agreement.py holds it equal to the SQLAlchemy clause."""
    scope = scope_of(actor)
    if scope.all:
        return "1 = 1", {}
    limit = scope.school or scope.course
    value = None if limit is None else limit_value(actor, limit)
    if limit is None or value is None or value == "":
        return "1 = 0", {}
    aliases = iter(f"{alias}_u{i}" for i in range(1, 100))
    return _owned_sql(table, alias, limit, frozenset(), aliases), {"unit_value": value}


def _owned_sql(table: str, alias: str, limit: Limit, seen: frozenset[str], aliases: Any) -> str:
    terms: list[str] = []
    if table == limit.table:
        terms.append(f"{alias}.{limit.column} = :unit_value")
    rule = TABLES.get(table)
    for link in rule.links if rule is not None and table not in seen else ():
        column = f"{alias}.{link.column}"
        if link.value is not None:
            if link.value == limit.attribute:
                terms.append(f"{column} = :unit_value")
            continue
        assert link.to is not None
        parent = next(aliases)
        if link.to == limit.table:
            roots = link.via or (limit.column,)
            if roots == ("id",):
                terms.append(f"{column} = :unit_value")
            else:
                match = " OR ".join(f"{parent}.{c} = :unit_value" for c in roots)
                terms.append(
                    f"{column} IN (SELECT {parent}.id FROM {link.to} {parent} WHERE {match})"
                )
            continue
        parent_rule = TABLES.get(link.to)
        if parent_rule is None or parent_rule.kind != UNIT:
            continue
        inner = _owned_sql(link.to, parent, limit, seen | {table}, aliases)
        terms.append(f"{column} IN (SELECT {parent}.id FROM {link.to} {parent} WHERE {inner})")
    return "(" + " OR ".join(terms) + ")" if terms else "1 = 0"
