"""Physical statistics: a table's rows and heap pages, value widths, correlation, and an index's size.

- :func:`table_size`: ``N`` rows and ``T`` heap pages of a table (or of one the schema does not know);
- :func:`width`: average width in bytes of a column or an index expression;
- :func:`correlation`: the column's physical order statistic, clamped to [-1, 1] (0 when unknown);
- :func:`index_size`: bytes of an index (B-tree, hash or BRIN), partial indexes counting only their entries.

**Table size.** ``N`` rows = ``TableStats.rows``; ``T`` heap pages = ``TableStats.pages``, else
``size_bytes / 8192``, else ``N / tuples_per_page`` with ``tuples_per_page = floor(8168 / (width + 28))``
(28 bytes of tuple header and line pointer). A table without statistics is taken to have 10 pages, as
PostgreSQL's planner assumes for a table never vacuumed or analysed. ``width`` is the sum of the columns'
``avg_width``, else a width from the type (``INT`` 4, ``BIGINT`` 8, ``VARCHAR(n)`` ``min(n, 32)``, other
variable-width types 32, PostgreSQL's default), else 100 bytes for a table the schema does not know.

**Index size.** B-tree and hash: ``entries * (key and INCLUDE widths + 16) / fill_factor``, at least two
pages, with ``entries = N * sel(predicate)`` for a partial index; BRIN: two pages plus those holding one
(min, max) summary per range of 128 heap pages.
"""

from __future__ import annotations

import math
import re

from sqltune.indexes.costmodel.selectivity import predicate_fraction
from sqltune.indexes.costmodel.settings import CostSettings
from sqltune.indexes.model import IndexSpec
from sqltune.schema import Table

__all__ = ["correlation", "index_size", "table_size", "width"]

#: Heap pages of a table without statistics (PostgreSQL's guess for a never-analysed table).
DEFAULT_PAGES = 10
#: Tuple width when the schema knows no column of the table.
DEFAULT_TUPLE_WIDTH = 100
#: Width of a variable-width value of unknown size (PostgreSQL's ``get_typavgwidth`` default).
DEFAULT_VALUE_WIDTH = 32
HEAP_TUPLE_OVERHEAD = 28  # tuple header (23, aligned to 24) + line pointer (4)
INDEX_TUPLE_OVERHEAD = 16  # index tuple header (8) + line pointer (4), aligned
PAGE_HEADER = 24

_TYPE_WIDTHS = {
    "BOOLEAN": 1,
    "SMALLINT": 2,
    "INT": 4,
    "INTEGER": 4,
    "BIGINT": 8,
    "FLOAT": 4,
    "REAL": 4,
    "DOUBLE": 8,
    "DATE": 4,
    "TIME": 8,
    "TIMESTAMP": 8,
    "TIMESTAMPTZ": 8,
    "UUID": 16,
    "DECIMAL": 8,
    "NUMERIC": 8,
    "MONEY": 8,
}
_SIZED_TYPES = {"CHAR", "VARCHAR", "NCHAR", "NVARCHAR"}


def table_size(settings: CostSettings, table: Table | None) -> tuple[float, float]:
    """Rows and heap pages (see the module documentation)."""
    s = settings
    width_ = sum(width(table, c) for c in table.columns) if table and table.columns else DEFAULT_TUPLE_WIDTH
    per_page = max(1, (s.page_size - PAGE_HEADER) // int(width_ + HEAP_TUPLE_OVERHEAD))
    stats = table.stats if table is not None else None
    rows = stats.rows if stats is not None else None
    pages = stats.pages if stats is not None else None
    if not pages and stats is not None and stats.size_bytes:
        pages = stats.size_bytes / s.page_size
    if rows is None:
        pages = pages or DEFAULT_PAGES
        rows = pages * per_page
    if not pages:
        pages = math.ceil(rows / per_page)
    return max(1.0, float(rows)), max(1.0, float(pages))


def width(table: Table | None, column: str) -> float:
    """Average width in bytes of ``column``; for an expression, that of the first column it mentions."""
    col = table.column(column) if table is not None else None
    if col is None and table is not None:
        # An expression: the width of the first column it mentions.
        for name in re.findall(r"[A-Za-z_][\w$]*", column):
            col = table.column(name)
            if col is not None:
                break
    if col is None:
        return DEFAULT_VALUE_WIDTH
    if col.stats is not None and col.stats.avg_width:
        return col.stats.avg_width
    base, _, size = col.type.partition("(")
    base = base.strip().upper()
    if base in _TYPE_WIDTHS:
        return _TYPE_WIDTHS[base]
    if base in _SIZED_TYPES and size.rstrip(")").strip().isdigit():
        return min(int(size.rstrip(")").strip()), DEFAULT_VALUE_WIDTH)
    return DEFAULT_VALUE_WIDTH


def correlation(table: Table | None, column: str) -> float:
    """Correlation of the column's values with their physical order, in [-1, 1]; 0 when unknown."""
    col = table.column(column) if table is not None else None
    if col is None or col.stats is None or col.stats.correlation is None:
        return 0.0
    return max(-1.0, min(1.0, col.stats.correlation))


def index_size(settings: CostSettings, table: Table | None, index: IndexSpec) -> float:
    """Bytes of ``index`` on ``table`` (see the module documentation)."""
    s = settings
    rows, pages = table_size(settings, table)
    if index.method.lower() == "brin":
        ranges = math.ceil(pages / s.brin_pages_per_range)
        entry = 2 * sum(width(table, c) for c in index.columns) + INDEX_TUPLE_OVERHEAD
        per_page = max(1, (s.page_size - PAGE_HEADER) // entry)
        return float((2 + math.ceil(ranges / per_page)) * s.page_size)
    entries = rows * predicate_fraction(table, rows, index.where)
    key_width = sum(width(table, c) for c in (*index.columns, *index.include)) + INDEX_TUPLE_OVERHEAD
    size = entries * key_width / s.fill_factor
    return float(max(2, math.ceil(size / s.page_size)) * s.page_size)
