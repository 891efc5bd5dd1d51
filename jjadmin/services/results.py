"""Result shapes shared by services, importers and exporters (SPEC §2 JSON)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Category = Literal["schema", "data", "state"]


@dataclass(frozen=True)
class RowIssue:
    """One problem with one cell (or one row, or the header when row == header row)."""

    row: int
    column: str | None
    value: str | None
    message: str
    code: str = "invalid-value"
    category: Category = "data"

    def to_json(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }


@dataclass
class ImportReport:
    """Counts and issues of one import; `ok` is False when any row was rejected."""

    total: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    issues: list[RowIssue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    batch_id: int | None = None
    dry_run: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.issues

    @property
    def rejected_rows(self) -> set[int]:
        return {i.row for i in self.issues}

    def add(self, issue: RowIssue) -> None:
        self.issues.append(issue)

    def sorted_issues(self) -> list[RowIssue]:
        return sorted(self.issues, key=lambda i: (i.row, i.column or ""))

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "ok": self.ok,
            "total": self.total,
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "errors": [i.to_json() for i in self.sorted_issues()],
        }
        if self.batch_id is not None:
            doc["batch_id"] = self.batch_id
        if self.dry_run:
            doc["dry_run"] = True
        doc.update(self.extra)
        return doc


class RowLike(Protocol):
    """What services need of a parsed spreadsheet row (importers.columns.ParsedRow)."""

    row: int
    values: dict[str, Any]
    issues: list[RowIssue]


@dataclass(frozen=True)
class FileMeta:
    """The imported file as the batch records it."""

    name: str
    sha256: str


@dataclass
class ImportOptions:
    dry_run: bool = False
    skip_invalid: bool = False
