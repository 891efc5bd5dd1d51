"""The billing documents as files: 缴款通知书 (PDF), 学校交费申报表 (xlsx or PDF), 附表1
个人取消特殊用户申请表 and 附表2 单位取消特殊用户登记表 (xlsx or PDF, the seed's layout).
The services give the data; these draw it. xlsx and PDF are chosen by the file's extension."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jjadmin.errors import InputRejected
from jjadmin.exporters.cells import XLSXWRITER_OPTIONS, safe_cell
from jjadmin.exporters.files import publish
from jjadmin.exporters.pdf import PdfDocument

__all__ = [
    "document_format",
    "write_collective_form",
    "write_declaration",
    "write_individual_form",
    "write_notice",
]

CITY_TITLE = "广州市中小学教师继续教育"


def document_format(path: Path, allowed: tuple[str, ...] = ("xlsx", "pdf")) -> str:
    """'xlsx' or 'pdf' from the file name. Raises InputRejected (1)."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in allowed:
        shown = " 或 ".join(f".{a}" for a in allowed)
        raise InputRejected(f"无法从文件名“{Path(path).name}”判断格式，请使用 {shown} 扩展名")
    return suffix


def _day(value: Any) -> str:
    return f"{value.year}年{value.month:02d}月{value.day:02d}日"


def write_notice(path: Path, notice: Any) -> Path:
    """缴款通知书 of one bill (PDF)."""
    document_format(path, ("pdf",))
    doc = PdfDocument(f"缴款通知书 {notice.bill_no}")
    doc.heading(f"{CITY_TITLE}培训费缴款通知书")
    doc.text(f"账单号：{notice.bill_no}　　开具日期：{_day(notice.issued_on)}", align="right")
    doc.space(4)
    doc.fields(
        [
            ("缴款单位", notice.payer),
            ("收款单位", notice.payee),
            ("学校名称", notice.school_name),
            ("学校代码", notice.school_code),
            ("期数", f"{notice.period}期"),
            ("账单名", notice.bill_name),
        ]
    )
    doc.space(8)
    rows: list[tuple[object, ...]] = [
        (i, it.course_code, it.course_name, it.training_level, it.enrollments, it.price, it.amount)
        for i, it in enumerate(notice.items, start=1)
    ]
    rows.append(("合计", "", "", "", notice.enrollments, "", notice.amount))
    doc.table(
        ["序号", "课程编号", "课程名称", "培训级别", "人次", "单价（元）", "金额（元）"],
        rows,
        widths=[0.07, 0.16, 0.31, 0.12, 0.08, 0.12, 0.14],
        right=(4, 5, 6),
    )
    doc.space(8)
    doc.fields(
        [
            ("金额（大写）", f"人民币{notice.amount_in_words}"),
            ("金额（小写）", f"￥{notice.amount}"),
        ],
        per_row=1,
    )
    doc.space(8)
    if notice.state == "paid":
        doc.text(f"状态：已缴费（票据号 {notice.receipt_no}）")
    doc.text(
        "说明：请以缴款单位（学校公章名称）按本通知书金额缴费，缴费时注明账单号；"
        "缴费单位名称须与报销发票上的单位名称一致。",
        small=True,
    )
    return doc.save(path)


@contextmanager
def _workbook(path: Path) -> Iterator[Any]:
    """An xlsxwriter workbook written to a temporary file and moved to `path` when done."""
    import xlsxwriter

    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".jjadmin-", suffix=".xlsx", dir=folder)
    except OSError as exc:
        raise InputRejected(f"无法写入文件 {path}：{exc.strerror or exc}") from exc
    os.close(fd)
    book = xlsxwriter.Workbook(tmp, dict(XLSXWRITER_OPTIONS))
    try:
        yield book
        book.close()
        publish(tmp, path)
    except OSError as exc:
        raise InputRejected(f"无法写入文件 {path}：{exc.strerror or exc}") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class _Formats:
    def __init__(self, book: Any) -> None:
        base = {"font_name": "宋体", "font_size": 11, "valign": "vcenter", "text_wrap": True}
        self.title = book.add_format({**base, "bold": True, "font_size": 16, "align": "center"})
        self.plain = book.add_format(base)
        self.right = book.add_format({**base, "align": "right"})
        self.cell = book.add_format({**base, "border": 1})
        self.label = book.add_format({**base, "border": 1, "bold": True, "bg_color": "#F2F2F2"})
        self.text = book.add_format({**base, "border": 1, "num_format": "@"})
        self.money = book.add_format({**base, "border": 1, "num_format": "#,##0.00"})
        self.section = book.add_format({**base, "bold": True, "border": 1, "bg_color": "#DDDDDD"})


