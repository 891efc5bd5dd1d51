"""Login roles follow their accounts: the password set in jjadmin, NOLOGIN while disabled or
locked, dropped with the account, never a role that belongs to another database; the sync
is idempotent and its dry run changes nothing. (CI's server trusts local connections, so a
password is checked as the stored SCRAM verifier, and a refused login as NOLOGIN.)"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine

from jjadmin.errors import AccountLocked, Conflict, InputRejected, NotAuthenticated
from jjadmin.services import accounts, auth, passwords
from jjadmin.services.dbroles import sync as sync_module
from tests.pgcity import PASSWORD, City, CityDatabase, seeded_city

pytestmark = pytest.mark.postgres


@pytest.fixture
def city(city_db: CityDatabase) -> Iterator[tuple[City, Engine]]:
    with seeded_city(city_db) as built:
        yield built


def _verifier(c: City, username: str) -> str | None:
    with c.superuser() as su:
        row = su.execute(
            "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (c.prefix + username,)
        ).fetchone()
    assert row is not None, f"no role for {username}"
    return row[0]


def _matches(verifier: str | None, password: str) -> bool:
    """Whether a SCRAM-SHA-256 verifier was made from `password` (RFC 5802/7677)."""
    assert verifier is not None and verifier.startswith("SCRAM-SHA-256$")
    iterations_salt, keys = verifier[len("SCRAM-SHA-256$") :].split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key, _ = keys.split(":")
    salted = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), base64.b64decode(salt), int(iterations)
    )
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored_key


def _can_login(c: City, username: str) -> bool:
    with c.superuser() as su:
        row = su.execute(
            "SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (c.prefix + username,)
        ).fetchone()
    assert row is not None
    return bool(row[0])


def test_the_password_set_in_jjadmin_is_the_login_roles_password(
    city: tuple[City, Engine],
) -> None:
    c, engine = city
    # the seeded accounts existed before the first sync: their roles have no password yet
    assert _verifier(c, "s_yx1") is None
    accounts.add_account(  # account add, after the sync: a role with the password at once
        c.ctx(c.actor(engine, "s_yx1"), engine),
        username="s_yx1b",
        role="school",
        name="第二位管理员",
        mobile="13900139000",
        password=PASSWORD,
        school="4401040001",
    )
    assert _can_login(c, "s_yx1b") and _matches(_verifier(c, "s_yx1b"), PASSWORD)
    ctx = c.ctx(c.actor(engine, "s_yx1b"), engine)
    passwords.change_password(ctx, old=PASSWORD, new="N3wSecret!")  # account passwd
    assert _matches(_verifier(c, "s_yx1b"), "N3wSecret!")
    assert not _matches(_verifier(c, "s_yx1b"), PASSWORD)
    reset = passwords.reset_account_password(
        c.ctx(c.actor(engine, "yx"), engine), "s_yx1b", show=True
    )  # passwd-reset by its district
    assert reset.password is not None and _matches(_verifier(c, "s_yx1b"), reset.password)


def test_a_login_gives_a_role_made_without_a_password_its_password_once(
    city: tuple[City, Engine],
) -> None:
    c, engine = city
    with c.superuser() as su:  # as if the sync had made the role for an existing account
        su.execute(f'ALTER ROLE "{c.prefix}hz" PASSWORD NULL')
        su.execute(
            "UPDATE db_role SET password_set_at = NULL WHERE role_name = %s", (c.prefix + "hz",)
        )
    assert _verifier(c, "hz") is None
    ctx = c.ctx(c.actor(engine, "admin"), engine)
    auth.login(ctx, "hz", PASSWORD)
    first = _verifier(c, "hz")
    assert _matches(first, PASSWORD)
    auth.login(ctx, "hz", PASSWORD)
    assert _verifier(c, "hz") == first  # not rewritten at every login


def test_a_disabled_accounts_role_cannot_log_in_and_sees_nothing_at_once(
    city: tuple[City, Engine],
) -> None:
    c, engine = city
    ctx = c.ctx(c.actor(engine, "admin"), engine)
    open_conn = c.connect("s_yx2")
    try:
        assert open_conn.execute("SELECT count(*) FROM teacher").fetchone() == (1,)
        open_conn.rollback()
        accounts.disable_account(ctx, "s_yx2")
        assert not _can_login(c, "s_yx2")
        with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
            c.connect("s_yx2")
        # a session opened before sees nothing from now on
        assert open_conn.execute("SELECT count(*) FROM teacher").fetchone() == (0,)
    finally:
        open_conn.close()
    accounts.enable_account(ctx, "s_yx2")
    assert _can_login(c, "s_yx2")
    with c.connect("s_yx2") as conn:
        assert conn.execute("SELECT count(*) FROM teacher").fetchone() == (1,)


def test_a_locked_accounts_role_cannot_log_in_until_unlocked(city: tuple[City, Engine]) -> None:
    c, engine = city
    ctx = c.ctx(c.actor(engine, "admin"), engine)
    for _ in range(auth.MAX_FAILED_LOGINS - 1):
        with pytest.raises(NotAuthenticated):
            auth.login(ctx, "ib", "wrong-password")
    assert _can_login(c, "ib")
    with pytest.raises(AccountLocked):
        auth.login(ctx, "ib", "wrong-password")
    assert not _can_login(c, "ib")
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        c.connect("ib")
    accounts.unlock_account(ctx, "ib")
    assert _can_login(c, "ib")


def test_a_removed_accounts_role_is_dropped(city: tuple[City, Engine]) -> None:
    c, engine = city
    with c.superuser() as su:
        su.execute("DELETE FROM account WHERE username = 'ib'")  # at once, by the trigger
        assert su.execute(
            "SELECT count(*) FROM pg_roles WHERE rolname = %s", (c.prefix + "ib",)
        ).fetchone() == (0,)
        # removed behind the trigger's back: the next sync finds them
        su.execute("ALTER TABLE account DISABLE TRIGGER jjadmin_account_role")
        su.execute("DELETE FROM account WHERE username IN ('ia', 'hz')")
        su.execute("DELETE FROM db_role WHERE role_name = %s", (c.prefix + "hz",))
        su.execute("ALTER TABLE account ENABLE TRIGGER jjadmin_account_role")
    report = c.sync(engine)
    changed = {(r.username, r.action) for r in report.roles if r.action != "unchanged"}
    assert changed == {(c.prefix + "ia", "dropped"), (c.prefix + "hz", "dropped")}
    with c.superuser() as su:
        left = su.execute(
            "SELECT count(*) FROM pg_roles WHERE rolname = ANY(%s)",
            ([c.prefix + u for u in ("ia", "ib", "hz")],),
        ).fetchone()
        assert left == (0,)
        assert su.execute("SELECT count(*) FROM db_role").fetchone() == (6,)


def test_a_role_of_the_same_name_from_elsewhere_is_never_taken_over(
    city: tuple[City, Engine],
) -> None:
    c, engine = city
    with c.superuser() as su:
        su.execute(f'CREATE ROLE "{c.prefix}newcomer" LOGIN')  # someone else's role
    ctx = c.ctx(c.actor(engine, "admin"), engine)
    accounts.add_account(
        ctx,
        username="newcomer",
        role="school",
        name="新人",
        mobile="13900139000",
        password=PASSWORD,
        school="4401040001",
    )
    report = c.sync(engine)
    (outcome,) = [r for r in report.roles if r.username == "newcomer"]
    assert (outcome.action, outcome.reason) == ("skipped", "foreign")
    assert _verifier(c, "newcomer") is None  # its password was left alone
    with c.superuser() as su:
        member = su.execute(
            "SELECT pg_has_role(%s, %s, 'MEMBER')",
            (c.prefix + "newcomer", c.prefix + "role_school"),
        ).fetchone()
    assert member == (False,)


def test_group_roles_of_another_database_stop_the_sync(city: tuple[City, Engine]) -> None:
    c, engine = city
    with c.superuser() as su:
        su.execute(f"COMMENT ON ROLE \"{c.prefix}role_city\" IS 'jjadmin:elsewhere group city'")
    with pytest.raises(Conflict, match="不属于本数据库"):
        c.sync(engine)


def test_a_second_sync_changes_nothing_and_a_dry_run_changes_nothing(
    city: tuple[City, Engine],
) -> None:
    c, engine = city
    again = c.sync(engine)
    assert again.policies_created == again.policies_dropped == again.grants_changed == 0
    assert {r.action for r in again.roles} == {"unchanged"}
    with c.superuser() as su:
        su.execute(f'ALTER ROLE "{c.prefix}yx" NOLOGIN')
        su.execute('DROP POLICY "jjadmin_school_select" ON teacher')
    dry = c.sync(engine, dry_run=True)
    assert dry.dry_run and ("yx", "login") in {(r.username, r.action) for r in dry.roles}
    assert dry.policies_created == 1
    assert not _can_login(c, "yx")
    with c.connect("s_yx1") as conn:  # still no policy: nothing visible
        assert conn.execute("SELECT count(*) FROM teacher").fetchone() == (0,)
    done = c.sync(engine)
    assert done.policies_created == 1 and _can_login(c, "yx")


def test_the_sync_names_what_the_connected_role_lacks(city: tuple[City, Engine]) -> None:
    c, engine = city
    with c.superuser() as su:
        su.execute(f'ALTER ROLE "{c.owner}" NOCREATEROLE')
        try:
            with pytest.raises(InputRejected) as refused:
                c.sync(engine)
        finally:
            su.execute(f'ALTER ROLE "{c.owner}" CREATEROLE')
    assert "CREATEROLE" in refused.value.message
    assert refused.value.exit_code == 1


def test_a_server_without_row_level_security_is_named(
    city: tuple[City, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    c, engine = city
    monkeypatch.setattr(sync_module, "MIN_SERVER", 10**7)  # as if the server were too old
    with pytest.raises(InputRejected, match="不支持行级安全"):
        c.sync(engine)


def test_a_receiving_school_learns_of_another_schools_teacher_what_a_request_needs(
    city: tuple[City, Engine],
) -> None:
    """Under row security the lookups of a transfer request go through the owner's
    functions: the same teacher and the same blocks as the owner's own queries find."""
    from sqlalchemy import text

    from jjadmin.db import make_engine, session_factory
    from jjadmin.services.transfers.blocks import _find_blocks
    from jjadmin.services.transfers.common import _teachers_by_learner_nos, row_security
    from tests.factories import NOW
    from tests.pgcity import TEACHERS

    c, engine = city
    with c.superuser() as su:  # t4: an unpaid enrollment of an earlier period, a flag
        su.execute(
            "INSERT INTO period (code, select_from, select_to, pay_by, created_at)"
            " SELECT '2502', select_from - interval '1 year', select_to - interval '1 year',"
            " pay_by - interval '1 year', created_at FROM period WHERE code = '2601'"
        )
        su.execute(
            "INSERT INTO enrollment (period, course_id, teacher_id, school_id, state, paid,"
            " source, created_at) SELECT '2502', c.id, %s, %s, 'active', false, 'admin', now()"
            " FROM course c WHERE c.code = 'B1'",
            (c.teachers["t4"], c.schools["hz1"]),
        )
        su.execute(
            "INSERT INTO special_user (teacher_id, period, enrollment_ids, flagged_at,"
            " occurrence, detail, level, version)"
            " VALUES (%s, '2502', '[]', now(), 1, '{}', '全员培训', 1)",
            (c.teachers["t4"],),
        )
    ids = sorted(c.teachers.values())
    nos = [no for _, no in TEACHERS.values()]
    as_role = make_engine(c.role_url("s_yx1"))
    try:
        with session_factory(engine)() as owner, session_factory(as_role)() as school:
            assert not row_security(owner) and row_security(school)
            assert _teachers_by_learner_nos(school, nos) == _teachers_by_learner_nos(owner, nos)
            assert _find_blocks(school, ids, NOW) == _find_blocks(owner, ids, NOW)
            found = _find_blocks(school, ids, NOW)
            assert found[c.teachers["t4"]].special_periods == ["2502"]
            assert found[c.teachers["t5"]].pending is not None
            # the role itself still reads nothing of t4
            assert school.execute(text("SELECT count(*) FROM special_user")).scalar() == 0
        with c.connect("ia") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM jjadmin_transfer_teachers(ARRAY['44012600000001'], false)")
    finally:
        as_role.dispose()


