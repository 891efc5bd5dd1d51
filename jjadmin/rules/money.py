"""Money in integer fen, Chinese capital amounts (大写金额), and hours (学时)."""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from jjadmin.errors import InvalidValue
from jjadmin.rules.ids import normalize_text

__all__ = [
    "HOURS_MAX",
    "MONEY_MAX_FEN",
    "chinese_capital",
    "format_hours",
    "format_money",
    "parse_hours",
    "parse_money",
]

# Below 1万亿元: far beyond any bill, and keeps every amount exact in a BIGINT column.
MONEY_MAX_FEN = 10**14 - 1
HOURS_MAX = Decimal(10000)

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SECTION_UNITS = ("", "拾", "佰", "仟")
_PLAIN_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_GROUPED_NUMBER = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_TENTH = Decimal("0.1")


def _to_decimal(value: object, *, label: str, code: str, suffixes: tuple[str, ...]) -> Decimal:
    """A finite Decimal from a number or text; text may carry ¥/RMB and unit suffixes."""
    if isinstance(value, bool):
        raise InvalidValue(f"{label}“{value}”无效", code=code)
    if isinstance(value, Decimal | int | float):
        if isinstance(value, float | Decimal) and not math.isfinite(value):
            raise InvalidValue(f"{label}“{value}”无效", code=code)
        # str(float) is the shortest repr, so 1200.55 stays 1200.55 rather than its binary value.
        return Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    text = normalize_text(value)
    if not text:
        raise InvalidValue(f"{label}不能为空", code="required")
    number = "".join(text.split())
    for prefix in ("¥", "RMB", "CNY"):
        number = number.removeprefix(prefix)
    for suffix in suffixes:
        number = number.removesuffix(suffix)
    negative = number.startswith("-")
    number = number.removeprefix("-")
    if _GROUPED_NUMBER.fullmatch(number):
        number = number.replace(",", "")
    if not _PLAIN_NUMBER.fullmatch(number):
        raise InvalidValue(f"{label}“{text}”不是有效的数字", code=code)
    try:
        result = Decimal(number)
    except InvalidOperation:  # pragma: no cover - the regex admits only plain decimals
        raise InvalidValue(f"{label}“{text}”不是有效的数字", code=code) from None
    return -result if negative else result


def parse_money(value: object) -> int:
    """An amount in fen from '1200', '1,200.50', '￥1200', '1200元', int, float or Decimal.

    At most 2 decimals, not negative. Raises InvalidValue (required, money-invalid).
    """
    amount = _to_decimal(value, label="金额", code="money-invalid", suffixes=("元整", "元"))
    if amount < 0:
        raise InvalidValue(f"金额 {amount} 不能为负数", code="money-invalid")
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise InvalidValue(f"金额 {amount} 最多保留两位小数（精确到分）", code="money-invalid")
    if fen > MONEY_MAX_FEN:
        raise InvalidValue(f"金额 {amount} 过大", code="money-invalid")
    return int(fen)


def format_money(fen: int) -> str:
    """123400 → '1234.00' (the JSON and table form; SPEC §7)."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan}.{cents:02d}"


def _section(n: int) -> str:
    """0 < n < 10,000 without a leading 零; inner zero runs become one 零."""
    out: list[str] = []
    pending_zero = False
    for position in (3, 2, 1, 0):
        digit = n // 10**position % 10
        if digit == 0:
            pending_zero = pending_zero or bool(out)
            continue
        if pending_zero:
            out.append("零")
            pending_zero = False
        out.append(_DIGITS[digit] + _SECTION_UNITS[position])
    return "".join(out)


def _below_yi(n: int) -> str:
    """0 < n < 10^8."""
    high, low = divmod(n, 10**4)
    out = _section(high) + "万" if high else ""
    if low:
        out += ("零" if high and low < 1000 else "") + _section(low)
    return out


def _integer_capital(n: int) -> str:
    """n > 0; 亿 nests, so 10001亿 reads 壹万零壹亿 rather than 壹万亿壹亿."""
    high, low = divmod(n, 10**8)
    out = _integer_capital(high) + "亿" if high else ""
    if low:
        out += ("零" if high and low < 10**7 else "") + _below_yi(low)
    return out


def chinese_capital(fen: int) -> str:
    """Chinese uppercase amount (大写金额) per the 支付结算办法 writing rules.

    120000 → 壹仟贰佰元整, 120050 → 壹仟贰佰元伍角, 120005 → 壹仟贰佰元零伍分, 0 → 零元整.
    """
    if fen < 0:
        return "负" + chinese_capital(-fen)
    yuan, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    if yuan == 0 and cents == 0:
        return "零元整"
    out = _integer_capital(yuan) + "元" if yuan else ""
    if cents == 0:
        return out + "整"
    if jiao:
        out += _DIGITS[jiao] + "角"
    elif yuan:
        out += "零"
    if fen_digit:
        out += _DIGITS[fen_digit] + "分"
    return out


def parse_hours(value: object) -> Decimal:
    """学时 as a Decimal with one decimal place, e.g. '2.5' → Decimal('2.5').

    Not negative, at most 1 decimal. Raises InvalidValue (required, hours-invalid).
    """
    hours = _to_decimal(value, label="学时", code="hours-invalid", suffixes=("学时", "小时"))
    if hours < 0:
        raise InvalidValue(f"学时 {hours} 不能为负数", code="hours-invalid")
    # the bound first: quantizing 1e+27 exceeds the context's precision (InvalidOperation)
    if hours > HOURS_MAX:
        raise InvalidValue(f"学时 {hours} 过大", code="hours-invalid")
    if hours != hours.quantize(_TENTH, rounding=ROUND_HALF_UP):
        raise InvalidValue(f"学时 {hours} 最多保留一位小数", code="hours-invalid")
    return hours.quantize(_TENTH)


def format_hours(hours: Decimal) -> str:
    """Decimal('32.0') → '32', Decimal('2.5') → '2.5' (rounded half up to one decimal)."""
    rounded = hours.quantize(_TENTH, rounding=ROUND_HALF_UP)
    if rounded == rounded.to_integral_value():
        return str(int(rounded))
    return f"{rounded:f}"
