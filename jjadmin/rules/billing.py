"""Bill numbers (账单号), receipt numbers (票据号) and the special-user clearing rule (SPEC §6,
seed 取消特殊用户处理: 附表1 学员须知)."""

from __future__ import annotations

import math
import re
from decimal import Decimal

from jjadmin.errors import InvalidValue
from jjadmin.rules.ids import normalize_text

__all__ = [
    "BILL_NO_MAX_LENGTH",
    "BILL_PREFIX",
    "RECEIPT_NO_MAX_LENGTH",
    "EVIDENCE_MAX_LENGTH",
    "format_bill_no",
    "normalize_bill_no",
    "normalize_evidence",
    "normalize_receipt_no",
    "seal_proof_needed",
]

BILL_PREFIX = "ZD"  # 账单
BILL_NO_MAX_LENGTH = 30
RECEIPT_NO_MAX_LENGTH = 60
EVIDENCE_MAX_LENGTH = 500
_BILL_NO = re.compile(r"[A-Z0-9-]+")


def format_bill_no(period: str, seq: int) -> str:
    """'ZD' + period + '-' + a 6-digit sequence of that period: (2601, 12) → 'ZD2601-000012'.

    Letters first, so that a spreadsheet never reads a bill number as a number or a date.
    """
    return f"{BILL_PREFIX}{period}-{seq:06d}"


def _code_text(value: object) -> str:
    if isinstance(value, float | Decimal) and math.isfinite(value) and value == int(value):
        return str(int(value))
    return normalize_text(value)


def normalize_bill_no(value: object) -> str:
    """A bill number as typed: trimmed, full-width → ASCII, upper case ('zd2601-000012').

    Raises InvalidValue (required, bill-no-invalid).
    """
    text = "".join(_code_text(value).split()).upper()
    if not text:
        raise InvalidValue("账单号不能为空", code="required")
    if len(text) > BILL_NO_MAX_LENGTH or not _BILL_NO.fullmatch(text):
        raise InvalidValue(f"账单号“{text}”格式不正确，应如 ZD2601-000012", code="bill-no-invalid")
    return text


def normalize_receipt_no(value: object) -> str:
    """A receipt number (票据号): trimmed text, at most 60 characters; a number read from
    Excel (12345.0) becomes its digits. Raises InvalidValue (required, receipt-no-invalid)."""
    text = _code_text(value)
    if not text:
        raise InvalidValue("票据号不能为空", code="required")
    if len(text) > RECEIPT_NO_MAX_LENGTH:
        raise InvalidValue(
            f"票据号过长（{len(text)} 个字符，最多 {RECEIPT_NO_MAX_LENGTH} 个）",
            code="receipt-no-invalid",
        )
    return text


def normalize_evidence(value: object) -> str:
    """The clearing evidence (e.g. 本人持有效证件到中心办理): required, at most 500 characters.

    Raises InvalidValue (required, too-long).
    """
    text = normalize_text(value)
    if not text:
        raise InvalidValue(
            "取消特殊用户必须填写凭证说明，如：本人持有效证件到中心办理", code="required"
        )
    if len(text) > EVIDENCE_MAX_LENGTH:
        raise InvalidValue(
            f"凭证说明过长（{len(text)} 个字符，最多 {EVIDENCE_MAX_LENGTH} 个）", code="too-long"
        )
    return text


def seal_proof_needed(occurrence: int) -> bool:
    """附表1 学员须知: the first flag is cleared on the teacher's valid ID alone; the second and
    later also need a proof sealed by the school (盖有学校公章的证明)."""
    return occurrence >= 2
