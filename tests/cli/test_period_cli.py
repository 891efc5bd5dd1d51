"""`jjadmin period create/list/show` end to end."""

from __future__ import annotations

import pytest

from tests.conftest import Cli

CREATE = ("--select-from", "2026-03-01", "--select-to", "2026-03-31", "--pay-by", "2026-04-15")


def test_create_prints_the_period_with_its_windows_and_state(cli: Cli) -> None:
    doc = cli.json("period", "create", "2601", *CREATE)
    assert doc == {
        "period": "2601",
        "select_from": "2026-03-01T00:00:00+08:00",
        "select_to": "2026-03-31T23:59:59+08:00",
        "pay_by": "2026-04-15T23:59:59+08:00",
        "state": "selecting",
        "state_label": "选课中",
        "courses": 0,
        "enrollments": 0,
        "last_closed_at": None,
    }


def test_create_accepts_iso_datetimes_with_offsets(cli: Cli) -> None:
    doc = cli.json(
        "period",
        "create",
        "2602",
        "--select-from",
        "2026-09-01T09:00:00+08:00",
        "--select-to",
        "2026-09-20T09:00:00Z",
        "--pay-by",
        "2026-10-01T12:00",
    )
    assert doc["select_to"] == "2026-09-20T17:00:00+08:00"
    assert doc["pay_by"] == "2026-10-01T12:00:00+08:00"
    assert doc["state"] == "before_selection"


def test_a_duplicate_period_exits_5(cli: Cli) -> None:
    cli.run("period", "create", "2601", *CREATE)
    result = cli.run("period", "create", "2601", *CREATE, code=5)
    assert "期数 2601 已存在" in result.stderr


def test_a_duplicate_period_with_json_prints_one_error_document(cli: Cli) -> None:
    cli.run("period", "create", "2601", *CREATE)
    doc = cli.json("period", "create", "2601", *CREATE, code=5)
    assert doc["ok"] is False and doc["error"]["code"] == "conflict"


def test_a_malformed_period_code_exits_1(cli: Cli) -> None:
    for code in ("26011", "2600", "abcd", "26-1"):
        result = cli.run("period", "create", code, *CREATE, code=1)
        assert "期数格式应为 YYNN" in result.stderr


BAD_DATES = [
    (("2026-03-31", "2026-03-01", "2026-04-15"), "必须晚于选课开始时间"),
    (("2026-03-01", "2026-03-31", "2026-03-20"), "不能早于选课结束时间"),
    (("2026-03-01", "31/03/2026", "2026-04-15"), "选课结束时间“31/03/2026”无效"),
]


def test_reversed_or_unreadable_dates_exit_1(cli: Cli) -> None:
    for (start, end, pay), message in BAD_DATES:
        result = cli.run(
            "period",
            "create",
            "2601",
            "--select-from",
            start,
            "--select-to",
            end,
            "--pay-by",
            pay,
            code=1,
        )
        assert message in result.stderr
    assert cli.json("period", "list") == {"items": [], "total": 0}


def test_a_missing_window_option_is_a_usage_error(cli: Cli) -> None:
    cli.run("period", "create", "2601", "--select-from", "2026-03-01", code=2)


def test_only_the_city_creates_periods(cli: Cli) -> None:
    cli.add_account("qu", "district", "--district", "440104")
    cli.login("qu")
    result = cli.run("period", "create", "2601", *CREATE, code=3)
    assert "无权创建期数" in result.stderr


def test_list_follows_the_clock(cli: Cli) -> None:
    cli.run("period", "create", "2601", *CREATE)
    cli.run(
        "period",
        "create",
        "2602",
        "--select-from",
        "2026-09-01",
        "--select-to",
        "2026-09-30",
        "--pay-by",
        "2026-10-15",
    )
    doc = cli.json("period", "list")
    assert doc["total"] == 2
    assert [(i["period"], i["state"]) for i in doc["items"]] == [
        ("2602", "before_selection"),
        ("2601", "selecting"),
    ]
    cli.set_now("2026-04-01T00:00:00+08:00")
    cli.login("admin")  # a session lasts 8 hours
    assert cli.json("period", "list")["items"][1]["state_label"] == "选课已结束"
    cli.set_now("2026-04-16T00:00:00+08:00")
    cli.login("admin")
    assert cli.json("period", "show", "2601")["state"] == "payment_closed"


def test_list_and_show_render_chinese_tables_for_humans(cli: Cli) -> None:
    cli.run("period", "create", "2601", *CREATE)
    listing = cli.run("period", "list").stdout
    assert "选课中" in listing and "缴费截止" in listing and "2026-03-31 23:59" in listing
    shown = cli.run("period", "show", "2601").stdout
    assert "选课结束时间" in shown and "2026-04-15 23:59" in shown


def test_show_of_an_unknown_period_exits_4(cli: Cli) -> None:
    result = cli.run("period", "show", "2702", code=4)
    assert "期数不存在：2702" in result.stderr
    assert "jjadmin period list" in result.stderr


def test_show_of_a_malformed_code_exits_1(cli: Cli) -> None:
    assert "YYNN" in cli.run("period", "show", "9", code=1).stderr


def test_the_city_may_open_a_third_period_in_a_year(cli: Cli) -> None:
    # the seed: 市级教师继续教育分期进行选课，原则上每年两期 — in principle, not a limit
    cli.run(
        "period",
        "create",
        "2603",
        "--select-from",
        "2026-09-01",
        "--select-to",
        "2026-09-20",
        "--pay-by",
        "2026-10-10",
    )
    assert cli.json("period", "show", "2603")["period"] == "2603"


@pytest.fixture
def cli(any_cli: Cli) -> Cli:
    """This module's commands run on SQLite and on PostgreSQL (issue 16)."""
    return any_cli
