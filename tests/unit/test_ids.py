"""Unit tests for jjadmin.rules.ids (身份证号, dates, mobiles, school/district codes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pytest

from jjadmin.errors import InvalidValue
from jjadmin.rules.ids import (
    IdNumber,
    check_birth_date,
    check_gender,
    mask_id_number,
    mask_mobile,
    normalize_district_code,
    normalize_mobile,
    normalize_school_code,
    normalize_text,
    parse_date,
    parse_gender,
    parse_id_number,
)

TODAY = date(2026, 11, 28)


def with_check(first17: str) -> str:
    """Append the ISO 7064 MOD 11-2 check character, computed from its definition
    (weights 2^(i-1) mod 11), independently of the implementation's weight table."""
    total = sum(int(d) * (2 ** (17 - k) % 11) for k, d in enumerate(first17))
    check = (12 - total % 11) % 11
    return first17 + ("X" if check == 10 else str(check))


def wrong_check(first17: str) -> str:
    good = with_check(first17)[-1]
    return first17 + ("0" if good != "0" else "1")


@dataclass(frozen=True)
class Rejected:
    code: str


VALID_BASE = with_check("44010419900101123")  # 男 (3 is odd)
FEMALE = with_check("44010619850615002")  # 女 (2 is even)
PROVINCES = [
    *range(11, 16),
    *range(21, 24),
    *range(31, 38),
    *range(41, 47),
    *range(50, 55),
    *range(61, 66),
    81,
    82,
    83,
]
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")
X_ID = "11010519491231002X"

