"""Uploaded proofs (a school-sealed proof, a declaration's certificate): read once, judged by
their bytes (pdf/jpg/png, never by the file name), size-limited, stored with their SHA-256 in
the `attachment` table. Generic: any service that keeps a file uses these two functions."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session

from jjadmin.errors import InputRejected, NotFound
from jjadmin.models import Attachment
from jjadmin.rules.attachments import ATTACHMENT_KINDS, HEAD_BYTES, MAX_ATTACHMENT_BYTES, sniff_kind
from jjadmin.services.context import Actor

__all__ = ["UploadedFile", "read_upload", "store_upload"]

_KIND_NAMES = {"pdf": "PDF", "jpg": "JPG", "png": "PNG"}


@dataclass(frozen=True)
class UploadedFile:
    name: str
    kind: str  # pdf | jpg | png
    size: int
    sha256: str
    content: bytes


def _megabytes(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB".replace(".0 MB", " MB")


def read_upload(
    path: Path,
    *,
    label: str = "附件",
    max_bytes: int = MAX_ATTACHMENT_BYTES,
    kinds: Iterable[str] = tuple(ATTACHMENT_KINDS),
) -> UploadedFile:
    """The file at `path`, if its bytes say it is one of `kinds` and it is not too large.

    The size is checked before anything is read. Raises NotFound (4: no such file),
    InputRejected (1: not a file, empty, too large, not one of the kinds).
    """
    allowed = tuple(kinds)
    shown = "、".join(_KIND_NAMES.get(k, k) for k in allowed)
    path = Path(path)
    if not path.exists():
        raise NotFound(f"{label}文件不存在：{path}")
    if not path.is_file():
        raise InputRejected(f"{label}不是文件：{path}")
    size = path.stat().st_size
    if size == 0:
        raise InputRejected(f"{label}是空文件：{path.name}")
    if size > max_bytes:
        raise InputRejected(
            f"{label}过大：{path.name} 有 {_megabytes(size)}，最大 {_megabytes(max_bytes)}"
        )
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise InputRejected(f"无法读取{label}：{path}（{exc.strerror}）") from exc
    if len(content) > max_bytes:  # grew while we looked
        raise InputRejected(f"{label}过大：{path.name}，最大 {_megabytes(max_bytes)}")
    kind = sniff_kind(content[:HEAD_BYTES])
    if kind is None or kind not in allowed:
        raise InputRejected(
            f"{label}“{path.name}”不是 {shown} 文件（按文件内容判断，与扩展名无关）",
            hint=f"请提供盖章证明的扫描件或照片（{shown}）",
        )
    return UploadedFile(
        path.name[:200], kind, len(content), hashlib.sha256(content).hexdigest(), content
    )


def store_upload(session: Session, actor: Actor, now: datetime, upload: UploadedFile) -> int:
    """Keep the file in `attachment` (inside the caller's transaction); returns its id."""
    table = Attachment.__table__  # type: ignore[attr-defined]
    result = session.execute(
        insert(table)
        .values(
            file_name=upload.name,
            sha256=upload.sha256,
            size=upload.size,
            content=upload.content,
            uploaded_by=actor.account_id,
            uploaded_at=now,
        )
        .returning(table.c.id)
    )
    return int(result.scalar_one())
