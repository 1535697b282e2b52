"""Schemes and results as the spreadsheets officials use.

- :mod:`.layout` — the indicator table's column headings, shared by both directions.
- :mod:`.export_table` — a scheme as a printable indicator table (指标体系表): tiers in merged
  cells, points, 评分标准, print setup; machine columns (hidden) and a settings sheet carry the
  rest of the scheme, so that the table reads back into the same scheme.
- :mod:`.import_table` — an indicator table (exported, or made by hand with merged cells, blank
  rows and points written "10分") into a scheme plus a data template, every unreadable cell reported.
- :mod:`.workbook` — evaluation results as a formatted workbook: a sheet per unit class.
"""

from .export_table import export_table
from .import_table import ImportResult, import_table
from .workbook import write_results_workbook

__all__ = ["ImportResult", "export_table", "import_table", "write_results_workbook"]
