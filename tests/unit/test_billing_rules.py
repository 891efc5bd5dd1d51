"""Pure billing rules: bill and receipt numbers, the clearing evidence and proof rule, proof
kinds by their bytes, and amounts in Chinese capitals (大写金额) as the notices print them."""

from __future__ import annotations

import pytest

from jjadmin.errors import InvalidValue
from jjadmin.rules.attachments import sniff_kind
from jjadmin.rules.billing import (
    format_bill_no,
    normalize_bill_no,
    normalize_evidence,
    normalize_receipt_no,
    seal_proof_needed,
)
from jjadmin.rules.money import chinese_capital, parse_money


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0.01", "壹分"),
        ("10", "壹拾元整"),
        ("101", "壹佰零壹元整"),
        ("1,010", "壹仟零壹拾元整"),
        ("100,000.50", "壹拾万元伍角"),
        ("12,345,678.90", "壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元玖角"),
        ("1200", "壹仟贰佰元整"),
        ("2120.00", "贰仟壹佰贰拾元整"),
    ],
)
def test_amounts_read_as_typed_print_in_chinese_capitals(amount: str, words: str) -> None:
    assert chinese_capital(parse_money(amount)) == words


def test_bill_numbers_start_with_letters_and_carry_the_period() -> None:
    assert format_bill_no("2601", 12) == "ZD2601-000012"
    assert format_bill_no("2602", 1_234_567) == "ZD2602-1234567"


@pytest.mark.parametrize(
    ("typed", "normal"),
    [(" zd2601-000012 ", "ZD2601-000012"), ("ＺＤ２６０１－０００００１", "ZD2601-000001")],
)
def test_a_bill_number_is_normalised_as_typed(typed: str, normal: str) -> None:
    assert normalize_bill_no(typed) == normal


@pytest.mark.parametrize("bad", ["", "  ", "ZD2601/000001", "账单1", "Z" * 31])
def test_a_malformed_bill_number_is_refused(bad: str) -> None:
    with pytest.raises(InvalidValue):
        normalize_bill_no(bad)


def test_a_receipt_number_read_from_excel_as_a_number_keeps_its_digits() -> None:
    assert normalize_receipt_no(12345.0) == "12345"
    assert normalize_receipt_no(" No.0012 ") == "No.0012"
    with pytest.raises(InvalidValue):
        normalize_receipt_no("")
    with pytest.raises(InvalidValue):
        normalize_receipt_no("9" * 61)


def test_clearing_needs_an_evidence_text_of_bounded_length() -> None:
    assert normalize_evidence(" 本人持有效证件到中心办理 ") == "本人持有效证件到中心办理"
    with pytest.raises(InvalidValue, match="凭证说明"):
        normalize_evidence("  ")
    with pytest.raises(InvalidValue, match="过长"):
        normalize_evidence("证" * 501)


@pytest.mark.parametrize(("occurrence", "needed"), [(1, False), (2, True), (3, True)])
def test_a_sealed_proof_is_needed_from_the_second_flag_on(occurrence: int, needed: bool) -> None:
    assert seal_proof_needed(occurrence) is needed


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3", "pdf"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "png"),
        (b"GIF89a", None),
        (b"PK\x03\x04", None),  # a docx or zip renamed .pdf
        (b"hello", None),
        (b"", None),
    ],
)
def test_a_proof_is_known_by_its_first_bytes(head: bytes, kind: str | None) -> None:
    assert sniff_kind(head) == kind
