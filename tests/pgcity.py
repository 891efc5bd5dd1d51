"""A seeded city on the test PostgreSQL server, deployed as docs/deploy.md says: a database
owned by a NOSUPERUSER owner role with CREATEROLE, migrated and synced as that owner, one
login role per operator account. Roles are shared by the whole server: every city gets its
own prefix (`jjt_<random>_`) and everything with that prefix is dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import psycopg
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url

from jjadmin.config import Settings
from jjadmin.db import make_engine, migrate, session_factory
from jjadmin.models import Account, Enrollment, Teacher, Transfer
from jjadmin.services.accounts import add_account, bootstrap
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.dbroles.sync import SyncReport, sync_roles
from tests.conftest import PG_URL
from tests.factories import NOW, id_number, make_school
from tests.helpers_courses import make_course, make_period

PASSWORD = "Passw0rd!"
INSTITUTION_A = "机构甲"
INSTITUTION_B = "机构乙"

# username → (role, unit)
ACCOUNTS = {
    "cron": ("system", None),
    "yx": ("district", "440104"),
    "hz": ("district", "440105"),
    "s_yx1": ("school", "4401040001"),
    "s_yx2": ("school", "4401040002"),
    "s_hz1": ("school", "4401050001"),
    "ia": ("institution", INSTITUTION_A),
    "ib": ("institution", INSTITUTION_B),
}
SCHOOLS = {"yx1": ("4401040001", "440104"), "yx2": ("4401040002", "440104")}
SCHOOLS["hz1"] = ("4401050001", "440105")
# teacher key → (school key, 学号)
TEACHERS = {
    "t1": ("yx1", "44012600000001"),
    "t2": ("yx1", "44012600000002"),
    "t3": ("yx2", "44012600000003"),
    "t4": ("hz1", "44012600000004"),
    "t5": ("hz1", "44012600000005"),  # asked for by yx1 (a pending transfer)
}
# teacher key → course code
ENROLLMENTS = {"t1": "A1", "t3": "B1", "t4": "A1", "t5": "B1"}


def _admin_engine() -> Engine:
    assert PG_URL
    url = make_url(PG_URL).set(database="postgres")
    return create_engine(url, isolation_level="AUTOCOMMIT")


def drop_roles(prefix: str) -> None:
    """Drop every role whose name starts with `prefix` (after their databases are gone)."""
    engine = _admin_engine()
    with engine.connect() as conn:
        names = conn.execute(
            text("SELECT rolname FROM pg_roles WHERE starts_with(rolname, :p) ORDER BY oid DESC"),
            {"p": prefix},
        ).scalars()
        for name in names:
            conn.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
    engine.dispose()


@dataclass
class City:
    prefix: str
    database: str
    owner: str
    schools: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, int] = field(default_factory=dict)
    teachers: dict[str, int] = field(default_factory=dict)
    last_sync: SyncReport | None = None

    def url(self, user: str | None = None) -> str:
        """A SQLAlchemy URL as `user` (a login role name; default the owner)."""
        assert PG_URL
        return (
            make_url(PG_URL)
            .set(username=user or self.owner, database=self.database, password=None)
            .render_as_string(hide_password=False)
        )

    def role_url(self, username: str) -> str:
        return self.url(self.prefix + username)

    def conninfo(self, user: str | None = None) -> str:
        return self.url(user).replace("postgresql+psycopg://", "postgresql://")

    def connect(self, username: str) -> psycopg.Connection[Any]:
        """A psycopg connection as the login role of `username` (autocommit off)."""
        return psycopg.connect(self.conninfo(self.prefix + username))

    def superuser(self) -> psycopg.Connection[Any]:
        assert PG_URL
        return psycopg.connect(
            make_url(PG_URL)
            .set(database=self.database)
            .render_as_string(hide_password=False)
            .replace("postgresql+psycopg://", "postgresql://"),
            autocommit=True,
        )

    def settings(self) -> Settings:
        return Settings(database_url=self.url(), pg_role_prefix=self.prefix)

    def ctx(self, actor: Actor, engine: Engine) -> ServiceContext:
        return ServiceContext(engine=engine, now=NOW, settings=self.settings(), _actor=actor)

    def actor(self, engine: Engine, username: str) -> Actor:
        with session_factory(engine)() as s:
            a = s.execute(select(Account).where(Account.username == username)).scalar_one()
            return Actor(
                a.id,
                a.username,
                a.role,
                a.name,
                district_code=a.district_code,
                school_id=a.school_id,
                institution=a.institution,
            )

    def sync(self, engine: Engine, **kwargs: Any) -> SyncReport:
        admin = self.actor(engine, "admin")
        self.last_sync = sync_roles(self.ctx(admin, engine), actor=admin, **kwargs)
        return self.last_sync


@dataclass
class CityDatabase:
    """A migrated database owned by a NOSUPERUSER owner with CREATEROLE (one per worker)."""

    name: str
    owner: str


@contextmanager
def city_database() -> Iterator[CityDatabase]:
    base = f"jjt_{uuid.uuid4().hex[:8]}_"
    db = CityDatabase(f"{base}db", f"{base}owner")
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE ROLE "{db.owner}" LOGIN CREATEROLE'))
            conn.execute(text(f'CREATE DATABASE "{db.name}" OWNER "{db.owner}"'))
        engine = make_engine(City(base, db.name, db.owner).url())
        migrate(engine)
        engine.dispose()
        yield db
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)'))
        admin.dispose()
        drop_roles(base)


@contextmanager
def seeded_city(db: CityDatabase) -> Iterator[tuple[City, Engine]]:
    """The city (emptied, seeded and synced under a prefix of its own) and an engine
    connected as its owner; afterwards every role with that prefix is gone."""
    prefix = f"jjt_{uuid.uuid4().hex[:8]}_"
    city = City(prefix, db.name, db.owner)
    engine = make_engine(city.url())
    try:
        _empty(engine)
        _seed(city, engine)
        city.sync(engine)
        yield city, engine
    finally:
        engine.dispose()
        with city.superuser() as su:
            names = [
                r[0]
                for r in su.execute(
                    "SELECT rolname FROM pg_roles WHERE starts_with(rolname, %s)", (prefix,)
                )
            ]
            if names:  # their privileges, policies and memberships here, then the roles
                su.execute("DROP OWNED BY " + ", ".join(f'"{n}"' for n in names))
            for name in names:
                su.execute(f'DROP ROLE "{name}"')


def _empty(engine: Engine) -> None:
    """No rows, and no generated functions, policies or triggers of an earlier city (they
    carry its prefix)."""
    from jjadmin.models import metadata

    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        functions = conn.execute(
            text(
                "SELECT p.oid::regprocedure::text FROM pg_proc p"
                " WHERE p.proname LIKE 'jjadmin%' AND p.pronamespace = 'public'::regnamespace"
            )
        ).scalars()
        for signature in list(functions):
            conn.execute(text(f"DROP FUNCTION IF EXISTS {signature} CASCADE"))
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def _seed(city: City, engine: Engine) -> None:
    from jjadmin.services.accounts import seed_districts

    ctx = ServiceContext(engine=engine, now=NOW, settings=city.settings())
    bootstrap(ctx, username="admin", name="市管理员", mobile="13800138000", password=PASSWORD)
    with session_factory(engine)() as s:
        seed_districts(s)
        for key, (code, district) in SCHOOLS.items():
            city.schools[key] = make_school(s, code, district).id or 0
        for key, (school, no) in TEACHERS.items():
            t = Teacher(
                learner_no=no,
                name=f"教师{key}",
                id_number=id_number(),
                gender="男",
                birth_date=NOW.date() - timedelta(days=12000),
                mobile="13900000000",
                school_id=city.schools[school],
                stage="小学",
                subject="语文",
                created_at=NOW,
                updated_at=NOW,
            )
            s.add(t)
            s.flush()
            city.teachers[key] = t.id or 0
        period = make_period(s)
        courses = {
            "A1": make_course(s, period, "A1", charging_unit=INSTITUTION_A),
            "B1": make_course(s, period, "B1", charging_unit=INSTITUTION_B),
        }
        for key, code in ENROLLMENTS.items():
            s.add(
                Enrollment(
                    period=period.code,
                    course_id=courses[code].id or 0,
                    teacher_id=city.teachers[key],
                    school_id=city.schools[TEACHERS[key][0]],
                    created_at=NOW,
                )
            )
        s.add(
            Transfer(
                teacher_id=city.teachers["t5"],
                from_school_id=city.schools["hz1"],
                to_school_id=city.schools["yx1"],
                approver_level="city",
                requested_at=NOW,
            )
        )
        s.commit()
    city_admin = city.actor(engine, "admin")
    ctx = ServiceContext(engine=engine, now=NOW, settings=city.settings(), _actor=city_admin)
    for username, (role, unit) in ACCOUNTS.items():
        add_account(
            ctx,
            username=username,
            role=role,
            name=f"{username}管理员",
            mobile="13900139000",
            password=PASSWORD,
            district=unit if role == "district" else None,
            school=unit if role == "school" else None,
            institution=unit if role == "institution" else None,
        )
    with session_factory(engine)() as s:
        city.accounts = {a.username: a.id or 0 for a in s.execute(select(Account)).scalars()}
