"""公告: who posts to whom, who reads what, read marks, texts (failures, resend, a crash)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from jjadmin.errors import Conflict, InputRejected, NotFound, PermissionDenied, UsageError
from jjadmin.services import notices
from jjadmin.services.context import Actor
from jjadmin.services.notices import texts
from tests.factories import NOW, make_account, make_school, make_teacher


@dataclass
class City:
    city: Actor
    d104: Actor
    d105: Actor
    a: Actor  # school A (440104)
    b: Actor  # school B (440104)
    c: Actor  # school C (440105)
    teacher_a: Actor
    school_codes: dict[str, str]


@pytest.fixture
def city(session: Session) -> City:
    sa = make_school(session, district="440104")
    sb = make_school(session, district="440104")
    sc = make_school(session, district="440105")
    t = make_teacher(session, sa)
    teacher_account = make_account(session, "teacher", username=t.learner_no)
    session.execute(
        text("UPDATE account SET teacher_id = :t WHERE id = :a"),
        {"t": t.id, "a": teacher_account.account_id},
    )
    made = City(
        city=make_account(session, "city"),
        d104=make_account(session, "district", district="440104", mobile="13900000104"),
        d105=make_account(session, "district", district="440105", mobile="13900000105"),
        a=make_account(session, "school", school=sa, mobile="13900000001"),
        b=make_account(session, "school", school=sb, mobile="13900000002"),
        c=make_account(session, "school", school=sc, mobile="13900000003"),
        teacher_a=Actor(
            teacher_account.account_id,
            t.learner_no,
            "teacher",
            t.name,
            school_id=sa.id,
            teacher_id=t.id,
        ),
        school_codes={"a": sa.code, "b": sb.code, "c": sc.code},
    )
    session.commit()
    return made


def _ids(make_ctx: Any, actor: Actor, **kw: Any) -> set[int]:
    items, total = notices.list_notices(make_ctx(actor), **kw)
    assert total == len(items)
    return {i.id for i in items}


def test_the_city_posts_to_everyone_and_texts_every_school_admin(
    make_ctx: Any, city: City, outbox: Any
) -> None:
    r = notices.post_notice(
        make_ctx(city.city), title="2602期选课通知", body="请按时选课", sms=True
    )
    assert r.id is not None
    assert r.recipients == 5  # two district offices, three school admins
    assert r.sms == 3 and r.sms_failed == 0
    sent = outbox.messages()
    assert sorted(m["to"] for m in sent) == ["13900000001", "13900000002", "13900000003"]
    assert "2602期选课通知" in sent[0]["text"]
    for reader in (city.d104, city.a, city.c, city.teacher_a):
        assert _ids(make_ctx, reader) == {r.id}


def test_a_district_posts_to_its_own_schools_only(make_ctx: Any, city: City) -> None:
    ctx = make_ctx(city.d104)
    for to in (["all"], ["district:440105"], [f"school:{city.school_codes['c']}"]):
        with pytest.raises(PermissionDenied):
            notices.post_notice(ctx, title="t", body="b", to=to)
    with pytest.raises(NotFound):
        notices.post_notice(ctx, title="t", body="b", to=["school:4499999999"])
    with pytest.raises(UsageError):
        notices.post_notice(ctx, title="t", body="b", to=["everyone"])
    with pytest.raises(PermissionDenied):  # a school does not post
        notices.post_notice(make_ctx(city.a), title="t", body="b")
    own = notices.post_notice(ctx, title="区通知", body="b")  # default: its district
    assert own.recipients == 3  # the district office and its two schools
    one = notices.post_notice(ctx, title="给A校", body="b", to=[f"school:{city.school_codes['a']}"])
    assert one.recipients == 1
    assert _ids(make_ctx, city.a) == {own.id, one.id}
    assert _ids(make_ctx, city.b) == {own.id}
    assert _ids(make_ctx, city.c) == set()
    assert _ids(make_ctx, city.d105) == set()
    assert _ids(make_ctx, city.d104) == {own.id, one.id}
    assert _ids(make_ctx, city.teacher_a) == {own.id, one.id}
    assert one.id is not None
    with pytest.raises(PermissionDenied):  # never shown to a school it was not addressed to
        notices.show_notice(make_ctx(city.b), one.id)
    with pytest.raises(NotFound):
        notices.show_notice(make_ctx(city.b), 999)


def test_show_marks_read_once(make_ctx: Any, city: City, session: Session) -> None:
    r = notices.post_notice(
        make_ctx(city.city),
        title="　关于2602期选课的通知：（一）\u3000",
        body="正文",
        to=["district:440104"],
    )
    assert r.id is not None
    assert _ids(make_ctx, city.a, unread=True) == {r.id}
    view = notices.show_notice(make_ctx(city.a), r.id)
    assert view.body == "正文" and view.read and view.read_at is not None
    assert view.title == "关于2602期选课的通知：（一）"  # trimmed, never rewritten
    notices.show_notice(make_ctx(city.a), r.id)
    assert _ids(make_ctx, city.a, unread=True) == set()
    assert _ids(make_ctx, city.b, unread=True) == {r.id}  # per reader
    reads = session.execute(text("SELECT count(*) FROM notice_read")).scalar_one()
    audited = session.execute(
        text("SELECT count(*) FROM audit_log WHERE action = 'notice.read'")
    ).scalar_one()
    assert (reads, audited) == (1, 1)


def test_bad_input_and_a_dry_run(make_ctx: Any, city: City, session: Session) -> None:
    ctx = make_ctx(city.city)
    with pytest.raises(InputRejected):
        notices.post_notice(ctx, title="t", body="长" * 20_001)
    with pytest.raises(InputRejected):
        notices.post_notice(ctx, title=" ", body="b")
    dry = notices.post_notice(
        ctx, title="t", body="b", to=["district:440105"], sms=True, dry_run=True
    )
    assert dry.id is None and dry.recipients == 2 and dry.sms == 1
    assert {i.username for i in dry.items} == {city.d105.username, city.c.username}
    assert all("****" in (i.mobile or "") for i in dry.items)
    assert {i.unit for i in dry.items if i.role == "district"} == {"海珠区"}
    assert session.execute(text("SELECT count(*) FROM notice")).scalar_one() == 0


class Flaky:
    """A gateway that fails every third call."""

    def __init__(self) -> None:
        self.calls = 0
        self.delivered: list[str] = []

    def send(self, to: str, text: str, code: str | None, at: Any) -> None:
        self.calls += 1
        if self.calls % 3 == 0:
            raise OSError("网关超时")
        self.delivered.append(to)


class Down:
    def send(self, to: str, text: str, code: str | None, at: Any) -> None:
        raise OSError("网关不可用")


def test_failures_are_retried_once_and_a_dead_gateway_leaves_texts_to_resend(
    make_ctx: Any, city: City
) -> None:
    ctx = make_ctx(city.city)
    flaky = Flaky()
    ctx.sms = flaky
    r = notices.post_notice(ctx, title="t", body="b", sms=True)
    assert r.sms == 3 and r.sms_failed == 0  # the third call failed, its retry went out
    assert sorted(flaky.delivered) == ["13900000001", "13900000002", "13900000003"]
    with pytest.raises(Conflict):
        assert r.id is not None
        notices.resend_notice(ctx, r.id)  # nothing left to send

    ctx = make_ctx(city.city)
    ctx.sms = Down()
    down = notices.post_notice(ctx, title="t2", body="b", sms=True)
    assert down.id is not None and (down.sms, down.sms_failed) == (0, 3)
    assert down.id in _ids(make_ctx, city.a)  # posted all the same
    ctx = make_ctx(city.city)
    ok = Flaky()
    ctx.sms = ok
    again = notices.resend_notice(ctx, down.id)
    assert (again.sms, again.sms_failed) == (3, 0)
    with pytest.raises(PermissionDenied):  # another district's notice is not its to resend
        notices.resend_notice(make_ctx(city.d104), down.id)


class Crash(BaseException):
    pass


class CrashAfter:
    def __init__(self, n: int) -> None:
        self.n = n
        self.delivered: list[str] = []

    def send(self, to: str, text: str, code: str | None, at: Any) -> None:
        if len(self.delivered) == self.n:
            raise Crash
        self.delivered.append(to)


def test_a_crash_re_sends_at_most_the_chunk_in_flight(
    make_ctx: Any, city: City, monkeypatch: pytest.MonkeyPatch, session: Session
) -> None:
    monkeypatch.setattr(texts, "CHUNK", 2)
    ctx = make_ctx(city.city)
    crash = CrashAfter(1)  # the first chunk (2 texts) was cut after its first text
    ctx.sms = crash
    with pytest.raises(Crash):
        notices.post_notice(ctx, title="t", body="b", sms=True)
    notice_id = session.execute(text("SELECT max(id) FROM notice")).scalar_one()
    states = dict(
        session.execute(text("SELECT state, count(*) FROM notice_sms GROUP BY state")).all()
    )
    assert states == {"sending": 2, "pending": 1}
    session.rollback()  # the in-memory database has one connection
    ctx = make_ctx(city.city)
    rest = Flaky()
    ctx.sms = rest
    r = notices.resend_notice(ctx, notice_id)
    assert r.sms == 3
    everyone = crash.delivered + rest.delivered
    assert set(everyone) == {"13900000001", "13900000002", "13900000003"}
    assert len(everyone) - 3 == 1 <= texts.CHUNK  # only the chunk in flight, once
    with pytest.raises(Conflict):  # everything sent: a re-run sends nothing
        notices.resend_notice(make_ctx(city.city), notice_id)


class Slow:
    def __init__(self) -> None:
        self.delivered: list[str] = []

    def send(self, to: str, text: str, code: str | None, at: Any) -> None:
        import time

        time.sleep(0.05)
        self.delivered.append(to)


def test_two_runs_at_once_never_send_the_same_text(
    make_ctx: Any, city: City, monkeypatch: pytest.MonkeyPatch, session: Session
) -> None:
    import threading

    monkeypatch.setattr(texts, "CHUNK", 1)
    ctx = make_ctx(city.city)
    ctx.sms = Down()
    r = notices.post_notice(ctx, title="t", body="b", sms=True)
    assert r.id is not None
    session.execute(text("UPDATE notice_sms SET state = 'pending'"))
    session.commit()
    senders = [Slow(), Slow()]
    # both runs have read their chunk before either marks it: without the row lock both
    # would read the same text
    barrier = threading.Barrier(2, timeout=0.5)
    real_text = texts.text

    def meeting(sql: str) -> Any:
        if sql.startswith("UPDATE notice_sms SET state = 'sending'"):
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass
        return real_text(sql)

    monkeypatch.setattr(texts, "text", meeting)

    def run(sender: Slow) -> None:
        c = make_ctx(city.city)
        c.sms = sender
        texts.deliver(c, r.id or 0, title="t")

    threads = [threading.Thread(target=run, args=(s,)) for s in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everyone = senders[0].delivered + senders[1].delivered
    assert sorted(everyone) == ["13900000001", "13900000002", "13900000003"]


def test_the_same_post_again_is_a_re_run_not_a_second_notice(
    make_ctx: Any, city: City, session: Session
) -> None:
    from datetime import timedelta

    ctx = make_ctx(city.city)
    ctx.sms = Down()
    first = notices.post_notice(ctx, title="缴费通知", body="b", sms=True)
    assert (first.sms, first.sms_failed, first.already_posted) == (0, 3, False)
    # a school admin added meanwhile; the gateway is back
    sd = make_school(session, district="440105")
    make_account(session, "school", school=sd, mobile="13900000004")
    session.commit()
    ctx = make_ctx(city.city)
    ok = Flaky()
    ctx.sms = ok
    again = notices.post_notice(ctx, title="缴费通知", body="b", sms=True)
    assert again.id == first.id and again.already_posted
    assert (again.sms, again.sms_failed) == (4, 0)  # the three failed and the new admin
    ctx = make_ctx(city.city)
    ctx.sms = ok
    third = notices.post_notice(ctx, title="缴费通知", body="b", sms=True)
    assert (third.id, third.sms) == (first.id, 0)  # nothing twice
    assert len(ok.delivered) == 4
    assert (
        notices.post_notice(make_ctx(city.city), title="缴费通知", body="另一内容").id != first.id
    )
    other = notices.post_notice(
        make_ctx(city.city), title="缴费通知", body="b", to=["district:440104"]
    )
    assert other.id != first.id and not other.already_posted  # other audiences: another notice
    tomorrow = make_ctx(city.city, now=NOW + timedelta(days=1, minutes=1))
    assert notices.post_notice(tomorrow, title="缴费通知", body="b").id != first.id