def _s(value: object) -> object:
    return safe_cell(value) if isinstance(value, str) else value


def _table(
    sheet: Any,
    f: _Formats,
    row: int,
    headers: list[str],
    rows: list[list[object]],
    *,
    text: tuple[int, ...] = (),
    money: tuple[int, ...] = (),
) -> int:
    for c, h in enumerate(headers):
        sheet.write_string(row, c, h, f.label)
    for r in rows:
        row += 1
        for c, v in enumerate(r):
            if v is None or v == "":
                sheet.write_blank(row, c, None, f.cell)
            elif c in money:
                sheet.write_number(row, c, float(str(v)), f.money)
            elif c in text:
                sheet.write_string(row, c, str(_s(str(v))), f.text)
            elif isinstance(v, int | float):
                sheet.write_number(row, c, v, f.cell)
            else:
                sheet.write_string(row, c, str(_s(str(v))), f.cell)
    return row + 1


def write_declaration(path: Path, data: Any) -> Path:
    """学校交费申报表 (xlsx: 申报表 and 名单 sheets; PDF: the same on pages)."""
    title = f"{CITY_TITLE}{data.period}期学校交费申报表"
    fields = [
        ("学校名称", data.school_name),
        ("学校公章名", data.seal_name),
        ("学校代码", data.school_code),
        ("行政区划", data.district),
    ]
    headers = [
        "收费单位",
        "课程编号",
        "课程名称",
        "人次",
        "单价（元）",
        "金额（元）",
        "已缴（元）",
        "未缴（元）",
    ]
    lines = [
        [
            ln.charging_unit,
            ln.course_code,
            ln.course_name,
            ln.enrollments,
            ln.price,
            ln.amount,
            ln.paid,
            ln.outstanding,
        ]
        for ln in data.lines
    ]
    totals = [
        "合计",
        "",
        "",
        sum(ln.enrollments for ln in data.lines),
        "",
        data.total,
        data.paid,
        data.outstanding,
    ]
    people = [
        [i, p.learner_no, p.name, p.course_code, p.course_name, p.amount, p.payment]
        for i, p in enumerate(data.people, start=1)
    ]
    people_headers = ["序号", "学号", "姓名", "课程编号", "课程名称", "合计（元）", "支付状态"]
    sign = "经办人：__________　　联系电话：__________　　学校（盖章）：__________"
    if document_format(path) == "pdf":
        doc = PdfDocument(title, landscape=True)
        doc.heading(title)
        doc.fields(fields)
        doc.space(8)
        doc.table(
            headers,
            [*lines, totals],
            widths=[0.18, 0.12, 0.25, 0.07, 0.09, 0.1, 0.09, 0.1],
            right=(3, 4, 5, 6, 7),
        )
        doc.space(6)
        doc.fields(
            [
                ("本次应交金额（大写）", f"人民币{data.outstanding_in_words}"),
                ("本次应交金额（小写）", f"￥{data.outstanding}"),
            ],
            per_row=1,
        )
        doc.space(10)
        doc.text(sign)
        doc.text(f"申报日期：{_day(data.declared_on)}", align="right")
        doc.text(
            "本表一式两份，盖学校公章后随缴费一并交收费单位；无申报表或申报表未盖章不受理收费。",
            small=True,
        )
        doc.space(12)
        doc.text(f"{data.school_name} {data.period}期选课缴费名单（{len(data.people)} 人次）")
        doc.table(
            people_headers, people, widths=[0.06, 0.16, 0.12, 0.14, 0.32, 0.1, 0.1], right=(5,)
        )
        return doc.save(path)
    with _workbook(path) as book:
        f = _Formats(book)
        sheet = book.add_worksheet("申报表")
        sheet.set_column(0, 0, 26)
        sheet.set_column(1, 1, 16)
        sheet.set_column(2, 2, 30)
        sheet.set_column(3, 7, 12)
        sheet.merge_range(0, 0, 0, 7, title, f.title)
        row = 2
        for i in range(0, len(fields), 2):
            (la, va), (lb, vb) = fields[i], fields[i + 1]
            sheet.write_string(row, 0, la, f.label)
            sheet.merge_range(row, 1, row, 2, str(_s(va)), f.cell)
            sheet.write_string(row, 3, lb, f.label)
            sheet.merge_range(row, 4, row, 7, str(_s(vb)), f.text)
            row += 1
        row = _table(sheet, f, row + 1, headers, [*lines, totals], text=(1,), money=(4, 5, 6, 7))
        sheet.write_string(row, 0, "本次应交金额（大写）", f.label)
        sheet.merge_range(
            row, 1, row, 7, f"人民币{data.outstanding_in_words}（￥{data.outstanding}）", f.cell
        )
        sheet.write_string(row + 2, 0, sign, f.plain)
        sheet.write_string(row + 3, 0, f"申报日期：{_day(data.declared_on)}", f.plain)
        roster = book.add_worksheet("名单")
        roster.set_column(0, 0, 6)
        roster.set_column(1, 1, 16)
        roster.set_column(2, 3, 14)
        roster.set_column(4, 4, 30)
        roster.set_column(5, 6, 12)
        _table(roster, f, 0, people_headers, people, text=(1, 3), money=(5,))
    return path


