"""`jjadmin credits declare|resubmit|review|list|show|import|template` and `me declare` end to
end (SQLite file): 个人申报 → 学校初审 → 区终审 → 已通过, with proofs and sheets."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from jjadmin.db import make_engine, session_factory
from tests.conftest import Cli
from tests.factories import id_number, make_school, make_teacher

PDF = b"%PDF-1.7\n" + b"x" * 300
HEADERS = [
    "学号",
    "培训年度",
    "项目名称",
    "培训机构",
    "开始日期",
    "结束日期",
    "学时",
    "学时类型",
    "证明材料",
]


@dataclass
class Data:
    learners: list[str]  # school A (440104)
    first_passwords: list[str]
    far: str  # school C (440105)


@pytest.fixture
def data(cli: Cli) -> Data:
    engine = make_engine(cli.db_url)
    with session_factory(engine)() as s:
        a = make_school(s, "4401040001", "440104")
        c = make_school(s, "4401050001", "440105")
        idents = [id_number(seq=7700 + n) for n in range(2)]
        ts = [make_teacher(s, a, id_number=i) for i in idents]
        far = make_teacher(s, c)
        s.commit()
        result = Data([t.learner_no for t in ts], [i[-6:] for i in idents], far.learner_no)
    engine.dispose()
    cli.add_account("sa", "school", "--school", "4401040001")
    cli.add_account("sc", "school", "--school", "4401050001")
    cli.add_account("yx", "district", "--district", "440104")
    cli.add_account("hz", "district", "--district", "440105")
    return result


DECLARE = [
    "--year",
    "2026",
    "--project",
    "课堂教学研修班",
    "--institution",
    "广州市教育研究院",
    "--from",
    "2026-01-05",
    "--to",
    "2026-01-09",
    "--hours",
    "40",
    "--hour-type",
    "专业科目",
]


def proof(cli: Cli, name: str = "证书.pdf", content: bytes = PDF) -> str:
    path = cli.tmp / name
    path.write_bytes(content)
    return str(path)


def review(cli: Cli, who: str, did: int, *extra: str, code: int = 0) -> Any:
    cli.login(who)
    return cli.json("credits", "review", str(did), *extra, code=code)


def test_a_teacher_declares_and_both_levels_approve(cli: Cli, data: Data) -> None:
    cli.login_teacher(data.learners[0], data.first_passwords[0])
    human = cli.run("me", "declare", *DECLARE, "--attach", proof(cli))
    did = int(human.stdout.strip())
    assert "待初审" in human.stderr
    mine = cli.json("credits", "list")
    assert mine["total"] == 1
    item = mine["items"][0]
    assert {
        k: item[k]
        for k in ("id", "learner_no", "year", "project", "hours", "hour_type", "state", "rounds")
    } == {
        "id": did,
        "learner_no": data.learners[0],
        "year": 2026,
        "project": "课堂教学研修班",
        "hours": "40.0",
        "hour_type": "专业科目",
        "state": "待初审",
        "rounds": 1,
    }
    review(cli, "yx", did, "--approve", code=5)  # 终审 before 初审
    assert review(cli, "sa", did, "--approve")["state"] == "待终审"
    review(cli, "hz", did, "--approve", code=3)  # another district
    done = review(cli, "yx", did, "--approve")
    assert done["state"] == "已通过"
    assert [(r["review_level_label"], r["decision"]) for r in done["reviews"]] == [
        ("初审", "通过"),
        ("终审", "通过"),
    ]
    shown = cli.json("credits", "show", str(did))
    assert shown["attachments"] == [
        {
            "id": shown["attachments"][0]["id"],
            "name": "证书.pdf",
            "size": len(PDF),
            "sha256": hashlib.sha256(PDF).hexdigest(),
            "round": 1,
        }
    ]
    aid = str(shown["attachments"][0]["id"])
    saved = cli.tmp / "下载.pdf"
    cli.run("credits", "proof", str(did), aid, "--out", str(saved), code=3)  # not verified
    assert not saved.exists()
    cli.verify()
    got = cli.json("credits", "proof", str(did), aid, "--out", str(saved))
    assert saved.read_bytes() == PDF and got["sha256"] == hashlib.sha256(PDF).hexdigest()
    cli.run("credits", "proof", str(did), aid, "--out", str(saved), code=5)  # no overwrite
    human_show = cli.run("credits", "show", str(did))
    assert "终审" in human_show.stdout and "证书.pdf" in human_show.stdout
    engine = make_engine(cli.db_url)
    with engine.connect() as conn:
        credited = conn.execute(
            text("SELECT source, source_ref, hours, hour_type FROM credit_record")
        ).all()
    engine.dispose()
    assert [(r[0], r[1], Decimal(str(r[2])), r[3]) for r in credited] == [
        ("declaration", str(did), Decimal(40), "专业科目")
    ]
    cli.login("admin")
    ledger = cli.json("credits", "ledger", data.learners[0])
    assert [(i["year"], i["hour_type"], i["source"]) for i in ledger["items"]] == [
        (2026, "专业科目", "declaration")
    ]
    assert Decimal(str(ledger["total"])) == 40


def test_a_school_admin_declares_returns_and_the_teacher_resubmits(cli: Cli, data: Data) -> None:
    cli.login("sa")
    did = cli.json("credits", "declare", data.learners[1], *DECLARE)["id"]
    cli.run("credits", "declare", data.far, *DECLARE, code=3)  # another school's teacher
    cli.run("credits", "review", str(did), "--return", code=2)  # no reason
    cli.run("credits", "review", str(did), "--approve", "--return", "--reason", "x", code=2)
    back = review(cli, "sa", did, "--return", "--reason", "请补充盖章证明")
    assert back["state"] == "已退回"
    assert back["reviews"][0]["reason"] == "请补充盖章证明"
    cli.login_teacher(data.learners[1], data.first_passwords[1])
    again = cli.json(
        "credits", "resubmit", str(did), "--hours", "32", "--attach", proof(cli, "盖章.pdf")
    )
    assert (again["state"], again["rounds"], again["hours"]) == ("待初审", 2, "32.0")
    cli.run("credits", "resubmit", str(did), code=5)  # waiting again: nothing to resubmit
    listed = cli.json("credits", "list", "--state", "待初审")
    assert [i["rounds"] for i in listed["items"]] == [2]


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        (["--hours", "0"], 1, "大于 0"),
        (["--hours", "1001"], 1, "最多 1000"),
        (["--to", "2026-01-01"], 1, "早于开始日期"),
        (["--from", "2026-13-01"], 1, "日期"),
        (["--hour-type", "体育"], 1, "学时类型"),
        (["--year", "2025"], 1, "不在培训年度"),
    ],
)
def test_bad_declarations_exit_1_with_a_chinese_message(
    cli: Cli, data: Data, change: list[str], code: int, words: str
) -> None:
    cli.login("sa")
    args = list(DECLARE)
    i = args.index(change[0])
    args[i + 1] = change[1]
    result = cli.run("credits", "declare", data.learners[0], *args, code=code)
    assert words in result.stderr


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("setup.pdf", b"MZ\x90\x00\x03" + b"\x00" * 500, 1),  # an executable renamed .pdf
        ("empty.jpg", b"", 1),
        ("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024 - 4), 1),  # 10 MB + 1 byte
    ],
)
def test_nasty_attachments(cli: Cli, data: Data, name: str, content: bytes, code: int) -> None:
    cli.login("sa")
    result = cli.run(
        "credits",
        "declare",
        data.learners[0],
        *DECLARE,
        "--attach",
        proof(cli, name, content),
        code=code,
    )
    assert name in result.stderr
    cli.login("admin")
    assert cli.json("credits", "list")["total"] == 0
    cli.login("sa")
    cli.run(
        "credits",
        "declare",
        data.learners[0],
        *DECLARE,
        "--attach",
        str(cli.tmp / "missing.pdf"),
        code=4,
    )


def test_list_filters_scope_and_show_out_of_scope(cli: Cli, data: Data) -> None:
    cli.login("sa")
    a = cli.json("credits", "declare", data.learners[0], *DECLARE)["id"]
    cli.login("sc")
    c = cli.json("credits", "declare", data.far, *DECLARE[:-2], "--hour-type", "公需科目")["id"]
    cli.login("yx")
    assert [i["id"] for i in cli.json("credits", "list")["items"]] == [a]
    cli.run("credits", "show", str(c), code=3)
    cli.run("credits", "show", "999", code=4)
    cli.login("admin")
    assert [i["id"] for i in cli.json("credits", "list", "--hour-type", "公需科目")["items"]] == [c]
    assert [
        i["id"]
        for i in cli.json(
            "credits",
            "list",
            "--school",
            "4401040001",
            "--year",
            "2026",
            "--project",
            "研修",
            "--institution",
            "研究院",
            "--learner",
            data.learners[0],
        )["items"]
    ] == [a]
    cli.run("credits", "list", "--state", "审核中", code=1)
    human = cli.run("credits", "list")
    assert "课堂教学研修班" in human.stdout


def test_import_template_dry_run_all_or_nothing_skip_invalid_and_undo(
    cli: Cli, data: Data, xlsx: Callable[..., Path]
) -> None:
    cli.login("sa")
    template = cli.tmp / "模板.xlsx"
    cli.run("credits", "template", str(template))
    cli.run("credits", "template", str(template), code=5)  # never overwritten silently
    import openpyxl

    first = openpyxl.load_workbook(template).worksheets[0]
    assert [c.value for c in first[1]] == HEADERS
    empty = cli.json("credits", "import", str(template), code=1)  # the blank template: no rows
    assert empty["created"] == 0 and "没有数据行" in empty["errors"][0]["message"]
    good = [
        data.learners[0],
        2026,
        "班主任培训",
        "市教研院",
        "2026-02-01",
        "2026-02-03",
        24,
        "专业科目",
        "结业证书",
    ]
    rows = [
        good,
        [
            data.learners[1],
            "2026",
            "心理健康",
            "华南师大",
            "2026-01-10",
            "2026-01-12",
            "12.5",
            "公需科目",
            None,
        ],
        [
            data.learners[1],
            2026,
            "读书会",
            "区教育局",
            "2026-03-01",
            "2026-02-01",
            6,
            "个人选修",
            None,
        ],  # end < start
        [
            data.far,
            2026,
            "读书会",
            "区教育局",
            "2026-01-01",
            "2026-01-02",
            6,
            "个人选修",
            None,
        ],  # another school
        [
            data.learners[0],
            2026,
            "良好",
            "x",
            "2026-01-01",
            "2026-01-02",
            1001,
            "个人选修",
            None,
        ],  # hours
        [data.learners[0], 2026, "x", "x", "2026-01-01", "2026-01-02", 5, "体育", None],  # type
        [
            data.learners[0],
            2025,
            "跨年",
            "x",
            "2026-01-01",
            "2026-01-02",
            5,
            "个人选修",
            None,
        ],  # year
        good,  # repeated row
    ]
    sheet = xlsx("申报.xlsx", HEADERS, rows)
    refused = cli.json("credits", "import", str(sheet), code=1)
    assert refused["ok"] is False and refused["created"] == 0
    assert sorted(e["row"] for e in refused["errors"]) == [4, 5, 6, 7, 8, 9]
    assert cli.json("credits", "list")["total"] == 0  # all or nothing
    errors_to = cli.tmp / "错误.xlsx"
    dry = cli.json(
        "credits",
        "import",
        str(sheet),
        "--skip-invalid",
        "--dry-run",
        "--errors-to",
        str(errors_to),
        code=1,
    )
    assert dry["created"] == 2 and errors_to.exists()
    assert cli.json("credits", "list")["total"] == 0
    done = cli.json("credits", "import", str(sheet), "--skip-invalid", code=1)
    assert done["created"] == 2
    listed = cli.json("credits", "list")
    assert {(i["project"], i["state"], i["hours"]) for i in listed["items"]} == {
        ("班主任培训", "待初审", "24.0"),
        ("心理健康", "待初审", "12.5"),
    }
    clean = xlsx("申报2.xlsx", HEADERS, rows[:2])
    again = cli.json("credits", "import", str(clean))
    assert (again["created"], again["skipped"]) == (0, 2)  # idempotent
    batch = done["batch_id"]
    reviewed = next(i["id"] for i in listed["items"] if i["project"] == "班主任培训")
    review(cli, "sa", reviewed, "--approve")
    cli.run("batch", "undo", str(batch), "--yes", code=5)  # a reviewed declaration stays
    review(cli, "yx", reviewed, "--return", "--reason", "请补充证明")
    cli.login("sa")
    cli.run("batch", "undo", str(batch), "--yes", code=5)
    # a fresh batch nobody reviewed goes away whole
    fresh = xlsx(
        "申报3.xlsx",
        HEADERS,
        [[data.learners[1], 2026, "新课", "机构", "2026-01-01", "2026-01-02", 3, "个人选修", None]],
    )
    b2 = cli.json("credits", "import", str(fresh))["batch_id"]
    cli.run("batch", "undo", str(b2), "--yes")
    assert "新课" not in {i["project"] for i in cli.json("credits", "list")["items"]}


def test_a_teacher_cannot_review_or_import(cli: Cli, data: Data, xlsx: Callable[..., Path]) -> None:
    cli.login("sa")
    did = cli.json("credits", "declare", data.learners[0], *DECLARE)["id"]
    cli.login_teacher(data.learners[1], data.first_passwords[1])
    cli.run("credits", "review", str(did), "--approve", code=3)
    cli.run("credits", "declare", data.learners[0], *DECLARE, code=3)
    sheet = xlsx("s.xlsx", HEADERS, [])
    cli.run("credits", "import", str(sheet), code=3)
    cli.run("credits", "show", str(did), code=3)


def test_nasty_sheets_are_refused_whole(cli: Cli, data: Data, xlsx: Callable[..., Path]) -> None:
    cli.login("sa")
    missing = xlsx(
        "缺列.xlsx",
        HEADERS[:7],
        [[data.learners[0], 2026, "x", "y", "2026-01-01", "2026-01-02", 4]],
    )
    doc = cli.json("credits", "import", str(missing), code=1)
    assert doc["created"] == 0 and any("学时类型" in e["message"] for e in doc["errors"])
    fake = cli.tmp / "申报.xlsx"
    fake.write_bytes(PDF)  # a PDF named .xlsx
    cli.run("credits", "import", str(fake), code=1)
    formula = xlsx(
        "公式.xlsx",
        HEADERS,
        [
            [
                data.learners[0],
                2026,
                '=HYPERLINK("http://x")',
                "机构",
                "2026-01-01",
                "2026-01-02",
                "=1+1",
                "公需科目",
                None,
            ]
        ],
    )
    bad = cli.json("credits", "import", str(formula), code=1)
    assert bad["created"] == 0 and {e["column"] for e in bad["errors"]} >= {"学时"}
    cli.login("admin")
    assert cli.json("credits", "list")["total"] == 0


@pytest.mark.parametrize("broken", ["unreadable", "bad-rows"])
def test_a_role_that_may_not_import_declarations_is_refused_before_the_sheet_is_read(
    cli: Cli, data: Data, xlsx: Callable[..., Path], broken: str
) -> None:
    if broken == "unreadable":
        sheet = cli.tmp / "申报.xlsx"
        sheet.write_bytes(PDF)  # a PDF named .xlsx
    else:
        sheet = xlsx("坏.xlsx", HEADERS[:7], [["坏学号XYZ", 1900, "x", "y", "z", "w", -4]])
    cli.add_account("inst", "institution", "--institution", "广州市教师培训机构")
    cli.login("inst")  # an admin whose role never imports 学时申报
    for who in ("inst", "teacher"):
        if who == "teacher":
            cli.login_teacher(data.learners[1], data.first_passwords[1])
        result = cli.run("credits", "import", str(sheet), "--json", code=3)
        text = result.stdout + result.stderr
        assert "无权导入学时申报" in text
        assert "坏学号XYZ" not in text and '"row"' not in text and "xlsx" not in text
