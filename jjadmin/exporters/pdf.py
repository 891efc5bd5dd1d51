"""PDF documents with Chinese text, drawn with reportlab's built-in CID font STSong-Light
(Adobe-GB1: no font file to ship or find). A small builder: headings, text, a grid of
labelled fields, tables; written to a temporary file and moved into place, so a failure
never leaves half a PDF behind."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jjadmin.errors import InputRejected
from jjadmin.exporters.files import publish

__all__ = ["FONT", "PdfDocument"]

FONT = "STSong-Light"
_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


class PdfDocument:
    """Flowables in reading order; `save(path)` lays them out on A4 pages."""

    def __init__(self, title: str, *, landscape: bool = False) -> None:
        from reportlab.lib.styles import ParagraphStyle

        font = _font()
        self.title = title
        self.landscape = landscape
        self._story: list[Any] = []
        self._styles = {
            "title": ParagraphStyle(
                "title", fontName=font, fontSize=16, leading=22, alignment=1, spaceAfter=8
            ),
            "text": ParagraphStyle("text", fontName=font, fontSize=10.5, leading=15),
            "right": ParagraphStyle("right", fontName=font, fontSize=10.5, leading=15, alignment=2),
            "cell": ParagraphStyle("cell", fontName=font, fontSize=9.5, leading=13, wordWrap="CJK"),
            "small": ParagraphStyle("small", fontName=font, fontSize=9, leading=13),
        }

    def _p(self, text: str, style: str = "text") -> Any:
        from xml.sax.saxutils import escape

        from reportlab.platypus import Paragraph

        return Paragraph(escape(text).replace("\n", "<br/>"), self._styles[style])

    def heading(self, text: str) -> None:
        self._story.append(self._p(text, "title"))

    def text(self, text: str, *, align: str = "left", small: bool = False) -> None:
        style = "right" if align == "right" else ("small" if small else "text")
        self._story.append(self._p(text, style))

    def space(self, points: float = 8) -> None:
        from reportlab.platypus import Spacer

        self._story.append(Spacer(1, points))

    def fields(self, pairs: Sequence[tuple[str, str]], *, per_row: int = 2) -> None:
        """Labelled values in a bordered grid, `per_row` pairs a row."""
        rows: list[list[Any]] = []
        for i in range(0, len(pairs), per_row):
            row: list[Any] = []
            for label, value in pairs[i : i + per_row]:
                row += [self._p(label, "cell"), self._p(value, "cell")]
            row += [""] * (2 * per_row - len(row))
            rows.append(row)
        width = self._width()
        label_w = 0.16 * width / (per_row / 2)
        widths = [label_w, width / per_row - label_w] * per_row
        self._grid(rows, widths, shade_columns=range(0, 2 * per_row, 2))

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[object]],
        *,
        widths: Sequence[float] | None = None,
        right: Sequence[int] = (),
    ) -> None:
        """A bordered table with a shaded header row; `widths` are fractions of the page
        width; columns in `right` are right-aligned (amounts)."""
        from reportlab.lib import colors

        data: list[list[Any]] = [[self._p(h, "cell") for h in headers]]
        data += [["" if v is None else self._p(str(v), "cell") for v in r] for r in rows]
        total = self._width()
        col_widths = [f * total for f in widths] if widths else None
        extra = [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE"))]
        extra += [("ALIGN", (c, 1), (c, -1), "RIGHT") for c in right]
        self._grid(data, col_widths, commands=extra, repeat=1)

    def _grid(
        self,
        data: list[list[Any]],
        widths: Sequence[float] | None,
        *,
        shade_columns: Sequence[int] | range = (),
        commands: Sequence[tuple[Any, ...]] = (),
        repeat: int = 0,
    ) -> None:
        from reportlab.lib import colors
        from reportlab.platypus import Table, TableStyle

        style = [
            ("FONT", (0, 0), (-1, -1), FONT, 9.5),
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]
        style += [
            ("BACKGROUND", (c, 0), (c, -1), colors.HexColor("#F4F4F4")) for c in shade_columns
        ]
        style += list(commands)
        table = Table(data, colWidths=widths, repeatRows=repeat, hAlign="CENTER")
        table.setStyle(TableStyle(style))
        self._story.append(table)

    def _pagesize(self) -> tuple[float, float]:
        from reportlab.lib.pagesizes import A4, landscape

        return landscape(A4) if self.landscape else A4

    def _width(self) -> float:
        from reportlab.lib.units import mm

        return self._pagesize()[0] - 36 * mm

    def save(self, path: Path) -> Path:
        """Lay out and write the document to `path` (atomically). Raises InputRejected (1)."""
        from reportlab.lib.units import mm
        from reportlab.platypus import SimpleDocTemplate

        path = Path(path)
        folder = path.parent if str(path.parent) else Path(".")
        try:
            fd, tmp = tempfile.mkstemp(prefix=".jjadmin-", suffix=".pdf", dir=folder)
        except OSError as exc:
            raise InputRejected(f"无法写入文件 {path}：{exc.strerror or exc}") from exc
        os.close(fd)
        try:
            doc = SimpleDocTemplate(
                tmp,
                pagesize=self._pagesize(),
                leftMargin=18 * mm,
                rightMargin=18 * mm,
                topMargin=16 * mm,
                bottomMargin=16 * mm,
                title=self.title,
                author="jjadmin",
                invariant=1,
            )
            doc.build(list(self._story))
            publish(tmp, path)
        except OSError as exc:
            raise InputRejected(f"无法写入文件 {path}：{exc.strerror or exc}") from exc
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return path
