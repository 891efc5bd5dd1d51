"""Import batches: who/when/file/SHA-256/counts, visibility, and undo (SPEC §5)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from jjadmin.errors import Conflict, NotFound, PermissionDenied
from jjadmin.importers.common import run_file_import
from jjadmin.importers.school import SCHOOL_COLUMNS
from jjadmin.models import AuditLog, School
from jjadmin.services import imports, schools
from jjadmin.services.context import ServiceContext
from jjadmin.services.imports import ImportOptions
from tests.conftest import CtxFactory
from tests.factories import make_account
from tests.helpers_school import school_row, write_csv


def _import(ctx: ServiceContext, path: Path) -> int:
    report = run_file_import(
        ctx, path, SCHOOL_COLUMNS, schools.import_schools, options=ImportOptions()
    ).report
    assert report.ok and report.batch_id is not None
    return report.batch_id


def _schools(session: Session) -> dict[str, dict[str, Any]]:
    rows = session.execute(select(School)).scalars().all()
    found = {s.code: {"seal_name": s.seal_name, "name": s.name, "version": s.version} for s in rows}
    session.rollback()
    return found


def test_a_batch_records_who_when_which_file_and_counts(
    session: Session, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    city = make_account(session, "city", username="boss")
    session.commit()
    path = write_csv(tmp_path / "学校.csv", [school_row("4401040001"), school_row("4401040002")])
    batch_id = _import(make_ctx(city), path)
    view = imports.show_batch(make_ctx(city), batch_id)
    assert (view.kind, view.actor, view.file_name, view.state) == (
        "school",
        "boss",
        "学校.csv",
        "applied",
    )
    assert view.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (view.total, view.created, view.updated, view.skipped, view.rejected) == (2, 2, 0, 0, 0)
    rows, total = imports.list_batches(make_ctx(city))
    assert total == 1 and rows[0].id == batch_id
    with pytest.raises(NotFound):
        imports.show_batch(make_ctx(city), batch_id + 100)


def test_batches_of_other_units_are_invisible(
    session: Session, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    city = make_account(session, "city")
    yx = make_account(session, "district", district="440104")
    th = make_account(session, "district", district="440106")
    session.commit()
    mine = _import(make_ctx(yx), write_csv(tmp_path / "a.csv", [school_row("4401040001")]))
    citys = _import(make_ctx(city), write_csv(tmp_path / "b.csv", [school_row("4401040002")]))
    assert [b.id for b in imports.list_batches(make_ctx(yx))[0]] == [mine]
    assert imports.list_batches(make_ctx(th)) == ([], 0)
    assert {b.id for b in imports.list_batches(make_ctx(city))[0]} == {mine, citys}
    with pytest.raises(PermissionDenied):
        imports.show_batch(make_ctx(th), mine)
    with pytest.raises(PermissionDenied):
        imports.undo_batch(make_ctx(th), mine)


def test_undo_removes_the_schools_a_batch_created(
    session: Session, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    city = make_account(session, "city")
    session.commit()
    before = _import(make_ctx(city), write_csv(tmp_path / "a.csv", [school_row("4401040001")]))
    batch_id = _import(
        make_ctx(city),
        write_csv(tmp_path / "b.csv", [school_row("4401040002"), school_row("4401040003")]),
    )
    counts = imports.undo_batch(make_ctx(city), batch_id)
    assert counts == {"reverted": 0, "deleted": 2}
    assert set(_schools(session)) == {"4401040001"}
    assert imports.show_batch(make_ctx(city), batch_id).state == "undone"
    assert imports.show_batch(make_ctx(city), before).state == "applied"
    undo = session.execute(select(AuditLog).where(AuditLog.action == "batch.undo")).scalar_one()
    assert (undo.target, undo.batch_id) == (str(batch_id), batch_id)
    session.rollback()
    with pytest.raises(Conflict, match="已撤销"):
        imports.undo_batch(make_ctx(city), batch_id)


def test_undo_is_refused_and_names_the_school_when_it_was_changed_later(
    session: Session, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    city = make_account(session, "city")
    session.commit()
    batch_id = _import(
        make_ctx(city),
        write_csv(tmp_path / "a.csv", [school_row("4401040001"), school_row("4401040002")]),
    )
    schools.set_school(make_ctx(city), "4401040002", seal_name="后来改过的公章")
    with pytest.raises(Conflict, match="学校 4401040002") as refused:
        imports.undo_batch(make_ctx(city), batch_id)
    assert "4401040001" not in refused.value.message
    assert refused.value.data["conflicts"] == ["学校 4401040002"]
    assert set(_schools(session)) == {"4401040001", "4401040002"}
    assert imports.show_batch(make_ctx(city), batch_id).state == "applied"


def test_undo_of_an_update_batch_restores_the_old_values(
    session: Session, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    city = make_account(session, "city")
    session.commit()
    _import(
        make_ctx(city),
        write_csv(tmp_path / "a.csv", [school_row("4401040001"), school_row("4401040002")]),
    )
    original = _schools(session)
    update = _import(
        make_ctx(city),
        write_csv(
            tmp_path / "b.csv",
            [
                school_row("4401040001", 学校公章名="新公章", 学校名称="新名字"),
                school_row("4401040002"),
            ],
        ),
    )
    assert _schools(session)["4401040001"]["seal_name"] == "新公章"
    assert imports.undo_batch(make_ctx(city), update) == {"reverted": 1, "deleted": 0}
    restored = _schools(session)
    assert restored["4401040001"]["seal_name"] == original["4401040001"]["seal_name"]
    assert restored["4401040001"]["name"] == original["4401040001"]["name"]
    assert restored["4401040002"] == original["4401040002"]


def test_undo_of_an_update_is_refused_when_the_row_changed_again(
    session: Session, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    city = make_account(session, "city")
    session.commit()
    _import(make_ctx(city), write_csv(tmp_path / "a.csv", [school_row("4401040001")]))
    update = _import(
        make_ctx(city), write_csv(tmp_path / "b.csv", [school_row("4401040001", 学校公章名="二")])
    )
    _import(
        make_ctx(city), write_csv(tmp_path / "c.csv", [school_row("4401040001", 学校公章名="三")])
    )
    with pytest.raises(Conflict, match="学校 4401040001"):
        imports.undo_batch(make_ctx(city), update)
    assert _schools(session)["4401040001"]["seal_name"] == "三"
