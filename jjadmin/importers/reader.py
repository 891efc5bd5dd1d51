"""Opening any spreadsheet an import reads, as raw rows (SPEC §5): the entry point.

Nothing here trusts the file: its type is sniffed from the bytes (`sniff`), zip packages are
checked for bombs and XML entity tricks before any part is parsed, and every reader's
failure becomes one `FileRejected` with a Chinese message. By format:
- xlsx / xlsm: `xlsx` (python-calamine on a sheet `calamine_path` has proven safe, else the
  expat reader of `xlsx_stream`), in process;
- xls (BIFF8) and ods: `xls` / `ods`, in a child process with memory and CPU limits
  (`contained`): the container parsers meet crafted binary files;
- csv (and text saved as .xls): `csv_file`.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

from jjadmin.errors import FileRejected
from jjadmin.importers.cells import (
    BLOCK_ROWS,
    DEFAULT_MAX_ROWS,
    EXCEL_MAX_COLS,
    EXCEL_MAX_ROWS,
    HEADER_SCAN_ROWS,
    MSG_CORRUPT,
    Block,
    CellProblem,
    CellValue,
    RawRow,
    Table,
    normalize_header,
    plain_text,
)
from jjadmin.importers.contained import open_contained
from jjadmin.importers.csv_file import MSG_ENCODING, MSG_NUL, open_csv
from jjadmin.importers.sniff import (
    MSG_EMPTY,
    MSG_ENCRYPTED,
    MSG_NOT_ODS,
    MSG_NOT_XLS,
    MSG_NOT_XLSX,
    MSG_XLS_HTML,
    MSG_XLSB,
    OLE2_MAGIC,
    ZIP_MAGIC,
    ZipLimits,
    check_package,
    sniff,
    zip_kind,
)
from jjadmin.importers.xlsx import open_xlsx
from jjadmin.importers.xlsx_stream import MSG_XML_ENTITY

__all__ = [
    "BLOCK_ROWS",
    "DEFAULT_MAX_ROWS",
    "EXCEL_MAX_COLS",
    "EXCEL_MAX_ROWS",
    "HEADER_SCAN_ROWS",
    "MSG_CORRUPT",
    "MSG_EMPTY",
    "MSG_ENCODING",
    "MSG_ENCRYPTED",
    "MSG_NOT_ODS",
    "MSG_NOT_XLS",
    "MSG_NOT_XLSX",
    "MSG_NUL",
    "MSG_XLSB",
    "MSG_XLS_HTML",
    "MSG_XML_ENTITY",
    "OLE2_MAGIC",
    "ZIP_MAGIC",
    "Block",
    "CellProblem",
    "CellValue",
    "RawRow",
    "Table",
    "ZipLimits",
    "file_sha256",
    "normalize_header",
    "open_table",
    "plain_text",
]


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (recorded with every import batch)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def open_table(
    path: Path,
    *,
    sheet: str | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    header_candidates: Sequence[str] = (),
    limits: ZipLimits | None = None,
    meanwhile: Callable[[int | None], object] | None = None,
) -> Table:
    """Open a spreadsheet (type sniffed from its bytes) and locate its header row.

    `meanwhile(rows)` is called once, before the header is looked for, with the number of
    rows the sheet holds as far as is known then (None: unknown): on the python-calamine
    path the sheet is then being parsed in a thread that releases the GIL, on the .xls/.ods
    path in a child process, so work done there (such as importing the database layer)
    costs no wall time. It runs on every path; whatever it raises closes the file and
    propagates. `limits` exists for tests; by default the caps come from
    `ZipLimits.from_env()`.

    Raises:
        FileRejected: the file is empty, of the wrong type, encrypted, unsafe, unreadable
            or too large.
    """
    path = Path(path)
    candidates = {normalize_header(c) for c in header_candidates} - {""}
    kind = sniff(path)
    if kind == "zip":
        if _zip_kind(path, limits or ZipLimits.from_env()) == "xlsx":
            return open_xlsx(path, sheet, max_rows, candidates, meanwhile)
        return open_contained("ods", path, sheet, max_rows, candidates, meanwhile)
    if kind == "ole2":
        return open_contained("xls", path, sheet, max_rows, candidates, meanwhile)
    table = open_csv(path, max_rows, candidates)
    if meanwhile is not None:
        try:
            meanwhile(table.estimated_rows)
        except BaseException:
            table.close()
            raise
    return table


def _zip_kind(path: Path, limits: ZipLimits) -> str:
    """ "xlsx" or "ods" for a zip package that passes the guards."""
    unreadable = MSG_NOT_ODS if path.suffix.lower() == ".ods" else MSG_NOT_XLSX
    try:
        with zipfile.ZipFile(path) as zf:
            check_package(zf, limits)
            return zip_kind(zf)
    except FileRejected:
        raise
    except Exception as exc:
        raise FileRejected(unreadable, data={"detail": str(exc)[:200]}) from exc
