"""A city on PostgreSQL: a school admin declares and 初审s, its district 终审s, each through its
own login role under row-level security; the proofs are readable where the declaration is,
and another district's school sees none of it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from jjadmin.db import make_engine, session_factory
from jjadmin.services.credits.declare import DeclarationInput, declare_credit
from jjadmin.services.credits.queries import list_declarations, show_declaration
from jjadmin.services.credits.review import review_declaration
from tests.pgcity import TEACHERS, City, CityDatabase, seeded_city

pytestmark = pytest.mark.postgres

PDF = b"%PDF-1.4\n" + b"1" * 64


@pytest.fixture
def city(city_db: CityDatabase) -> Iterator[tuple[City, Engine]]:
    with seeded_city(city_db) as built:
        yield built


def test_school_and_district_roles_carry_a_declaration_to_the_ledger(
    city: tuple[City, Engine], tmp_path: Path
) -> None:
    c, owner = city
    engines = {u: make_engine(c.role_url(u)) for u in ("s_yx1", "yx", "s_hz1")}
    proof = tmp_path / "证书.pdf"
    proof.write_bytes(PDF)
    try:
        school = c.ctx(c.actor(owner, "s_yx1"), engines["s_yx1"])
        view = declare_credit(
            school,
            learner_no=TEACHERS["t1"][1],
            values=DeclarationInput(
                year=2026,
                project="校外研修",
                institution="华南师大",
                start=date(2026, 1, 5),
                end=date(2026, 1, 6),
                hours="8",
                hour_type="公需科目",
            ),
            attachments=[proof],
        )
        review_declaration(c.ctx(c.actor(owner, "s_yx1"), engines["s_yx1"]), view.id, approve=True)
        district = c.ctx(c.actor(owner, "yx"), engines["yx"])
        done = review_declaration(district, view.id, approve=True)
        assert done.state == "已通过"
        shown = show_declaration(c.ctx(c.actor(owner, "yx"), engines["yx"]), view.id)
        assert [a.name for a in shown.attachments] == ["证书.pdf"]
        far = c.ctx(c.actor(owner, "s_hz1"), engines["s_hz1"])
        assert list_declarations(far)[1] == 0
        with session_factory(engines["s_hz1"])() as s:  # the database itself hides it
            for table in ("credit_declaration", "credit_review", "attachment", "credit_record"):
                assert s.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0
        with session_factory(owner)() as s:
            row = s.execute(text("SELECT source, source_ref, hours FROM credit_record")).one()
            assert (row[0], row[1], float(row[2])) == ("declaration", str(view.id), 8.0)
    finally:
        for e in engines.values():
            e.dispose()