def write_individual_form(path: Path, form: Any) -> Path:
    """附表1 广州市中小学教师继续教育个人取消特殊用户申请表, prefilled."""
    from jjadmin.services.billing.forms import CLEARING_REASONS, INDIVIDUAL_NOTES

    title = f"{CITY_TITLE}个人取消特殊用户申请表"
    basics = [
        ("姓　名", form.name),
        ("单位名称", form.school_name),
        ("身份证号码", form.id_number),
        ("学　号", form.learner_no),
        ("联系方式", form.mobile),
        ("电子邮箱", form.email or ""),
    ]
    courses = [[c.period, c.course_name] for c in form.courses]
    reasons = "    ".join(f"□ {r}" for r in CLEARING_REASONS) + "\n其他原因__________________"
    times = f"（本次为第 {form.times} 次被列为特殊用户）"
    if document_format(path) == "pdf":
        doc = PdfDocument(title)
        doc.text("附表1", small=True)
        doc.heading(title)
        doc.text("一、基本信息")
        doc.fields(basics)
        doc.space(6)
        doc.text("二、课程信息")
        doc.table(["期　数", "课 程 名 称"], courses, widths=[0.2, 0.8])
        doc.space(6)
        doc.text("三、取消特殊用户原因")
        doc.text(reasons)
        doc.space(6)
        doc.text(f"四、学员须知{times}")
        for note in INDIVIDUAL_NOTES:
            doc.text("　　" + note)
        doc.space(10)
        doc.text("本人签字__________________", align="right")
        doc.text("签字日期__________________", align="right")
        doc.space(6)
        doc.text("五、取消特殊用户的相关材料：身份证复印件（附后）")
        return doc.save(path)
    with _workbook(path) as book:
        f = _Formats(book)
        sheet = book.add_worksheet("附表1")
        sheet.set_column(0, 0, 14)
        sheet.set_column(1, 1, 30)
        sheet.set_column(2, 2, 14)
        sheet.set_column(3, 3, 30)
        sheet.write_string(0, 0, "附表1", f.plain)
        sheet.merge_range(1, 0, 1, 3, title, f.title)
        sheet.merge_range(3, 0, 3, 3, "一、基本信息", f.section)
        row = 4
        for i in range(0, len(basics), 2):
            (la, va), (lb, vb) = basics[i], basics[i + 1]
            sheet.write_string(row, 0, la, f.label)
            sheet.write_string(row, 1, str(_s(va)), f.text)
            sheet.write_string(row, 2, lb, f.label)
            sheet.write_string(row, 3, str(_s(vb)), f.text)
            row += 1
        sheet.merge_range(row, 0, row, 3, "二、课程信息", f.section)
        row += 1
        sheet.write_string(row, 0, "期　数", f.label)
        sheet.merge_range(row, 1, row, 3, "课 程 名 称", f.label)
        for period, name in courses:
            row += 1
            sheet.write_string(row, 0, period, f.text)
            sheet.merge_range(row, 1, row, 3, str(_s(name)), f.cell)
        row += 1
        sheet.merge_range(row, 0, row, 3, "三、取消特殊用户原因", f.section)
        sheet.set_row(row + 1, 36)
        sheet.merge_range(row + 1, 0, row + 1, 3, reasons, f.cell)
        row += 2
        sheet.merge_range(row, 0, row, 3, f"四、学员须知{times}", f.section)
        note_text = "\n".join("    " + n for n in INDIVIDUAL_NOTES)
        sheet.set_row(row + 1, 90)
        sheet.merge_range(row + 1, 0, row + 1, 3, note_text, f.cell)
        sheet.write_string(row + 2, 2, "本人签字", f.plain)
        sheet.write_string(row + 3, 2, "签字日期", f.plain)
        sheet.merge_range(row + 5, 0, row + 5, 3, "五、取消特殊用户的相关材料", f.section)
        sheet.set_row(row + 6, 120)
        sheet.merge_range(row + 6, 0, row + 6, 3, "身份证复印件", f.cell)
    return path


