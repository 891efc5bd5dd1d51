"""Every import, declared once (`ImportKind`), and the glue that runs one: read and parse the
file, hand the rows to the kind's service.

A kind names its sheet's columns (or its own reader), its service, an optional read-ahead,
and the words its command uses. The service is reached through the kind's `load` function,
whose imports are real `from … import …` lines inside a function: go-to-definition and mypy
follow `teacher import` from the command to the insert, yet SQLAlchemy and the models
(about 0.4 s of start-up) load only while python-calamine parses the sheet in its own thread
(see `ServiceLoader`). Nothing in this module loads SQLAlchemy or the models itself.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from jjadmin.errors import FileRejected, NotFound
from jjadmin.importers.columns import ColumnSpec, ParsedTable, read_rows
from jjadmin.importers.reader import file_sha256
from jjadmin.services.context import ServiceContext
from jjadmin.services.results import FileMeta, ImportOptions, ImportReport

ImportService = Callable[..., ImportReport]
ReadAhead = Callable[[ServiceContext, int], None]


class TableReader(Protocol):
    """A kind's own reader (the 选课 sheet has a lean one); `read_rows` by default."""

    def __call__(
        self,
        path: Path,
        *,
        sheet: str | None,
        max_rows: int,
        progress: Callable[[int], None] | None,
        meanwhile: Callable[[int | None], object] | None,
    ) -> ParsedTable: ...


@dataclass(frozen=True)
class LoadedService:
    """What a kind's `load` returns: the service, and what it may read ahead."""

    service: ImportService
    read_ahead: ReadAhead | None = None


@dataclass(frozen=True)
class ImportKind:
    """One import, declared once.

    `name` is the batch kind; `title` and `reading` are what the command prints ("导入教师",
    "读取教师表"); `roles` are the roles that may run it at all and `action` what a refusal
    names (checked before the file is read: a role that may never run it gets exit 3, not
    the sheet's errors; the service checks again, and the per-row scope); `columns` are the
    sheet's ColumnSpecs (or `columns_on(today)` when a column's rule depends on the date);
    `read` replaces the generic reader; `load` imports and returns the service (see the
    module docstring); `bulk` pauses the cyclic garbage collector while a large sheet is read
    and imported (`bulk_allocation`).
    """

    name: str
    title: str
    reading: str
    load: Callable[[], LoadedService]
    roles: tuple[str, ...] = ()
    action: str = "导入"
    columns: Sequence[ColumnSpec] = ()
    columns_on: Callable[[date], Sequence[ColumnSpec]] | None = None
    read: TableReader | None = None
    bulk: bool = False
    template_text: frozenset[str] = field(default_factory=frozenset)

    def specs(self, today: date) -> Sequence[ColumnSpec]:
        return self.columns_on(today) if self.columns_on is not None else self.columns


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
    read: TableReader | None = None,
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
    if read is not None:
        table = read(path, sheet=sheet, max_rows=max_rows, progress=progress, meanwhile=meanwhile)
    else:
        table = read_rows(
            path, specs, sheet=sheet, max_rows=max_rows, progress=progress, meanwhile=meanwhile
        )
    return table, FileMeta(path.name, digest)


def run_import_kind(
    ctx: ServiceContext,
    kind: ImportKind,
    path: Path,
    *,
    options: ImportOptions,
    sheet: str | None = None,
    progress: Callable[[int], None] | None = None,
    **service_kwargs: Any,
) -> ImportOutcome:
    """Parse `path` as `kind` declares, then call its service with
    `(ctx, rows=…, pre_issues=…, file=…, options=…, notes=…, present=…, **service_kwargs)`.

    The actor is resolved first (a missing login is said at once, whatever the file), and
    refused (PermissionDenied, exit 3) when its role is not one of `kind.roles`, before the
    file is read; the service loads while the sheet is parsed (`ServiceLoader`).
    Raises NotFound (4, no such file), FileRejected (1), and what the service raises.
    """
    ready = ServiceLoader(ctx, kind.load)  # the actor is known before the file is read
    if kind.roles:  # and may run this import at all: exit 3 before the sheet is judged
        ctx.require(*kind.roles, action=kind.action)
    max_rows = ctx.settings.max_rows if ctx.settings is not None else 1_000_000
    with bulk_allocation() if kind.bulk else _nothing():
        table, meta = parse_file(
            path,
            kind.specs(ctx.now.date()),
            sheet=sheet,
            max_rows=max_rows,
            progress=progress,
            meanwhile=ready,
            read=kind.read,
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


def run_file_import(
    ctx: ServiceContext,
    path: Path,
    specs: Sequence[ColumnSpec],
    service: ImportService,
    *,
    options: ImportOptions,
    sheet: str | None = None,
    progress: Callable[[int], None] | None = None,
    **service_kwargs: Any,
) -> ImportOutcome:
    """`run_import_kind` for a service already at hand (tests, one-off callers)."""
    kind = ImportKind(
        name="adhoc",
        title="导入",
        reading="读取表格",
        columns=specs,
        load=lambda: LoadedService(service),
    )
    return run_import_kind(
        ctx, kind, path, options=options, sheet=sheet, progress=progress, **service_kwargs
    )


class ServiceLoader:
    """Readies an import's service. Made before the file is read, it resolves the actor (a
    missing login is said at once, whatever the file); as the `meanwhile` of the read (see
    `reader.open_table`) it loads the service (SQLAlchemy and the models) and builds the
    context's engine while the sheet is parsed. A read-ahead is then called as
    `read_ahead(ctx, rows)` with the number of rows the sheet holds: a service reads there
    what it will need (see `ServiceContext.read_ahead`). `service` is then the function to
    call."""

    def __init__(self, ctx: ServiceContext, load: Callable[[], LoadedService]) -> None:
        ctx.actor  # noqa: B018
        self._ctx = ctx
        self._load = load
        self._loaded: LoadedService | None = None

    def __call__(self, rows: int | None = None) -> None:
        loaded = self._loaded = self._load()
        self._ctx.engine  # noqa: B018
        if loaded.read_ahead is not None and rows:
            loaded.read_ahead(self._ctx, rows)

    @property
    def service(self) -> ImportService:
        if self._loaded is None:  # open_table calls `meanwhile` on every path that returns
            self()
        assert self._loaded is not None
        return self._loaded.service


@contextmanager
def bulk_allocation() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large sheet is read and imported.

    A 100,000-row sheet keeps ~10 million live objects (rows, cells, dicts) and makes no
    reference cycles worth collecting, yet each full collection would walk all of them again:
    about 15% of the import's time. Reference counting still frees everything as usual.

    On the way out everything allocated meanwhile is moved to the oldest generation (freeze,
    then unfreeze: two list splices), where a collection would have put it: otherwise the
    first young collection after `gc.enable()` walks all those objects at once (~0.25 s
    while the parsed roster is still alive for the report).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        if was_enabled:
            gc.enable()


@contextmanager
def _nothing() -> Iterator[None]:
    yield
