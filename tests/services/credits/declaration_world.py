"""The world the declaration tests share (schools, teachers, admins of every level) and a
race of reviewers."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from jjadmin.models import Teacher
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.credits.review import review_declaration
from tests.factories import NOW, make_account, make_school, make_teacher


@dataclass
class World:
    city: Actor
    district: Actor  # 440104
    other_district: Actor  # 440105
    school: Actor  # school A (440104)
    school2: Actor  # another admin of school A
    neighbour: Actor  # school B (440104)
    far_school: Actor  # school C (440105)
    t1: Teacher  # school A
    t2: Teacher  # school A
    far: Teacher  # school C
    me: Actor  # t1
    principal: Actor  # t2, principal of school A


def teacher_actor(t: Teacher, **over: Any) -> Actor:
    return Actor(
        None, t.learner_no, "teacher", t.name, school_id=t.school_id, teacher_id=t.id, **over
    )


def build_world(session: Session) -> World:
    a = make_school(session, "4401040001", "440104")
    b = make_school(session, "4401040002", "440104")
    c = make_school(session, "4401050001", "440105")
    t1, t2 = make_teacher(session, a), make_teacher(session, a)
    far = make_teacher(session, c)
    w = World(
        city=make_account(session, "city"),
        district=make_account(session, "district", district="440104"),
        other_district=make_account(session, "district", district="440105"),
        school=make_account(session, "school", school=a),
        school2=make_account(session, "school", school=a),
        neighbour=make_account(session, "school", school=b),
        far_school=make_account(session, "school", school=c),
        t1=t1,
        t2=t2,
        far=far,
        me=teacher_actor(t1),
        principal=teacher_actor(
            t2, principal_school_id=a.id, school_code=a.code, admin_grant="principal"
        ),
    )
    session.commit()
    return w


def race(engine: Engine, reviewers: list[Actor], did: int) -> list[BaseException | None]:
    barrier = threading.Barrier(len(reviewers))
    results: list[BaseException | None] = []

    def work(actor: Actor) -> None:
        ctx = ServiceContext(engine=engine, now=NOW, _actor=actor)
        barrier.wait()
        try:
            review_declaration(ctx, did, approve=True)
            results.append(None)
        except BaseException as exc:  # noqa: BLE001 - asserted by the caller
            results.append(exc)

    threads = [threading.Thread(target=work, args=(a,)) for a in reviewers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
