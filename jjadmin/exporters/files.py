"""Where a command may write a file: never over an existing one unless asked (SPEC §5)."""

from __future__ import annotations

from pathlib import Path

from jjadmin.errors import Conflict, UsageError

OVERWRITE_HINT = "换一个文件名，或加 --overwrite 覆盖该文件"


def claim_output(path: Path, *, overwrite: bool, inputs: tuple[Path, ...] = ()) -> Path:
    """`path`, if a command may write it: not one of its `inputs` (never, even with
    --overwrite), and not an existing file unless `overwrite`.

    Raises UsageError (2) for an input file or a directory, Conflict (5) for an existing file.
    """
    path = Path(path)
    for source in inputs:
        if _same_file(path, Path(source)):
            raise UsageError(
                f"输出文件不能是正在读取的文件：{path}",
                hint="换一个文件名（例如在原名后加“-错误”）",
            )
    if path.is_dir():
        raise UsageError(f"输出位置是一个目录：{path}", hint="请给出文件名")
    if path.exists() and not overwrite:
        raise Conflict(f"文件已存在，未覆盖：{path}", hint=OVERWRITE_HINT)
    return path


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return a.samefile(b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def publish(tmp: str | Path, path: Path) -> Path:
    """Move a finished temporary file into place, readable by its owner only (0600: exports
    and error workbooks carry personal data; docs/decisions.md, "Personal data at rest")."""
    import os

    from jjadmin import faults

    os.chmod(tmp, 0o600)
    faults.point("file.publish")  # the whole file is written, not yet in place
    os.replace(tmp, path)
    return path
