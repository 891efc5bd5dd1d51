"""Which tables hold unit data, read from the models: every table is declared in
`scope_rules.TABLES`; a table that is not (one another branch just added) gets the rule its
foreign keys suggest, and `coverage` names it so that a test fails until it is declared.
(A declaration may come before its table: a branch's table declared ahead of its merge.)"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import MetaData, Table

from jjadmin.services.scope_rules import (
    COUNTERS,
    INTERNAL,
    NOT_LINKS,
    SCOPE,
    TABLES,
    UNIT,
    Link,
    TableRule,
    unit,
)

# Tables whose rows are units themselves or lead to one: a foreign key to any of these makes
# a table unit data. (Foreign keys to `account` count only through these column names: the
# others — created_by, recorded_by, … — say who did something, not whose the row is.)
UNIT_TARGETS = ("school", "teacher", "course", "enrollment", "bill", "account")
ACCOUNT_LINK_COLUMNS = ("account_id", "actor_id")
# Columns that hold a unit's key by name (the actor's attribute they hold).
UNIT_VALUE_COLUMNS = {"district_code": "district_code", "charging_unit": "institution"}
LIMITS = [limit for scope in SCOPE.values() for limit in (scope.school, scope.course) if limit]
ROOTS = frozenset(limit.table for limit in LIMITS)


@dataclass(frozen=True)
class Problem:
    table: str
    message: str


def foreign_keys(table: Table) -> list[tuple[str, str]]:
    """(column, referenced table) of every single-column foreign key, in column order."""
    found: list[tuple[str, str]] = []
    for column in table.columns:
        for fk in column.foreign_keys:
            found.append((column.name, fk.column.table.name))
    return found


def suggest(table: Table) -> TableRule:
    """The rule the foreign keys and column names suggest for an undeclared table: a link
    for every foreign key to a unit table — the roots, and every table declared as unit data
    (account only through account_id/actor_id) — and for every column holding a unit's key
    by name. Without any, the table is still unit data nobody but the city (and cron) reads:
    a table nobody declared is never open to every unit."""
    links: list[Link] = []
    targets = set(UNIT_TARGETS) | {name for name, rule in TABLES.items() if rule.kind == UNIT}
    for column, target in foreign_keys(table):
        if target not in targets:
            continue
        if target == "account" and column not in ACCOUNT_LINK_COLUMNS:
            continue
        links.append(Link(column, to=target))
    for column, attribute in UNIT_VALUE_COLUMNS.items():
        if column in table.columns and not any(link.column == column for link in links):
            links.append(Link(column, value=attribute))
    return unit(*links)


def rule_for(name: str, metadata: MetaData) -> TableRule:
    """The declared rule, or the suggested one for a table nobody declared yet."""
    declared = TABLES.get(name)
    if declared is not None:
        return declared
    return suggest(metadata.tables[name])


def rules(metadata: MetaData) -> dict[str, TableRule]:
    return {name: rule_for(name, metadata) for name in sorted(_names(metadata))}


def _names(metadata: MetaData) -> Iterable[str]:
    yield from metadata.tables
    yield "alembic_version"


def describe(rule: TableRule) -> str:
    """A declaration to paste into scope_rules.TABLES."""
    parts = []
    for link in rule.links:
        if link.value is not None:
            parts.append(f'holds("{link.column}", "{link.value}")')
        else:
            parts.append(f'to("{link.to}", "{link.column}")')
    return f"unit({', '.join(parts)})"


def coverage(metadata: MetaData) -> list[Problem]:
    """Every way the declarations and the models disagree (empty when they agree):
    an undeclared table, a declared table that no longer exists, a link naming a missing
    column or pointing elsewhere than its foreign key, a unit-looking foreign key or column a
    declaration neither uses nor waives, a reach through a missing column."""
    problems: list[Problem] = []
    names = set(_names(metadata))
    for name in sorted(names - set(TABLES)):
        hint = describe(suggest(metadata.tables[name])) if name in metadata.tables else ""
        problems.append(Problem(name, f"未在 scope_rules.TABLES 中声明；外键提示：{hint}"))
    for name, rule in sorted(TABLES.items()):
        if name not in metadata.tables:
            continue
        table = metadata.tables[name]
        fks = dict(foreign_keys(table))
        used = {link.column for link in rule.links}
        for link in rule.links:
            if link.column not in table.columns:
                problems.append(Problem(name, f"连接列 {link.column} 不存在"))
            elif link.to is not None and fks.get(link.column) != link.to:
                problems.append(Problem(name, f"连接列 {link.column} 不是指向 {link.to} 的外键"))
            elif link.to is not None and link.to not in TABLES and link.to not in ROOTS:
                problems.append(Problem(name, f"连接目标 {link.to} 未声明"))
            elif link.to is not None and link.to in metadata.tables:
                missing = [c for c in link.via if c not in metadata.tables[link.to].columns]
                if missing:
                    problems.append(Problem(name, f"{link.to} 没有列 {'、'.join(missing)}"))
        for reach in rule.reach:
            source = metadata.tables.get(reach.table)
            # the row reached: this table itself, or the table this one's `on` column names
            target = name if reach.on is None else fks.get(reach.on)
            if source is None and reach.table not in TABLES:
                problems.append(Problem(name, f"可见来源 {reach.table} 未声明"))
            elif source is None:
                continue  # a table declared ahead of the branch that brings it
            elif reach.column not in source.columns:
                problems.append(Problem(name, f"可见来源 {reach.table}.{reach.column} 不存在"))
            elif dict(foreign_keys(source)).get(reach.column) != target:
                problems.append(
                    Problem(name, f"可见来源 {reach.table}.{reach.column} 不是指向 {target} 的外键")
                )
        if rule.kind in (INTERNAL, COUNTERS):
            continue
        suggested = {link.column for link in suggest(table).links}
        own = {limit.column for limit in LIMITS if limit.table == name}  # a root's limit
        for column in sorted(suggested - used - own - set(NOT_LINKS.get(name, ()))):
            problems.append(
                Problem(
                    name,
                    f"列 {column} 看起来连接到某个单位，但声明没有用它"
                    "（用 to()/holds() 声明它，或列入 scope_rules.NOT_LINKS）",
                )
            )
    return problems
