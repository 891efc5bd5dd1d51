"""`jjadmin db roles sync`: bring a city's PostgreSQL in line with its accounts and the scope
rule — group roles, one login role per operator account, row-level security on every table
with the policies and grants `policies.py` derives, the owner's functions and triggers.

Everything happens in one transaction (PostgreSQL's DDL and role changes are transactional):
a dry run does it all and rolls back, so it reports exactly what a real run would change.
Only what differs is changed (a policy carries the digest of its text as its comment), so a
second run changes nothing and takes no table lock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from jjadmin.db import lock_key
from jjadmin.errors import Conflict, InputRejected
from jjadmin.services import audit
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.dbroles import functions as fn
from jjadmin.services.dbroles.policies import (
    ACCOUNT_ROLES,
    PRIVILEGES,
    Scoper,
    literal,
    q,
)
from jjadmin.services.dbroles.tables import rules

MIN_SERVER = 90500  # row-level security came with PostgreSQL 9.5
ROLE_ACTIONS = {
    "created": "新建",
    "renamed": "改名",
    "login": "恢复登录",
    "nologin": "禁止登录",
    "updated": "调整角色组",
    "dropped": "删除",
    "unchanged": "无变化",
}
SKIP_REASONS = {
    "too-long": "角色名超过 63 字节（前缀加用户名太长）",
    "reserved": "角色名与角色组同名",
    "foreign": "同名角色已存在且不属于本数据库（换一个 JJADMIN_PG_ROLE_PREFIX）",
}


@dataclass(frozen=True)
class RoleOutcome:
    username: str
    role_name: str | None
    action: str  # a key of ROLE_ACTIONS, "skipped" or "failed"
    reason: str | None = None


@dataclass
class SyncReport:
    backend: str
    dry_run: bool
    prefix: str | None = None
    roles: list[RoleOutcome] = field(default_factory=list)
    tables: int = 0
    policies: int = 0
    policies_created: int = 0
    policies_dropped: int = 0
    grants_changed: int = 0

    def count(self, action: str) -> int:
        return sum(1 for r in self.roles if r.action == action)

    @property
    def skipped(self) -> list[RoleOutcome]:
        return [r for r in self.roles if r.action in ("skipped", "failed")]


def roles_enabled(ctx: ServiceContext) -> bool:
    """Whether this database is a city deployment with login roles (a sync ran once)."""
    if ctx.engine.dialect.name != "postgresql":
        return False
    with ctx.engine.connect() as conn:
        found = conn.execute(text("SELECT to_regprocedure('jjadmin_actor()') IS NOT NULL"))
        return bool(found.scalar())


def sync_roles(
    ctx: ServiceContext, *, dry_run: bool = False, actor: Actor | None = None
) -> SyncReport:
    """Create, update and drop login roles, policies and grants so that they match the
    accounts and the scope rule. By a city account (`db upgrade` passes its own actor).

    Raises PermissionDenied (3: not a city account), InputRejected (1: the server lacks row-
    level security, or the connected role lacks CREATEROLE or does not own the tables —
    the message names each), Conflict (5: the group roles belong to another database).
    """
    if actor is None:
        actor = ctx.require("city", action="同步数据库角色")
    if ctx.engine.dialect.name != "postgresql":
        return SyncReport(backend=ctx.engine.dialect.name, dry_run=dry_run)
    settings = ctx.settings
    prefix = settings.pg_role_prefix if settings is not None else "jj_"
    limit = settings.pg_connection_limit if settings is not None else 20
    import jjadmin.models  # noqa: F401  (every table in the metadata)
    from jjadmin.models import metadata

    with ctx.transaction() as session:
        conn = session.connection()
        schema = str(conn.execute(text("SELECT current_schema()")).scalar_one())
        _check_server(conn, schema, _table_names(metadata))
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key("jjadmin:roles")})
        d = fn.Deployment(schema, prefix, limit)
        report = SyncReport(backend="postgresql", dry_run=dry_run, prefix=prefix)
        runner = _Runner(conn)
        table_rules = rules(metadata)
        pks = {
            name: t.primary_key.columns.keys()[0]
            for name, t in metadata.tables.items()
            if len(t.primary_key.columns) == 1
        }
        pks["alembic_version"] = "version_num"
        scoper = Scoper(table_rules, pks)
        _groups(runner, d)
        _functions(runner, d, scoper)
        _tables(runner, d, scoper, schema, report)
        _database(runner, d, schema)
        report.roles = _accounts(runner)
        _retire_groups(runner, d, schema)
        if dry_run:
            session.rollback()
            return report
        audit.record(
            session,
            actor,
            ctx.now,
            "db.roles_sync",
            "database",
            prefix,
            after={
                "created": report.count("created"),
                "dropped": report.count("dropped"),
                "nologin": report.count("nologin"),
                "skipped": [r.username for r in report.skipped],
                "policies_created": report.policies_created,
                "policies_dropped": report.policies_dropped,
                "grants_changed": report.grants_changed,
            },
        )
        return report


def _table_names(metadata: MetaData) -> list[str]:
    return sorted([*metadata.tables, "alembic_version"])


class _Runner:
    """Statements on the transaction's own DB-API connection: DDL text holds `%` (LIKE
    patterns) that a parameter-binding layer would misread."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dbapi: Any = conn.connection.driver_connection

    def ddl(self, sql: str) -> None:
        self.dbapi.execute(sql)

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
        return list(self.conn.execute(text(sql), params or {}).all())


