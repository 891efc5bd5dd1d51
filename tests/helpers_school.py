"""Schools for tests: the 学校 template's headers, valid rows, CSV files (SPEC §5)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

SCHOOL_HEADERS = [
    "学校代码",
    "学校名称",
    "所属区代码",
    "办学类型",
    "学校公章名",
    "所在镇街",
    "学校性质",
    "负责人姓名",
    "负责人移动电话",
]


def school_row(code: str, district: str = "440104", **over: Any) -> list[Any]:
    """A valid row; `over` replaces cells by header (e.g. 学校名称="…")."""
    values = {
        "学校代码": code,
        "学校名称": f"测试学校{code[-4:]}",
        "所属区代码": district,
        "办学类型": "小学",
        "学校公章名": f"广州市测试学校{code[-4:]}",
        "所在镇街": "北京街",
        "学校性质": "公办",
        "负责人姓名": "王校长",
        "负责人移动电话": "13800138000",
    }
    values.update(over)
    return [values[h] for h in SCHOOL_HEADERS]


def write_csv(
    path: Path,
    rows: Sequence[Sequence[Any]],
    *,
    headers: Sequence[str] = SCHOOL_HEADERS,
    encoding: str = "utf-8",
) -> Path:
    lines = [",".join(headers)] + [",".join("" if v is None else str(v) for v in r) for r in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path
