"""Readers run where a crash cannot take jjadmin down: a child process with rlimits.

The .xls and .ods readers (`xls`, `ods`) run in `python -m jjadmin.importers.contained`,
which caps its own address space (`JJADMIN_READER_MAX_MB`, default 2048) and CPU time
(`JJADMIN_READER_MAX_SECONDS`, default 60) before it opens the file, finds the header row
with the same rules as every reader (`cells.find_header`) and sends the data rows back in
blocks, already fitted to the header's width, blank rows dropped and the row cap applied.
Whatever happens to the child — a reader's exception, MemoryError, SIGXCPU, SIGKILL, a
segfault, silence past the CPU limit — the parent raises one FileRejected and the import
ends in exit 1. Messages are length-prefixed pickles read with a deadline; the parent
unpickles only plain values, datetimes and CellProblem.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import select
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from itertools import chain
from pathlib import Path
from typing import IO, Any, Literal

from jjadmin.errors import FileRejected
from jjadmin.importers.cells import (
    BLOCK_ROWS,
    EXCEL_MAX_ROWS,
    HEADER_SCAN_ROWS,
    MSG_CORRUPT,
    Block,
    CellValue,
    RawRow,
    Table,
    find_header,
    fit,
    is_blank,
    rows_exceeded,
)

ContainedKind = Literal["xls", "ods"]
MSG_LIMIT = (
    "读取工作簿时超出了内存或时间上限（文件可能已损坏、被篡改或过大），已拒绝；"
    "请用 Excel 或 WPS 打开后另存为 .xlsx 再导入"
)
DEFAULT_MEMORY_MB = 2048
DEFAULT_CPU_SECONDS = 60
# What the parent runs (tests replace it); how long it waits past the CPU limit for output.
CHILD_ARGS = ["-m", "jjadmin.importers.contained"]
IDLE_SLACK_SECONDS = 10.0
_LENGTH = struct.Struct("<Q")
_MAX_MESSAGE = 256 << 20
_ALLOWED = {
    ("datetime", "datetime"),
    ("datetime", "date"),
    ("datetime", "time"),
    ("datetime", "timedelta"),
    ("jjadmin.importers.cells", "CellProblem"),
}

SourceRow = tuple[int, list[CellValue], int]


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else default


def open_contained(
    kind: ContainedKind,
    path: Path,
    sheet: str | None,
    max_rows: int,
    candidates: set[str],
    meanwhile: Callable[[int | None], object] | None = None,
) -> Table:
    """Open `path` with the `kind` reader in a child process; the header row is found there.
    `meanwhile(None)` runs while the child reads (see `reader.open_table`)."""
    child = _Child(
        _request(kind, path, sheet=sheet, max_rows=max_rows, candidates=sorted(candidates))
    )
    try:
        if meanwhile is not None:
            meanwhile(None)
        message = child.receive()
        _, title, header_row, headers, estimated = message
    except BaseException:
        child.close()
        raise
    used = False

    def blocks(size: int = BLOCK_ROWS) -> Iterator[Block]:
        nonlocal used
        if used:
            raise RuntimeError("the rows of a contained reader can be read once")
        used = True
        while True:
            message = child.receive()
            if message[0] == "end":
                child.close()
                return
            numbers, rows = message[1], message[2]
            yield Block(numbers, rows, list(zip(*rows, strict=True)))

    def rows() -> Iterator[RawRow]:
        for block in blocks():
            yield from map(RawRow, block.numbers, block.rows)

    return Table(
        headers=list(headers),
        header_row=header_row,
        sheet_name=title,
        file_kind=kind,
        encoding=None,
        estimated_rows=None if estimated is None else max(estimated - header_row, 0),
        rows=rows,
        on_close=child.end,
        blocks=blocks,
    )


def _request(kind: str, path: Path, **more: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "path": str(path),
        "memory_mb": _env_int("JJADMIN_READER_MAX_MB", DEFAULT_MEMORY_MB),
        "cpu_seconds": _env_int("JJADMIN_READER_MAX_SECONDS", DEFAULT_CPU_SECONDS),
        **more,
    }


class CalamineUnavailable(Exception):
    """The contained calamine could not read the sheet: the caller reads it another way."""


class ContainedCalamineSheet:
    """`calamine_path.CalamineSheet`'s interface, the sheet parsed in a child process.

    python-calamine aborts the process or allocates without bound on some crafted sheets;
    in a child with limits that costs the child only, so a large sheet needs no safety scan
    before calamine may start (only the formula/error check, `scan_semantics`, which the
    caller runs meanwhile). The child parses at once; `rows` gives the first rows (for the
    header), `column_blocks` asks for the data rows, which the child streams per block.
    A child that fails before its first rows raises CalamineUnavailable.
    """

    def __init__(self, path: Path, title: str) -> None:
        self._child = _Child(_request("calamine", path, title=title), keep_stdin=True)
        self._head: list[tuple[int, list[Any]]] | None = None

    def head(self) -> list[tuple[int, list[Any]]]:
        """The sheet's first rows (for the header search). Raises CalamineUnavailable."""
        if self._head is None:
            try:
                message = self._child.receive()
            except FileRejected as exc:
                self.close()
                raise CalamineUnavailable(exc.message) from exc
            self._head = message[1]
        return self._head

    def rows(self, max_col: int | None) -> Iterator[tuple[int, Sequence[Any]]]:
        head = self.head()
        for number, values in head:
            yield number, values if max_col is None else values[:max_col]
        if len(head) <= HEADER_SCAN_ROWS:
            return  # the head was the whole sheet
        for first, columns in self.column_blocks(len(head), max_col, BLOCK_ROWS):
            for k, row in enumerate(zip(*columns, strict=True)):
                yield first + k, list(row)

    def column_blocks(
        self, skip: int, width: int | None, size: int
    ) -> Iterator[tuple[int, list[Sequence[Any]]]]:
        """As CalamineSheet's (`width` None: as wide as the sheet)."""
        self.head()
        self._child.send_line({"skip": skip, "width": width, "size": size})
        while True:
            message = self._child.receive()
            if message[0] == "end":
                return
            first, columns = message[1], message[2]
            if columns and first + len(columns[0]) - 1 > EXCEL_MAX_ROWS:
                raise FileRejected(
                    f"工作表的行号超出 Excel 上限 {EXCEL_MAX_ROWS} 行，文件可能已损坏"
                )
            yield first, columns

    def close(self) -> None:
        self._child.close()


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not expected from a reader")


