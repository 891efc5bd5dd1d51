"""期数结算 (`period close`): after the payment deadline, every teacher with a fee-due
enrollment of the period that is neither paid nor dropped becomes a special user (特殊用户)
— one record per teacher, period and level, naming the enrollments.

Set-based: one grouped scan of the period's unpaid enrollments into a temporary table, one
INSERT … SELECT of the new flags, one INSERT … SELECT of their audit rows; never a statement
per teacher. It runs on the DB-API driver (`ServiceContext.raw_writing`): a cron job that
starts without SQLAlchemy and the models saves about half a second of CPU at every run.

The period's billing lock is taken first (PostgreSQL: an exclusive advisory lock that
payments share; SQLite: the write lock), so a payment in flight either commits before the
scan (and is seen by it, each statement reading afresh under READ COMMITTED) or waits until
the close has committed: no enrollment paid meanwhile is ever flagged. A second run flags
nothing new (a teacher with an open flag of the period and level is counted as already
flagged). The occurrence (第几次) counts the periods a teacher has been flagged in: the 全员
and 区级 flags of one period are one time, as the seed's 第一次/第二次 reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from jjadmin import faults
from jjadmin.clock import local
from jjadmin.errors import Conflict, InputRejected, NotFound, PermissionDenied
from jjadmin.rawdb import RawWriter, as_utc
from jjadmin.rules.codes import parse_period_code
from jjadmin.rules.enums import TrainingLevel
from jjadmin.rules.windows import payment_closed
from jjadmin.services.billing.locks import period_lock_key
from jjadmin.services.context import Actor, ServiceContext

__all__ = ["CLOSE_LEVELS", "CloseResult", "close_period"]

CITY_LEVEL = TrainingLevel.CITY_WIDE.value
DISTRICT_LEVEL = TrainingLevel.DISTRICT.value
CLOSE_LEVELS = (CITY_LEVEL, DISTRICT_LEVEL)
BULK_CACHE_KIB = 131_072

_CANDIDATES = {
    # the unpaid index: only what is still to pay (after the payments, little)
    "sqlite": """
CREATE TEMP TABLE close_candidates AS
SELECT e.teacher_id AS teacher_id, json_group_array(e.id) AS ids, count(*) AS n,
       min(c.district_code) AS district_code
FROM enrollment e INDEXED BY ix_enrollment_unpaid
JOIN course c ON c.id = e.course_id
WHERE e.period = :period AND e.state = 'active' AND e.paid = 0
  AND c.level = :level AND c.fee + c.material_fee > 0 {district}
GROUP BY e.teacher_id
""",
    "postgresql": """
CREATE TEMP TABLE close_candidates ON COMMIT DROP AS
SELECT e.teacher_id AS teacher_id, json_agg(e.id ORDER BY e.id) AS ids, count(*) AS n,
       min(c.district_code) AS district_code
FROM enrollment e
JOIN course c ON c.id = e.course_id
WHERE e.period = :period AND e.state = 'active' AND e.paid = false
  AND c.level = :level AND c.fee + c.material_fee > 0 {district}
GROUP BY e.teacher_id
""",
}
# Who is new, and their occurrence, computed before anything is inserted: a subquery on
# special_user evaluated while the same statement inserts into it reads the rows it adds
# (PostgreSQL, planning on an empty table, scans it for every row: quadratic).
_NEW = {
    "sqlite": "CREATE TEMP TABLE close_new AS",
    "postgresql": "CREATE TEMP TABLE close_new ON COMMIT DROP AS",
}
_NEW_SELECT = """
SELECT cc.teacher_id AS teacher_id, cc.ids AS ids, cc.n AS n, cc.district_code AS district_code,
       1 + (SELECT count(DISTINCT s.period) FROM special_user s
            WHERE s.teacher_id = cc.teacher_id AND s.period <> :period) AS occurrence
