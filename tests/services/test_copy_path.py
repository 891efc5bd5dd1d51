"""The bulk paths on both backends (PostgreSQL: COPY, and for a load as large as the table
its indexes and foreign keys built and checked after): the batch is undone whole, and the
table keeps its indexes and keys (a refused batch: test_enroll_import_plan)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from jjadmin.services import enrollment, imports
from jjadmin.services.imports import ImportOptions
from tests.services.test_enroll_import_plan import (  # noqa: F401 - fixtures
    FILE,
    Columns,
    Town,
    as_rows,
    batch_size,
    state,
    town,
)


def keys_and_indexes(session: Session) -> tuple[set[str], set[str]]:
    found = inspect(session.get_bind())
    session.commit()
    return (
        {str(k["name"]) for k in found.get_foreign_keys("enrollment")},
        {str(i["name"]) for i in found.get_indexes("enrollment")},
    )


def test_a_bulk_batch_is_undone_whole_and_the_table_keeps_its_keys(
    town: Town,  # noqa: F811
    session: Session,
    make_ctx: Any,
    batch_size: str,  # noqa: F811
) -> None:
    before_schema = keys_and_indexes(session)
    before = state(session)
    values = [(t.learner_no, c, None) for c in ("C002", "D104") for t in town.teachers]
    report = enrollment.import_enrollments(
        make_ctx(town.district),
        period="2601",
        rows=Columns(as_rows(values)),
        pre_issues=[],
        file=FILE,
        options=ImportOptions(),
    )
    assert report.created == 10 and report.batch_id is not None
    assert keys_and_indexes(session) == before_schema
    undone = imports.undo_batch(make_ctx(town.district), report.batch_id)
    assert undone
    assert state(session) == before
    assert keys_and_indexes(session) == before_schema