def _check_server(conn: Connection, schema: str, tables: list[str]) -> None:
    """What the connected role needs to sync, each thing missing named (InputRejected)."""
    version, user, superuser, createrole = conn.execute(
        text(
            "SELECT current_setting('server_version_num')::int, current_user::text,"
            " r.rolsuper, r.rolcreaterole FROM pg_roles r WHERE r.rolname = current_user"
        )
    ).one()
    missing = []
    if not supports_row_security(version):
        missing.append(
            f"服务器不支持行级安全（需要 PostgreSQL 9.5 或更高版本，当前版本号 {version}）"
        )
    if not (superuser or createrole):
        missing.append(f"当前数据库角色 {user} 没有 CREATEROLE 权限，无法创建账号的登录角色")
    owns_database, owns_schema = conn.execute(
        text(
            "SELECT pg_has_role(current_user, d.datdba, 'USAGE'),"
            " pg_has_role(current_user, n.nspowner, 'USAGE')"
            " FROM pg_database d, pg_namespace n"
            " WHERE d.datname = current_database() AND n.nspname = :schema"
        ),
        {"schema": schema},
    ).one()
    if not owns_database:
        missing.append(f"当前数据库角色 {user} 不是本数据库的所有者，无法授予连接权限")
    if not owns_schema:
        missing.append(f"当前数据库角色 {user} 不是模式 {schema} 的所有者")
    not_owned = [
        r[0]
        for r in conn.execute(
            text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = :schema AND c.relname = ANY(:names)"
                " AND NOT pg_has_role(current_user, c.relowner, 'USAGE') ORDER BY 1"
            ),
            {"schema": schema, "names": tables},
        )
    ]
    if not_owned:
        shown = "、".join(not_owned[:8]) + ("…" if len(not_owned) > 8 else "")
        missing.append(f"当前数据库角色 {user} 不是这些表的所有者：{shown}")
    if missing:
        raise InputRejected(
            "无法同步数据库角色：" + "；".join(missing),
            hint="用拥有这些表、并有 CREATEROLE 权限的所有者角色连接（见 docs/deploy.md）",
            data={"missing": missing},
        )


def supports_row_security(server_version_num: int) -> bool:
    return server_version_num >= MIN_SERVER


def _groups(run: _Runner, d: fn.Deployment) -> None:
    marker = "jjadmin:{db} group {role}"
    db = str(run.rows("SELECT current_database()")[0][0])
    found = dict(
        run.rows(
            "SELECT rolname::text, shobj_description(oid, 'pg_authid') FROM pg_roles"
            " WHERE rolname = ANY(:names)",
            {"names": list(d.groups.values())},
        )
    )
    for role, name in d.groups.items():
        want = marker.format(db=db, role=role)
        if name not in found:
            run.ddl(f"CREATE ROLE {q(name)} NOLOGIN")
            run.ddl(f"COMMENT ON ROLE {q(name)} IS {literal(want)}")
        elif found[name] != want:
            raise Conflict(
                f"角色 {name} 已存在，但不属于本数据库（{found[name] or '没有说明'}）",
                hint="同一台服务器上的每个数据库要用不同的 JJADMIN_PG_ROLE_PREFIX",
            )


