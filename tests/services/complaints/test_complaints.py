"""投诉: the window, filing, who handles and who reads, stats per school."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from jjadmin.errors import Conflict, InputRejected, InvalidValue, NotFound, PermissionDenied
from jjadmin.services import complaints
from jjadmin.services.context import Actor
from tests.factories import NOW, make_account, make_school, make_teacher


@dataclass
class World:
    city: Actor
    d104: Actor
    d105: Actor
    a: Actor
    b: Actor
    ta: Actor
    tb: Actor
    tc: Actor
    codes: dict[str, str]


def _teacher(session: Session, school: Any) -> Actor:
    t = make_teacher(session, school)
    return Actor(None, t.learner_no, "teacher", t.name, school_id=school.id, teacher_id=t.id)


@pytest.fixture
def world(session: Session) -> World:
    sa = make_school(session, district="440104")
    sb = make_school(session, district="440104")
    sc = make_school(session, district="440105")
    w = World(
        city=make_account(session, "city"),
        d104=make_account(session, "district", district="440104"),
        d105=make_account(session, "district", district="440105"),
        a=make_account(session, "school", school=sa),
        b=make_account(session, "school", school=sb),
        ta=_teacher(session, sa),
        tb=_teacher(session, sb),
        tc=_teacher(session, sc),
        codes={"a": sa.code, "b": sb.code, "c": sc.code},
    )
    session.commit()
    return w


def _window(make_ctx: Any, w: World, frm: str = "2026-03-01", to: str = "2026-03-31") -> None:
    complaints.set_window(make_ctx(w.city), year=2026, opens=frm, closes=to)


def test_a_teacher_files_only_inside_the_window(make_ctx: Any, world: World) -> None:
    with pytest.raises(Conflict, match="未设置投诉时间"):
        complaints.file_complaint(make_ctx(world.ta), title="学时", body="未计入")
    with pytest.raises(PermissionDenied):  # only the city sets it
        complaints.set_window(
            make_ctx(world.d104), year=2026, opens="2026-03-01", closes="2026-03-31"
        )
    _window(make_ctx, world, "2026-04-01", "2026-04-30")
    with pytest.raises(Conflict, match="2026 年度投诉时间为 2026-04-01 00:00 至 2026-04-30 23:59"):
        complaints.file_complaint(make_ctx(world.ta), title="学时", body="未计入")
    _window(make_ctx, world)  # moved: now open
    new_id = complaints.file_complaint(make_ctx(world.ta), title="学时", body="未计入")
    view = complaints.show_complaint(make_ctx(world.ta), new_id, own=True)
    assert (view.state, view.year, view.school_code) == ("待处理", 2026, world.codes["a"])
    # the end day is included, the day after is not
    late = NOW.replace(month=3, day=31, hour=23, minute=59)
    complaints.file_complaint(make_ctx(world.ta, now=late), title="t", body="b")
    with pytest.raises(Conflict):
        complaints.file_complaint(
            make_ctx(world.ta, now=late + timedelta(minutes=1)), title="t", body="b"
        )
    with pytest.raises(PermissionDenied):  # an administrator does not file
        complaints.file_complaint(make_ctx(world.a), title="t", body="b")
    with pytest.raises(InputRejected):
        complaints.file_complaint(make_ctx(world.ta), title="t", body="x" * 20_001)
    with pytest.raises(InputRejected):
        complaints.set_window(
            make_ctx(world.city), year=2026, opens="2026-03-31", closes="2026-03-01"
        )


def test_the_district_handles_the_school_reads_nobody_else_sees(
    make_ctx: Any, world: World
) -> None:
    _window(make_ctx, world)
    ca = complaints.file_complaint(make_ctx(world.ta), title="A校", body="b")
    cb = complaints.file_complaint(make_ctx(world.tb), title="B校", body="b")
    cc = complaints.file_complaint(make_ctx(world.tc), title="C校", body="b")

    def ids(actor: Actor, **kw: Any) -> set[int]:
        return {c.id for c in complaints.list_complaints(make_ctx(actor), **kw)[0]}

    assert ids(world.a) == {ca}
    assert ids(world.b) == {cb}
    assert ids(world.d104) == {ca, cb}
    assert ids(world.d105) == {cc}
    assert ids(world.city) == {ca, cb, cc}
    assert ids(world.ta, own=True) == {ca}
    with pytest.raises(PermissionDenied):
        complaints.show_complaint(make_ctx(world.a), cb)
    with pytest.raises(PermissionDenied):
        complaints.show_complaint(make_ctx(world.tb), ca, own=True)
    with pytest.raises(PermissionDenied):  # another school's filter
        complaints.list_complaints(make_ctx(world.a), school=world.codes["b"])
    with pytest.raises(NotFound):
        complaints.show_complaint(make_ctx(world.city), 999)
    with pytest.raises(PermissionDenied):  # the school reads, the district handles
        complaints.reply_complaint(make_ctx(world.a), ca, reply="好")
    with pytest.raises(PermissionDenied):  # another district
        complaints.reply_complaint(make_ctx(world.d105), ca, reply="好")
    assert complaints.reply_complaint(make_ctx(world.d104), ca, reply="已核实") == "已回复"
    complaints.reply_complaint(make_ctx(world.d104), ca, reply="学时已补录")
    view = complaints.show_complaint(make_ctx(world.a), ca)
    assert view.state == "已回复" and [r.text for r in view.replies] == ["已核实", "学时已补录"]
    assert ids(world.d104, state="已回复") == {ca}
    assert ids(world.d104, state="待处理") == {cb}
    with pytest.raises(InvalidValue):
        complaints.list_complaints(make_ctx(world.d104), state="open")
    assert complaints.close_complaint(make_ctx(world.d104), cb) == "已关闭"
    with pytest.raises(Conflict):
        complaints.close_complaint(make_ctx(world.d104), cb)
    with pytest.raises(Conflict):
        complaints.reply_complaint(make_ctx(world.city), cb, reply="晚了")


def test_stats_per_school_in_scope(make_ctx: Any, world: World, session: Session) -> None:
    _window(make_ctx, world)
    first = complaints.file_complaint(make_ctx(world.ta), title="1", body="b")
    second = complaints.file_complaint(make_ctx(world.ta), title="2", body="b")
    complaints.file_complaint(make_ctx(world.ta), title="3", body="b")
    complaints.file_complaint(make_ctx(world.tc), title="4", body="b")
    later = NOW + timedelta(days=2)
    complaints.reply_complaint(make_ctx(world.d104, now=later), first, reply="r")
    complaints.reply_complaint(make_ctx(world.d104, now=NOW + timedelta(days=4)), second, reply="r")
    complaints.close_complaint(make_ctx(world.d104, now=later), first)
    rows = {r.school_code: r for r in complaints.complaint_stats(make_ctx(world.city), year=2026)}
    a = rows[world.codes["a"]]
    assert (a.filed, a.replied, a.closed, a.open) == (3, 2, 1, 1)
    assert a.median_days_to_reply == Decimal("3.0")
    c = rows[world.codes["c"]]
    assert (c.filed, c.replied, c.closed, c.open, c.median_days_to_reply) == (1, 0, 0, 1, None)
    assert [r.school_code for r in complaints.complaint_stats(make_ctx(world.d104))] == [
        world.codes["a"]
    ]
    assert complaints.complaint_stats(make_ctx(world.b)) == []
    assert complaints.complaint_stats(make_ctx(world.city), year=2025) == []
    audited = session.execute(
        text(
            "SELECT action, count(*) FROM audit_log WHERE action LIKE 'complaint.%' GROUP BY action"
        )
    ).all()
    assert dict(audited) == {
        "complaint.window": 1,
        "complaint.file": 4,
        "complaint.reply": 2,
        "complaint.close": 1,
    }
