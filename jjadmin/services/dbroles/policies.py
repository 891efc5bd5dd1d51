"""The scope rule as row-level security: for every table and every account role, the
condition under which a row is that role's, the policies that enforce it and the privileges
the role holds — all derived from `scope_rules.SCOPE` and `scope_rules.TABLES`.

Pure text generation (no database): `services/dbroles/sync.py` applies it, and the tests read
it. Conditions name the acting account through `jjadmin_actor()` (services/dbroles/functions),
a function of the database owner that maps the session's login role to its account row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from jjadmin.services.scope_rules import (
    ALL_COMMANDS,
    COUNTERS,
    INTERNAL,
    SCOPE,
    SHARED,
    UNIT,
    Limit,
    TableRule,
)

ACTOR = "jjadmin_actor()"
# Roles that get PostgreSQL login roles (teachers never do).
ACCOUNT_ROLES = ("city", "district", "institution", "school", "system")
EVERYTHING_ROLES = tuple(r for r in ACCOUNT_ROLES if SCOPE[r].all)
UNIT_ROLES = tuple(r for r in ACCOUNT_ROLES if not SCOPE[r].all)
PRIVILEGES = {"S": "SELECT", "I": "INSERT", "U": "UPDATE", "D": "DELETE"}


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def limit_of(role: str) -> Limit | None:
    """The one limit of a role scoped to a unit (None: everything or nothing)."""
    scope = SCOPE[role]
    if scope.all:
        return None
    return scope.school or scope.course


def actor_value(role: str, column: str) -> str:
    """The acting account's `column` when it holds `role` (NULL otherwise: nothing matches)."""
    return f"(SELECT a.{q(column)} FROM {ACTOR} a WHERE a.role = {literal(role)})"


def actor_is(role: str) -> str:
    return f"(EXISTS (SELECT 1 FROM {ACTOR} a WHERE a.role = {literal(role)}))"


def _or(terms: list[str]) -> str | None:
    if not terms:
        return None
    if len(terms) == 1:
        return terms[0]
    return "(" + " OR ".join(f"({t})" for t in terms) + ")"


@dataclass(frozen=True)
class Policy:
    table: str
    name: str
    command: str  # ALL | SELECT | INSERT | UPDATE | DELETE
    role: str  # the account role it applies to
    using: str | None
    check: str | None

    def sql(self, group: str) -> str:
        text = f"CREATE POLICY {q(self.name)} ON {q(self.table)} AS PERMISSIVE FOR {self.command}"
        text += f" TO {q(group)}"
        if self.using is not None:
            text += f" USING ({self.using})"
        if self.check is not None:
            text += f" WITH CHECK ({self.check})"
        return text

    def digest(self, group: str) -> str:
        return "jjadmin:" + hashlib.sha256(self.sql(group).encode()).hexdigest()[:32]


