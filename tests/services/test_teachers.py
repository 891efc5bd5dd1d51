"""services/teachers.py: roster rules, imports, review rounds, principals, scope, masking."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from jjadmin.db import make_engine, session_factory
from jjadmin.errors import (
    Conflict,
    InputRejected,
    InvalidValue,
    NotFound,
    PermissionDenied,
    UsageError,
    VerificationRequired,
)
from jjadmin.importers.common import run_file_import
from jjadmin.importers.teacher import TEACHER_HEADERS, teacher_columns
from jjadmin.models import (
    Account,
    AuditLog,
    BatchChange,
    Period,
    Principal,
    School,
    Sequence,
    SpecialUser,
    Teacher,
    TeacherChange,
    metadata,
)
from jjadmin.services import auth, teachers
from jjadmin.services.accounts import seed_districts
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.imports import ImportOptions, undo_batch
from jjadmin.services.results import ImportReport
from jjadmin.services.teachers import TeacherFilter
from tests.conftest import CtxFactory, create_pg_database, drop_pg_database
from tests.factories import (
    NOW,
    id_number,
    login_teacher,
    make_account,
    make_school,
    make_teacher,
)
from tests.xlsx_helpers import make_xlsx

TODAY = NOW.date()
_ids = itertools.count(5000)


def new_id(*, male: bool = True, birth: str = "19900101") -> str:
    return id_number(birth=birth, seq=next(_ids), male=male)


@dataclass
class World:
    s1: School  # 越秀 440104
    s2: School  # 越秀 440104
    s3: School  # 海珠 440105
    city: Actor
    d104: Actor
    d105: Actor
    a1: Actor  # school admin of s1
    a2: Actor  # school admin of s2


@pytest.fixture
def world(session: Session) -> World:
    s1 = make_school(session, "4401040001", "440104", name="越秀一小")
    s2 = make_school(session, "4401040002", "440104", name="越秀二小")
    s3 = make_school(session, "4401050001", "440105", name="海珠一小")
    w = World(
        s1,
        s2,
        s3,
        make_account(session, "city"),
        make_account(session, "district", district="440104"),
        make_account(session, "district", district="440105"),
        make_account(session, "school", school=s1),
        make_account(session, "school", school=s2),
    )
    session.commit()
    return w


def add(ctx: ServiceContext, school: str = "4401040001", **over: Any) -> teachers.AddResult:
    values: dict[str, Any] = {
        "name": "张三",
        "id_number": new_id(),
        "mobile": "13800138000",
        "school": school,
        "stage": "小学",
        "subject": "语文",
    }
    values.update(over)
    return teachers.create_teacher(ctx, **values)


def sheet_row(ident: str, school: str = "4401040001", **over: object) -> list[object]:
    values: dict[str, object] = {
        "姓名": "李四",
        "身份证号": ident,
        "手机号": "13900139000",
        "学校代码": school,
        "任教学段": "初中",
        "任教学科": "数学",
    }
    values.update(over)
    return [values.get(h) for h in TEACHER_HEADERS]


@pytest.fixture
def import_sheet(tmp_path: Path) -> Callable[..., ImportReport]:
    counter = itertools.count(1)

    def run(
        ctx: ServiceContext,
        rows: list[list[object]],
        *,
        dry_run: bool = False,
        skip_invalid: bool = False,
        **kwargs: Any,
    ) -> ImportReport:
        path = make_xlsx(tmp_path / f"t{next(counter)}.xlsx", [list(TEACHER_HEADERS), *rows])
        return run_file_import(
            ctx,
            path,
            teacher_columns(TODAY),
            teachers.import_teachers,
            options=ImportOptions(dry_run, skip_invalid),
            **kwargs,
        ).report

    return run


def teacher_row(engine: Engine, learner_no: str) -> Teacher:
    with session_factory(engine)() as s:
        t = s.execute(select(Teacher).where(Teacher.learner_no == learner_no)).scalar_one()
        s.expunge(t)
        return t


def count(engine: Engine, model: Any) -> int:
    with session_factory(engine)() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def verified(actor: Actor, minutes: int = 30) -> Actor:
    from dataclasses import replace

    return replace(actor, verified_until=NOW + timedelta(minutes=minutes))


# --- add ---------------------------------------------------------------------------------


def test_a_new_teacher_gets_a_learner_number_of_year_and_sequence(
    world: World, make_ctx: CtxFactory, engine: Engine
) -> None:
    first = add(make_ctx(world.a1))
    second = add(make_ctx(world.a1), name="王五")
    assert first.learner_no == "44012600000001" and first.created
    assert second.learner_no == "44012600000002"
    t = teacher_row(engine, first.learner_no)
    assert (t.status, t.review_state, t.gender, t.birth_date) == (
        "在职",
        "normal",
        "男",
        date(1990, 1, 1),
    )


def test_learner_numbers_continue_after_numbers_already_in_use(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    make_teacher(session, world.s1, learner_no="44012600000420")
    session.commit()
    assert add(make_ctx(world.a1)).learner_no == "44012600000421"


def test_a_new_year_starts_its_own_sequence(world: World, make_ctx: CtxFactory) -> None:
    add(make_ctx(world.a1))
    later = add(make_ctx(world.a1, now=NOW.replace(year=2027)))
    assert later.learner_no == "44012700000001"


def test_an_id_number_of_another_schools_teacher_is_refused_pointing_to_transfer(
    world: World, make_ctx: CtxFactory
) -> None:
    ident = new_id()
    existing = add(make_ctx(world.a2), school="4401040002", id_number=ident)
    with pytest.raises(Conflict) as caught:
        add(make_ctx(world.a1), id_number=ident)
    assert existing.learner_no in caught.value.message
    assert "越秀二小" in caught.value.message
    assert caught.value.hint is not None and "transfer request" in caught.value.hint


def test_adding_an_existing_teacher_of_the_same_school_needs_upsert(
    world: World, make_ctx: CtxFactory, engine: Engine
) -> None:
    ident = new_id()
    first = add(make_ctx(world.a1), id_number=ident)
    with pytest.raises(Conflict, match="如需更新请加 --upsert"):
        add(make_ctx(world.a1), id_number=ident, mobile="13700137000")
    again = add(make_ctx(world.a1), id_number=ident, mobile="13700137000", upsert=True)
    assert (again.learner_no, again.created, again.changed) == (first.learner_no, False, ["mobile"])
    assert teacher_row(engine, first.learner_no).mobile == "13700137000"


def test_upsert_never_changes_the_name(world: World, make_ctx: CtxFactory) -> None:
    ident = new_id()
    add(make_ctx(world.a1), id_number=ident)
    with pytest.raises(Conflict, match="信息审核") as caught:
        add(make_ctx(world.a1), id_number=ident, name="张叁", upsert=True)
    assert caught.value.hint is not None and "teacher submit" in caught.value.hint


BAD_VALUES = [
    ({"gender": "女"}, "gender-mismatch"),
    ({"birth_date": "1990-02-01"}, "birth-mismatch"),
    ({"id_number": "440104900101123"}, "id-15-digit"),
    ({"mobile": "12345"}, "mobile-invalid"),
    ({"stage": "大学"}, "value-not-in-list"),
    ({"status": "出国"}, "value-not-in-list"),
    ({"email": "x@"}, "email-invalid"),
]


def test_add_rejects_bad_values(world: World, make_ctx: CtxFactory, engine: Engine) -> None:
    for over, code in BAD_VALUES:
        with pytest.raises(InvalidValue) as caught:
            add(make_ctx(world.a1), **over)
        assert (caught.value.code, caught.value.exit_code) == (code, 1)
    assert count(engine, Teacher) == 0


def test_an_id_with_an_abolished_address_code_is_accepted(
    world: World, make_ctx: CtxFactory, engine: Engine
) -> None:
    ident = id_number(region="440102", seq=next(_ids))  # 东山区, merged into 越秀 in 2005
    no = add(make_ctx(world.a1), id_number=ident).learner_no
    assert teacher_row(engine, no).id_number == ident


def test_an_unknown_school_is_not_found(world: World, make_ctx: CtxFactory) -> None:
    with pytest.raises(NotFound, match="学校不存在"):
        add(make_ctx(world.city), school="4401999999")


def test_add_outside_the_actors_scope_is_refused(world: World, make_ctx: CtxFactory) -> None:
    for who, school in (("a1", "4401040002"), ("d105", "4401040001"), ("d104", "4401050001")):
        with pytest.raises(PermissionDenied):
            add(make_ctx(getattr(world, who)), school=school)


def test_a_teacher_cannot_add_teachers(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    t = make_teacher(session, world.s1)
    session.commit()
    me = Actor(None, t.learner_no, "teacher", t.name, teacher_id=t.id, school_id=world.s1.id)
    with pytest.raises(PermissionDenied):
        add(make_ctx(me))


def _add_concurrently(url: str) -> list[str]:
    """20 adds from 4 threads, each in its own transaction; returns the learner numbers."""
    engine = make_engine(url, create=True)
    metadata.create_all(engine)
    with session_factory(engine)() as s:
        seed_districts(s)
        school = make_school(s, "4401040009", "440104")
        actor = make_account(s, "city")
        s.commit()
    got: list[str] = []
    errors: list[BaseException] = []
    idents = [new_id() for _ in range(20)]

    def work(chunk: list[str]) -> None:
        try:
            for ident in chunk:
                ctx = ServiceContext(engine=engine, now=NOW, _actor=actor)
                got.append(add(ctx, school=school.code, id_number=ident).learner_no)
        except BaseException as exc:  # noqa: BLE001 - asserted by the caller
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(idents[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    assert errors == []
    return got


def test_learner_numbers_stay_unique_under_concurrent_adds(tmp_path: Path) -> None:
    got = _add_concurrently(f"sqlite:///{tmp_path / 'c.db'}")
    assert sorted(got) == [f"4401260000{n:04d}" for n in range(1, 21)]


@pytest.mark.postgres
def test_learner_numbers_stay_unique_under_concurrent_adds_on_postgresql() -> None:
    url = create_pg_database("jjc")
    try:
        got = _add_concurrently(url)
    finally:
        drop_pg_database(url)
    assert sorted(got) == [f"4401260000{n:04d}" for n in range(1, 21)]


# --- import ----------------------------------------------------------------------------------


def test_an_import_creates_teachers_with_one_block_of_learner_numbers(
    world: World, make_ctx: CtxFactory, engine: Engine, import_sheet: Callable[..., ImportReport]
) -> None:
    report = import_sheet(make_ctx(world.city), [sheet_row(new_id()) for _ in range(3)])
    assert report.to_json()["errors"] == []
    assert (report.total, report.created, report.updated, report.skipped) == (3, 3, 0, 0)
    with session_factory(engine)() as s:
        nos = s.execute(select(Teacher.learner_no).order_by(Teacher.learner_no)).scalars().all()
        batches = set(s.execute(select(Teacher.created_batch_id)).scalars())
        seq = s.execute(select(Sequence.value).where(Sequence.name == "learner_no:26")).scalar()
        stored = s.execute(select(Teacher.created_at, Teacher.updated_at, Teacher.birth_date)).all()
    assert nos == ["44012600000001", "44012600000002", "44012600000003"]
    assert set(stored) == {(NOW, NOW, date(1990, 1, 1))}
    assert batches == {report.batch_id}
    assert seq == 3


def test_re_importing_the_same_file_changes_nothing(
    world: World, make_ctx: CtxFactory, engine: Engine, import_sheet: Callable[..., ImportReport]
) -> None:
    rows = [sheet_row(new_id()) for _ in range(3)]
    import_sheet(make_ctx(world.a1), rows)
    again = import_sheet(make_ctx(world.a1), rows)
    assert (again.created, again.updated, again.skipped, again.batch_id) == (0, 0, 3, None)
    assert again.ok
    assert count(engine, Teacher) == 3


def test_a_changed_row_without_upsert_is_a_row_error(
    world: World, make_ctx: CtxFactory, import_sheet: Callable[..., ImportReport]
) -> None:
    ident = new_id()
    import_sheet(make_ctx(world.a1), [sheet_row(ident)])
    report = import_sheet(make_ctx(world.a1), [sheet_row(ident, 手机号="13600136000")])
    (issue,) = report.issues
    assert (issue.row, issue.column, issue.code) == (2, "身份证号", "teacher-exists")
    assert "44012600000001" in issue.message and "--upsert" in issue.message


def test_upsert_updates_fields_and_batch_undo_restores_them(
    world: World, make_ctx: CtxFactory, engine: Engine, import_sheet: Callable[..., ImportReport]
) -> None:
    ident = new_id()
    import_sheet(make_ctx(world.a1), [sheet_row(ident)])
    report = import_sheet(
        make_ctx(world.a1), [sheet_row(ident, 手机号="13600136000", 职称="高级教师")], upsert=True
    )
    assert (report.created, report.updated) == (0, 1)
    t = teacher_row(engine, "44012600000001")
    assert (t.mobile, t.title, t.version) == ("13600136000", "高级教师", 2)
    assert count(engine, BatchChange) == 1
    assert report.batch_id is not None
    undo_batch(make_ctx(world.a1), report.batch_id)
    t = teacher_row(engine, "44012600000001")
    assert (t.mobile, t.title) == ("13900139000", None)


def test_an_undone_import_never_gives_its_learner_numbers_again(
    world: World, make_ctx: CtxFactory, import_sheet: Callable[..., ImportReport]
) -> None:
    report = import_sheet(make_ctx(world.a1), [sheet_row(new_id()), sheet_row(new_id())])
    assert report.batch_id is not None
    undo_batch(make_ctx(world.a1), report.batch_id)
    assert add(make_ctx(world.a1)).learner_no == "44012600000003"


def test_upsert_with_a_different_name_points_to_the_info_review(
    world: World, make_ctx: CtxFactory, import_sheet: Callable[..., ImportReport]
) -> None:
    ident = new_id()
    import_sheet(make_ctx(world.a1), [sheet_row(ident)])
    report = import_sheet(make_ctx(world.a1), [sheet_row(ident, 姓名="李肆")], upsert=True)
    (issue,) = report.issues
    assert (issue.column, issue.code) == ("姓名", "name-change")
    assert "teacher submit" in issue.message


def test_an_id_of_another_schools_teacher_is_a_row_error_naming_learner_no_and_school(
    world: World, make_ctx: CtxFactory, import_sheet: Callable[..., ImportReport]
) -> None:
    ident = new_id()
    other = add(make_ctx(world.city), school="4401050001", id_number=ident)
    report = import_sheet(make_ctx(world.a1), [sheet_row(ident)])
    (issue,) = report.issues
    assert issue.code == "id-other-school"
    assert other.learner_no in issue.message and "海珠一小" in issue.message
    assert "transfer request" in issue.message


def test_a_learner_number_that_does_not_match_the_id_is_a_row_error(
    world: World, make_ctx: CtxFactory, import_sheet: Callable[..., ImportReport]
) -> None:
    a, b = new_id(), new_id()
    add(make_ctx(world.a1), id_number=a)
    add(make_ctx(world.a1), id_number=b)
    report = import_sheet(
        make_ctx(world.a1),
        [sheet_row(a, 学号="44012600000002"), sheet_row(new_id(), 学号="44012600000009")],
    )
    assert sorted((i.row, i.column, i.code) for i in report.issues) == [
        (2, "学号", "learner-no-mismatch"),
        (3, "学号", "learner-no-mismatch"),
    ]
    assert "44012600000001" in report.issues[0].message


def test_a_matching_learner_number_is_fine(
    world: World, make_ctx: CtxFactory, import_sheet: Callable[..., ImportReport]
) -> None:
    ident = new_id()
    added = add(make_ctx(world.a1), id_number=ident, name="李四", mobile="13900139000")
    report = import_sheet(
        make_ctx(world.a1),
        [sheet_row(ident, 学号=added.learner_no, 任教学段="小学", 任教学科="语文")],
    )
    assert report.ok and report.skipped == 1


@pytest.mark.parametrize(
    ("who", "school", "message"),
    [
        ("a1", "4401040002", "只能导入本校"),
        ("d104", "4401050001", "只能导入本区"),
        ("d105", "4401040001", "只能导入本区"),
    ],
)
def test_a_file_may_only_hold_the_actors_own_schools(
    world: World,
    make_ctx: CtxFactory,
    import_sheet: Callable[..., ImportReport],
    who: str,
    school: str,
    message: str,
) -> None:
    report = import_sheet(make_ctx(getattr(world, who)), [sheet_row(new_id(), school)])
    (issue,) = report.issues
    assert (issue.column, issue.code) == ("学校代码", "out-of-scope")
    assert message in issue.message


def test_an_unknown_school_code_is_a_row_error(
    world: World, make_ctx: CtxFactory, import_sheet: Callable[..., ImportReport]
) -> None:
    report = import_sheet(make_ctx(world.city), [sheet_row(new_id(), "4401999999")])
    assert [(i.column, i.code) for i in report.issues] == [("学校代码", "school-unknown")]


def test_a_gender_that_disagrees_with_the_id_is_a_row_error(
    world: World, make_ctx: CtxFactory, import_sheet: Callable[..., ImportReport]
) -> None:
    report = import_sheet(
        make_ctx(world.a1),
        [sheet_row(new_id(male=True), 性别="女"), sheet_row(new_id(), 出生日期="1991-01-01")],
    )
    assert sorted((i.row, i.column, i.code) for i in report.issues) == [
        (2, "性别", "gender-mismatch"),
        (3, "出生日期", "birth-mismatch"),
    ]


def test_an_import_with_errors_writes_nothing_unless_skip_invalid(
    world: World, make_ctx: CtxFactory, engine: Engine, import_sheet: Callable[..., ImportReport]
) -> None:
    rows = [sheet_row(new_id()), sheet_row(new_id(), 手机号="123"), sheet_row(new_id())]
    report = import_sheet(make_ctx(world.a1), rows)
    assert not report.ok and report.created == 0 and count(engine, Teacher) == 0
    report = import_sheet(make_ctx(world.a1), rows, skip_invalid=True)
    assert (report.created, report.skipped) == (2, 0) and not report.ok  # errors ≠ skipped
    assert count(engine, Teacher) == 2


def test_a_dry_run_reports_and_writes_nothing(
    world: World, make_ctx: CtxFactory, engine: Engine, import_sheet: Callable[..., ImportReport]
) -> None:
    report = import_sheet(make_ctx(world.a1), [sheet_row(new_id())], dry_run=True)
    assert report.ok and report.dry_run
    assert count(engine, Teacher) == 0 and count(engine, Sequence) == 0


def roster(session: Session, school: School, n: int) -> list[Teacher]:
    made = [make_teacher(session, school, id_number=new_id()) for _ in range(n)]
    session.commit()
    return made


def test_sync_archives_the_schools_teachers_missing_from_the_file(
    world: World,
    make_ctx: CtxFactory,
    session: Session,
    engine: Engine,
    import_sheet: Callable[..., ImportReport],
) -> None:
    staff = roster(session, world.s1, 10)
    other = roster(session, world.s2, 2)
    rows = [
        sheet_row(t.id_number, 姓名=t.name, 手机号=t.mobile, 任教学段="小学", 任教学科="语文")
        for t in staff[1:]
    ]
    report = import_sheet(make_ctx(world.a1), rows, sync=True)
    assert report.ok and report.extra["archived"] == 1 and report.updated == 1
    assert teacher_row(engine, staff[0].learner_no).status == "离职"
    assert {teacher_row(engine, t.learner_no).status for t in [*staff[1:], *other]} == {"在职"}
    assert report.batch_id is not None
    undo_batch(make_ctx(world.a1), report.batch_id)
    assert teacher_row(engine, staff[0].learner_no).status == "在职"


def test_sync_beyond_max_changes_is_refused_and_writes_nothing(
    world: World,
    make_ctx: CtxFactory,
    session: Session,
    engine: Engine,
    import_sheet: Callable[..., ImportReport],
) -> None:
    staff = roster(session, world.s1, 10)
    rows = [
        sheet_row(t.id_number, 姓名=t.name, 手机号=t.mobile, 任教学段="小学", 任教学科="语文")
        for t in staff[3:]
    ]
    rows.append(sheet_row(new_id()))
    with pytest.raises(Conflict, match="--max-changes") as caught:
        import_sheet(make_ctx(world.a1), rows, sync=True)
    assert "越秀一小" in caught.value.message
    assert count(engine, Teacher) == 10
    report = import_sheet(make_ctx(world.a1), rows, sync=True, max_changes="3")
    assert (report.created, report.extra["archived"]) == (1, 3)


def test_rows_that_fail_validation_never_count_as_missing(
    world: World,
    make_ctx: CtxFactory,
    session: Session,
    engine: Engine,
    import_sheet: Callable[..., ImportReport],
) -> None:
    staff = roster(session, world.s1, 4)
    rows = [
        sheet_row(t.id_number, 姓名=t.name, 手机号=t.mobile, 任教学段="小学", 任教学科="语文")
        for t in staff
    ]
    rows[0] = sheet_row(staff[0].id_number, 姓名=staff[0].name, 手机号="bad")
    report = import_sheet(
        make_ctx(world.a1), rows, sync=True, skip_invalid=True, max_changes="100%"
    )
    assert report.extra["archived"] == 0
    assert teacher_row(engine, staff[0].learner_no).status == "在职"


def test_sync_is_skipped_when_a_row_cannot_be_identified(
    world: World,
    make_ctx: CtxFactory,
    session: Session,
    engine: Engine,
    import_sheet: Callable[..., ImportReport],
) -> None:
    staff = roster(session, world.s1, 2)
    rows = [
        sheet_row(
            staff[0].id_number,
            姓名=staff[0].name,
            手机号=staff[0].mobile,
            任教学段="小学",
            任教学科="语文",
        ),
        sheet_row("garbage"),
    ]
    report = import_sheet(
        make_ctx(world.a1), rows, sync=True, skip_invalid=True, max_changes="100%"
    )
    assert report.extra["archived"] == 0
    assert any("未执行 --sync" in n for n in report.notes)
    assert teacher_row(engine, staff[1].learner_no).status == "在职"


def test_a_city_file_syncs_each_school_present_in_it(
    world: World,
    make_ctx: CtxFactory,
    session: Session,
    engine: Engine,
    import_sheet: Callable[..., ImportReport],
) -> None:
    s1 = roster(session, world.s1, 2)
    s3 = roster(session, world.s3, 2)
    untouched = roster(session, world.s2, 1)
    rows = [
        sheet_row(
            t.id_number, t_school, 姓名=t.name, 手机号=t.mobile, 任教学段="小学", 任教学科="语文"
        )
        for t, t_school in ((s1[0], "4401040001"), (s3[0], "4401050001"))
    ]
    report = import_sheet(make_ctx(world.city), rows, sync=True, max_changes="50%")
    assert report.extra["archived"] == 2
    assert teacher_row(engine, s1[1].learner_no).status == "离职"
    assert teacher_row(engine, s3[1].learner_no).status == "离职"
    assert teacher_row(engine, untouched[0].learner_no).status == "在职"


def test_a_bad_max_changes_is_a_usage_error(
    world: World, make_ctx: CtxFactory, import_sheet: Callable[..., ImportReport]
) -> None:
    for bad in ("ten", "150%", "-1"):
        with pytest.raises(UsageError, match="--max-changes"):
            import_sheet(make_ctx(world.a1), [sheet_row(new_id())], sync=True, max_changes=bad)


# --- list / show / masking -----------------------------------------------------------------


def test_list_masks_ids_and_mobiles_and_counts_every_match(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    roster(session, world.s1, 5)
    rows, total = teachers.list_teachers(make_ctx(world.a1), limit=2, offset=1)
    assert total == 5 and len(rows) == 2
    assert rows[0].id_number[6:14] == "********"
    assert rows[0].mobile == "137****7000"


def test_show_id_needs_a_verified_session(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    (t,) = roster(session, world.s1, 1)
    with pytest.raises(VerificationRequired):
        teachers.list_teachers(make_ctx(world.a1), show_id=True)
    rows, _ = teachers.list_teachers(make_ctx(verified(world.a1)), show_id=True)
    assert rows[0].id_number == t.id_number and rows[0].mobile == t.mobile
    detail = teachers.show_teacher(make_ctx(verified(world.a1)), t.learner_no, show_id=True)
    assert detail.id_number == t.id_number


def test_verification_expires_after_30_minutes(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    (t,) = roster(session, world.s1, 1)
    actor = verified(world.a1, minutes=30)
    later = NOW + timedelta(minutes=31)
    with pytest.raises(VerificationRequired):
        teachers.show_teacher(make_ctx(actor, now=later), t.learner_no, show_id=True)
    with pytest.raises(VerificationRequired):
        teachers.export_teachers(make_ctx(actor, now=later))
    assert teachers.export_teachers(make_ctx(actor, now=NOW + timedelta(minutes=29)))


def test_list_filters(world: World, make_ctx: CtxFactory, session: Session) -> None:
    a, b, c = roster(session, world.s1, 3)
    roster(session, world.s3, 2)
    b.status = "退休"
    c.review_state = "submitted"
    session.add(Period(code="2601", select_from=NOW, select_to=NOW, pay_by=NOW, created_at=NOW))
    session.flush()
    session.add(SpecialUser(teacher_id=a.id, period="2601", flagged_at=NOW))
    session.add(
        Account(
            username=c.learner_no,
            role="teacher",
            name=c.name,
            teacher_id=c.id,
            locked_at=NOW,
            created_at=NOW,
        )
    )
    session.add(Principal(school_id=world.s1.id, teacher_id=a.id, granted_at=NOW))
    session.commit()
    ctx = make_ctx(world.city)

    def nos(**f: Any) -> tuple[set[str], int]:
        rows, total = teachers.list_teachers(ctx, filters=TeacherFilter(**f))
        return {r.learner_no for r in rows}, total

    assert nos(school="4401040001") == ({a.learner_no, b.learner_no, c.learner_no}, 3)
    assert nos(district="440105")[1] == 2
    assert nos(status="退休") == ({b.learner_no}, 1)
    assert nos(review_state="submitted") == ({c.learner_no}, 1)
    assert nos(review_state="已提交未审核") == ({c.learner_no}, 1)
    assert nos(special=True) == ({a.learner_no}, 1)
    assert nos(locked=True) == ({c.learner_no}, 1)
    assert nos(principal=True) == ({a.learner_no}, 1)
    rows, _ = teachers.list_teachers(ctx, filters=TeacherFilter(school="4401040001"))
    flags = {r.learner_no: (r.is_special, r.locked, r.is_principal) for r in rows}
    assert flags[a.learner_no] == (True, False, True)
    assert flags[c.learner_no] == (False, True, False)
    with pytest.raises(InputRejected):
        teachers.list_teachers(ctx, filters=TeacherFilter(status="出国"))


def test_list_is_limited_to_the_actors_scope(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    roster(session, world.s1, 2)
    roster(session, world.s2, 1)
    roster(session, world.s3, 3)
    assert teachers.list_teachers(make_ctx(world.a1))[1] == 2
    assert teachers.list_teachers(make_ctx(world.d104))[1] == 3
    assert teachers.list_teachers(make_ctx(world.d105))[1] == 3
    assert teachers.list_teachers(make_ctx(world.city))[1] == 6
    with pytest.raises(PermissionDenied):
        teachers.list_teachers(make_ctx(world.a1), filters=TeacherFilter(school="4401040002"))
    with pytest.raises(PermissionDenied):
        teachers.list_teachers(make_ctx(world.d104), filters=TeacherFilter(district="440105"))


def test_show_of_an_unknown_learner_number_is_not_found(world: World, make_ctx: CtxFactory) -> None:
    with pytest.raises(NotFound, match="学号不存在"):
        teachers.show_teacher(make_ctx(world.city), "44012699999999")


# --- scope of every teacher command --------------------------------------------------------

SCOPED: dict[str, Callable[[ServiceContext, str], object]] = {
    "show": lambda c, n: teachers.show_teacher(c, n),
    "set": lambda c, n: teachers.set_teacher(c, n, title="一级教师"),
    "archive": lambda c, n: teachers.archive_teachers(c, [n], "离职"),
    "reopen": lambda c, n: teachers.reopen_teacher(c, n),
    "submit": lambda c, n: teachers.submit_change(c, n, mobile="13500135000"),
    "review": lambda c, n: teachers.review_change(c, n, approve=True),
    "grant": lambda c, n: teachers.grant_principal(c, n),
    "revoke": lambda c, n: teachers.revoke_principal(c, n),
    "unlock": lambda c, n: teachers.unlock_teacher(c, n),
}


@pytest.mark.parametrize(("who", "where"), [("a1", "s2"), ("d105", "s1"), ("d104", "s3")])
def test_every_teacher_command_refuses_teachers_outside_the_scope(
    world: World,
    make_ctx: CtxFactory,
    session: Session,
    engine: Engine,
    who: str,
    where: str,
) -> None:
    (t,) = roster(session, getattr(world, where), 1)
    for command, call in SCOPED.items():
        with pytest.raises(PermissionDenied) as caught:
            call(make_ctx(getattr(world, who)), t.learner_no)
        assert caught.value.exit_code == 3, command
        assert getattr(world, where).name not in caught.value.message, command
    assert teacher_row(engine, t.learner_no).version == 1


def test_every_teacher_command_reports_an_unknown_learner_number(
    world: World, make_ctx: CtxFactory
) -> None:
    for command, call in SCOPED.items():
        with pytest.raises(NotFound, match="学号不存在"):
            call(make_ctx(world.city), "44012699999999")
        assert command


# --- set / archive -------------------------------------------------------------------------


def test_set_changes_direct_fields_and_keeps_the_login_mobile_in_step(
    world: World, make_ctx: CtxFactory, session: Session, engine: Engine
) -> None:
    (t,) = roster(session, world.s1, 1)
    session.add(
        Account(
            username=t.learner_no,
            role="teacher",
            name=t.name,
            mobile=t.mobile,
            teacher_id=t.id,
            created_at=NOW,
        )
    )
    session.commit()
    result = teachers.set_teacher(
        make_ctx(world.a1), t.learner_no, mobile="13500135000", title="高级教师", email="a@b.cn"
    )
    assert result.changed == ["email", "mobile", "title"]
    row = teacher_row(engine, t.learner_no)
    assert (row.mobile, row.title, row.email, row.version) == (
        "13500135000",
        "高级教师",
        "a@b.cn",
        2,
    )
    with session_factory(engine)() as s:
        assert (
            s.execute(select(Account.mobile).where(Account.teacher_id == t.id)).scalar()
            == "13500135000"
        )
        assert s.execute(select(func.count()).where(AuditLog.action == "teacher.set")).scalar() == 1
    again = teachers.set_teacher(make_ctx(world.a1), t.learner_no, mobile="13500135000")
    assert again.changed == []
    with pytest.raises(InputRejected, match="没有要修改的字段"):
        teachers.set_teacher(make_ctx(world.a1), t.learner_no)


def test_archive_sets_the_status_and_back_to_active(
    world: World, make_ctx: CtxFactory, session: Session, engine: Engine
) -> None:
    a, b = roster(session, world.s1, 2)
    result = teachers.archive_teachers(make_ctx(world.a1), [a.learner_no, b.learner_no], "退休")
    assert result.changed == [a.learner_no, b.learner_no]
    again = teachers.archive_teachers(make_ctx(world.a1), [a.learner_no], "退休")
    assert (again.changed, again.unchanged) == ([], [a.learner_no])
    teachers.archive_teachers(make_ctx(world.a1), [a.learner_no], "在职")
    assert teacher_row(engine, a.learner_no).status == "在职"


def test_archiving_to_an_unknown_status_is_input_rejected(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    (t,) = roster(session, world.s1, 1)
    with pytest.raises(InvalidValue, match="在岗状态") as caught:
        teachers.archive_teachers(make_ctx(world.a1), [t.learner_no], "出国")
    assert caught.value.exit_code == 1


def test_archive_is_all_or_nothing(
    world: World, make_ctx: CtxFactory, session: Session, engine: Engine
) -> None:
    (t,) = roster(session, world.s1, 1)
    with pytest.raises(NotFound):
        teachers.archive_teachers(make_ctx(world.a1), [t.learner_no, "44012699999999"], "离职")
    assert teacher_row(engine, t.learner_no).status == "在职"


# --- principal -------------------------------------------------------------------------------


def test_one_principal_per_school(
    world: World, make_ctx: CtxFactory, session: Session, engine: Engine
) -> None:
    a, b = roster(session, world.s1, 2)
    assert teachers.grant_principal(make_ctx(world.a1), a.learner_no) == "4401040001"
    with pytest.raises(Conflict, match="已有校长") as caught:
        teachers.grant_principal(make_ctx(world.a1), b.learner_no)
    assert caught.value.hint is not None and a.learner_no in caught.value.hint
    with pytest.raises(Conflict, match="已是校长"):
        teachers.grant_principal(make_ctx(world.a1), a.learner_no)
    teachers.revoke_principal(make_ctx(world.a1), a.learner_no)
    teachers.grant_principal(make_ctx(world.a1), b.learner_no)
    with pytest.raises(Conflict, match="不是校长"):
        teachers.revoke_principal(make_ctx(world.a1), a.learner_no)
    assert count(engine, Principal) == 1


def test_only_an_active_teacher_can_be_principal_and_archiving_ends_the_grant(
    world: World, make_ctx: CtxFactory, session: Session, engine: Engine
) -> None:
    a, b = roster(session, world.s1, 2)
    b.status = "离职"
    session.commit()
    with pytest.raises(Conflict, match="在职"):
        teachers.grant_principal(make_ctx(world.a1), b.learner_no)
    teachers.grant_principal(make_ctx(world.a1), a.learner_no)
    result = teachers.archive_teachers(make_ctx(world.a1), [a.learner_no], "退休")
    assert result.principals_revoked == [a.learner_no]
    assert count(engine, Principal) == 0


def test_the_principals_login_gains_and_loses_the_school_role(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    ident = new_id()
    (t,) = [make_teacher(session, world.s1, id_number=ident)]
    session.commit()
    token = login_teacher(make_ctx, t.learner_no, ident[-6:])
    teacher_ctx = make_ctx(credentials=token)
    assert not teacher_ctx.actor.has_role("school")
    teachers.grant_principal(make_ctx(world.a1), t.learner_no)
    actor = make_ctx(credentials=token).actor
    assert actor.has_role("school") and actor.acting_school_id == world.s1.id
    rows, total = teachers.list_teachers(make_ctx(credentials=token))
    assert total == 1
    teachers.revoke_principal(make_ctx(world.a1), t.learner_no)
    assert not make_ctx(credentials=token).actor.has_role("school")


def test_a_locked_teacher_login_is_unlocked_by_the_school(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    from jjadmin.errors import AccountLocked, NotAuthenticated

    ident = new_id()
    t = make_teacher(session, world.s1, id_number=ident)
    session.commit()
    with pytest.raises(Conflict, match="未被锁定"):
        teachers.unlock_teacher(make_ctx(world.a1), t.learner_no)
    session.add(
        Account(
            username=t.learner_no,
            role="teacher",
            name=t.name,
            teacher_id=t.id,
            school_id=world.s1.id,
            password_hash=auth.hash_password(ident[-6:]),
            failed_logins=9,
            created_at=NOW,
        )
    )
    session.commit()
    with pytest.raises(AccountLocked, match="锁定"):
        auth.login(make_ctx(), t.learner_no, "wrong")
    assert teachers.list_teachers(make_ctx(world.a1), filters=TeacherFilter(locked=True))[1] == 1
    teachers.unlock_teacher(make_ctx(world.a1), t.learner_no)
    assert auth.login(make_ctx(), t.learner_no, ident[-6:]).username == t.learner_no
    with pytest.raises(NotAuthenticated):
        auth.login(make_ctx(), t.learner_no, "wrong")


# --- info review -------------------------------------------------------------------------------


def test_the_review_workflow_keeps_every_round(
    world: World, make_ctx: CtxFactory, session: Session, engine: Engine
) -> None:
    (t,) = roster(session, world.s1, 1)
    ctx = make_ctx(world.a1)
    with pytest.raises(Conflict, match="没有已提交待审核"):
        teachers.review_change(ctx, t.learner_no, approve=True)
    assert teachers.reopen_teacher(ctx, t.learner_no).review_state == "reopened"
    with pytest.raises(Conflict, match="重新更新"):
        teachers.reopen_teacher(ctx, t.learner_no)
    new_ident = new_id(male=False, birth="19851231")
    r = teachers.submit_change(ctx, t.learner_no, name="王小丫", id_number=new_ident.lower())
    assert (r.round, r.review_state) == (1, "submitted")
    with pytest.raises(Conflict, match="已提交未审核"):
        teachers.submit_change(ctx, t.learner_no, mobile="13500135000")
    with pytest.raises(UsageError, match="原因"):
        teachers.review_change(ctx, t.learner_no, approve=False)
    r = teachers.review_change(ctx, t.learner_no, approve=False, reason="证件照不清晰")
    assert (r.state, r.review_state) == ("rejected", "rejected")
    assert teacher_row(engine, t.learner_no).name == t.name
    teachers.submit_change(ctx, t.learner_no, name="王小丫", id_number=new_ident)
    r = teachers.review_change(ctx, t.learner_no, approve=True)
    assert (r.round, r.state, r.review_state) == (2, "approved", "normal")
    row = teacher_row(engine, t.learner_no)
    assert (row.name, row.id_number, row.gender, row.birth_date, row.version) == (
        "王小丫",
        new_ident,
        "女",
        date(1985, 12, 31),
        2,
    )
    detail = teachers.show_teacher(ctx, t.learner_no)
    assert [(x.round, x.state) for x in detail.review_rounds] == [(1, "rejected"), (2, "approved")]
    assert detail.review_rounds[0].reason == "证件照不清晰"
    assert detail.review_rounds[0].reopened_by == world.a1.username
    assert detail.review_rounds[1].changes["id_number"][6:14] == "********"
    assert detail.review_rounds[1].before["name"] == t.name
    with session_factory(engine)() as s:
        logged = s.execute(
            select(AuditLog).where(AuditLog.action == "teacher.review.approve")
        ).scalar_one()
    assert new_ident not in str(logged.after)


def test_approval_revalidates_that_the_new_id_number_is_still_free(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    a, b = roster(session, world.s1, 2)
    wanted = new_id()
    teachers.submit_change(make_ctx(world.a1), a.learner_no, id_number=wanted)
    teachers.submit_change(make_ctx(world.a1), b.learner_no, id_number=wanted)
    teachers.review_change(make_ctx(world.a1), a.learner_no, approve=True)
    with pytest.raises(Conflict, match="已被其他教师使用") as caught:
        teachers.review_change(make_ctx(world.a1), b.learner_no, approve=True)
    assert a.learner_no in caught.value.message


def test_a_submitted_id_number_must_be_valid_and_free(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    a, b = roster(session, world.s1, 2)
    with pytest.raises(InvalidValue) as caught:
        teachers.submit_change(
            make_ctx(world.a1),
            a.learner_no,
            id_number=a.id_number[:17] + "0" if a.id_number[17] != "0" else a.id_number[:17] + "1",
        )
    assert caught.value.code == "id-checksum"
    with pytest.raises(Conflict, match="已被其他教师使用"):
        teachers.submit_change(make_ctx(world.a1), a.learner_no, id_number=b.id_number)
    with pytest.raises(Conflict, match="相同"):
        teachers.submit_change(make_ctx(world.a1), a.learner_no, name=a.name)
    with pytest.raises(InputRejected, match="没有要提交"):
        teachers.submit_change(make_ctx(world.a1), a.learner_no)


def teacher_actor(t: Teacher, school: School) -> Actor:
    return Actor(None, t.learner_no, "teacher", t.name, school_id=school.id, teacher_id=t.id)


def test_a_teacher_changes_name_only_after_the_school_reopens(
    world: World, make_ctx: CtxFactory, session: Session, engine: Engine
) -> None:
    (t,) = roster(session, world.s1, 1)
    me = make_ctx(teacher_actor(t, world.s1))
    with pytest.raises(Conflict, match="重新更新"):
        teachers.update_my_info(me, name="王二")
    r = teachers.update_my_info(me, title="一级教师")
    assert (r.round, r.submitted, r.review_state) == (1, ["title"], "submitted")
    assert teacher_row(engine, t.learner_no).title == t.title
    teachers.review_change(make_ctx(world.a1), t.learner_no, approve=True)
    assert teacher_row(engine, t.learner_no).title == "一级教师"
    teachers.reopen_teacher(make_ctx(world.a1), t.learner_no)
    r = teachers.update_my_info(make_ctx(teacher_actor(t, world.s1)), name="王二")
    assert r.round == 2
    teachers.review_change(make_ctx(world.a1), t.learner_no, approve=True)
    assert teacher_row(engine, t.learner_no).name == "王二"
    profile = teachers.my_profile(make_ctx(teacher_actor(t, world.s1)))
    assert profile.name == "王二" and len(profile.review_rounds) == 2
    assert profile.id_number[6:14] == "********"
    with session_factory(engine)() as s:
        rounds = s.execute(select(TeacherChange.state).order_by(TeacherChange.round)).scalars()
        assert list(rounds) == ["approved", "approved"]


def test_admins_cannot_use_the_teacher_self_service(world: World, make_ctx: CtxFactory) -> None:
    with pytest.raises(PermissionDenied):
        teachers.update_my_info(make_ctx(world.a1), mobile="13500135000")
    with pytest.raises(PermissionDenied):
        teachers.my_profile(make_ctx(world.a1))


# --- export ---------------------------------------------------------------------------------


def test_export_needs_verification_and_holds_full_ids_of_the_scope_only(
    world: World, make_ctx: CtxFactory, session: Session
) -> None:
    mine = roster(session, world.s1, 2)
    roster(session, world.s3, 1)
    with pytest.raises(VerificationRequired, match="短信验证"):
        teachers.export_teachers(make_ctx(world.a1))
    with pytest.raises(PermissionDenied):
        teachers.export_teachers(
            make_ctx(verified(world.a1)), filters=TeacherFilter(school="4401050001")
        )
    rows = teachers.export_teachers(make_ctx(verified(world.a1)))
    fields = teachers.EXPORT_FIELDS
    got = {r[fields.index("learner_no")]: r[fields.index("id_number")] for r in rows}
    assert got == {t.learner_no: t.id_number for t in mine}