def _functions(run: _Runner, d: fn.Deployment, scoper: Scoper) -> None:
    run.ddl(fn.actor_function(d))
    run.ddl(fn.apply_account_role_function(d))
    run.ddl(fn.account_role_function(d, scoper))
    for sql in fn.account_trigger(d):
        run.ddl(sql)
    run.ddl(fn.learner_no_function(d))
    for sql in fn.transfer_functions(d):
        run.ddl(sql)
    run.ddl(fn.lock_function(d, scoper))
    run.ddl(fn.elsewhere_function(d))
    for signature, roles in fn.executable().items():
        run.ddl(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        for role in ACCOUNT_ROLES:
            verb = "GRANT" if role in roles else "REVOKE"
            side = "TO" if role in roles else "FROM"
            run.ddl(f"{verb} EXECUTE ON FUNCTION {signature} {side} {q(d.group(role))}")


def _tables(
    run: _Runner, d: fn.Deployment, scoper: Scoper, schema: str, report: SyncReport
) -> None:
    names = sorted(scoper.rules)
    params = {"schema": schema, "names": names}
    rls = {
        r[0]: r[1]
        for r in run.rows(
            "SELECT c.relname::text, c.relrowsecurity FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = :schema AND c.relname = ANY(:names) AND c.relkind IN ('r', 'p')",
            params,
        )
    }
    existing: dict[str, dict[str, str | None]] = defaultdict(dict)
    for table, name, note in run.rows(
        "SELECT c.relname::text, p.polname::text, obj_description(p.oid, 'pg_policy')"
        " FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = :schema AND c.relname = ANY(:names) AND p.polname LIKE 'jjadmin%'",
        params,
    ):
        existing[table][name] = note
    held = _held_privileges(run, d, schema, names)
    triggers = {
        (r[0], r[1])
        for r in run.rows(
            "SELECT c.relname::text, t.tgname::text FROM pg_trigger t"
            " JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = :schema AND t.tgname LIKE 'jjadmin%'",
            {"schema": schema},
        )
    }
    for table in names:
        if table not in rls:
            continue  # declared, not (yet) created by the migrations
        report.tables += 1
        if not rls[table]:
            run.ddl(f"ALTER TABLE {q(table)} ENABLE ROW LEVEL SECURITY")
        wanted = {p.name: p for p in scoper.policies(table)}
        report.policies += len(wanted)
        for name, note in existing[table].items():
            policy = wanted.get(name)
            if policy is None or note != policy.digest(d.group(policy.role)):
                run.ddl(f"DROP POLICY {q(name)} ON {q(table)}")
                report.policies_dropped += 1
                existing[table][name] = None
        for name, policy in wanted.items():
            group = d.group(policy.role)
            if existing[table].get(name) == policy.digest(group):
                continue
            run.ddl(policy.sql(group))
            run.ddl(f"COMMENT ON POLICY {q(name)} ON {q(table)} IS {literal(policy.digest(group))}")
            report.policies_created += 1
        report.grants_changed += _grant(run, d, scoper, table, held.get(table, {}))
        guard = scoper.counter_guard(table)
        if guard is not None:
            run.ddl(fn.guard_function(table, guard))
            if (table, "jjadmin_guard") not in triggers:
                run.ddl(fn.guard_trigger(table))
    if ("account", "jjadmin_account_role") not in triggers:
        run.ddl(fn.ACCOUNT_TRIGGER)
    report.grants_changed += _sequences(run, d, scoper, schema)


def _held_privileges(
    run: _Runner, d: fn.Deployment, schema: str, names: list[str]
) -> dict[str, dict[str, set[str]]]:
    """table → grantee → privileges, for the group roles and PUBLIC."""
    held: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for table, grantee, privilege in run.rows(
        "SELECT c.relname::text, coalesce(g.rolname::text, 'PUBLIC'), a.privilege_type"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,"
        " aclexplode(c.relacl) a LEFT JOIN pg_roles g ON g.oid = a.grantee"
        " WHERE n.nspname = :schema AND c.relname = ANY(:names)"
        " AND (a.grantee = 0 OR g.rolname = ANY(:groups))",
        {"schema": schema, "names": names, "groups": list(d.groups.values())},
    ):
        held[table][grantee].add(privilege)
    return held


def _grant(
    run: _Runner,
    d: fn.Deployment,
    scoper: Scoper,
    table: str,
    held: dict[str, set[str]],
) -> int:
    changed = 0
    if held.get("PUBLIC"):
        run.ddl(f"REVOKE ALL ON {q(table)} FROM PUBLIC")
        changed += 1
    for role in ACCOUNT_ROLES:
        group = d.group(role)
        want = {PRIVILEGES[c] for c in scoper.privileges(table, role)}
        have = held.get(group, set())
        if have - want:
            run.ddl(f"REVOKE {', '.join(sorted(have - want))} ON {q(table)} FROM {q(group)}")
            changed += 1
        if want - have:
            run.ddl(f"GRANT {', '.join(sorted(want - have))} ON {q(table)} TO {q(group)}")
            changed += 1
    return changed


def _sequences(run: _Runner, d: fn.Deployment, scoper: Scoper, schema: str) -> int:
    """USAGE on the id sequence of every table a group inserts into."""
    changed = 0
    for table, sequence, acl in run.rows(
        "SELECT t.relname::text, s.relname::text, s.relacl::text[] FROM pg_class s"
        " JOIN pg_depend dep ON dep.objid = s.oid AND dep.classid = 'pg_class'::regclass"
        " JOIN pg_class t ON t.oid = dep.refobjid JOIN pg_namespace n ON n.oid = s.relnamespace"
        " WHERE s.relkind = 'S' AND n.nspname = :schema AND dep.deptype IN ('a', 'i')",
        {"schema": schema},
    ):
        if table not in scoper.rules:
            continue
        holders = _acl_grantees(acl or [])
        for role in ACCOUNT_ROLES:
            group = d.group(role)
            want = "I" in scoper.privileges(table, role)
            if want and group not in holders:
                run.ddl(f"GRANT USAGE ON SEQUENCE {q(sequence)} TO {q(group)}")
                changed += 1
            elif not want and group in holders:
                run.ddl(f"REVOKE ALL ON SEQUENCE {q(sequence)} FROM {q(group)}")
                changed += 1
    return changed


def _acl_grantees(acl: Iterable[str]) -> set[str]:
    found = set()
    for item in acl:
        grantee = item.split("=", 1)[0].strip('"')
        found.add(grantee)
    return found


def _database(run: _Runner, d: fn.Deployment, schema: str) -> None:
    """Every group may connect and make temporary tables here, and use the schema; no
    account role may create objects in it."""
    groups = ", ".join(q(g) for g in d.groups.values())
    run.ddl(f"GRANT CONNECT, TEMPORARY ON DATABASE {q(_database_name(run))} TO {groups}")
    run.ddl(f"GRANT USAGE ON SCHEMA {q(schema)} TO {groups}")
    run.ddl(f"REVOKE CREATE ON SCHEMA {q(schema)} FROM PUBLIC, {groups}")


def _retire_groups(run: _Runner, d: fn.Deployment, schema: str) -> None:
    """Group roles this database made under an earlier prefix: their policies were replaced
    and their members renamed into the new groups above; take their grants and drop them."""
    current = list(d.groups.values())
    for (name,) in run.rows(
        "SELECT rolname::text FROM pg_roles"
        " WHERE shobj_description(oid, 'pg_authid') LIKE 'jjadmin:' || current_database()"
        " || ' group %' AND rolname <> ALL(:current) ORDER BY 1",
        {"current": current},
    ):
        group = q(name)
        for table, policy in run.rows(
            "SELECT tablename::text, policyname::text FROM pg_policies"
            " WHERE schemaname = :schema AND :name = ANY(roles)",
            {"schema": schema, "name": name},
        ):
            run.ddl(f"DROP POLICY {q(policy)} ON {q(table)}")
        run.ddl(f"REVOKE ALL ON ALL TABLES IN SCHEMA {q(schema)} FROM {group}")
        run.ddl(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {q(schema)} FROM {group}")
        run.ddl(f"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {q(schema)} FROM {group}")
        run.ddl(f"REVOKE ALL ON SCHEMA {q(schema)} FROM {group}")
        run.ddl(f"REVOKE ALL ON DATABASE {q(_database_name(run))} FROM {group}")
        run.ddl(f"DROP ROLE {group}")


def _database_name(run: _Runner) -> str:
    return str(run.rows("SELECT current_database()")[0][0])


def _accounts(run: _Runner) -> list[RoleOutcome]:
    """Apply every operator account's role (and drop the roles of accounts that are gone),
    then drop this database's roles that no account maps to any more."""
    before = dict(run.rows("SELECT account_id, role_name FROM db_role"))
    results = run.rows(
        "SELECT x.id, a.username, jjadmin_apply_account_role(x.id, NULL, false)"
        " FROM (SELECT id FROM account WHERE role <> 'teacher'"
        "       UNION SELECT account_id FROM db_role) x"
        " LEFT JOIN account a ON a.id = x.id ORDER BY x.id"
    )
    mapped = dict(run.rows("SELECT account_id, role_name FROM db_role"))
    outcomes = []
    for account_id, username, result in results:
        kind, _, reason = str(result).partition(":")
        if kind == "none":
            continue
        role_name = mapped.get(account_id) or before.get(account_id)
        name = username or role_name or f"#{account_id}"
        outcomes.append(RoleOutcome(name, role_name, kind.split("+", 1)[0], reason or None))
    marker_like = "jjadmin:' || current_database() || ' account %"
    for (orphan,) in run.rows(
        "SELECT rolname::text FROM pg_roles"
        f" WHERE shobj_description(oid, 'pg_authid') LIKE '{marker_like}'"
        " AND rolname NOT IN (SELECT role_name FROM db_role) ORDER BY 1"
    ):
        run.ddl(f"DROP ROLE {q(orphan)}")
        outcomes.append(RoleOutcome(orphan, orphan, "dropped"))
    return outcomes
