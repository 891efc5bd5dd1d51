"""`jjadmin db roles sync`, jjadmin connected as an account's own login role, and `db backup`
→ `pg_restore` on PostgreSQL — end to end."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine

from jjadmin.importers.teacher import TEACHER_HEADERS
from tests.conftest import Cli, Outbox
from tests.factories import id_number
from tests.pgcity import (
    INSTITUTION_A,
    INSTITUTION_B,
    PASSWORD,
    TEACHERS,
    City,
    CityDatabase,
    seeded_city,
)

NOW = "2026-03-15T10:00:00+08:00"


@pytest.fixture
def bare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """A CLI environment with no database of its own and nobody logged in."""
    monkeypatch.delenv("JJADMIN_DATABASE_URL", raising=False)
    monkeypatch.setenv("JJADMIN_SESSION_FILE", str(tmp_path / "session.json"))
    monkeypatch.setenv("JJADMIN_SMS", f"file:{tmp_path / 'sms.jsonl'}")
    monkeypatch.setenv("JJADMIN_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("JJADMIN_NOW", NOW)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("JJADMIN_TOKEN", raising=False)
    return Cli(tmp_path, monkeypatch, "", Outbox(tmp_path / "sms.jsonl"))


@pytest.fixture
def city(city_db: CityDatabase, bare: Cli) -> Iterator[tuple[City, Engine]]:
    with seeded_city(city_db) as built:
        bare.monkeypatch.setenv("JJADMIN_PG_ROLE_PREFIX", built[0].prefix)
        yield built


def _as(cli: Cli, url: str, username: str, password: str = PASSWORD) -> Callable[..., object]:
    """Log `username` in through `url`; returns a `json(*args, code=…)` runner on that URL."""
    cli.run("--db", url, "logout")
    cli.run("--db", url, "login", username, "--password-stdin", input=password + "\n")

    def json(*args: str, code: int = 0, input: str | None = None) -> object:
        return cli.json("--db", url, *args, code=code, input=input)

    return json


def test_on_sqlite_there_is_nothing_to_sync_and_only_the_city_may_ask(cli: Cli) -> None:
    doc = cli.json("db", "roles", "sync")
    assert doc == {"ok": True, "backend": "sqlite"}
    assert "不需要数据库角色" in cli.run("db", "roles", "sync", "--dry-run").stdout
    cli.run("school", "import", str(_school_csv(cli.tmp)))
    cli.add_account("xx", "school", "--school", "4401040001")
    cli.login("xx")
    result = cli.run("db", "roles", "sync", code=3)
    assert "无权" in result.stderr


def _school_csv(folder: Path) -> Path:
    from tests.helpers_school import school_row, write_csv

    return write_csv(folder / "s.csv", [school_row("4401040001")])


@pytest.mark.postgres
def test_the_sync_by_the_city_through_the_owner_and_refused_to_others(
    city: tuple[City, Engine], bare: Cli
) -> None:
    c, _ = city
    owner = _as(bare, c.url(), "admin")
    doc = owner("db", "roles", "sync", "--dry-run")
    assert isinstance(doc, dict) and doc["dry_run"] is True and doc["prefix"] == c.prefix
    assert {r["action"] for r in doc["roles"]} == {"unchanged"}
    assert doc["policies_created"] == 0 and doc["tables"] >= 30
    as_school = _as(bare, c.url(), "s_yx1")
    refused = as_school("db", "roles", "sync", code=3)
    assert isinstance(refused, dict) and refused["error"]["code"] == "permission-denied"
    # the city admin through its own login role: no CREATEROLE, owns no table — named
    through_role = _as(bare, c.role_url("admin"), "admin")
    lacking = through_role("db", "roles", "sync", code=1)
    assert isinstance(lacking, dict)
    message = lacking["error"]["message"]
    assert "CREATEROLE" in message and "不是这些表的所有者" in message
    # db upgrade keeps a deployment with roles in step
    upgraded = owner("db", "upgrade")
    assert isinstance(upgraded, dict) and upgraded["roles_synced"] is True


def _teacher_sheet(folder: Path, school: str, count: int) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(list(TEACHER_HEADERS))
    for i in range(count):
        row = {
            "姓名": f"新教师{i}",
            "身份证号": id_number(),
            "手机号": "13900139000",
            "学校代码": school,
            "任教学段": "初中",
            "任教学科": "数学",
        }
        ws.append([row.get(h) for h in TEACHER_HEADERS])
    path = folder / f"teachers-{uuid.uuid4().hex[:6]}.xlsx"
    wb.save(path)
    return path


@pytest.mark.postgres
def test_a_school_admin_works_through_its_own_role_and_psql_sees_what_jjadmin_shows(
    city: tuple[City, Engine], bare: Cli
) -> None:
    c, _ = city
    run = _as(bare, c.role_url("s_yx1"), "s_yx1")
    listed = run("teacher", "list")
    assert isinstance(listed, dict)
    shown = {item["learner_no"] for item in listed["items"]}
    with c.connect("s_yx1") as conn:
        seen = {
            r[0]
            for r in conn.execute(
                "SELECT learner_no FROM teacher WHERE school_id = %s", (c.schools["yx1"],)
            )
        }
    assert shown == seen == {TEACHERS["t1"][1], TEACHERS["t2"][1]}
    # writes on the unit's behalf: 学号 from the city-wide counter, a seat in a city course,
    # an import batch (rows inserted, not copied), audit rows, an SMS code
    added = run(
        "teacher",
        "add",
        "--name",
        "王五",
        "--id-number",
        id_number(),
        "--mobile",
        "13900001111",
        "--school",
        "4401040001",
        "--stage",
        "小学",
        "--subject",
        "语文",
    )
    assert added == {"learner_no": "44012600000006"}  # after hz1's 44012600000005
    enrolled = run(
        "enroll", "add", "--period", "2601", "--course", "A1", "--teachers", TEACHERS["t2"][1]
    )
    assert isinstance(enrolled, dict) and enrolled["created"] == 1
    imported = run("teacher", "import", str(_teacher_sheet(bare.tmp, "4401040001", 3)))
    assert isinstance(imported, dict) and imported["created"] == 3
    assert isinstance(imported["batch_id"], int)
    run("verify", "send")
    run("verify", "check", bare.outbox.last_code())
    audit = run("audit", "list")
    assert isinstance(audit, dict)
    assert {i["actor"] for i in audit["items"]} == {"s_yx1"}
    assert {"teacher.add", "enroll.add", "auth.login"} <= {i["action"] for i in audit["items"]}
    with c.connect("s_yx1") as conn:
        count = conn.execute(
            "SELECT count(*) FROM teacher WHERE school_id = %s", (c.schools["yx1"],)
        )
        assert count.fetchone() == (6,)
        assert conn.execute("SELECT enrolled FROM course WHERE code = 'A1'").fetchone() == (1,)
    # another school's teacher: the application says so, and the database would not tell
    other = run("teacher", "show", TEACHERS["t3"][1], code=4)
    assert isinstance(other, dict) and other["ok"] is False
    # a new admin of its school gets a login role with its password at once
    run(
        "account",
        "add",
        "s_yx1c",
        "--role",
        "school",
        "--name",
        "新管理员",
        "--mobile",
        "13900139000",
        "--school",
        "4401040001",
        "--password-stdin",
        input="An0therPass\n",
    )
    taken = run(
        "account", "add", "yx", "--role", "school", "--name", "重名", "--mobile",
        "13900139000", "--school", "4401040001", "--password-stdin", input="An0therPass\n",
        code=5,
    )  # fmt: skip
    assert isinstance(taken, dict) and taken["error"]["message"] == "用户名已存在：yx"
    with c.connect("s_yx1c") as conn:
        assert conn.execute(
            "SELECT count(*) FROM teacher WHERE school_id = %s", (c.schools["yx1"],)
        ).fetchone() == (6,)


@pytest.mark.postgres
def test_a_district_admin_through_its_role_sees_its_schools_accounts(
    city: tuple[City, Engine], bare: Cli
) -> None:
    c, _ = city
    run = _as(bare, c.role_url("yx"), "yx")
    listed = run("account", "list")
    assert isinstance(listed, dict)
    assert {a["username"] for a in listed["items"]} == {"yx", "s_yx1", "s_yx2"}
    with c.connect("yx") as conn:
        assert {r[0] for r in conn.execute("SELECT username FROM account")} == {
            "yx",
            "s_yx1",
            "s_yx2",
        }


@pytest.mark.postgres
@pytest.mark.skipif(shutil.which("pg_restore") is None, reason="pg_restore 未安装")
def test_backup_through_pg_dump_restores_into_an_empty_database(
    city: tuple[City, Engine], bare: Cli
) -> None:
    c, _ = city
    owner = _as(bare, c.url(), "admin")
    target = bare.tmp / "city.dump"
    target.write_bytes(b"an older backup")
    refused = owner("db", "backup", str(target), code=5)
    assert isinstance(refused, dict) and refused["ok"] is False
    assert target.read_bytes() == b"an older backup"
    # through an account's login role pg_dump meets row-level security: nothing is replaced
    through_role = _as(bare, c.role_url("admin"), "admin")
    failed = through_role("db", "backup", str(target), "--overwrite", code=10)
    assert isinstance(failed, dict) and "pg_dump" in failed["error"]["message"]
    assert target.read_bytes() == b"an older backup"
    assert sorted(p.name for p in bare.tmp.iterdir() if p.name.startswith(".city.dump")) == []
    owner = _as(bare, c.url(), "admin")
    done = owner("db", "backup", str(target), "--overwrite")
    assert isinstance(done, dict) and done["bytes"] == target.stat().st_size
    assert target.read_bytes().startswith(b"PGDMP")
    restored = f"{c.prefix}restored"
    with c.superuser() as su:
        su.execute(f'CREATE DATABASE "{restored}" OWNER "{c.owner}"')
    try:
        conninfo = c.conninfo().rsplit("/", 1)[0] + f"/{restored}"
        subprocess.run(
            [
                "pg_restore",
                "--no-owner",
                f"--role={c.owner}",
                "--exit-on-error",
                "-d",
                conninfo.replace(f"//{c.owner}@", "//postgres@"),
                str(target),
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        counts = "SELECT (SELECT count(*) FROM teacher), (SELECT count(*) FROM account),"
        counts += " (SELECT count(*) FROM enrollment), (SELECT count(*) FROM audit_log)"
        with psycopg.connect(c.conninfo()) as src, psycopg.connect(conninfo) as dst:
            assert src.execute(counts).fetchone() == dst.execute(counts).fetchone()
            # the policies came along: a row-secured table in the copy too
            secured = dst.execute("SELECT relrowsecurity FROM pg_class WHERE relname = 'teacher'")
            assert secured.fetchone() == (True,)
        listed = bare.json("--db", c.url().rsplit("/", 1)[0] + f"/{restored}", "school", "list")
        assert listed["total"] == 3
    finally:
        with c.superuser() as su:
            su.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')


@pytest.mark.postgres
def test_a_receiving_school_asks_for_another_districts_teacher_through_its_role(
    city: tuple[City, Engine], bare: Cli
) -> None:
    c, _ = city
    run = _as(bare, c.role_url("s_yx1"), "s_yx1")
    found = run("transfer", "request", TEACHERS["t4"][1], "--to", "4401040001")
    assert isinstance(found, dict) and isinstance(found["id"], int)
    listed = run("transfer", "list")
    assert isinstance(listed, dict)
    assert {(t["learner_no"], t["from_school_code"]) for t in listed["items"]} == {
        (TEACHERS["t4"][1], "4401050001"),
        (TEACHERS["t5"][1], "4401050001"),
    }
    blocked = run("transfer", "request", TEACHERS["t5"][1], "--to", "4401040001", code=5)
    assert isinstance(blocked, dict) and "待审批的调动申请" in blocked["error"]["message"]
    # the school now reads the teacher it asked for, and still none of its enrollments
    with c.connect("s_yx1") as conn:
        names = {r[0] for r in conn.execute("SELECT learner_no FROM teacher")}
        assert TEACHERS["t4"][1] in names
        mine = conn.execute(
            "SELECT count(*) FROM enrollment WHERE teacher_id = %s", (c.teachers["t4"],)
        )
        assert mine.fetchone() == (0,)


@pytest.mark.postgres
def test_a_special_training_application_passes_three_roles_each_through_its_own_login(
    city: tuple[City, Engine], bare: Cli
) -> None:
    """The school applies for its teacher, the district and the project's institution review
    — each connected as its own role — and the last approval enrolls the teacher."""
    c, _ = city
    with c.superuser() as su:
        su.execute(
            "INSERT INTO course (period, code, name, level, course_type, hour_type, hours, fee,"
            " material_fee, charging_unit, declarer, enrolled, status, approval, version,"
            " created_at, updated_at) VALUES ('2601', 'ZX01', '专项', '专项培训', '面授',"
            " '专业科目', 24, 0, 0, %s, %s, 0, '上线', 'approved', 1, now(), now())",
            (INSTITUTION_B, INSTITUTION_A),  # charged by 乙, declared by 甲 (the project's)
        )
    school = _as(bare, c.role_url("s_yx1"), "s_yx1")
    applied = school("special-training", "apply", "ZX01", "--teacher", TEACHERS["t2"][1])
    assert isinstance(applied, dict)
    app_id = str(applied["id"])
    school("special-training", "review", app_id, "--approve")
    district = _as(bare, c.role_url("yx"), "yx")
    district("special-training", "review", app_id, "--approve")
    project = _as(bare, c.role_url("ib"), "ib")  # the charging unit
    listed = project("special-training", "list")
    assert isinstance(listed, dict) and [i["id"] for i in listed["items"]] == [int(app_id)]
    done = project("special-training", "review", app_id, "--approve")
    assert isinstance(done, dict) and done["state"] == "已通过"
    with c.connect("ia") as conn:  # the declarer sees the project's applications too
        assert conn.execute("SELECT count(*) FROM special_training_application").fetchone() == (1,)
    with c.connect("s_yx1") as conn:
        enrolled = conn.execute(
            "SELECT count(*) FROM enrollment e JOIN course c ON c.id = e.course_id"
            " WHERE c.code = 'ZX01' AND e.teacher_id = %s",
            (c.teachers["t2"],),
        )
        assert enrolled.fetchone() == (1,)


@pytest.mark.postgres
def test_adding_another_schools_teacher_through_a_role_says_whose_it_is(
    city: tuple[City, Engine], bare: Cli
) -> None:
    """The ID number belongs to a teacher the school's role cannot read: jjadmin answers as
    it does for the owner — whose teacher it is, and how to ask for a transfer."""
    c, _ = city
    with c.superuser() as su:
        row = su.execute("SELECT id_number FROM teacher WHERE id = %s", (c.teachers["t4"],))
        taken = row.fetchone()[0]  # type: ignore[index]
    expected = f"该身份证号已属于测试学校0001（4401050001）的教师，学号 {TEACHERS['t4'][1]}"
    for url in (c.url(), c.role_url("s_yx1")):
        run = _as(bare, url, "s_yx1")
        refused = run(
            "teacher", "add", "--name", "教师t4", "--id-number", taken, "--mobile",
            "13900001111", "--school", "4401040001", "--stage", "小学", "--subject", "语文",
            code=5,
        )  # fmt: skip
        assert isinstance(refused, dict) and refused["error"]["message"] == expected
        assert "transfer request" in refused["error"]["hint"]


@pytest.mark.postgres
def test_a_school_and_its_district_do_their_days_work_each_through_its_own_role(
    city: tuple[City, Engine], bare: Cli
) -> None:
    """The commands of a school's and a district's day, every one connected as the account's
    own login role: nothing the application allows is refused by the database."""
    c, _ = city
    t1, t2 = TEACHERS["t1"][1], TEACHERS["t2"][1]
    school = _as(bare, c.role_url("s_yx1"), "s_yx1")
    school("teacher", "set", t1, "--title", "一级教师")
    school("teacher", "reopen", t1)
    school("teacher", "submit", t1, "--mobile", "13900002222")
    school("teacher", "review", t1, "--approve")
    school("teacher", "principal", "grant", t1)
    school("teacher", "archive", t2, "--as", "离职")
    school("teacher", "archive", t2, "--as", "在职")
    reset = school("teacher", "passwd-reset", t2, "--show")
    assert isinstance(reset, dict) and reset["learner_no"] == t2
    sheet = bare.tmp / "选课.csv"
    sheet.write_text(f"学号,课程编号\n{t1},B1\n{t2},B1\n", encoding="utf-8")
    imported = school("enroll", "import", str(sheet), "--period", "2601")
    assert isinstance(imported, dict) and imported["created"] == 2
    school("enroll", "drop", "--period", "2601", "--teacher", t2, "--course", "B1")
    school(
        "course", "declare", "--period", "2601", "--code", "XB01", "--name", "校本课程",
        "--hours", "8", "--hour-type", "专业科目", "--type", "面授",
    )  # fmt: skip
    roster = school("teacher", "import", str(_teacher_sheet(bare.tmp, "4401040001", 2)))
    assert isinstance(roster, dict)
    undone = school("batch", "undo", str(roster["batch_id"]), "--yes")
    assert isinstance(undone, dict) and undone["deleted"] == 2
    batches = school("batch", "list")
    assert isinstance(batches, dict) and batches["total"] == 2
    other = _as(bare, c.role_url("s_yx2"), "s_yx2")
    asked = other("transfer", "request", t2, "--to", "4401040002")
    assert isinstance(asked, dict)
    district = _as(bare, c.role_url("yx"), "yx")
    district("course", "approve", "XB01", "--period", "2601")
    district("transfer", "approve", str(asked["id"]))
    district("school", "set", "4401040002", "--seal-name", "广州市越秀区第二学校")
    district("account", "disable", "s_yx2")
    district("account", "enable", "s_yx2")
    listed = district("teacher", "list", "--school", "4401040002")
    assert isinstance(listed, dict)
    assert {i["learner_no"] for i in listed["items"]} == {TEACHERS["t3"][1], t2}
    audit = district("audit", "list", "--limit", "200")
    assert isinstance(audit, dict)
    assert {i["actor"] for i in audit["items"]} == {"s_yx1", "s_yx2", "yx"}
    with c.connect("s_yx1") as conn:  # its teacher went; the transfer keeps it readable
        mine = conn.execute(
            "SELECT learner_no FROM teacher WHERE school_id = %s", (c.schools["yx1"],)
        )
        assert {r[0] for r in mine} == {t1}


@pytest.mark.postgres
def test_an_institution_the_city_and_cron_through_their_own_roles(
    city: tuple[City, Engine], bare: Cli
) -> None:
    from jjadmin.services.courses import HEADERS as COURSE_HEADERS
    from tests.helpers_school import school_row, write_csv

    c, _ = city
    columns = list(COURSE_HEADERS.values())
    values = {
        "期数": "2601", "课程编号": "JA02", "课程名称": "机构甲新课", "培训级别": "全员培训",
        "课程类型": "面授", "学时类型": "专业科目", "学时": "24", "培训费用": "120",
        "收费单位": INSTITUTION_A,
    }  # fmt: skip
    sheet = write_csv(bare.tmp / "课程.csv", [[values.get(h) for h in columns]], headers=columns)
    institution = _as(bare, c.role_url("ia"), "ia")
    done = institution("course", "import", str(sheet))
    assert isinstance(done, dict) and done["created"] == 1
    listed = institution("enroll", "list", "--period", "2601")
    assert isinstance(listed, dict)
    assert {i["learner_no"] for i in listed["items"]} == {TEACHERS["t1"][1], TEACHERS["t4"][1]}
    city_admin = _as(bare, c.role_url("admin"), "admin")
    city_admin("period", "create", "2602", "--select-from", "2026-09-01", "--select-to",
               "2026-09-20", "--pay-by", "2026-10-10")  # fmt: skip
    schools = write_csv(bare.tmp / "学校.csv", [school_row("4401060001", "440106")])
    city_admin("school", "import", str(schools))
    city_admin(
        "account", "add", "th", "--role", "district", "--district", "440106", "--name", "天河",
        "--mobile", "13900139000", "--password-stdin", input="Th1sPassword\n",
    )  # fmt: skip
    issued = city_admin("account", "token", "cron", "--days", "30")
    assert isinstance(issued, dict)
    bare.monkeypatch.setenv("JJADMIN_TOKEN", str(issued["token"]))
    stats = bare.json("--db", c.role_url("cron"), "enroll", "stats", "--period", "2601",
                      "--by", "district")  # fmt: skip
    assert {i["district_code"] for i in stats["items"]} == {"440104", "440105"}  # the city's
    refused = bare.json("--db", c.role_url("cron"), "school", "set", "4401040001",
                        "--seal-name", "x", code=3)  # fmt: skip
    assert refused["ok"] is False
