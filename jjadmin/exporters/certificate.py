"""学习证明 PDF (`credits certificate`, `me certificate`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jjadmin.clock import local
from jjadmin.exporters.billing import document_format
from jjadmin.exporters.pdf import PdfDocument


def write_certificate(path: Path, cert: Any) -> Path:
    """One certificate: who, which course, its hours, the issuing unit, date and code."""
    document_format(path, ("pdf",))
    doc = PdfDocument(f"学习证明 {cert.code}")
    doc.heading("学习证明")
    doc.space(6)
    doc.text(
        f"兹证明 {cert.school_name} {cert.name}（学号 {cert.learner_no}）参加了"
        f"{cert.period}期{cert.training_level}课程“{cert.course_name}”的学习，成绩合格，"
        f"获得{cert.hour_type}学时 {cert.hours} 学时。"
    )
    doc.space(8)
    doc.fields(
        [
            ("姓名", cert.name),
            ("学号", cert.learner_no),
            ("学校", cert.school_name),
            ("期数", f"{cert.period}期"),
            ("课程编号", cert.course_code),
            ("课程名称", cert.course_name),
            ("培训级别", cert.training_level),
            ("成绩", cert.score),
            ("学时类型", cert.hour_type),
            ("学时", cert.hours),
            ("培训机构", cert.issuer),
            ("出具日期", local(cert.issued_at).strftime("%Y-%m-%d")),
        ]
    )
    doc.space(10)
    doc.fields([("验证码", cert.code)], per_row=1)
    doc.space(6)
    doc.text(
        f"{cert.platform}出具。查验真伪：jjadmin credits verify {cert.code}",
        small=True,
    )
    return doc.save(path)
