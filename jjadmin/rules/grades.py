"""成绩 (SPEC §5/§6 Grade): a score 0–100 or 合格/不合格; passed = score ≥ 60 or 合格."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from jjadmin.errors import InvalidValue

PASS_MARK = Decimal(60)
MAX_SCORE = Decimal(100)
WORDS = {"合格": True, "不合格": False}
SCORE_MESSAGE = "成绩应为 0–100 的数（最多一位小数），或“合格”/“不合格”"


@dataclass(frozen=True, slots=True)
class Score:
    """A grade: a number (and whether it passes), or a word alone (`value` None)."""

    value: Decimal | None
    passed: bool

    @property
    def text(self) -> str:
        """'85', '72.5', '合格' — as `grade list` shows it."""
        if self.value is None:
            return "合格" if self.passed else "不合格"
        return format_score(self.value)


def format_score(value: Decimal) -> str:
    """85.0 → '85', 72.50 → '72.5'."""
    text = f"{Decimal(value).quantize(Decimal('0.1')):f}"
    return text[:-2] if text.endswith(".0") else text


def parse_score(value: object) -> Score:
    """A 成绩 cell. Raises InvalidValue (required, score-invalid): 101, -1, 良好, 85.25."""
    if type(value) is int or type(value) is float or type(value) is str:
        found = _SEEN.get((type(value), value))  # a sheet repeats its few scores
        if found is not None:
            return found
        score = _parse_score(value)
        if len(_SEEN) < 10_000:
            _SEEN[(type(value), value)] = score
        return score
    return _parse_score(value)


_SEEN: dict[tuple[type, object], Score] = {}


def _parse_score(value: object) -> Score:
    if isinstance(value, bool):
        raise InvalidValue(f"成绩“{value}”无效：{SCORE_MESSAGE}", code="score-invalid")
    if isinstance(value, int | float | Decimal):
        text = repr(value) if isinstance(value, float) else str(value)
    else:
        text = str(value).strip() if value is not None else ""
    if not text:
        raise InvalidValue("成绩不能为空", code="required")
    if text in WORDS:
        return Score(None, WORDS[text])
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise InvalidValue(f"成绩“{text}”无效：{SCORE_MESSAGE}", code="score-invalid") from None
    if (
        not number.is_finite()
        or not (Decimal(0) <= number <= MAX_SCORE)
        or number != number.quantize(Decimal("0.1"))
    ):
        raise InvalidValue(f"成绩“{text}”无效：{SCORE_MESSAGE}", code="score-invalid")
    return Score(number.quantize(Decimal("0.1")), number >= PASS_MARK)
