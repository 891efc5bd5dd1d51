"""`notice post`: a notice to its audiences, its recipients, and (with `--sms`) one text per
addressed school admin — recorded before anything is sent, then delivered (texts.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.errors import InputRejected
from jjadmin.models import Notice, NoticeTarget
from jjadmin.rules.ids import mask_mobile
from jjadmin.services import audit
from jjadmin.services.context import ServiceContext
from jjadmin.services.notices.audience import POSTERS, Target, parse_targets, recipients_sql
from jjadmin.services.notices.texts import Delivery, deliver

MAX_TITLE = 200
MAX_BODY = 20_000
# the same post again within a day is a re-run (texts only what did not go out), not a new notice
REPOST_WINDOW = timedelta(days=1)

_RECIPIENTS = """
SELECT a.id, a.username, a.name, a.role, a.mobile, COALESCE(d.name, a.institution), s.code, s.name
FROM account a LEFT JOIN school s ON s.id = a.school_id
LEFT JOIN district d ON d.code = a.district_code
WHERE {where}
ORDER BY a.role, s.code, a.username
"""


@dataclass(frozen=True)
class Recipient:
    username: str
    name: str
    role: str
    unit: str
    mobile: str | None  # masked
    sms: bool  # would get a text with --sms


@dataclass
class PostResult:
    id: int | None
    recipients: int
    sms: int  # texts sent (a dry run: texts that would be sent)
    sms_failed: int = 0
    dry_run: bool = False
    targets: list[str] = field(default_factory=list)
    items: list[Recipient] = field(default_factory=list)
    already_posted: bool = False  # a re-run of the same post: no second notice, no text twice


def _check_text(title: str, body: str) -> tuple[str, str]:
    title = title.strip()  # as written: no NFKC (it would turn "：" into ":")
    if not title:
        raise InputRejected("公告标题不能为空")
    if len(title) > MAX_TITLE:
        raise InputRejected(f"公告标题最多 {MAX_TITLE} 个字（现有 {len(title)} 个）")
    if not body.strip():
        raise InputRejected("公告内容不能为空")
    if len(body) > MAX_BODY:
        raise InputRejected(f"公告内容最多 {MAX_BODY} 个字（现有 {len(body)} 个）")
    return title, body


def post_notice(
    ctx: ServiceContext,
    *,
    title: str,
    body: str,
    to: list[str] | None = None,
    sms: bool = False,
    dry_run: bool = False,
) -> PostResult:
    """Post a notice (city: to all, districts or schools; a district: to itself or its
    schools) and, with `sms`, text every addressed school admin. A dry run posts nothing
    and lists the recipients.

    Raises InputRejected (1: empty or too long), UsageError (2: a malformed --to),
    PermissionDenied (3), NotFound (4: no such district or school). A text that fails is
    reported in `sms_failed` (the notice stays posted; `notice resend`).
    """
    actor = ctx.require(*POSTERS, action="发布公告")
    title, body = _check_text(title, body)
    with ctx.raw_reading() as db:
        targets = parse_targets(db, actor, list(to or []))
    params: dict[str, object] = {}
    where = recipients_sql(targets, params)
    labels = [t.label for t in targets]
    if dry_run:
        with ctx.raw_reading() as db:
            rows = db.rows(_RECIPIENTS.format(where=where), params)
        items = [
            Recipient(
                username=str(r[1]),
                name=str(r[2]),
                role=str(r[3]),
                unit=_unit(r),
                mobile=mask_mobile(str(r[4])) if r[4] else None,
                sms=sms and r[3] == "school" and bool(r[4]),
            )
            for r in rows
        ]
        return PostResult(
            None,
            len(items),
            sum(1 for i in items if i.sms),
            dry_run=True,
            targets=labels,
            items=items,
        )
    with ctx.transaction() as s:
        notice_id = _same_notice(s, actor.account_id, title, body, targets, ctx.now)
        again = notice_id is not None
        if notice_id is None:
            notice = Notice(
                title=title,
                body=body,
                audience="all" if any(t.kind == "all" for t in targets) else "units",
                district_code=actor.district_code if actor.role == "district" else None,
                posted_by=actor.account_id,
                posted_at=ctx.now,
            )
            s.add(notice)
            s.flush()
            assert notice.id is not None
            notice_id = notice.id
            s.execute(insert(NoticeTarget), [_target_row(notice_id, t) for t in targets])
        recipients = int(
            s.execute(text(f"SELECT count(*) FROM account a WHERE {where}"), params).scalar_one()
        )
        queued = 0
        if sms:
            # one text per addressed school admin: all of them for a new notice; on a re-run,
            # those added since, and the texts that did not go out
            s.execute(
                text(
                    "INSERT INTO notice_sms (notice_id, account_id, school_id, mobile, state, "
                    "attempts) SELECT :nid, a.id, a.school_id, a.mobile, 'pending', 0 "
                    f"FROM account a WHERE {where} AND a.role = 'school' "
                    "AND a.mobile IS NOT NULL AND a.mobile <> '' AND NOT EXISTS "
                    "(SELECT 1 FROM notice_sms x WHERE x.notice_id = :nid AND x.account_id = a.id)"
                ),
                {**params, "nid": notice_id},
            )
            if again:
                s.execute(
                    text(
                        "UPDATE notice_sms SET state = 'pending' WHERE notice_id = :nid "
                        "AND state IN ('failed', 'sending')"
                    ),
                    {"nid": notice_id},
                )
            queued = int(
                s.execute(
                    text(
                        "SELECT count(*) FROM notice_sms WHERE notice_id = :nid "
                        "AND state = 'pending'"
                    ),
                    {"nid": notice_id},
                ).scalar_one()
            )
        audit.record(
            s,
            actor,
            ctx.now,
            "notice.repost" if again else "notice.post",
            "notice",
            str(notice_id),
            after={
                "title": title,
                "targets": labels,
                "recipients": recipients,
                "sms": queued,
            },
        )
    delivery = deliver(ctx, notice_id, title=title) if queued else Delivery()
    return PostResult(
        notice_id,
        recipients,
        delivery.sent,
        sms_failed=delivery.failed,
        targets=labels,
        already_posted=again,
    )


def _same_notice(
    s: Session,
    poster: int | None,
    title: str,
    body: str,
    targets: list[Target],
    now: datetime,
) -> int | None:
    """The notice this post repeats: the same poster, title, body and audiences within
    the last day (a script or an operator running the same post again)."""
    found = s.execute(
        select(col(Notice.id))
        .where(
            col(Notice.posted_by) == poster,
            col(Notice.title) == title,
            col(Notice.body) == body,
            col(Notice.posted_at) >= now - REPOST_WINDOW,
        )
        .order_by(col(Notice.id).desc())
    ).scalars()
    wanted = {(t.kind, t.district_code, t.school_id) for t in targets}
    for notice_id in found:
        rows = s.execute(
            select(
                col(NoticeTarget.kind), col(NoticeTarget.district_code), col(NoticeTarget.school_id)
            ).where(col(NoticeTarget.notice_id) == notice_id)
        ).all()
        if notice_id is not None and {tuple(r) for r in rows} == wanted:
            return int(notice_id)
    return None


def _target_row(notice_id: int, t: Target) -> dict[str, object]:
    return {
        "notice_id": notice_id,
        "kind": t.kind,
        "district_code": t.district_code,
        "school_id": t.school_id,
    }


def _unit(row: tuple[object, ...]) -> str:
    if row[6] is not None:
        return f"{row[7]}（{row[6]}）"
    return str(row[5] or "")  # the district's name, or the institution's
