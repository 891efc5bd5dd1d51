"""Exporters: rows → xlsx/csv files, import templates and error workbooks (SPEC §5)."""
