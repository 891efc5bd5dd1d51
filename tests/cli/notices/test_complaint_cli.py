"""`jjadmin complaint …` and `me complaint …` end to end."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from jjadmin.db import make_engine, session_factory
from tests.conftest import TEACHER_PASSWORD, Cli
from tests.factories import make_school, make_teacher


@pytest.fixture
def teacher(cli: Cli) -> tuple[str, str]:
    engine = make_engine(cli.db_url)
    with session_factory(engine)() as s:
        a = make_school(s, "4401040001", "440104")
        make_school(s, "4401040002", "440104")
        t = make_teacher(s, a)
        s.commit()
        made = (t.learner_no, t.id_number[-6:].upper())
    engine.dispose()
    cli.add_account("d104", "district", "--district", "440104")
    cli.add_account("d105", "district", "--district", "440105")
    cli.add_account("sa", "school", "--school", "4401040001")
    cli.add_account("sb", "school", "--school", "4401040002")
    return made


def test_a_complaint_from_filing_to_closing(
    cli: Cli, teacher: tuple[str, str], tmp_path: Path
) -> None:
    cli.json("complaint", "window", "--year", "2026", "--from", "2026-04-01", "--to", "2026-04-30")
    assert cli.json("complaint", "window", "--year", "2026")["from"].startswith("2026-04-01")
    cli.run("complaint", "window", "--year", "2026", "--from", "2026-04-01", code=2)
    cli.login_teacher(*teacher)
    refused = cli.run("me", "complaint", "file", "--title", "学时", "--body", "b", code=5)
    assert "2026-04-01" in refused.stderr and "2026-04-30" in refused.stderr
    cli.set_now("2026-04-10T09:00:00+08:00")
    cli.login(teacher[0], TEACHER_PASSWORD)  # the session of March has expired
    filed = cli.json("me", "complaint", "file", "--title", "2026年度学时未计入", "--body", "详情")
    other = cli.json("complaint", "file", "--title", "第二件", "--body", "详情")
    mine = cli.json("me", "complaint", "list")
    assert mine["total"] == 2 and mine["items"][0]["state"] == "待处理"
    assert cli.json("me", "complaint", "show", str(filed["id"]))["title"] == "2026年度学时未计入"

    cli.login("sb")
    assert cli.json("complaint", "list")["total"] == 0
    cli.run("complaint", "show", str(filed["id"]), code=3)
    cli.login("sa")
    assert cli.json("complaint", "list", "--state", "待处理")["total"] == 2
    cli.run("complaint", "reply", str(filed["id"]), "--text", "好", code=3)
    cli.login("d105")
    cli.run("complaint", "reply", str(filed["id"]), "--text", "好", code=3)
    cli.login("d104")
    cli.run("complaint", "list", "--state", "open", code=1)
    done = cli.json("complaint", "reply", str(filed["id"]), "--text", "已补录学时")
    assert done["state"] == "已回复"
    shown = cli.json("complaint", "show", str(filed["id"]))
    assert shown["replies"][0]["text"] == "已补录学时" and shown["state"] == "已回复"
    assert cli.json("complaint", "close", str(other["id"]))["state"] == "已关闭"
    cli.run("complaint", "close", str(other["id"]), code=5)
    stats = cli.json("complaint", "stats", "--year", "2026")
    assert stats["items"] == [
        {
            "school_code": "4401040001",
            "school_name": stats["items"][0]["school_name"],
            "district_code": "440104",
            "filed": 2,
            "replied": 1,
            "closed": 1,
            "open": 0,
            "median_days_to_reply": "0.0",
        }
    ]
    out = tmp_path / "投诉统计.xlsx"
    cli.run("complaint", "stats", "--out", str(out))
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("学校代码", "学校名称", "区代码", "投诉数")
    assert rows[1][0] == "4401040001" and rows[1][3] == 2
    cli.run("complaint", "stats", "--out", str(out), code=5)  # never overwritten unasked
    cli.run("complaint", "stats", "--out", str(out), "--overwrite")
