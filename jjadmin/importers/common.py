"""Glue every import shares: read and parse the file, hand the rows to a service.

Nothing here loads SQLAlchemy or the models: a service named as "module:function" is
imported while the sheet is being parsed (see `run_file_import`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

from jjadmin.errors import FileRejected, NotFound
from jjadmin.importers.columns import ColumnSpec, ParsedTable, read_rows
from jjadmin.importers.reader import file_sha256
from jjadmin.services.context import ServiceContext
from jjadmin.services.results import FileMeta, ImportOptions, ImportReport

ImportService = Callable[..., ImportReport]


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
    meanwhile: Callable[[int | None], object] | None = None,
) -> tuple[ParsedTable, FileMeta]:
    """Read and parse a whole file (nothing is written). Raises NotFound, FileRejected.

    `meanwhile` runs once while the sheet loads (see `reader.open_table`).
    """
    if not path.exists():
        raise NotFound(f"文件不存在：{path}")
    if not path.is_file():
        raise FileRejected(f"不是文件：{path}")
    try:
        digest = file_sha256(path)
    except OSError as exc:
        raise FileRejected(f"无法读取文件：{path}（{exc.strerror}）") from exc
    table = read_rows(
        path, specs, sheet=sheet, max_rows=max_rows, progress=progress, meanwhile=meanwhile
    )
    return table, FileMeta(path.name, digest)


def run_file_import(
    ctx: ServiceContext,
    path: Path,
    specs: Sequence[ColumnSpec],
    service: ImportService | str,
    *,
    options: ImportOptions,
    sheet: str | None = None,
    progress: Callable[[int], None] | None = None,
    read_ahead: str | None = None,
    **service_kwargs: Any,
) -> ImportOutcome:
    """Parse `path` with `specs`, then call `service(ctx, rows=…, pre_issues=…, file=…, …)`.

    The actor is resolved first (a missing login is said at once). While python-calamine
    parses the sheet in its own thread the database layer is made ready: `service` may be
    named "module:function" so that SQLAlchemy and the models (about 0.4 s of start-up) are
    imported then, costing no wall time, and the context's engine is built; `read_ahead`:
    see `ServiceLoader`.
    """
    ready = ServiceLoader(ctx, service, read_ahead)  # the actor is known before the file is read
    max_rows = ctx.settings.max_rows if ctx.settings is not None else 1_000_000
    table, meta = parse_file(
        path, specs, sheet=sheet, max_rows=max_rows, progress=progress, meanwhile=ready
    )
    report = ready.service(
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


class ServiceLoader:
    """Readies an import's service. Made before the file is read, it resolves the actor (a
    missing login is said at once, whatever the file); as the `meanwhile` of the read (see
    `reader.open_table`) it imports the service when it is named "module:function"
    (SQLAlchemy and the models) and builds the context's engine while the sheet is parsed.
    `read_ahead`, "module:function", is then called as `function(ctx, rows)` with the number
    of rows the sheet holds: a service reads there what it will need (see
    `ServiceContext.read_ahead`). `service` is then the function to call."""

    def __init__(
        self, ctx: ServiceContext, service: ImportService | str, read_ahead: str | None = None
    ) -> None:
        ctx.actor  # noqa: B018
        self._ctx = ctx
        self._named = service
        self._read_ahead = read_ahead
        self._service: ImportService | None = None

    def __call__(self, rows: int | None = None) -> None:
        self._service = resolve_service(self._named)
        self._ctx.engine  # noqa: B018
        if self._read_ahead is not None and rows:
            resolve_service(self._read_ahead)(self._ctx, rows)

    @property
    def service(self) -> ImportService:
        if self._service is None:  # open_table calls `meanwhile` on every path that returns
            self()
        assert self._service is not None
        return self._service


def resolve_service(service: ImportService | str) -> ImportService:
    """The service itself, or the function a "module:function" string names."""
    if not isinstance(service, str):
        return service
    module, _, name = service.partition(":")
    found: ImportService = getattr(import_module(module), name)
    return found
