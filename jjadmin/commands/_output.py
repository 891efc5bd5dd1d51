"""One output sink per invocation: Rich for humans, one JSON document for machines."""

from __future__ import annotations

import dataclasses
import json
import os
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


def human(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list | tuple):
        return "、".join(human(v) for v in value)
    return str(value)


class Output:
    """table/record/result/report/warn/hint/progress; stdout carries data only."""

    def __init__(self, *, as_json: bool = False):
        self.as_json = as_json
        self.emitted = False

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
        table = _table(title=title, show_lines=False)
        cells = [[(c.fmt or human)(item.get(c.key)) for c in columns] for item in items]
        for i, c in enumerate(columns):
            if c.whole:
                from rich.cells import cell_len

                widest = max(cell_len(row[i]) for row in cells)
                table.add_column(c.header, justify=c.justify, no_wrap=True, min_width=widest)  # type: ignore[arg-type]
            else:
                table.add_column(c.header, justify=c.justify)  # type: ignore[arg-type]
        for row in cells:
            table.add_row(*row)
        self.out.print(table)
        if total is not None and total > len(items):
            self.err.print(
                f"[dim]共 {total} 条，显示 {len(items)} 条（--limit/--offset 翻页）[/dim]"
            )

    def record(self, obj: Any, fields: Sequence[Col], *, title: str | None = None) -> None:
        data = to_jsonable(obj) if not isinstance(obj, Mapping) else dict(obj)
        if self.as_json:
            self.emit(data)
            return
        table = _table(title=title, show_header=False, box=None)
        table.add_column(style="bold")
        table.add_column()
        for c in fields:
            table.add_row(c.header, (c.fmt or human)(data.get(c.key)))
        self.out.print(table)

    def result(self, message: str, **data: Any) -> None:
        if self.as_json:
            self.emit({"ok": True, **data})
            return
        self.out.print(f"[green]✓[/green] {message}")
        for key, value in data.items():
            if value is not None and not isinstance(value, list | dict):
                self.out.print(f"  {key}: {human(value)}")

    def report(self, report: Any, *, title: str = "导入") -> None:
        for note in report.notes:  # stderr, so also in JSON mode
            self.err.print(f"[yellow]提示：[/yellow]{escape(note)}")
        if self.as_json:
            self.emit(report.to_json())
            return
        verb = "校验" if report.dry_run else title
        line = (
            f"{verb}：共 {report.total} 行，新增 {report.created}，更新 {report.updated}，"
            f"跳过 {report.skipped}，错误 {len(report.rejected_rows)} 行"
        )
        style = "green" if report.ok else "red"
        self.out.print(f"[{style}]{line}[/{style}]")
        if report.batch_id:
            self.out.print(f"批次号：{report.batch_id}（jjadmin batch show {report.batch_id}）")
        issues = report.sorted_issues()
        if issues:
            table = _table(title="错误明细")
            for h in ("行", "列", "值", "说明"):
                table.add_column(h)
            for i in issues[:200]:
                table.add_row(str(i.row), i.column or "", i.value or "", i.message)
            self.out.print(table)
            if len(issues) > 200:
                self.err.print(
                    f"[dim]另有 {len(issues) - 200} 条错误未显示，"
                    "用 --errors-to 文件.xlsx 导出全部[/dim]"
                )

    def fail(self, code: str, message: str, hint: str | None, data: Mapping[str, Any]) -> None:
        """Render an error: stderr for humans, plus one JSON document in --json mode."""
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