ID_CASES = [
    # Known-valid numbers, checked by hand against GB 11643.
    pytest.param("11010519491231002X", "11010519491231002X", id="known-valid-beijing-x"),
    pytest.param("440524188001010014", "440524188001010014", id="known-valid-gb-example-1880"),
    pytest.param(VALID_BASE, VALID_BASE, id="valid-guangzhou-yuexiu"),
    pytest.param(FEMALE, FEMALE, id="valid-guangzhou-tianhe-female"),
    # Every accepted province prefix, including 81/82/83 (港澳台居民居住证).
    *[
        pytest.param(
            with_check(f"{p}0101198001010{p % 10}1"),
            with_check(f"{p}0101198001010{p % 10}1"),
            id=f"valid-province-{p}",
        )
        for p in PROVINCES
    ],
    # Address codes are never checked against the current district list.
    pytest.param(
        with_check("44010219800101001"), with_check("44010219800101001"), id="abolished-440102"
    ),
    pytest.param(
        with_check("44010719800101001"), with_check("44010719800101001"), id="abolished-440107"
    ),
    pytest.param(
        with_check("44999919800101001"), with_check("44999919800101001"), id="unknown-address-code"
    ),
    # Birth date edges.
    pytest.param(with_check("44010420261128001"), with_check("44010420261128001"), id="born-today"),
    pytest.param(
        with_check("44010420000229001"), with_check("44010420000229001"), id="leap-day-2000"
    ),
    pytest.param(with_check("44010420261129001"), Rejected("id-future-birth"), id="born-tomorrow"),
    pytest.param(with_check("44010420300101001"), Rejected("id-future-birth"), id="born-2030"),
    pytest.param(with_check("44010419900230001"), Rejected("id-birth-date"), id="feb-30"),
    pytest.param(with_check("44010419901301001"), Rejected("id-birth-date"), id="month-13"),
    pytest.param(with_check("44010419900431001"), Rejected("id-birth-date"), id="april-31"),
    pytest.param(with_check("44010419900001001"), Rejected("id-birth-date"), id="month-00"),
    pytest.param(with_check("44010419900100001"), Rejected("id-birth-date"), id="day-00"),
    pytest.param(with_check("44010419000229001"), Rejected("id-birth-date"), id="1900-not-leap"),
    pytest.param(with_check("44010417990101001"), Rejected("id-birth-date"), id="year-1799"),
    pytest.param(with_check("44010409900101001"), Rejected("id-birth-date"), id="year-0990"),
    # Checksum.
    pytest.param(wrong_check("44010419900101123"), Rejected("id-checksum"), id="bad-check-digit"),
    pytest.param("110105194912310021", Rejected("id-checksum"), id="digit-instead-of-x"),
    pytest.param("44052418800101001X", Rejected("id-checksum"), id="x-instead-of-digit"),
    pytest.param(
        VALID_BASE[:10] + VALID_BASE[11] + VALID_BASE[10] + VALID_BASE[12:],
        Rejected("id-checksum"),
        id="transposed-digits",
    ),
    # Province prefixes that do not exist.
    pytest.param(with_check("71010119800101001"), Rejected("id-province"), id="province-71"),
    pytest.param(with_check("00010119800101001"), Rejected("id-province"), id="province-00"),
    pytest.param(with_check("99010119800101001"), Rejected("id-province"), id="province-99"),
    pytest.param(with_check("10010119800101001"), Rejected("id-province"), id="province-10"),
    pytest.param(with_check("84010119800101001"), Rejected("id-province"), id="province-84"),
    pytest.param(with_check("16010119800101001"), Rejected("id-province"), id="province-16"),
    # Old 15-digit numbers.
    pytest.param("440104900101123", Rejected("id-15-digit"), id="fifteen-digit"),
    pytest.param(
        "440104900101123".translate(FULL_WIDTH), Rejected("id-15-digit"), id="fifteen-full-width"
    ),
    # Read from Excel as a number.
    pytest.param(4.40104199001011e17, Rejected("id-corrupted-number"), id="python-float"),
    pytest.param(440104199001011234, Rejected("id-corrupted-number"), id="python-int"),
    pytest.param(
        Decimal("440104199001011234"), Rejected("id-corrupted-number"), id="python-decimal"
    ),
    pytest.param("4.40104199001011E+17", Rejected("id-corrupted-number"), id="sci-text-upper"),
    pytest.param("4.40104199001011e+17", Rejected("id-corrupted-number"), id="sci-text-lower"),
    pytest.param(" 4.40104E+17 ", Rejected("id-corrupted-number"), id="sci-text-short"),
    pytest.param("440104199001011234.0", Rejected("id-corrupted-number"), id="text-dot-zero"),
    pytest.param(
        "４.４０１０４１９９００１０１１Ｅ＋１７",
        Rejected("id-corrupted-number"),
        id="sci-text-full-width",
    ),
    # Normalization.
    pytest.param(VALID_BASE.translate(FULL_WIDTH), VALID_BASE, id="full-width-digits"),
    pytest.param(X_ID.translate(FULL_WIDTH), X_ID, id="full-width-digits-and-x"),
    pytest.param("11010519491231002x", X_ID, id="lower-x"),
    pytest.param("11010519491231002ｘ", X_ID, id="full-width-lower-x"),
    pytest.param("\u3000" + VALID_BASE + "\u3000", VALID_BASE, id="ideographic-space-padding"),
    pytest.param("\u00a0" + VALID_BASE + "\u00a0", VALID_BASE, id="nbsp-padding"),
    pytest.param(" \t" + VALID_BASE + "\r\n", VALID_BASE, id="ascii-whitespace-padding"),
    pytest.param("\ufeff" + VALID_BASE + "\u200b", VALID_BASE, id="zero-width-padding"),
    # Characters.
    pytest.param(VALID_BASE.translate(ARABIC_INDIC), Rejected("id-characters"), id="arabic-indic"),
    pytest.param(VALID_BASE.translate(DEVANAGARI), Rejected("id-characters"), id="devanagari"),
    pytest.param("44010419900101A234", Rejected("id-characters"), id="letter-inside"),
    pytest.param("4401041990X1011234", Rejected("id-characters"), id="x-inside"),
    pytest.param("440104 9900101123X", Rejected("id-characters"), id="space-inside"),
    pytest.param("44010419900101123Y", Rejected("id-characters"), id="last-char-y"),
    pytest.param("-44010419900101123", Rejected("id-characters"), id="minus-sign"),
    # Length.
    pytest.param(VALID_BASE[:17], Rejected("id-length"), id="seventeen-chars"),
    pytest.param(VALID_BASE + "1", Rejected("id-length"), id="nineteen-chars"),
    pytest.param("4401", Rejected("id-length"), id="four-chars"),
    pytest.param("4401 0419 9001 0112 3X", Rejected("id-length"), id="grouped-with-spaces"),
    pytest.param("44010419900101123456", Rejected("id-length"), id="twenty-digits"),
    # Empty.
    pytest.param("", Rejected("required"), id="empty"),
    pytest.param(None, Rejected("required"), id="none"),
    pytest.param("\u3000 \u00a0", Rejected("required"), id="whitespace-only"),
]


def test_the_id_case_table_has_at_least_seventy_cases() -> None:
    assert len(ID_CASES) >= 70


@pytest.mark.parametrize(("value", "expected"), ID_CASES)
def test_parse_id_number_accepts_or_rejects_with_a_specific_code(
    value: object, expected: str | Rejected
) -> None:
    if isinstance(expected, Rejected):
        with pytest.raises(InvalidValue) as excinfo:
            parse_id_number(value, today=TODAY)
        assert excinfo.value.code == expected.code
        assert excinfo.value.message
    else:
        assert parse_id_number(value, today=TODAY).value == expected


