"""A roster of only new, clean teachers is planned in one step (`_all_plainly_new`); the
outcome is the one the per-row rules give."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, select

from jjadmin.services.results import ImportReport
from jjadmin.services.teachers import roster_plan
from jjadmin.services.teachers.common import T
from tests.conftest import CtxFactory
from tests.services.test_teachers import (  # noqa: F401 - fixtures
    World,
    import_sheet,
    new_id,
    sheet_row,
    world,
)


def consistent(ident: str, **over: object) -> list[object]:
    gender = "男" if int(ident[16]) % 2 else "女"
    birth = f"{ident[6:10]}-{ident[10:12]}-{ident[12:14]}"
    return sheet_row(ident, 性别=gender, 出生日期=birth, **over)


ROSTERS: dict[str, Callable[[], list[list[object]]]] = {
    "gender and birth date given": lambda: [consistent(new_id()) for _ in range(4)],
    "gender and birth date blank": lambda: [sheet_row(new_id()) for _ in range(4)],
    "only some genders given": lambda: [consistent(new_id()), sheet_row(new_id())],
    "a gender against the ID": lambda: [consistent(new_id()), sheet_row(new_id(), 性别="女")],
    "a birth date against the ID": lambda: [sheet_row(new_id(), 出生日期="1990-01-02")],
    "a school out of scope": lambda: [sheet_row(new_id()), sheet_row(new_id(), "4401050001")],
    "an unknown school": lambda: [sheet_row(new_id(), "4401999999")],
    "a 学号 given": lambda: [sheet_row(new_id(), 学号="44012600000001")],
    "a bad cell": lambda: [sheet_row(new_id()), sheet_row(new_id(), 手机号="123")],
}


@pytest.mark.parametrize("name", list(ROSTERS))
def test_one_step_planning_reports_what_the_row_rules_report(
    name: str,
    world: World,  # noqa: F811
    make_ctx: CtxFactory,
    import_sheet: Callable[..., ImportReport],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = ROSTERS[name]()
    calls: list[object] = []
    one_step = roster_plan._all_plainly_new

    def spy(*args: Any) -> list[int] | None:
        found = one_step(*args)
        calls.append(found)
        return found

    monkeypatch.setattr(roster_plan, "_all_plainly_new", spy)
    fast = import_sheet(make_ctx(world.a1), rows, dry_run=True, skip_invalid=True).to_json()
    monkeypatch.setattr(roster_plan, "_all_plainly_new", lambda *args: None)
    slow = import_sheet(make_ctx(world.a1), rows, dry_run=True, skip_invalid=True).to_json()
    assert fast == slow
    taken = bool(calls) and calls[-1] is not None  # not tried when a cell was rejected
    assert taken == (name in ("gender and birth date given", "gender and birth date blank"))
    if taken:
        assert fast["created"] == len(rows) and fast["errors"] == []


# A roster already imported: (ID number, 学号) of each row, then the sheet re-imported.
Known = list[tuple[str, str]]


def again(known: Known, **over: object) -> list[list[object]]:
    return [sheet_row(ident, **over) for ident, _ in known]


REIMPORTS: dict[str, Callable[[Known], list[list[object]]]] = {
    "unchanged": lambda k: again(k),
    "unchanged, 学号 given": lambda k: [sheet_row(i, 学号=no) for i, no in k],
    "unchanged, gender and birth date given": lambda k: [consistent(i) for i, _ in k],
    "unchanged, 职称 left blank": lambda k: again(k, 职称=None),
    "a mobile changed": lambda k: [*again(k[:2]), sheet_row(k[2][0], 手机号="13700137000")],
    "a name changed": lambda k: [*again(k[:2]), sheet_row(k[2][0], 姓名="王五")],
    "a wrong 学号": lambda k: [*again(k[:2]), sheet_row(k[2][0], 学号=k[0][1])],
    "another school's code": lambda k: [*again(k[:2]), sheet_row(k[2][0], "4401040002")],
    "a new teacher too": lambda k: [*again(k), sheet_row(new_id())],
    "a bad cell": lambda k: [*again(k[:2]), sheet_row(k[2][0], 手机号="123")],
}


@pytest.mark.parametrize("name", list(REIMPORTS))
@pytest.mark.parametrize("upsert", [False, True])
def test_one_step_reimport_reports_what_the_row_rules_report(
    name: str,
    upsert: bool,
    world: World,  # noqa: F811
    make_ctx: CtxFactory,
    import_sheet: Callable[..., ImportReport],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    engine: Engine,
) -> None:
    base = [sheet_row(new_id(), 职称="高级教师") for _ in range(3)]
    assert import_sheet(make_ctx(world.a1), base).created == 3
    ctx = make_ctx(world.a1)
    with engine.connect() as conn:
        known = [(str(i), str(n)) for i, n in conn.execute(select(T.c.id_number, T.c.learner_no))]
    rows = REIMPORTS[name](sorted(known, key=lambda k: k[1]))
    calls: list[bool] = []
    one_step = roster_plan._all_plainly_same

    def spy(*args: Any) -> bool:
        calls.append(one_step(*args))
        return calls[-1]

    monkeypatch.setattr(roster_plan, "_all_plainly_same", spy)
    fast = import_sheet(ctx, rows, dry_run=True, skip_invalid=True, upsert=upsert).to_json()
    monkeypatch.setattr(roster_plan, "_all_plainly_same", lambda *args: False)
    slow = import_sheet(ctx, rows, dry_run=True, skip_invalid=True, upsert=upsert).to_json()
    assert fast == slow
    taken = bool(calls) and calls[-1]
    assert taken == name.startswith("unchanged")
    if taken:
        assert (fast["skipped"], fast["errors"]) == (len(rows), [])