def test_teachers_never_get_a_login_role(city: tuple[City, Engine]) -> None:
    from tests.pgcity import TEACHERS

    c, engine = city
    learner = TEACHERS["t1"][1]
    with c.superuser() as su:
        number = su.execute("SELECT id_number FROM teacher WHERE learner_no = %s", (learner,))
        id_number = number.fetchone()[0]  # type: ignore[index]
    ctx = c.ctx(c.actor(engine, "admin"), engine)
    auth.login(ctx, learner, auth.initial_teacher_password(id_number))  # makes its account
    report = c.sync(engine)
    assert learner not in {r.username for r in report.roles}
    with c.superuser() as su:
        found = su.execute(
            "SELECT count(*) FROM pg_roles WHERE rolname = %s", (c.prefix + learner,)
        ).fetchone()
        assert found == (0,)


def test_a_new_prefix_renames_the_roles_and_retires_the_old_groups(
    city: tuple[City, Engine],
) -> None:
    from jjadmin.services.dbroles.sync import sync_roles

    c, engine = city
    renamed = c.prefix + "n_"
    moved = City(renamed, c.database, c.owner)
    admin = c.actor(engine, "admin")
    report = sync_roles(moved.ctx(admin, engine), actor=admin)
    assert {r.action for r in report.roles} == {"renamed"}
    with c.superuser() as su:
        names = {
            r[0]
            for r in su.execute(
                "SELECT rolname FROM pg_roles WHERE starts_with(rolname, %s)", (c.prefix,)
            )
        }
    assert {n for n in names if not n.startswith(renamed)} == set()  # the old groups too
    assert renamed + "role_school" in names and renamed + "s_yx1" in names
    with moved.connect("s_yx1") as conn:
        count = conn.execute("SELECT count(*) FROM teacher").fetchone()
        assert count == (3,)  # t1, t2 and t5, which it asked for


def test_recovering_the_last_city_admin_takes_the_owner_and_sets_the_roles_password(
    city: tuple[City, Engine],
) -> None:
    from jjadmin.db import make_engine
    from jjadmin.errors import PermissionDenied
    from jjadmin.services.context import ServiceContext
    from tests.factories import NOW

    c, engine = city
    through_role = make_engine(c.role_url("admin"))
    try:
        as_role = ServiceContext(engine=through_role, now=NOW, settings=c.settings())
        with pytest.raises(PermissionDenied, match="不是该数据库的所有者"):
            passwords.recover_admin(as_role, "admin", "Rec0vered!pass")
    finally:
        through_role.dispose()
    owner = ServiceContext(engine=engine, now=NOW, settings=c.settings())
    done = passwords.recover_admin(owner, "admin", "Rec0vered!pass")
    assert done.owner == c.owner
    assert _matches(_verifier(c, "admin"), "Rec0vered!pass")
