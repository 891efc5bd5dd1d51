"""One output sink per invocation: Rich for humans, one JSON document for machines."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

from jjadmin.clock import local

if TYPE_CHECKING:  # Rich loads on first human output: --json start-up stays light
    from rich.console import Console


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def _table(**kwargs: Any) -> Any:
    from rich.table import Table

    return Table(**kwargs)


@dataclass(frozen=True)
class Col:
    key: str
    header: str
    fmt: Callable[[Any], str] | None = None
    justify: str = "left"
    whole: bool = False  # a key column (学号, 账单号…): never shortened or wrapped
    vocab: str | None = None  # a code column: shown by its Chinese label (rules/labels.py)


# Columns people type into the next command: never shortened or wrapped, whatever the width
# (issue 13). By key or by header, so a new command's 学号/课程编号 column is whole for free.
KEY_KEYS = frozenset(
    {
        "id",
        "learner_no",
        "course_code",
        "code",
        "bill_no",
        "school_code",
        "district_code",
        "username",
        "period",
        "receipt_no",
        "batch_id",
        "teacher",
        "course",
    }
)
KEY_HEADERS = frozenset(
    {"学号", "课程编号", "账单号", "ID", "批次", "批次号", "学校代码", "区代码", "用户名", "期数"}
)
# Chinese for the `key: value` lines of a result (JSON keeps the keys).
RESULT_LABELS = {
    "username": "用户名",
    "role": "角色",
    "learner_no": "学号",
    "batch_id": "批次号",
    "reverted": "已恢复",
    "deleted": "已删除",
    "restored": "已恢复",
    "file": "文件",
    "rows": "行数",
    "count": "数量",
    "created": "新增",
    "updated": "更新",
    "skipped": "跳过",
    "changed": "已修改",
    "period": "期数",
    "course_code": "课程编号",
    "school_code": "学校代码",
    "bill_no": "账单号",
    "amount": "金额",
    "state": "状态",
    "verified_until": "验证有效至",
    "expires_at": "有效至",
    "revision": "数据库版本",
    "database": "数据库",
    "created_admin": "新建管理员",
    "backend": "数据库类型",
    "token": "令牌",
    "password": "密码",
    "mobile": "手机",
    "name": "姓名",
    "enrolled": "已选",
    "dropped": "已退选",
    "voided": "已作废",
    "generated": "已生成",
    "paid": "已缴费",
    "flagged": "新列特殊用户",
    "already_flagged": "已是特殊用户",
    "enrollments": "选课记录",
    "teachers": "教师",
    "bills": "账单",
    "total": "合计",
    "school": "学校",
    "to_school": "调入学校",
    "id": "编号",
}


# the operating system's words inside our messages (strerror), in Chinese
_OS_TEXT = {
    "No such file or directory": "文件或目录不存在",
    "Permission denied": "没有权限",
    "Is a directory": "这是一个目录",
    "Not a directory": "路径中有一段不是目录",
    "Read-only file system": "文件系统只读",
    "No space left on device": "磁盘空间不足",
    "File exists": "文件已存在",
    "Directory not empty": "目录不为空",
    "File name too long": "文件名太长",
    "Disk quota exceeded": "超出磁盘配额",
}


def os_text(message: str) -> str:
    for english, chinese in _OS_TEXT.items():
        if english in message:
            message = message.replace(english, chinese)
    return message


def is_key_column(col: Col) -> bool:
    return col.whole or col.key in KEY_KEYS or col.header in KEY_HEADERS


def cell_text(col: Col, value: Any) -> str:
    """What a person reads in a cell: the column's format, or the code's Chinese label."""
    if col.fmt is not None:
        return col.fmt(value)
    vocab = col.vocab or (col.key if col.key in _LABELLED else None)
    if vocab is not None and value is not None and not isinstance(value, bool):
        from jjadmin.rules.labels import label

        return label(vocab, value)
    return human(value)


_LABELLED = frozenset({"role", "action", "review_state", "approval", "approval_state"})


def select_columns(columns: Sequence[Col], wanted: str | None) -> list[Col]:
    """`--columns 学号,姓名` (headers or JSON keys, in the order given); all when None.

    Raises UsageError naming the columns there are.
    """
    if not wanted:
        return list(columns)
    chosen: list[Col] = []
    for part in wanted.replace("，", ",").split(","):
        name = part.strip()
        if not name:
            continue
        match = next((c for c in columns if name in (c.header, c.key)), None)
        if match is None:
            from jjadmin.errors import UsageError

            shown = "、".join(c.header for c in columns)
            raise UsageError(f"--columns 中没有“{name}”这一列", hint=f"可选的列：{shown}")
        chosen.append(match)
    return chosen or list(columns)


_PLAIN = frozenset((str, int, float, bool, type(None)))


def to_jsonable(value: Any) -> Any:
    if type(value) in _PLAIN:  # most values of a large document: answered first
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: to_jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if hasattr(value, "model_dump"):
        return to_jsonable(value.model_dump())
    if isinstance(value, datetime):
        return local(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_jsonable(v) for v in value]
    return value


_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?$")


def human(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str) and _ISO_TIME.match(value):
        # one time format for people (JSON keeps ISO 8601 with the offset)
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return (local(parsed) if parsed.tzinfo else parsed).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    if isinstance(value, list | tuple):
        return "、".join(human(v) for v in value)
    return str(value)


class Output:
    """table/record/result/report/warn/hint/progress; stdout carries data only."""

    def __init__(self, *, as_json: bool = False, columns: str | None = None):
        self.as_json = as_json
        self.emitted = False
        self.columns = columns  # --columns of a list command (commands/_help.py adds it)

    @staticmethod
    def _width() -> int | None:
        return int(os.environ["COLUMNS"]) if os.environ.get("COLUMNS", "").isdigit() else None

    @cached_property
    def out(self) -> Console:
        from rich.console import Console

        return Console(width=self._width(), highlight=False, soft_wrap=False)

    @cached_property
    def err(self) -> Console:
        from rich.console import Console

        # soft_wrap: an error or hint stays one line (cron logs, grep) whatever the width
        return Console(stderr=True, width=self._width(), highlight=False, soft_wrap=True)

    def emit(self, doc: Any) -> None:
        self.emitted = True
        sys.stdout.write(json.dumps(to_jsonable(doc), ensure_ascii=False, default=str) + "\n")
        sys.stdout.flush()

    def _rows(self, rows: Sequence[Any]) -> list[dict[str, Any]]:
        return [to_jsonable(r) if not isinstance(r, Mapping) else dict(r) for r in rows]

    def table(
        self,
        rows: Sequence[Any],
        columns: Sequence[Col],
        *,
        total: int | None = None,
        title: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        items = self._rows(rows)
        count = len(items) if total is None else total
        if self.as_json:
            doc: dict[str, Any] = {"items": items, "total": count}
            if extra:
                doc.update(extra)
            self.emit(doc)
            return
        if not items:
            self.err.print("[dim]没有符合条件的记录[/dim]")
            return
        shown = select_columns(columns, self.columns)
        cells = [[cell_text(c, item.get(c.key)) for c in shown] for item in items]
        if not self.out.is_terminal:
            # a pipe or a file (`teacher list > 名单.txt`): whole values, tab-separated; the
            # title goes to stderr so that the file holds the rows alone
            if title:
                self.err.print(title, markup=False)
            self._plain([c.header for c in shown], cells)
        else:
            self._rich(shown, cells, title)
        if total is not None and total > len(items):
            pages = "--limit/--offset" if self.paged else "--limit"
            self.err.print(f"[dim]共 {total} 条，显示 {len(items)} 条（用 {pages} 查看更多）[/dim]")

    paged = True  # the command has --offset (commands/_help.py sets it from the command)

    def _plain(self, headers: Sequence[str], cells: Sequence[Sequence[str]]) -> None:
        def clean(text: str) -> str:
            return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")

        lines = ["\t".join(clean(h) for h in headers)]
        lines.extend("\t".join(clean(v) for v in row) for row in cells)
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()

    def _rich(
        self, columns: Sequence[Col], cells: Sequence[Sequence[str]], title: str | None
    ) -> None:
        from rich.cells import cell_len

        table = _table(title=title, show_lines=False)
        for i, c in enumerate(columns):
            if is_key_column(c):
                widest = max([cell_len(c.header), *(cell_len(row[i]) for row in cells)])
                table.add_column(
                    c.header,
                    justify=c.justify,
                    no_wrap=True,
                    min_width=widest,  # type: ignore[arg-type]
                )
            else:  # wrapped, never cut (fold: Chinese has no spaces to break at)
                table.add_column(c.header, justify=c.justify, overflow="fold")  # type: ignore[arg-type]
        for row in cells:
            table.add_row(*row)
        self.out.print(table)

    def record(self, obj: Any, fields: Sequence[Col], *, title: str | None = None) -> None:
        data = to_jsonable(obj) if not isinstance(obj, Mapping) else dict(obj)
        if self.as_json:
            self.emit(data)
            return
        table = _table(title=title, show_header=False, box=None)
        table.add_column(style="bold")
        table.add_column()
        table.columns[1].overflow = "fold"
        for c in fields:
            table.add_row(c.header, cell_text(c, data.get(c.key)))
        self.out.print(table)

    def result(self, message: str, **data: Any) -> None:
        if self.as_json:
            self.emit({"ok": True, **data})
            return
        self.out.print(f"[green]✓[/green] {message}")
        for key, value in data.items():  # JSON has every key; people read the labelled ones
            shown = RESULT_LABELS.get(key)
            if shown and value is not None and not isinstance(value, list | dict):
                text = cell_text(Col(key, shown), value)
                self.out.print(f"  {shown}：{text}", markup=False)

    def report(self, report: Any, *, title: str = "导入") -> None:
        for note in report.notes:  # stderr, so also in JSON mode
            self.err.print(f"[yellow]提示：[/yellow]{escape(note)}")
        if self.as_json:
            self.emit(report.to_json())
            return
        bad = len(report.rejected_rows)
        if report.dry_run:  # nothing written: what the import would do
            line = (
                f"校验：共 {report.total} 行，可新增 {report.created}，可更新 {report.updated}，"
                f"无变化 {report.skipped}，错误 {bad} 行"
            )
        else:
            line = (
                f"{title}：共 {report.total} 行，新增 {report.created}，更新 {report.updated}，"
                f"跳过（无变化）{report.skipped}，错误 {bad} 行"
            )
        style = "green" if report.ok else "red"
        self.out.print(f"[{style}]{escape(line)}[/{style}]")
        if report.batch_id:
            self.out.print(f"批次号：{report.batch_id}（jjadmin batch show {report.batch_id}）")
        issues = report.sorted_issues()
        if issues:
            columns = [
                Col("row", "行", whole=True),
                Col("column", "列"),
                Col("value", "值"),
                Col("message", "说明"),
            ]
            cells = [[str(i.row), i.column or "", i.value or "", i.message] for i in issues[:200]]
            if self.out.is_terminal:
                self._rich(columns, cells, "错误明细")
            else:
                self._plain([c.header for c in columns], cells)
            if len(issues) > 200:
                self.err.print(
                    f"[dim]另有 {len(issues) - 200} 条错误未显示，"
                    "用 --errors-to 文件.xlsx 导出全部[/dim]"
                )

    def fail(self, code: str, message: str, hint: str | None, data: Mapping[str, Any]) -> None:
        """Render an error: stderr for humans, plus one JSON document in --json mode."""
        message = os_text(message)
        self.err.print(f"[red]错误：[/red]{escape(message)}", markup=True, highlight=False)
        if hint:
            self.err.print(f"[yellow]提示：[/yellow]{escape(hint)}")
        if self.as_json and not self.emitted:
            err: dict[str, Any] = {"code": code, "message": message}
            if hint:
                err["hint"] = hint
            if data:
                err.update(to_jsonable(dict(data)))
            self.emit({"ok": False, "error": err})

    def warn(self, message: str) -> None:
        self.err.print(f"[yellow]警告：[/yellow]{message}")

    def info(self, message: str) -> None:
        self.err.print(message)

    def hint(self, message: str) -> None:
        self.err.print(f"[dim]提示：{message}[/dim]")

    def line(self, text: str) -> None:
        """Plain data line to stdout (human mode only)."""
        if not self.as_json:
            self.out.print(text, markup=False, highlight=False)

    @contextmanager
    def progress(
        self, description: str, total: int | None = None
    ) -> Iterator[Callable[[int], None]]:
        """A progress bar on stderr when it is a terminal (never in JSON mode)."""
        if self.as_json or not self.err.is_terminal:
            yield lambda _n: None
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.err,
            transient=False,
        ) as bar:
            task = bar.add_task(description, total=total)

            def update(done: int) -> None:
                bar.update(task, completed=done)

            yield update
