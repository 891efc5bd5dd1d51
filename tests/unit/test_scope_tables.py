"""Every table of the models is declared in the scope rule (scope_rules.TABLES), and a table
that is not — one another branch just added — is named, with what its foreign keys suggest,
while it still gets policies from those foreign keys."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table

import jjadmin.models  # noqa: F401
from jjadmin.models import metadata
from jjadmin.services import scope_rules
from jjadmin.services.dbroles.policies import ACCOUNT_ROLES, Scoper
from jjadmin.services.dbroles.tables import coverage, rules, suggest
from jjadmin.services.scope_rules import TABLES, UNIT, Link, Reach, to, unit


def _pks(md: MetaData) -> dict[str, str]:
    pks = {n: t.primary_key.columns.keys()[0] for n, t in md.tables.items()}
    pks["alembic_version"] = "version_num"
    return pks


def _with(*tables: Table) -> MetaData:
    """The models' metadata plus `tables` (added as another branch would add them)."""
    md = MetaData()
    for table in metadata.tables.values():
        table.to_metadata(md)
    for table in tables:
        table.to_metadata(md)
    return md


@pytest.fixture
def reminder() -> Iterator[Table]:
    other = MetaData()
    for name in ("school", "account"):
        metadata.tables[name].to_metadata(other)
    yield Table(
        "bill_reminder",
        other,
        Column("id", Integer, primary_key=True),
        Column("school_id", Integer, ForeignKey("school.id")),
        Column("sent_by", Integer, ForeignKey("account.id")),
        Column("text", String(200)),
    )


def test_every_table_of_the_models_is_declared_and_agrees_with_its_foreign_keys() -> None:
    assert coverage(metadata) == []


def test_a_new_table_with_a_school_foreign_key_and_no_declaration_is_named(
    reminder: Table,
) -> None:
    problems = coverage(_with(reminder))
    assert [p.table for p in problems] == ["bill_reminder"]
    assert 'unit(to("school", "school_id"))' in problems[0].message  # what to paste


def test_an_undeclared_unit_table_is_still_limited_by_its_foreign_keys(reminder: Table) -> None:
    md = _with(reminder)
    rule = suggest(md.tables["bill_reminder"])
    assert rule.kind == UNIT and rule.links == (Link("school_id", to="school"),)  # not sent_by
    scoper = Scoper(rules(md), _pks(md))
    names = {p.name: p for p in scoper.policies("bill_reminder")}
    assert '"bill_reminder"."school_id" = ' in (names["jjadmin_school_select"].using or "")
    assert "district_code" in (names["jjadmin_district_select"].using or "")
    assert "jjadmin_institution_select" not in names  # no way from a reminder to a course
    assert scoper.privileges("bill_reminder", "institution") == "S"  # and reads nothing


def test_an_undeclared_table_without_a_unit_link_is_the_citys_alone() -> None:
    md = _with(Table("sms_log", MetaData(), Column("id", Integer, primary_key=True)))
    rule = suggest(md.tables["sms_log"])
    assert rule.kind == UNIT and rule.links == ()
    scoper = Scoper(rules(md), _pks(md))
    assert scoper.privileges("sms_log", "city") == "SIUD"
    assert {p.role for p in scoper.policies("sms_log")} == {"city", "system"}  # others: none


def test_a_foreign_key_to_any_declared_unit_table_is_a_link_when_undeclared() -> None:
    other = MetaData()
    for name in ("complaint", "school", "teacher", "account"):
        metadata.tables[name].to_metadata(other)
    reply = Table(
        "complaint_note",
        other,
        Column("id", Integer, primary_key=True),
        Column("complaint_id", Integer, ForeignKey("complaint.id")),
    )
    assert suggest(reply).links == (Link("complaint_id", to="complaint"),)


def test_a_declared_link_that_is_no_foreign_key_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    tables = dict(TABLES)
    tables["grade"] = unit(to("enrollment"), to("course"))  # grade has no course_id
    tables["teacher"] = unit(to("school"), reach=(Reach("grade", "score", ("school",)),))
    monkeypatch.setattr(scope_rules, "TABLES", tables)
    monkeypatch.setattr("jjadmin.services.dbroles.tables.TABLES", tables)
    messages = {(p.table, p.message) for p in coverage(metadata)}
    assert ("grade", "连接列 course_id 不存在") in messages
    assert ("teacher", "可见来源 grade.score 不是指向 teacher 的外键") in messages


def test_a_unit_looking_column_a_declaration_ignores_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tables = dict(TABLES)
    tables["transfer"] = unit(to("school", "from_school_id"))  # forgets the receiving school
    monkeypatch.setattr("jjadmin.services.dbroles.tables.TABLES", tables)
    problems = [p for p in coverage(metadata) if p.table == "transfer"]
    assert len(problems) == 1 and "to_school_id" in problems[0].message


def test_policies_are_the_same_text_every_time_they_are_generated() -> None:
    first = Scoper(rules(metadata), _pks(metadata))
    second = Scoper(rules(metadata), _pks(metadata))
    first.policies("account")  # whatever was generated before
    for table in sorted(rules(metadata)):
        a = [p.digest("g") for p in first.policies(table)]
        b = [p.digest("g") for p in second.policies(table)]
        assert a == b, table


def test_a_role_granted_a_table_reads_it_through_policies_or_reads_nothing() -> None:
    scoper = Scoper(rules(metadata), _pks(metadata))
    for table, rule in rules(metadata).items():
        for role in ACCOUNT_ROLES:
            granted = scoper.privileges(table, role)
            policies = [p for p in scoper.policies(table) if p.role == role]
            if not granted:
                assert not policies, (table, role)
            elif set(granted) - {"S"}:  # whoever writes has a policy for each command
                assert policies, (table, role)
            elif not policies:  # granted SELECT alone, no policy: row security shows nothing
                assert rule.kind == UNIT and scoper.visible(table, role, "t") is None
    # an institution may name principal (every actor resolution joins it) and reads none
    assert scoper.privileges("principal", "institution") == "S"
    assert [p for p in scoper.policies("principal") if p.role == "institution"] == []


def test_roles_get_only_the_commands_of_their_scope() -> None:
    scoper = Scoper(rules(metadata), _pks(metadata))
    assert scoper.privileges("audit_log", "school") == "SI"  # audit rows are only added
    assert scoper.privileges("teacher", "institution") == "S"  # its enrollees, read only
    assert scoper.privileges("audit_log", "institution") == "SI"
    assert scoper.privileges("alembic_version", "school") == ""
    assert scoper.privileges("db_role", "city") == ""
    assert scoper.privileges("school", "school") == "SU"  # its own 学校信息
    assert scoper.privileges("school", "district") == "SIUD"  # 学校导入 and undo
    assert scoper.privileges("sequence", "institution") == ""  # it draws no 学号
    assert scoper.privileges("teacher", "system") == "S"
