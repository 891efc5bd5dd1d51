"""`notice list [--unread]`, `notice show ID` (marks it read for the reader), `me notices`.

Read on the DB-API driver; only the first `show` (the read mark) loads SQLAlchemy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jjadmin.errors import NotFound, PermissionDenied
from jjadmin.rawdb import RawReader, as_utc
from jjadmin.services.context import ServiceContext
from jjadmin.services.notices.audience import READERS, visible_sql
from jjadmin.services.scope_rules import scope_role

_LIST = """
SELECT n.id, n.title, n.posted_at, p.name, p.username, r.read_at
FROM notice n
LEFT JOIN account p ON p.id = n.posted_by
LEFT JOIN notice_read r ON r.notice_id = n.id AND r.account_id = :reader
WHERE {where}
"""


@dataclass
class NoticeItem:
    id: int
    title: str
    posted_at: datetime | None
    posted_by: str
    targets: str
    read: bool
    read_at: datetime | None


@dataclass
class NoticeView(NoticeItem):
    body: str = ""
    sms: dict[str, int] = field(default_factory=dict)  # state → texts (poster and city)


def _targets(db: RawReader, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    names = ", ".join(str(int(i)) for i in ids)
    rows = db.rows(
        "SELECT nt.notice_id, nt.kind, d.name, s.name FROM notice_target nt "
        "LEFT JOIN district d ON d.code = nt.district_code "
        "LEFT JOIN school s ON s.id = nt.school_id "
        f"WHERE nt.notice_id IN ({names}) ORDER BY nt.notice_id, nt.id"
    )
    found: dict[int, list[str]] = {}
    for nid, kind, district, school in rows:
        label = "全部单位" if kind == "all" else str(district if kind == "district" else school)
        found.setdefault(int(nid), []).append(label)
    return {k: "、".join(v) for k, v in found.items()}


def _item(row: tuple[Any, ...], targets: dict[int, str]) -> NoticeItem:
    return NoticeItem(
        id=int(row[0]),
        title=str(row[1]),
        posted_at=as_utc(row[2]),
        posted_by=str(row[3] or row[4] or ""),
        targets=targets.get(int(row[0]), ""),
        read=row[5] is not None,
        read_at=as_utc(row[5]),
    )


def list_notices(
    ctx: ServiceContext, *, unread: bool = False, limit: int = 1000, offset: int = 0
) -> tuple[list[NoticeItem], int]:
    """The notices the actor may read, newest first; `unread`: only those it has not
    opened. Returns (page, total)."""
    actor = ctx.require(*READERS, action="查看公告")
    with ctx.raw_reading() as db:
        where, params = visible_sql(db, actor)
        params["reader"] = actor.account_id or 0
        if unread:
            where = f"({where}) AND r.read_at IS NULL"
        sql = _LIST.format(where=where)
        total = int(db.scalar(f"SELECT count(*) FROM ({sql}) q", params) or 0)
        rows = db.rows(
            f"{sql} ORDER BY n.posted_at DESC, n.id DESC LIMIT :limit OFFSET :offset",
            {**params, "limit": limit, "offset": offset},
        )
        targets = _targets(db, [int(r[0]) for r in rows])
    return [_item(r, targets) for r in rows], total


def show_notice(ctx: ServiceContext, notice_id: int) -> NoticeView:
    """One notice, marked read for the reader (the first time: audited `notice.read`).

    Raises PermissionDenied (3: not addressed to the reader's unit), NotFound (4).
    """
    actor = ctx.require(*READERS, action="查看公告")
    with ctx.raw_reading() as db:
        where, params = visible_sql(db, actor)
        params.update(reader=actor.account_id or 0, id=notice_id)
        row = db.one_or_none(_LIST.format(where=f"n.id = :id AND {where}"), params)
        if row is None:
            if db.scalar("SELECT 1 FROM notice WHERE id = :id", {"id": notice_id}) is None:
                raise NotFound(f"公告不存在：{notice_id}")
            raise PermissionDenied("该公告不是发给本单位的", hint="jjadmin notice list")
        body = str(db.scalar("SELECT body FROM notice WHERE id = :id", {"id": notice_id}))
        poster = db.scalar("SELECT posted_by FROM notice WHERE id = :id", {"id": notice_id})
        sms: dict[str, int] = {}
        if scope_role(actor) == "city" or poster == actor.account_id:
            for state, n in db.rows(
                "SELECT state, count(*) FROM notice_sms WHERE notice_id = :id GROUP BY state",
                {"id": notice_id},
            ):
                sms[str(state)] = int(n)
        targets = _targets(db, [notice_id])
    item = _item(row, targets)
    if not item.read and actor.account_id is not None:
        from sqlalchemy import text

        from jjadmin.services import audit

        with ctx.transaction() as s:
            added = s.execute(
                text(
                    "INSERT INTO notice_read (notice_id, account_id, read_at) "
                    "SELECT :n, :a, :at WHERE NOT EXISTS (SELECT 1 FROM notice_read "
                    "WHERE notice_id = :n AND account_id = :a)"
                ),
                {"n": notice_id, "a": actor.account_id, "at": ctx.now},
            ).rowcount  # type: ignore[attr-defined]
            if added:
                audit.record(s, actor, ctx.now, "notice.read", "notice", str(notice_id))
        item.read, item.read_at = True, ctx.now
    return NoticeView(**vars(item), body=body, sms=sms)