COLLECTIVE_HEADERS = ["序号", "学员姓名", "学员学号", "身份证号码", "取消课程"]


def write_collective_form(path: Path, form: Any) -> Path:
    """附表2 广州市中小学教师继续教育单位取消特殊用户登记表, prefilled with the school's special
    users. Its xlsx imports back as it is (`special-user clear --file`)."""
    title = f"{CITY_TITLE}单位取消特殊用户登记表"
    rows = [[ln.seq, ln.name, ln.learner_no, ln.id_number, ln.courses] for ln in form.lines]
    head = f"单位名称：{form.seal_name}　　　　{_day(form.issued_on)}"
    if document_format(path) == "pdf":
        doc = PdfDocument(title)
        doc.text("附表2", small=True)
        doc.heading(title)
        doc.text(head)
        doc.space(4)
        doc.table(COLLECTIVE_HEADERS, rows, widths=[0.07, 0.13, 0.2, 0.22, 0.38])
        doc.space(12)
        doc.text("学校（盖章）__________________", align="right")
        return doc.save(path)
    with _workbook(path) as book:
        f = _Formats(book)
        sheet = book.add_worksheet("附表2")
        for c, w in enumerate((6, 12, 18, 22, 50)):
            sheet.set_column(c, c, w)
        _table(sheet, f, 0, COLLECTIVE_HEADERS, rows, text=(2, 3))
        notes = book.add_worksheet("说明")
        notes.set_column(0, 0, 90)
        lines = [
            title,
            head,
            "学校派工作人员携带办理人身份证原件（或复印件）和盖学校公章的正式书面申请"
            "（内容包括：学校名称，X期X课程X原因导致未缴费被设为特殊用户，现申请取消），"
            "前来广州市教师远程培训中心取消特殊用户。",
            "本表“附表2”工作表可直接导入：jjadmin special-user clear --file 本文件.xlsx "
            f"--school {form.school_code} --seal-proof 盖章申请.pdf",
        ]
        for i, text in enumerate(lines):
            notes.write_string(i, 0, text, f.plain)
    return path
