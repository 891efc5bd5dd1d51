"""能力提升工程 completion → the ledger, through the grade import: once every confirmed course
is passed, the project's hours are credited once (source ability, source_ref the period);
the courses' own grades credit nothing; a fail or an undone grade withdraws the project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jjadmin.models import CreditRecord
from jjadmin.services import ability, imports
from tests.factories import make_account
from tests.helpers_ability import ability_world, answer_sheet
from tests.helpers_grades import grade_sheet, import_grades
from tests.services.ability.test_ability_services import assess
from tests.services.test_enrollments import teacher_actor


def ledger(session: Session) -> list[tuple[str, str, int, str, str]]:
    session.expire_all()
    rows = [
        (r.source, r.source_ref, r.year, format(r.hours.normalize(), "f"), r.hour_type)
        for r in session.execute(select(CreditRecord)).scalars()
    ]
    session.rollback()
    return sorted(rows)


def test_the_project_is_credited_once_when_every_confirmed_course_is_passed(
    session: Session, make_ctx: Any, tmp_path: Path
) -> None:
    w = ability_world(session)
    city = make_account(session, "city")
    me = teacher_actor(session, w.teacher)
    ln = w.teacher.learner_no
    session.rollback()
    assess(make_ctx(me), answer_sheet(tmp_path / "a.xlsx"), confirm=True)
    ability.confirm_selection(make_ctx(me), period="2601", electives=["TS-E1", "TS-E2"])
    required = ["TS-G1", "TS-P2", "TS-S1"]
    part = import_grades(
        make_ctx, city, grade_sheet(tmp_path, [[ln, c, 90, None] for c in required], "a.xlsx")
    )
    assert part.ok
    assert ledger(session) == []  # electives not yet passed; the courses credit nothing alone
    last = import_grades(
        make_ctx,
        city,
        grade_sheet(tmp_path, [[ln, "TS-E1", "合格", None], [ln, "TS-E2", 60, None]], "b.xlsx"),
    )
    assert last.ok
    assert ledger(session) == [("ability", "2601", 2026, "50", "专业科目")]
    # the same grades again: still one row
    import_grades(make_ctx, city, grade_sheet(tmp_path, [[ln, "TS-E1", 88, None]], "c.xlsx"))
    assert ledger(session) == [("ability", "2601", 2026, "50", "专业科目")]
    # a fail after completion withdraws the project; passing again credits it again
    failed = import_grades(
        make_ctx, city, grade_sheet(tmp_path, [[ln, "TS-G1", 30, None]], "d.xlsx")
    )
    assert ledger(session) == []
    assert failed.batch_id is not None
    imports.undo_batch(make_ctx(city), failed.batch_id)
    assert ledger(session) == [("ability", "2601", 2026, "50", "专业科目")]