class Scoper:
    """Conditions and policies for a set of table rules (`tables.rules(metadata)`) whose
    primary keys are `pks`."""

    def __init__(self, rules: Mapping[str, TableRule], pks: Mapping[str, str]) -> None:
        self.rules = rules
        self.pks = pks
        self._aliases = 0

    def _alias(self) -> str:
        self._aliases += 1
        return f"j{self._aliases}"

    def owned(
        self, table: str, role: str, ref: str, _seen: frozenset[str] = frozenset()
    ) -> str | None:
        """The condition under which the row `ref` (a table name, alias, NEW or OLD) of
        `table` belongs to `role`'s unit by its links; None: no row ever does."""
        limit = limit_of(role)
        rule = self.rules.get(table)
        if limit is None or rule is None or table in _seen:
            return None
        seen = _seen | {table}
        value = actor_value(role, limit.account_column)
        terms: list[str] = []
        if table == limit.table:
            terms.append(f"{ref}.{q(limit.column)} = {value}")
        for link in rule.links:
            column = f"{ref}.{q(link.column)}"
            if link.value is not None:
                if link.value == limit.attribute:
                    terms.append(f"{column} = {value}")
                continue
            parent = link.to
            assert parent is not None
            if parent == limit.table:
                roots = link.via or (limit.column,)
                if roots == (self.pks.get(parent),):
                    terms.append(f"{column} = {value}")
                else:  # the schools of a district: a short list, computed once, indexable
                    a = self._alias()
                    match = " OR ".join(f"{a}.{q(c)} = {value}" for c in roots)
                    terms.append(
                        f"{column} = ANY (ARRAY(SELECT {a}.{q(self.pks[parent])}"
                        f" FROM {q(parent)} {a} WHERE {match}))"
                    )
                continue
            parent_rule = self.rules.get(parent)
            if parent_rule is None or parent_rule.kind != UNIT:
                continue  # the directory and the catalogue lead nowhere but to their own root
            a = self._alias()
            sub = self.owned(parent, role, a, seen)
            if sub is not None:
                terms.append(
                    f"{column} IN (SELECT {a}.{q(self.pks[parent])} FROM {q(parent)} {a}"
                    f" WHERE {sub})"
                )
        return _or(terms)

    def visible(self, table: str, role: str, ref: str) -> str | None:
        """What `role` may read of a unit table: its own rows and the rows it reaches."""
        rule = self.rules[table]
        terms = [t for t in [self.owned(table, role, ref)] if t is not None]
        for reach in rule.reach:
            if role not in reach.roles or reach.table not in self.rules:
                continue
            a = self._alias()
            sub = self.owned(reach.table, role, a)
            if sub is not None:  # computed once; with the own rows, one BitmapOr of two indexes
                on = reach.on or self.pks[table]
                terms.append(
                    f"{ref}.{q(on)} = ANY (ARRAY(SELECT DISTINCT {a}.{q(reach.column)}"
                    f" FROM {q(reach.table)} {a} WHERE {sub}))"
                )
        return _or(terms)

    def privileges(self, table: str, role: str) -> str:
        """The commands (letters of SIUD) `role` is granted on `table`."""
        rule = self.rules[table]
        if rule.kind == INTERNAL:
            return "S" if role in rule.readers else ""
        if role == "city":
            return rule.commands
        if role == "system":
            return "".join(c for c in ALL_COMMANDS if c in rule.system and c in rule.commands)
        if rule.kind == UNIT:
            # every role may name every unit table (resolving the actor joins principal and
            # school_admin whoever logs in); its policies decide which rows — none without one
            if self.owned(table, role, q(table)) is None:
                return "S"
            return rule.commands
        if rule.kind == SHARED:
            granted = {"S"}
            if self.owned(table, role, q(table)) is not None:
                granted |= set(dict(rule.writers).get(role, ""))
            if role in rule.counter_roles:
                granted.add("U")
            return "".join(c for c in ALL_COMMANDS if c in granted)
        if rule.kind == COUNTERS:
            return rule.commands if any(role in roles for _, roles in rule.names) else ""
        raise ValueError(f"unknown table kind {rule.kind}")

    def policies(self, table: str) -> list[Policy]:
        """Every policy of `table`, for every account role."""
        rule = self.rules[table]
        ref = q(table)
        out: list[Policy] = []
        self._aliases = 0  # the same text for the same rule, whatever was generated before
        for role in EVERYTHING_ROLES:
            if self.privileges(table, role):
                everything = actor_is(role)
                out.append(Policy(table, f"jjadmin_{role}", "ALL", role, everything, everything))
        for role in UNIT_ROLES:
            granted = self.privileges(table, role)
            if not granted:
                continue
            if rule.kind == UNIT:
                read = self.visible(table, role, ref)
                own = self.owned(table, role, ref)
                if read is not None:
                    out.append(Policy(table, f"jjadmin_{role}_select", "SELECT", role, read, None))
                out.extend(self._writes(table, role, granted, own))
            elif rule.kind == SHARED:
                out.append(
                    Policy(table, f"jjadmin_{role}_select", "SELECT", role, actor_is(role), None)
                )
                own = self.owned(table, role, ref)
                writes = dict(rule.writers).get(role, "") if own is not None else ""
                out.extend(self._writes(table, role, writes, own))
                if role in rule.counter_roles:
                    out.append(
                        Policy(
                            table,
                            f"jjadmin_{role}_count",
                            "UPDATE",
                            role,
                            actor_is(role),
                            actor_is(role),
                        )
                    )
            elif rule.kind == COUNTERS:
                prefixes = [p for p, roles in rule.names if role in roles]
                names = " OR ".join(f"starts_with({ref}.name, {literal(p)})" for p in prefixes)
                cond = f"{actor_is(role)} AND ({names})"
                out.append(Policy(table, f"jjadmin_{role}", "ALL", role, cond, cond))
            elif rule.kind == INTERNAL:
                out.append(
                    Policy(table, f"jjadmin_{role}_select", "SELECT", role, actor_is(role), None)
                )
        return out

    @staticmethod
    def _writes(table: str, role: str, letters: str, own: str | None) -> list[Policy]:
        if own is None:
            return []
        out = []
        if "I" in letters:
            out.append(Policy(table, f"jjadmin_{role}_insert", "INSERT", role, None, own))
        if "U" in letters:
            out.append(Policy(table, f"jjadmin_{role}_update", "UPDATE", role, own, own))
        if "D" in letters:
            out.append(Policy(table, f"jjadmin_{role}_delete", "DELETE", role, own, None))
        return out

    def counter_guard(self, table: str) -> str | None:
        """The body of the trigger that lets counter roles change only the counter columns of
        rows outside their own links (None when the table has no counters)."""
        rule = self.rules[table]
        if not rule.counter_columns or not rule.counter_roles:
            return None
        branches = []
        for role in rule.counter_roles:
            old = self.owned(table, role, "OLD") or "false"
            new = self.owned(table, role, "NEW") or "false"
            branches.append(f"WHEN {literal(role)} THEN ({old}) AND ({new})")
        columns = ", ".join(literal(c) for c in rule.counter_columns)
        return (
            "BEGIN\n"
            f"  IF (CASE (SELECT a.role FROM {ACTOR} a) {' '.join(branches)} ELSE true END)"
            " IS NOT TRUE\n"
            f"     AND (to_jsonb(NEW) - ARRAY[{columns}]::text[])"
            f" IS DISTINCT FROM (to_jsonb(OLD) - ARRAY[{columns}]::text[])\n"
            "  THEN\n"
            f"    RAISE EXCEPTION 'jjadmin: only {', '.join(rule.counter_columns)} of this"
            f" {table} row may change for this role' USING ERRCODE = 'insufficient_privilege';\n"
            "  END IF;\n"
            "  RETURN NEW;\n"
            "END"
        )