FROM close_candidates cc
WHERE NOT EXISTS (SELECT 1 FROM special_user s WHERE s.teacher_id = cc.teacher_id
                  AND s.period = :period AND s.level = :level AND s.cleared_at IS NULL)
"""
_COUNTS = """
SELECT (SELECT count(*) FROM close_candidates), count(*), coalesce(sum(n), 0) FROM close_new
"""
_FLAG = """
INSERT INTO special_user (teacher_id, period, level, district_code, enrollment_ids, flagged_at,
                          occurrence, version, detail)
SELECT teacher_id, CAST(:period AS VARCHAR(4)), CAST(:level AS VARCHAR(10)), {district}, ids,
       :now, occurrence, 1, '{{}}'
FROM close_new
"""
_AUDIT = {
    "sqlite": "json_object('period', s.period, 'level', s.level, 'occurrence', s.occurrence,"
    " 'enrollments', json(s.enrollment_ids))",
    "postgresql": "json_build_object('period', s.period, 'level', s.level, 'occurrence',"
    " s.occurrence, 'enrollments', s.enrollment_ids)",
}
_AUDIT_ROWS = """
INSERT INTO audit_log (at, actor_id, actor, action, target_type, target, after)
SELECT :now, :actor_id, :actor, 'special_user.flag', 'teacher', t.learner_no, {after}
FROM special_user s JOIN teacher t ON t.id = s.teacher_id
WHERE s.id > :before AND s.period = :period AND s.level = :level
"""
_SUMMARY = """
INSERT INTO audit_log (at, actor_id, actor, action, target_type, target, after)
VALUES (:now, :actor_id, :actor, 'period.close', 'period', :period, {after})
"""


@dataclass(frozen=True)
class CloseResult:
    period: str
    flagged: int  # teachers flagged by this run
    already_flagged: int  # teachers with unpaid enrollments who already had an open flag
    enrollments: int  # enrollments the new flags name
    level: str
    district_code: str | None
    dry_run: bool


@dataclass(frozen=True)
class _Windows:
    select_from: datetime
    select_to: datetime
    pay_by: datetime


def _scope(actor: Actor, level: str, district: str | None) -> str | None:
    """The district whose 区级 courses a close covers (None: all); checks who may run it."""
    if level not in CLOSE_LEVELS:
        raise InputRejected(f"未知的培训级别：{level}（可选：{'、'.join(CLOSE_LEVELS)}）")
    if actor.role in ("city", "system"):
        if district is not None and level != DISTRICT_LEVEL:
            raise InputRejected(
                "只有区级培训的结算可以按区进行（--level 区级培训 --district 区代码）"
            )
        return district
    if actor.role == "district" and level == DISTRICT_LEVEL:
        if district is not None and district != actor.district_code:
            raise PermissionDenied("只能结算本区的区级培训")
        return actor.district_code
    if actor.role == "district":
        raise PermissionDenied(
            "全员培训（市级）的结算由市级培训中心进行", hint="区级培训请加 --level 区级培训"
        )
    raise PermissionDenied(f"当前账号 {actor.label} 无权结算期数")


def _lock(w: RawWriter, code: str, *, exclusive: bool) -> _Windows:
    """The period's windows, with its billing lock (common.lock_period on this path)."""
    row = w.one_or_none(
        "SELECT select_from, select_to, pay_by FROM period WHERE code = :code", {"code": code}
    )
    if row is None:
        raise NotFound(f"期数不存在：{code}", hint="jjadmin period list 查看已有期数")
    if w.dialect == "postgresql":
        fn = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        w.rows(f"SELECT {fn}(:k)", {"k": period_lock_key(code)})
    start, end, deadline = (as_utc(v) for v in row)
    assert start is not None and end is not None and deadline is not None
    return _Windows(start, end, deadline)


