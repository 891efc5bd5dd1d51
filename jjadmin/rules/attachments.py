"""What an uploaded proof may be: pdf, jpg or png, known by its first bytes (magic numbers),
never by its name; and how large (SPEC §6: attachments ≤ 10 MB each)."""

from __future__ import annotations

__all__ = ["ATTACHMENT_KINDS", "MAX_ATTACHMENT_BYTES", "sniff_kind"]

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ATTACHMENT_KINDS: dict[str, bytes] = {
    "pdf": b"%PDF-",
    "jpg": b"\xff\xd8\xff",
    "png": b"\x89PNG\r\n\x1a\n",
}
HEAD_BYTES = 16


def sniff_kind(head: bytes) -> str | None:
    """'pdf', 'jpg' or 'png' from a file's first bytes; None for anything else."""
    for kind, magic in ATTACHMENT_KINDS.items():
        if head.startswith(magic):
            return kind
    return None
