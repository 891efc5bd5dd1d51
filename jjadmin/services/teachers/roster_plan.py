"""Roster import, step 2: every row judged against the database into a plan (new, updated,
unchanged), with set-based fast paths for an all-new and an unchanged roster."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from operator import attrgetter, itemgetter
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from jjadmin.rules.ids import IdNumber
from jjadmin.services.context import Actor
from jjadmin.services.imports import KeyedColumns
from jjadmin.services.results import ImportReport, RowIssue, RowLike
from jjadmin.services.scope import school_clause
from jjadmin.services.teachers.common import (
    CHUNK,
    UPDATABLE,
    S,
    _consistency,
    _diff,
    _Existing,
    _other_school_message,
    _school_label,
    _transfer_hint,
)
from jjadmin.services.teachers.roster_insert import (
    _NEW_FROM_SHEET,
    NewTeacher,
    _column,
    _NewTeachers,
)
from jjadmin.services.teachers.roster_lookup import ReadAhead, _existing_rows
from jjadmin.services.teachers.views import LABELS


@dataclass
class _Plan:
    """What validation decided for each row, handed to the apply step."""

    new: dict[int, NewTeacher] = field(default_factory=dict)
    # every row a new teacher, decided for all rows at once (`_all_plainly_new`)
    fresh: _NewTeachers | None = None
    updates: dict[int, tuple[_Existing, dict[str, Any]]] = field(default_factory=dict)
    same: set[int] = field(default_factory=set)
    archive: list[tuple[int, str, int]] = field(default_factory=list)


def _validate_rows(
    session: Session,
    actor: Actor,
    rows: Sequence[RowLike],
    report: ImportReport,
    plan: _Plan,
    *,
    upsert: bool,
    ahead: ReadAhead | None = None,
) -> None:
    in_scope = {
        str(code): (int(sid), str(sname))
        for sid, code, sname in session.execute(
            select(S.c.id, S.c.code, S.c.name).where(school_clause(actor, S.c))
        )
    }
    scope_ids = {sid for sid, _ in in_scope.values()}
    # The cells validation reads, one list per column: a columnar sheet's own lists, else
    # dict.get mapped in C over the rows' values.
    column = _columns_of(rows)
    idents = column("id_number")
    school_codes = column("school_code")
    codes = {c if type(c) is str else str(c) for c in school_codes if c is not None}
    unknown = sorted(codes - in_scope.keys())
    elsewhere: set[str] = set()
    for i in range(0, len(unknown), CHUNK):
        elsewhere.update(
            session.execute(select(S.c.code).where(S.c.code.in_(unknown[i : i + CHUNK])))
            .scalars()
            .all()
        )
    ids = [v.value for v in idents if isinstance(v, IdNumber)]
    existing = _existing_rows(session, ids, ahead)
    labels: dict[int, tuple[str, str]] = {}

    def label(school_id: int) -> tuple[str, str]:
        if school_id not in labels:
            labels[school_id] = _school_label(session, school_id)
        return labels[school_id]

    def issue(row: int, key: str, value: object, message: str, code: str) -> None:
        report.add(RowIssue(row, LABELS[key], _text(value), message, code, "state"))

    school_of = in_scope.get
    genders = column("gender")
    births = column("birth_date")
    given_nos = column("learner_no")
    if not existing and not report.issues:
        found = _all_plainly_new(rows, idents, school_codes, genders, births, given_nos, school_of)
        if found is not None:
            plan.fresh = _NewTeachers({k: column(k) for k in _NEW_FROM_SHEET}, idents, found)
            return
    elif not report.issues and _all_plainly_same(
        rows, column, idents, school_codes, genders, births, school_of, existing
    ):
        plan.same.update(_row_numbers(rows))
        return

    # One pass over up to 100,000 rows: the lookups are bound once, and a row whose 性别 and
    # 出生日期 agree with its ID number skips `_consistency` (which would find nothing).
    def existing_of(id_number: str) -> _Existing | None:
        row = existing.get(id_number)
        return None if row is None else _Existing._make(row)

    new_rows = plan.new
    numbers = _row_numbers(rows)
    flagged = _flagged(rows)
    names = column("name")
    updatable = [column(k) for k in UPDATABLE]
    for i, (number, ident, code, gender, birth, given_no) in enumerate(
        zip(numbers, idents, school_codes, genders, births, given_nos, strict=True)
    ):
        school: tuple[int, str] | None = None
        if code is not None:
            school = school_of(code if type(code) is str else str(code))
            if school is None:
                if code in elsewhere:
                    issue(number, "school_code", code, _row_scope_message(actor), "out-of-scope")
                else:
                    issue(number, "school_code", code, f"学校代码不存在：{code}", "school-unknown")
        if not isinstance(ident, IdNumber):
            continue
        if not (
            (gender is None or gender == ident.gender)
            and (birth is None or (type(birth) is date and birth == ident.birth_date))
        ):
            for header, message, problem in _consistency(ident, gender, birth):
                value = gender if header == "性别" else birth
                report.add(RowIssue(number, header, _text(value), message, problem, "data"))
        old = existing_of(ident.value)
        if old is None:
            if given_no is not None:
                issue(
                    number,
                    "learner_no",
                    given_no,
                    "系统中没有该身份证号的教师；新教师的学号由系统生成，请留空"
                    "（已有学号的教师请核对身份证号）",
                    "learner-no-mismatch",
                )
            elif school is not None and i not in flagged:
                new_rows[number] = (rows[i].values, ident, school[0])
            continue
        if given_no is not None and given_no != old.learner_no:
            issue(
                number,
                "learner_no",
                given_no,
                f"学号与身份证号不匹配（该身份证号的教师学号为 {old.learner_no}）",
                "learner-no-mismatch",
            )
            continue
        if old.school_id not in scope_ids or (school is not None and old.school_id != school[0]):
            other_code, other_name = label(old.school_id)
            issue(
                number,
                "id_number",
                ident.value,
                _other_school_message(old.learner_no, other_code, other_name)
                + "；"
                + _transfer_hint(old.learner_no, str(code) if code else None),
                "id-other-school",
            )
            continue
        if school is None:
            continue
        name = names[i]
        if name is not None and name != old.name:
            issue(
                number,
                "name",
                name,
                f"与系统中的姓名“{old.name}”不一致（学号 {old.learner_no}）；姓名只能通过信息审核"
                f"修改：jjadmin teacher submit {old.learner_no} --name …",
                "name-change",
            )
            continue
        changes = _diff(old, {k: given[i] for k, given in zip(UPDATABLE, updatable, strict=True)})
        if not changes:
            plan.same.add(number)
        elif not upsert:
            changed = "、".join(LABELS[k] for k in changes)
            issue(
                number,
                "id_number",
                ident.value,
                f"该教师已存在（学号 {old.learner_no}），{changed}与系统中不同，"
                "如需更新请加 --upsert",
                "teacher-exists",
            )
        else:
            plan.updates[number] = (old, changes)


def _all_plainly_new(
    rows: Sequence[RowLike],
    idents: list[Any],
    school_codes: list[Any],
    genders: list[Any],
    births: list[Any],
    given_nos: list[Any],
    school_of: Any,
) -> list[int] | None:
    """The school ids of the rows when every row is a new teacher that the per-row rules in
    `_validate_rows` would plan without a word (no teacher with these ID numbers exists: the
    caller checks), else None. Each condition is checked for all rows at once:

    every ID number parsed, every 学校代码 text in scope, no parse issue, no 学号 given, and
    性别 / 出生日期 either all blank or all equal to what the ID numbers say.
    """
    if given_nos.count(None) != len(rows):
        return None
    found = _plain_rows(rows, idents, school_codes, genders, births, school_of)
    return None if found is None else [school[0] for school in found]


def _all_plainly_same(
    rows: Sequence[RowLike],
    column: Callable[[str], list[Any]],
    idents: list[Any],
    school_codes: list[Any],
    genders: list[Any],
    births: list[Any],
    school_of: Any,
    existing: dict[str, tuple[Any, ...]],
) -> bool:
    """True when every row is an existing teacher of the school its row names whose cells say
    nothing new: what the per-row rules in `_validate_rows` would count as unchanged without
    a word (an unchanged re-import of a city roster). Each condition is checked for all
    rows at once: the conditions of `_plain_rows`, every ID number known, 学校代码 the
    teacher's own school, and 学号, 姓名 and the updatable cells blank or as stored.
    """
    found = _plain_rows(rows, idents, school_codes, genders, births, school_of)
    if found is None:
        return False
    olds = list(map(existing.get, [ident.value for ident in idents]))
    if None in olds:
        return False
    stored = partial(_stored, cast(list[tuple[Any, ...]], olds))
    if stored("school_id") != [school[0] for school in found]:
        return False
    return all(
        _blank_or_equal(column(key), stored(key)) for key in ("learner_no", "name", *UPDATABLE)
    )


def _stored(rows: list[tuple[Any, ...]], key: str) -> list[Any]:
    """The `key` field of existing rows (`_existing_rows`), in order."""
    return list(map(itemgetter(_Existing._fields.index(key)), rows))


def _plain_rows(
    rows: Sequence[RowLike],
    idents: list[Any],
    school_codes: list[Any],
    genders: list[Any],
    births: list[Any],
    school_of: Any,
) -> list[tuple[int, str]] | None:
    """The in-scope school of every row when the rows pass what `_validate_rows` checks of
    the sheet alone: every ID number parsed, every 学校代码 a text of a school in scope, no
    parse issue, and 性别 / 出生日期 all blank or all equal to what the ID numbers say;
    else None. Each condition is checked for all rows at once."""
    count = len(rows)
    if not count or set(map(type, idents)) != {IdNumber}:
        return None
    if set(map(type, school_codes)) != {str}:
        return None
    found = list(map(school_of, school_codes))
    if None in found or _any_issues(rows):
        return None
    if genders.count(None) != count and genders != [i.gender for i in idents]:
        return None
    if births.count(None) != count and (
        set(map(type, births)) != {date} or births != [i.birth_date for i in idents]
    ):
        return None
    return found


def _blank_or_equal(given: list[Any], stored: list[Any]) -> bool:
    """Every given cell blank (None) or equal to the stored value beside it."""
    return given == stored or all(g is None or g == s for g, s in zip(given, stored, strict=True))


_ISSUES = attrgetter("issues")


def _any_issues(rows: Sequence[RowLike]) -> bool:
    if isinstance(rows, KeyedColumns):
        return rows.has_issues()
    return any(map(_ISSUES, rows))


def _row_numbers(rows: Sequence[RowLike]) -> list[int]:
    if isinstance(rows, KeyedColumns):
        return rows.numbers
    return [r.row for r in rows]


def _flagged(rows: Sequence[RowLike]) -> set[int]:
    """The indexes of the rows with issues."""
    if isinstance(rows, KeyedColumns):
        return rows.flagged()
    return {i for i, r in enumerate(rows) if r.issues}


def _columns_of(rows: Sequence[RowLike]) -> Callable[[str], list[Any]]:
    """`column(key)`: every row's value of key, in row order — a columnar sheet's own list
    (`KeyedColumns`), else `[r.values.get(key) for r in rows]` with the loop in C."""
    if isinstance(rows, KeyedColumns):
        return rows.column
    cells = [r.values for r in rows]
    return lambda key: _column(cells, key)


def _row_scope_message(actor: Actor) -> str:
    if actor.role == "district":
        return "只能导入本区学校的教师"
    return "只能导入本校的教师"


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, IdNumber):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
