"""The 学时申报 sheet through the import engine, on SQLite and PostgreSQL: every row judged
first, all or nothing, batches undone while nobody reviewed; and two reviews racing on a
SQLite file (BEGIN IMMEDIATE) give one winner as on PostgreSQL (FOR UPDATE)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jjadmin.db import make_engine, session_factory
from jjadmin.errors import Conflict
from jjadmin.importers.common import run_import_kind
from jjadmin.importers.declaration import DECLARATION_IMPORT
from jjadmin.models import AuditLog, CreditDeclaration, CreditReview, metadata
from jjadmin.services.accounts import seed_districts
from jjadmin.services.credits.review import review_declaration
from jjadmin.services.imports import ImportOptions, undo_batch
from tests.factories import make_account, make_school, make_teacher
from tests.services.credits.declaration_world import World, race, teacher_actor

HEADERS = ["学号", "培训年度", "项目名称", "培训机构", "开始日期", "结束日期", "学时", "学时类型"]


def run(ctx: Any, path: Path, **opts: bool) -> Any:
    return run_import_kind(ctx, DECLARATION_IMPORT, path, options=ImportOptions(**opts)).report


def count(session: Session, model: Any) -> int:
    n = int(session.execute(select(func.count()).select_from(model)).scalar_one())
    session.rollback()
    return n


def test_a_sheet_is_judged_whole_and_undone_while_nobody_reviewed(
    world: World, make_ctx: Any, session: Session, xlsx: Callable[..., Path]
) -> None:
    t1, t2, far = world.t1.learner_no, world.t2.learner_no, world.far.learner_no
    rows = [
        [t1, 2026, "班主任培训", "市教研院", "2026-02-01", "2026-02-03", 24, "专业科目"],
        [t2, "2026年", "心理健康", "华南师大", "2026/01/10", "2026/01/12", "12.5", "公需科目"],
        [far, 2026, "读书会", "区教育局", "2026-01-01", "2026-01-02", 6, "个人选修"],
        [t1, 2026, "未来", "区教育局", "2026-03-01", "2026-05-02", 6, "个人选修"],
        ["4401269999999", 2026, "读书会", "区教育局", "2026-01-01", "2026-01-02", 6, "个人选修"],
    ]
    sheet = xlsx("申报.xlsx", HEADERS, rows)
    refused = run(make_ctx(world.school), sheet)
    assert refused.created == 0
    assert sorted((i.row, i.column) for i in refused.issues) == [
        (4, "学号"),  # another district's teacher
        (5, "结束日期"),  # not over yet
        (6, "学号"),  # malformed
    ]
    assert count(session, CreditDeclaration) == 0
    report = run(make_ctx(world.school), sheet, skip_invalid=True)
    assert report.created == 2 and report.batch_id is not None
    assert count(session, CreditDeclaration) == 2
    again = run(make_ctx(world.school), sheet, skip_invalid=True)
    assert again.created == 0  # idempotent
    audits = session.execute(
        select(func.count()).where(
            AuditLog.action == "credit.declare",  # type: ignore[arg-type]
            AuditLog.batch_id == report.batch_id,  # type: ignore[arg-type]
        )
    ).scalar_one()
    session.rollback()
    assert audits == 2
    # the city's import sees every school: the far teacher's row is good there
    city = run(make_ctx(world.city), xlsx("far.xlsx", HEADERS, [rows[2]]))
    assert city.created == 1
    first = (
        session.execute(
            select(CreditDeclaration.id).where(CreditDeclaration.batch_id == report.batch_id)  # type: ignore[arg-type]
        )
        .scalars()
        .first()
    )
    session.rollback()
    assert first is not None
    review_declaration(make_ctx(world.school), first, approve=True)
    with pytest.raises(Conflict, match="学时申报"):
        undo_batch(make_ctx(world.school), report.batch_id)
    assert count(session, CreditDeclaration) == 3
    assert undo_batch(make_ctx(world.city), city.batch_id or 0)["deleted"] == 1
    assert count(session, CreditDeclaration) == 2


def test_two_reviews_at_once_on_a_sqlite_file_give_one_winner(tmp_path: Path) -> None:
    from tests.services.credits.test_declarations import values as decl_values

    engine = make_engine(f"sqlite:///{tmp_path / 'race.db'}", create=True)
    metadata.create_all(engine)
    with session_factory(engine)() as s:
        seed_districts(s)
        a = make_school(s, "4401040001", "440104")
        t = make_teacher(s, a)
        admins = [make_account(s, "school", school=a) for _ in range(3)]
        me = teacher_actor(t)
        s.commit()
    from jjadmin.services.context import ServiceContext
    from jjadmin.services.credits.declare import declare_credit
    from tests.factories import NOW

    did = declare_credit(
        ServiceContext(engine=engine, now=NOW, _actor=me), learner_no=None, values=decl_values()
    ).id
    results = race(engine, admins, did)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "Conflict", "NoneType"]
    with session_factory(engine)() as s:
        assert s.execute(select(func.count()).select_from(CreditReview)).scalar_one() == 1
    engine.dispose()
