"""Glue every import shares: read and parse the file, hand the rows to a service."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jjadmin.errors import FileRejected, NotFound
from jjadmin.importers.columns import ColumnSpec, ParsedTable, read_rows
from jjadmin.importers.reader import file_sha256
from jjadmin.services.context import ServiceContext
from jjadmin.services.imports import ImportOptions
from jjadmin.services.results import FileMeta, ImportReport


@dataclass
class ImportOutcome:
    report: ImportReport
    table: ParsedTable


def parse_file(
    path: Path,
    specs: Sequence[ColumnSpec],
    *,
    sheet: str | None,
    max_rows: int,
    progress: Callable[[int], None] | None = None,
) -> tuple[ParsedTable, FileMeta]:
    """Read and parse a whole file (nothing is written). Raises NotFound, FileRejected."""
    if not path.exists():
        raise NotFound(f"文件不存在：{path}")
    if not path.is_file():
        raise FileRejected(f"不是文件：{path}")
    try:
        digest = file_sha256(path)
    except OSError as exc:
        raise FileRejected(f"无法读取文件：{path}（{exc.strerror}）") from exc
    table = read_rows(path, specs, sheet=sheet, max_rows=max_rows, progress=progress)
    return table, FileMeta(path.name, digest)


def run_file_import(
    ctx: ServiceContext,
    path: Path,
    specs: Sequence[ColumnSpec],
    service: Callable[..., ImportReport],
    *,
    options: ImportOptions,
    sheet: str | None = None,
    progress: Callable[[int], None] | None = None,
    **service_kwargs: Any,
) -> ImportOutcome:
    """Parse `path` with `specs`, then call `service(ctx, rows=…, pre_issues=…, file=…, …)`."""
    max_rows = ctx.settings.max_rows if ctx.settings is not None else 1_000_000
    table, meta = parse_file(path, specs, sheet=sheet, max_rows=max_rows, progress=progress)
    report = service(
        ctx,
        rows=table.rows,
        pre_issues=table.schema_issues,
        file=meta,
        options=options,
        notes=table.notes,
        present=table.present_keys,
        **service_kwargs,
    )
    return ImportOutcome(report, table)
