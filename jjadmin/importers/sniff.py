"""What a file is, decided from its bytes, and the guards every zip package passes before
any of its XML is parsed (zip bombs, entity tricks) (SPEC §5)."""

from __future__ import annotations

import codecs
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from jjadmin.errors import FileRejected
from jjadmin.importers.xlsx_stream import MSG_XML_ENTITY

SniffedKind = Literal["zip", "ole2", "csv"]
ZipKind = Literal["xlsx", "ods"]

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xltx", ".xltm"})
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_TEXT_PROBE = 64 * 1024

MSG_EMPTY = "文件是空的"
MSG_NOT_XLSX = "文件不是有效的 xlsx 工作簿（可能已损坏或被截断）"
MSG_NOT_ODS = "文件不是有效的 .ods 工作簿（可能已损坏或被截断）"
MSG_NOT_XLS = (
    "文件不是有效的 .xls 工作簿（可能已损坏或被截断），请用 Excel 或 WPS 另存为 .xlsx 后再导入"
)
MSG_BAD_OLE2 = "文件是 Office 97–2003 格式（旧版 .xls 或加密的工作簿），但已损坏或被截断，无法读取"
MSG_XLS_HTML = (
    "文件扩展名是 .xls，内容却是网页（HTML/XML）表格，不是 Excel 工作簿：请用 Excel 或 WPS "
    "打开后另存为 .xlsx 再导入"
)
MSG_XLSB = "不支持 .xlsb（Excel 二进制工作簿）格式，请用 Excel 另存为 .xlsx 后再导入"
MSG_ENCRYPTED = (
    "工作簿已加密（设置了打开密码），无法读取：请在 Excel 或 WPS 中取消密码后另存，再导入"
)
MSG_NOT_SPREADSHEET = "文件是 OpenDocument 文档，但不是电子表格（.ods），无法导入"


@dataclass(frozen=True)
class ZipLimits:
    """Caps applied to an xlsx/ods package before any XML is parsed (zip bombs, entity tricks)."""

    max_entries: int = 10_000
    max_total_bytes: int = 1 << 30
    max_ratio: float = 200.0
    ratio_min_bytes: int = 10 * 1024 * 1024
    xml_prolog_bytes: int = 4096

    @classmethod
    def from_env(cls) -> ZipLimits:
        raw = os.environ.get("JJADMIN_MAX_UNZIPPED_BYTES", "").strip()
        if raw.isdigit() and int(raw) > 0:
            return cls(max_total_bytes=int(raw))
        return cls()


def sniff(path: Path) -> SniffedKind:
    """ "zip" (xlsx, xlsm, ods…), "ole2" (a legacy .xls or an encrypted workbook) or "csv".

    A file named as a workbook that is neither is refused here, except a `.xls` holding
    plain text: old web exports and WPS save CSV or tab-separated text under that name, and
    it is read as what it is (one in HTML or XML is refused with its own line).
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(_TEXT_PROBE)
    except FileNotFoundError as exc:
        raise FileRejected(f"找不到文件：{path}") from exc
    except OSError as exc:
        raise FileRejected(f"无法读取文件：{path}（{exc.strerror or exc}）") from exc
    if size == 0:
        raise FileRejected(MSG_EMPTY)
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if head.startswith(OLE2_MAGIC):
        return "ole2"
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        raise FileRejected(MSG_NOT_XLSX)
    if suffix == ".ods":
        raise FileRejected(MSG_NOT_ODS)
    if suffix == ".xlsb":
        raise FileRejected(MSG_XLSB)
    if suffix == ".xls":
        if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise FileRejected(MSG_NOT_XLS)
        if _looks_like_markup(head):
            raise FileRejected(MSG_XLS_HTML)
    return "csv"


_MARKUP = re.compile(rb"^\s*<(?:!doctype|html|\?xml|table|meta|head|body|style|!--)", re.I)


def _looks_like_markup(head: bytes) -> bool:
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    if head[:2].count(b"\x00") == 1:  # UTF-16 without a BOM: the markup check on its ASCII
        head = head.replace(b"\x00", b"")
    return _MARKUP.match(head) is not None


def zip_kind(zf: zipfile.ZipFile) -> ZipKind:
    """ "xlsx" (also xlsm/xltx) or "ods", from the package's parts; an encrypted ODF package,
    an xlsb or another OpenDocument type is refused here."""
    names = set(zf.namelist())
    if "mimetype" in names:
        info = zf.getinfo("mimetype")
        mimetype = zf.read(info).strip() if info.file_size <= 256 else b""
        if mimetype.startswith(ODS_MIMETYPE):
            if "META-INF/manifest.xml" in names:
                with zf.open("META-INF/manifest.xml") as part:
                    if b"encryption-data" in part.read(1 << 20):
                        raise FileRejected(MSG_ENCRYPTED)
            return "ods"
        if mimetype.startswith(b"application/vnd.oasis.opendocument"):
            raise FileRejected(MSG_NOT_SPREADSHEET)
    if "xl/workbook.bin" in names:
        raise FileRejected(MSG_XLSB)
    return "xlsx"


def check_package(zf: zipfile.ZipFile, limits: ZipLimits) -> None:
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise FileRejected(
            f"工作簿包含 {len(infos)} 个内部文件，超过上限 {limits.max_entries}，"
            "疑似压缩炸弹，已拒绝"
        )
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > limits.ratio_min_bytes and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise FileRejected("工作簿中的内容压缩比异常，疑似压缩炸弹，已拒绝")
    if total > limits.max_total_bytes:
        cap_mb = limits.max_total_bytes // (1024 * 1024)
        raise FileRejected(
            f"工作簿解压后超过 {cap_mb} MB 上限（JJADMIN_MAX_UNZIPPED_BYTES），疑似压缩炸弹，已拒绝"
        )
    for info in infos:
        if info.filename.lower().endswith((".xml", ".rels")):
            check_xml_prolog(zf, info, limits.xml_prolog_bytes)


_ROOT_START = re.compile(r"<[A-Za-z_]")


def check_xml_prolog(zf: zipfile.ZipFile, info: zipfile.ZipInfo, size: int) -> None:
    """Refuse DTDs: they may only sit in the prolog, which a genuine part keeps tiny."""
    with zf.open(info) as part:
        head = part.read(size)
    if head.startswith((codecs.BOM_UTF16_LE, b"<\x00")):
        text = head.decode("utf-16-le", errors="replace")
    elif head.startswith((codecs.BOM_UTF16_BE, b"\x00<")):
        text = head.decode("utf-16-be", errors="replace")
    else:
        text = head.decode("utf-8", errors="replace")
    upper = text.upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
        raise FileRejected(MSG_XML_ENTITY)
    if len(head) >= size and not _ROOT_START.search(text):
        # A prolog longer than the scanned window could hide a DOCTYPE further on.
        raise FileRejected(MSG_XML_ENTITY)