def close_period(
    ctx: ServiceContext,
    *,
    period: str,
    dry_run: bool = False,
    level: str = CITY_LEVEL,
    district: str | None = None,
) -> CloseResult:
    """Flag as special users the teachers whose fee-due enrollments of `period` at `level`
    are neither paid nor dropped, once the payment deadline has passed; idempotent.

    The city and the system account close 全员培训 (and 区级培训, of every district or of
    `district`); a district closes its own 区级培训. `dry_run` counts and writes nothing.
    Raises InputRejected (1: unknown level), PermissionDenied (3), NotFound (4),
    Conflict (5: the payment deadline has not passed).
    """
    actor = ctx.require("city", "system", "district", action="结算期数")
    code = parse_period_code(period)
    where = _scope(actor, level, district)
    with ctx.raw_writing() as w:
        windows = _lock(w, code, exclusive=not dry_run)
        faults.point("period.close")
        if not payment_closed(windows, ctx.now):
            deadline = local(windows.pay_by).strftime("%Y-%m-%d %H:%M")
            raise Conflict(
                f"{code} 期缴费截止时间（{deadline}）未到，不能结算",
                hint="缴费截止后再运行 jjadmin period close",
            )
        result = _flag(w, ctx, actor, code, level, where, dry_run=dry_run)
        w.keep = not dry_run
        return result


def _flag(
    w: RawWriter,
    ctx: ServiceContext,
    actor: Actor,
    code: str,
    level: str,
    where: str | None,
    *,
    dry_run: bool,
) -> CloseResult:
    sqlite = w.dialect == "sqlite"
    keys = {"period": code, "level": level}
    if sqlite:
        w.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
        for name in ("close_candidates", "close_new"):
            w.execute(f"DROP TABLE IF EXISTS temp.{name}")
    else:
        # cheap per row but many rows: compiling is not; and right after a payment run the
        # statistics still count the paid rows as unpaid, which makes a walk of the whole
        # teacher index look cheap (seconds): the unpaid rows come from the partial index
        # (bitmap) or one sequential scan
        w.execute("SET LOCAL jit = off")
        w.execute("SET LOCAL enable_indexscan = off")
    only = "AND c.district_code = :district" if where is not None else ""
    candidates = _CANDIDATES["sqlite" if sqlite else "postgresql"].format(district=only)
    w.execute(candidates, {**keys, **({"district": where} if where else {})})
    if not sqlite:
        w.execute("SET LOCAL enable_indexscan = on")
        w.execute("ANALYZE close_candidates")
    w.execute(_NEW["sqlite" if sqlite else "postgresql"] + _NEW_SELECT, keys)
    total, flagged, enrollments = w.rows(_COUNTS)[0]
    result = CloseResult(
        code, int(flagged), int(total) - int(flagged), int(enrollments), level, where, dry_run
    )
    if dry_run:
        return result
    now = w.when(ctx.now)
    who = {"actor_id": actor.account_id, "actor": actor.username}
    before = w.scalar("SELECT coalesce(max(id), 0) FROM special_user")
    district_value = "district_code" if level == DISTRICT_LEVEL else "NULL"
    w.execute(_FLAG.format(district=district_value), {**keys, "now": now})
    after = _AUDIT["sqlite" if sqlite else "postgresql"]
    w.execute(_AUDIT_ROWS.format(after=after), {**keys, **who, "now": now, "before": before})
    if sqlite:
        for name in ("close_candidates", "close_new"):
            w.execute(f"DROP TABLE temp.{name}")
    w.execute("UPDATE period SET last_closed_at = :now WHERE code = :period", {**keys, "now": now})
    summary = json.dumps(
        {
            "level": level,
            "district_code": where,
            "flagged": result.flagged,
            "already_flagged": result.already_flagged,
            "enrollments": result.enrollments,
        },
        ensure_ascii=False,
    )
    cast = ":after" if sqlite else "CAST(:after AS json)"
    w.execute(_SUMMARY.format(after=cast), {**keys, **who, "now": now, "after": summary})
    return result