def test_parsed_id_number_carries_birth_date_and_gender() -> None:
    assert parse_id_number(X_ID, today=TODAY) == IdNumber(X_ID, date(1949, 12, 31), "女")
    male = parse_id_number(VALID_BASE, today=TODAY)
    assert (male.birth_date, male.gender) == (date(1990, 1, 1), "男")


def test_checksum_message_names_the_expected_check_character() -> None:
    with pytest.raises(InvalidValue, match="校验位错误（应为 X）"):
        parse_id_number("110105194912310021", today=TODAY)


def test_fifteen_digit_message_asks_for_the_eighteen_digit_number() -> None:
    with pytest.raises(InvalidValue, match="15位旧身份证号，请录入18位新身份证号"):
        parse_id_number("440104900101123", today=TODAY)


def test_excel_number_message_says_digits_are_lost() -> None:
    with pytest.raises(InvalidValue) as excinfo:
        parse_id_number(4.40104199001011e17, today=TODAY)
    assert excinfo.value.message == (
        "身份证号被 Excel 存成了数字，末几位已丢失，请把该列设为文本格式后重新录入"
    )


def test_future_birth_depends_on_the_today_parameter() -> None:
    number = with_check("44010420261129001")
    assert parse_id_number(number, today=date(2026, 11, 29)).birth_date == date(2026, 11, 29)


GENDER_CASES = [
    (VALID_BASE, "男", None),
    (VALID_BASE, " 男\u3000", None),
    (VALID_BASE, "男性", None),
    (VALID_BASE, "", None),
    (VALID_BASE, None, None),
    (VALID_BASE, "女", "gender-mismatch"),
    (FEMALE, "女", None),
    (FEMALE, "男", "gender-mismatch"),
    (FEMALE, "F", "gender-invalid"),
    (FEMALE, "未知", "gender-invalid"),
]


@pytest.mark.parametrize(("number", "gender", "code"), GENDER_CASES)
def test_check_gender_compares_with_the_seventeenth_digit(
    number: str, gender: object, code: str | None
) -> None:
    info = parse_id_number(number, today=TODAY)
    if code is None:
        check_gender(info, gender)
    else:
        with pytest.raises(InvalidValue) as excinfo:
            check_gender(info, gender)
        assert excinfo.value.code == code


def test_parse_gender_returns_none_for_empty_and_canonical_text_otherwise() -> None:
    assert parse_gender(None) is None
    assert parse_gender(" ") is None
    assert parse_gender("女性") == "女"


BIRTH_CASES = [
    (date(1990, 1, 1), None),
    (datetime(1990, 1, 1, 0, 0), None),
    ("1990-01-01", None),
    ("1990/1/1", None),
    ("1990.01.01", None),
    ("19900101", None),
    ("1990年1月1日", None),
    ("1990年01月01日", None),
    ("1990-01-01 00:00:00", None),
    ("1990-01-01T08:30", None),
    ("１９９０－０１－０１", None),
    ("", None),
    (None, None),
    (date(1990, 1, 2), "birth-mismatch"),
    ("1990-02-01", "birth-mismatch"),
    ("1990年1月2日", "birth-mismatch"),
    ("1990-02-30", "invalid-date"),
    ("01/01/1990", "invalid-date"),
    ("yesterday", "invalid-date"),
    (32874, "invalid-date"),
]


@pytest.mark.parametrize(("birth", "code"), BIRTH_CASES)
def test_check_birth_date_compares_with_the_id_number(birth: object, code: str | None) -> None:
    info = parse_id_number(VALID_BASE, today=TODAY)
    if code is None:
        check_birth_date(info, birth)
    else:
        with pytest.raises(InvalidValue) as excinfo:
            check_birth_date(info, birth)
        assert excinfo.value.code == code


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2026, 3, 15), date(2026, 3, 15)),
        (datetime(2026, 3, 15, 23, 59), date(2026, 3, 15)),
        ("2026-03-15", date(2026, 3, 15)),
        ("2026/3/5", date(2026, 3, 5)),
        ("20260315", date(2026, 3, 15)),
        ("2026年3月15日", date(2026, 3, 15)),
        ("2026年03月15", date(2026, 3, 15)),
        ("2026-03-15 10:00:00", date(2026, 3, 15)),
        ("2026-03-15T10:00:00+08:00", date(2026, 3, 15)),
        ("\u30002026-03-15\u00a0", date(2026, 3, 15)),
    ],
)
def test_parse_date_accepts_the_usual_spreadsheet_formats(value: object, expected: date) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("2026-3/15", "invalid-date"),
        ("2026-13-01", "invalid-date"),
        ("15/03/2026", "invalid-date"),
        ("2026-03-15 后天", "invalid-date"),
        (46096, "invalid-date"),
        (46096.0, "invalid-date"),
        ("", "required"),
        (None, "required"),
    ],
)
def test_parse_date_rejects_ambiguous_or_impossible_values(value: object, code: str) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        parse_date(value)
    assert excinfo.value.code == code