class _Child:
    """The child process and its message channel (parent side)."""

    def __init__(self, request: dict[str, Any], *, keep_stdin: bool = False) -> None:
        self._idle = float(request["cpu_seconds"]) + IDLE_SLACK_SECONDS
        self._stderr: IO[bytes] = tempfile.TemporaryFile()
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
            [sys.executable, *CHILD_ARGS],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            close_fds=True,
        )
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._fd = self._proc.stdout.fileno()
        self._stdin: IO[bytes] | None = self._proc.stdin
        self.send_line(request)
        if not keep_stdin:
            self._close_stdin()

    def send_line(self, message: dict[str, Any]) -> None:
        """One JSON line to the child (a dead child is noticed by `receive`)."""
        if self._stdin is None:
            return
        try:
            self._stdin.write(json.dumps(message).encode() + b"\n")
            self._stdin.flush()
        except OSError:
            self._close_stdin()

    def _close_stdin(self) -> None:
        stdin, self._stdin = self._stdin, None
        if stdin is not None:
            try:
                stdin.close()
            except OSError:
                pass

    def receive(self) -> tuple[Any, ...]:
        """The next message; a rejection or the child's death raises FileRejected."""
        size = _LENGTH.unpack(self._read(_LENGTH.size))[0]
        if size > _MAX_MESSAGE:
            raise self._failed("message too large")
        try:
            message = _Unpickler(io.BytesIO(self._read(size))).load()
        except Exception as exc:  # noqa: BLE001 - a garbled channel
            raise self._failed(f"bad message: {exc!r}") from exc
        if message[0] == "rejected":
            self.close()
            raise FileRejected(message[1], data=message[2])
        if message[0] == "limit":
            raise self._failed(message[1])
        return tuple(message)

    def _read(self, size: int) -> bytes:
        buffer = bytearray()
        deadline = time.monotonic() + self._idle
        while len(buffer) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._failed("no answer from the reader")
            ready, _, _ = select.select([self._fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self._fd, min(size - len(buffer), 1 << 20))
            if not chunk:
                raise self._failed("the reader ended")
            buffer += chunk
        return bytes(buffer)

    def _failed(self, reason: str) -> FileRejected:
        code = self.close()
        try:
            self._stderr.seek(0)
            tail = self._stderr.read()[-400:].decode("utf-8", "replace")
        except (OSError, ValueError):
            tail = ""
        return FileRejected(MSG_LIMIT, data={"detail": reason, "exit": code, "stderr": tail})

    def end(self) -> None:
        self.close()

    def close(self) -> int | None:
        """End the child (if still running) and wait for it; its exit code."""
        proc, self._proc = self._proc, None
        if proc is None:
            return None
        self._close_stdin()
        if proc.poll() is None:
            proc.kill()
        code = proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        return code

    def __del__(self) -> None:
        if hasattr(self, "_stdin"):  # __init__ got that far
            self.close()
        self._stderr.close()


# ---------------------------------------------------------------- the child side


def _open_source(kind: str, path: Path, sheet: str | None) -> Any:
    if kind == "xls":
        from jjadmin.importers.xls import XlsSheet

        return XlsSheet(path, sheet)
    from jjadmin.importers.ods import OdsSheet

    return OdsSheet(path, sheet)


def produce_calamine(request: dict[str, Any], send: Callable[[tuple[Any, ...]], None]) -> None:
    """The child of a ContainedCalamineSheet: ("head", first rows), then, on the parent's
    line {"skip", "width", "size"}, ("columns", first row number, columns)…, ("end",)."""
    from itertools import islice

    from jjadmin.importers.calamine_path import CalamineSheet

    sheet = CalamineSheet(Path(request["path"]), request["title"])
    send(("head", list(islice(sheet.rows(None), HEADER_SCAN_ROWS + 1))))
    while line := sys.stdin.readline():
        wanted = json.loads(line)
        width = wanted["width"]
        if width is None:
            start = sheet._sheet.start
            width = 0 if start is None else int(start[1]) + int(sheet._sheet.width)
        for first, columns in sheet.column_blocks(wanted["skip"], width, wanted["size"]):
            send(("columns", first, columns))
        send(("end",))


def produce(request: dict[str, Any], send: Callable[[tuple[Any, ...]], None]) -> None:
    """Read the file as `request` says and send its messages: ("sheet", title, header row,
    headers, rows claimed), ("rows", numbers, rows)…, ("end",)."""
    source = _open_source(request["kind"], Path(request["path"]), request["sheet"])
    triples: Iterator[SourceRow] = iter(source.rows())
    seen: list[SourceRow] = []

    def header_rows() -> Iterator[tuple[int, list[CellValue]]]:
        for triple in triples:
            seen.append(triple)
            number, values, repeat = triple
            for k in range(min(repeat, HEADER_SCAN_ROWS + 1)):
                yield number + k, values

    header = find_header(header_rows(), set(request["candidates"]))
    if header is None:
        title = source.title or ""
        raise FileRejected(f"工作表“{title}”的前 {HEADER_SCAN_ROWS} 行是空的，没有找到表头行")
    header_row, headers = header
    send(("sheet", source.title, header_row, headers, source.estimated))
    width = len(headers)
    max_rows = int(request["max_rows"])
    count = 0
    numbers: list[int] = []
    rows: list[tuple[CellValue, ...]] = []
    for number, values, repeat in chain(seen, triples):
        last = number + repeat - 1
        if last <= header_row:
            continue
        row = fit(values, width)
        if is_blank(row):
            continue
        first = max(number, header_row + 1)
        count += last - first + 1
        if count > max_rows:
            raise rows_exceeded(max_rows)
        for n in range(first, last + 1):
            numbers.append(n)
            rows.append(row)
            if len(rows) >= BLOCK_ROWS:
                send(("rows", numbers, rows))
                numbers, rows = [], []
    if rows:
        send(("rows", numbers, rows))
    send(("end",))


def _limit(memory_mb: int, cpu_seconds: int) -> None:
    import resource

    memory = memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def main() -> int:
    """The child: one request on stdin, messages on the original stdout."""
    request = json.loads(sys.stdin.readline())
    _limit(int(request["memory_mb"]), int(request["cpu_seconds"]))
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print must not garble the channel

    def send(message: tuple[Any, ...]) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        channel.write(_LENGTH.pack(len(data)) + data)
        channel.flush()

    try:
        if request["kind"] == "calamine":
            produce_calamine(request, send)
        else:
            produce(request, send)
    except FileRejected as exc:
        send(("rejected", exc.message, exc.data))
    except MemoryError:
        send(("limit", "memory"))
    except RecursionError:
        send(("limit", "recursion"))
    except Exception as exc:  # noqa: BLE001 - any reader failure is the file's
        send(("rejected", MSG_CORRUPT, {"detail": repr(exc)[:200]}))
    channel.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
