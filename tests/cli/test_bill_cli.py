"""`jjadmin bill …` end to end (SQLite file): JSON shapes, files, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from jjadmin.db import make_engine, session_factory
from tests.conftest import Cli
from tests.helpers_billing import TV, YX_CENTRE, City, build_city, pdf_text
from tests.xlsx_helpers import make_xlsx

AFTER_SELECTION = "2026-04-01T10:00:00+08:00"


@pytest.fixture
def city(cli: Cli) -> City:
    engine = make_engine(cli.db_url)
    with session_factory(engine)() as s:
        c = build_city(s)
    engine.dispose()
    cli.add_account("sa1", "school", "--school", "4401040001", mobile="13900139002")
    cli.add_account("tv", "institution", "--institution", TV, mobile="13900139003")
    at(cli, AFTER_SELECTION)
    return c


def at(cli: Cli, when: str, user: str = "admin") -> None:
    """Move the clock and log in again (a session lasts 8 hours)."""
    cli.set_now(when)
    cli.login(user)


def generated(cli: Cli) -> dict[tuple[str, str], str]:
    cli.json("bill", "generate", "--period", "2601")
    items = cli.json("bill", "list", "--period", "2601")["items"]
    return {(i["school_code"], i["charging_unit"]): i["bill_no"] for i in items}


def test_generate_prints_the_count_and_the_amount(cli: Cli, city: City) -> None:
    doc = cli.json("bill", "generate", "--period", "2601")
    assert (doc["bills"], doc["amount"], doc["created"]) == (3, "570.00", 3)
    again = cli.json("bill", "generate", "--period", "2601")
    assert (again["bills"], again["amount"], again["created"], again["unchanged"]) == (
        3,
        "570.00",
        0,
        3,
    )


def test_generating_during_selection_is_a_conflict(cli: Cli, city: City) -> None:
    at(cli, "2026-03-20T10:00:00+08:00")
    result = cli.run("bill", "generate", "--period", "2601", code=5)
    assert "选课尚未结束" in result.stderr


def test_list_items_carry_the_spec_keys_and_money_as_decimal_strings(cli: Cli, city: City) -> None:
    generated(cli)
    doc = cli.json("bill", "list", "--period", "2601", "--school", "4401060001")
    assert doc["total"] == 1
    (item,) = doc["items"]
    assert {k: item[k] for k in ("period", "school_code", "charging_unit", "amount", "state")} == {
        "period": "2601",
        "school_code": "4401060001",
        "charging_unit": TV,
        "amount": "200.00",
        "state": "unpaid",
    }
    assert item["bill_no"].startswith("ZD2601-")
    human = cli.run("bill", "list", "--period", "2601").stdout
    assert "账单号" in human and "处理状态" in human and item["bill_no"] in human


def test_show_lists_the_items_per_course(cli: Cli, city: City) -> None:
    bills = generated(cli)
    doc = cli.json("bill", "show", bills[("4401040001", TV)])
    assert doc["amount"] == "320.00" and doc["payer"] == "广州市越秀区第一小学"
    assert [(i["course_code"], i["enrollments"], i["amount"]) for i in doc["items"]] == [
        ("C1", 2, "240.00"),
        ("C2", 1, "80.00"),
    ]


def test_the_notice_is_a_pdf_with_payer_payee_and_the_amount_in_capitals(
    cli: Cli, city: City, tmp_path: Path
) -> None:
    bills = generated(cli)
    no = bills[("4401040001", TV)]
    cli.login("sa1")
    out = tmp_path / "通知书.pdf"
    doc = cli.json("bill", "notice", no, "--out", str(out))
    assert {
        k: doc[k] for k in ("file", "bill_no", "payer", "payee", "amount", "amount_in_words")
    } == {
        "file": str(out),
        "bill_no": no,
        "payer": "广州市越秀区第一小学",
        "payee": TV,
        "amount": "320.00",
        "amount_in_words": "叁佰贰拾元整",
    }
    assert out.read_bytes().startswith(b"%PDF-")
    text = pdf_text(out)
    for expected in (
        "缴款通知书",
        no,
        "广州市越秀区第一小学",
        TV,
        "叁佰贰拾元整",
        "320.00",
        "2026年04月01日",
    ):
        assert expected in text
    again = cli.run("bill", "notice", no, "--out", str(out), code=5)
    assert "文件已存在" in again.stderr
    cli.run("bill", "notice", no, "--out", str(out), "--overwrite")
    other = bills[("4401060001", TV)]
    cli.run("bill", "notice", other, "--out", str(tmp_path / "x.pdf"), code=3)
    assert not (tmp_path / "x.pdf").exists()
    cli.run("bill", "notice", no, "--out", str(tmp_path / "x.txt"), code=1)


def test_pay_reports_each_bad_input_with_its_exit_code(cli: Cli, city: City) -> None:
    bills = generated(cli)
    no = bills[("4401040001", TV)]
    assert "账单不存在" in cli.run("bill", "pay", "ZD2601-999999", "--receipt", "R1", code=4).stderr
    wrong = cli.run("bill", "pay", no, "--receipt", "R1", "--amount", "300", code=1)
    assert "应缴 320.00 元" in wrong.stderr
    assert cli.json("bill", "show", no)["state"] == "unpaid"
    doc = cli.json("bill", "pay", no, "--receipt", "R1", "--amount", "320.00")
    assert (doc["state"], doc["enrollments"], doc["amount"]) == ("paid", 3, "320.00")
    twice = cli.run("bill", "pay", bills[("4401060001", TV)], "--receipt", "R1", code=5)
    assert "已用于账单" in twice.stderr
    cli.login("sa1")
    cli.run("bill", "pay", bills[("4401040001", YX_CENTRE)], "--receipt", "R2", code=3)
    enrolled = cli.json("enroll", "list", "--period", "2601", "--teacher", city.t1.learner_no)
    paid = {i["course_code"]: i["paid"] for i in enrolled["items"]}
    assert paid == {"C1": True, "C2": True, "F1": False, "D1": False}


def test_import_payments_reconciles_and_refuses_a_sheet_with_a_wrong_amount(
    cli: Cli, city: City, tmp_path: Path
) -> None:
    bills = generated(cli)
    sheet = make_xlsx(
        tmp_path / "缴费.xlsx",
        [
            ["账单号", "金额", "缴费日期", "票据号"],
            [bills[("4401040001", TV)], "320.00", "2026-04-03", "P1"],
            [bills[("4401060001", TV)], "210.00", "2026-04-03", "P2"],
        ],
    )
    errors = tmp_path / "缴费错误.xlsx"
    result = cli.run(
        "bill", "import-payments", str(sheet), "--errors-to", str(errors), "--json", code=1
    )
    doc = json.loads(result.stdout)
    assert (doc["ok"], doc["created"], doc["matched"], doc["wrong_amount"]) == (False, 0, 1, 1)
    assert doc["errors"] == [
        {
            "row": 3,
            "column": "金额",
            "value": "210.00",
            "message": f"金额不符：账单 {bills[('4401060001', TV)]} 应缴 200.00 元，本行 210.00 元",
        }
    ]
    assert errors.exists()
    assert cli.json("bill", "show", bills[("4401040001", TV)])["state"] == "unpaid"
    human = cli.run("bill", "import-payments", str(sheet), code=1)
    assert "对账：匹配 1，金额不符 1" in human.stderr


def test_import_payments_pays_a_good_sheet_once(cli: Cli, city: City, tmp_path: Path) -> None:
    bills = generated(cli)
    cli.login("tv")
    sheet = make_xlsx(
        tmp_path / "缴费.xlsx",
        [
            ["账单号", "金额", "缴费日期", "票据号"],
            [bills[("4401040001", TV)], 320, "2026-04-03", "P1"],
            [bills[("4401060001", TV)], 200, "2026-04-03", "P2"],
        ],
    )
    doc = cli.json("bill", "import-payments", str(sheet))
    assert (doc["ok"], doc["created"], doc["matched"]) == (True, 2, 2)
    again = cli.json("bill", "import-payments", str(sheet))
    assert (again["ok"], again["created"], again["skipped"]) == (True, 0, 2)
    summary = cli.json("bill", "summary", "--period", "2601")
    assert (summary["billed"], summary["paid"], summary["outstanding"]) == (
        "520.00",
        "520.00",
        "0.00",
    )


def test_admissions_and_declaration_need_the_sms_verification(
    cli: Cli, city: City, tmp_path: Path
) -> None:
    generated(cli)
    out = tmp_path / "录取.xlsx"
    denied = cli.run("bill", "admissions", "--period", "2601", "--out", str(out), code=3)
    assert "短信验证" in denied.stderr and not out.exists()
    cli.verify()
    doc = cli.json("bill", "admissions", "--period", "2601", "--out", str(out))
    assert doc["rows"] == 7
    rows = list(load_workbook(out).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert list(rows[0]) == [
        "期数",
        "行政区划",
        "学校",
        "收费单位",
        "任教科目",
        "学号",
        "姓名",
        "课程编号",
        "课程名称",
        "课程属性",
        "学时",
        "培训费用",
        "教材费用",
        "合计",
        "支付状态",
    ]
    c2 = next(r for r in rows if r[7] == "C2" and r[6] == "张一")
    assert (c2[1], c2[11], c2[12], c2[13], c2[14]) == ("越秀区", 60, 20, 80, "未缴费")
    assert next(r for r in rows if r[7] == "F1")[14] == "无需缴费"
    declared = cli.json(
        "bill",
        "declaration",
        "--period",
        "2601",
        "--school",
        "4401040001",
        "--out",
        str(tmp_path / "申报表.pdf"),
    )
    assert (declared["total"], declared["outstanding_in_words"]) == ("370.00", "叁佰柒拾元整")
    assert "学校交费申报表" in pdf_text(tmp_path / "申报表.pdf")
    cli.json(
        "bill",
        "declaration",
        "--period",
        "2601",
        "--school",
        "4401040001",
        "--out",
        str(tmp_path / "申报表.xlsx"),
    )
    book = load_workbook(tmp_path / "申报表.xlsx")
    assert book.sheetnames == ["申报表", "名单"]


def test_summary_gives_billed_paid_and_outstanding_per_school_and_unit(
    cli: Cli, city: City
) -> None:
    bills = generated(cli)
    cli.json("bill", "pay", bills[("4401060001", TV)], "--receipt", "R1")
    doc = cli.json("bill", "summary", "--period", "2601")
    rows = {(i["school_code"], i["charging_unit"]): i for i in doc["items"]}
    assert (rows[("4401060001", TV)]["paid"], rows[("4401060001", TV)]["outstanding"]) == (
        "200.00",
        "0.00",
    )
    assert rows[("4401040001", TV)]["outstanding"] == "320.00"
    assert (doc["billed"], doc["paid"], doc["outstanding"]) == ("570.00", "200.00", "370.00")


def test_the_payment_template_has_the_sheets_columns(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "缴费模板.xlsx"
    cli.json("bill", "template", str(out))
    header = next(load_workbook(out).worksheets[0].iter_rows(values_only=True))
    assert [h.rstrip("*") for h in header if h] == ["账单号", "金额", "缴费日期", "票据号"]
    cli.run("bill", "template", str(out), code=5)


def test_bill_list_on_the_raw_path_agrees_with_the_orm_for_every_role(
    cli: Cli, city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13: `bill list` reads through the DB-API with the same scope."""
    from jjadmin.services import bill_listing
    from jjadmin.services.billing import bills

    generated(cli)
    cli.add_account("yx", "district", "--district", "440104", mobile="13900139004")
    for user in ("admin", "sa1", "tv", "yx"):
        at(cli, AFTER_SELECTION, user)
        for extra in ((), ("--state", "未缴费"), ("--school", "4401040001"), ("--unit", TV)):
            raw = cli.run("bill", "list", "--period", "2601", "--json", *extra, code=None)
            with monkeypatch.context() as m:
                m.setattr(bill_listing, "list_bills", bills.list_bills)
                orm = cli.run("bill", "list", "--period", "2601", "--json", *extra, code=None)
            assert (raw.exit_code, raw.stdout) == (orm.exit_code, orm.stdout), (user, extra)
    at(cli, AFTER_SELECTION, "tv")
    mine = cli.json("bill", "list", "--period", "2601")["items"]
    assert mine and {i["charging_unit"] for i in mine} == {TV}


@pytest.fixture
def cli(any_cli: Cli) -> Cli:
    """This module's commands run on SQLite and on PostgreSQL (issue 16)."""
    return any_cli