def test_parse_date_refuses_excel_serial_numbers_and_asks_for_a_date() -> None:
    with pytest.raises(InvalidValue, match="请填写日期"):
        parse_date(46096)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13800138000", "13800138000"),
        ("+8613800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("008613800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("＋８６　１３８００１３８０００", "13800138000"),
        (13800138000.0, "13800138000"),
        (13800138000, "13800138000"),
        ("13800138000.0", "13800138000"),
        ("\u300019912345678\u00a0", "19912345678"),
        ("86 13800138000", "13800138000"),
    ],
)
def test_normalize_mobile_accepts_common_spellings(value: object, expected: str) -> None:
    assert normalize_mobile(value) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("138001380001", "mobile-invalid"),
        ("12800138000", "mobile-invalid"),
        ("23800138000", "mobile-invalid"),
        ("1380013800", "mobile-invalid"),
        ("8613800138", "mobile-invalid"),
        ("+861380013800", "mobile-invalid"),
        ("1380013800a", "mobile-invalid"),
        ("١٣٨٠٠١٣٨٠٠٠", "mobile-invalid"),
        (13800138000.5, "mobile-invalid"),
        (-13800138000, "mobile-invalid"),
        ("020-12345678", "mobile-invalid"),
        ("", "required"),
        (None, "required"),
    ],
)
def test_normalize_mobile_rejects_anything_but_an_eleven_digit_mobile(
    value: object, code: str
) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        normalize_mobile(value)
    assert excinfo.value.code == code


def test_mobile_error_message_is_the_documented_text() -> None:
    with pytest.raises(InvalidValue, match=r"手机号格式不正确（应为11位手机号码）"):
        normalize_mobile("12800138000")


def test_mask_id_number_keeps_first_six_and_last_four() -> None:
    assert mask_id_number("44010419900101123X") == "440104********123X"


def test_mask_id_number_never_shows_a_short_value_in_full() -> None:
    assert mask_id_number("4401") == "****"


def test_mask_mobile_keeps_first_three_and_last_four() -> None:
    assert mask_mobile("13800138000") == "138****8000"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc\u200b", "abc"),
        ("\ufeff\u3000ＡＢＣ１２３\u00a0", "ABC123"),
        (None, ""),
        (12, "12"),
        ("（甲）", "(甲)"),
    ],
)
def test_normalize_text_folds_full_width_and_trims_invisible_padding(
    value: object, expected: str
) -> None:
    assert normalize_text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1144010401", "1144010401"),
        ("0144010401", "0144010401"),
        ("１１４４０１０４０１", "1144010401"),
        (1144010401, "1144010401"),
        (1144010401.0, "1144010401"),
        ("1144010401.0", "1144010401"),
    ],
)
def test_normalize_school_code_accepts_ten_digits(value: object, expected: str) -> None:
    assert normalize_school_code(value) == expected


@pytest.mark.parametrize(
    ("value", "code", "fragment"),
    [
        (144010401, "school-code-invalid", "开头的 0 已丢失"),
        (144010401.0, "school-code-invalid", "开头的 0 已丢失"),
        ("114401040", "school-code-invalid", "10位数字"),
        ("11440104011", "school-code-invalid", "10位数字"),
        ("11440104AB", "school-code-invalid", "10位数字"),
        (11440104011, "school-code-invalid", "10位数字"),
        ("", "required", "不能为空"),
    ],
)
def test_normalize_school_code_rejects_other_values(
    value: object, code: str, fragment: str
) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        normalize_school_code(value)
    assert excinfo.value.code == code
    assert fragment in excinfo.value.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [("440104", "440104"), (440104, "440104"), ("４４０１０４", "440104"), ("440199", "440199")],
)
def test_normalize_district_code_accepts_six_digits(value: object, expected: str) -> None:
    assert normalize_district_code(value) == expected


@pytest.mark.parametrize("value", ["44010", "4401044", "44O104", 44010, 440104.5])
def test_normalize_district_code_rejects_other_values(value: object) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        normalize_district_code(value)
    assert excinfo.value.code == "district-code-invalid"
