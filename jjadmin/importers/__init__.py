"""Spreadsheet importers: xlsx/csv files → validated rows and RowIssues (SPEC §5)."""
