"""An offline what-if backend: PostgreSQL-style cost estimates from schema statistics, with no database.

When no database is at hand (a schema snapshot in JSON, DDL plus hand-written statistics, CI), the index advisor
still needs to ask "what would this query cost with these indexes?". :class:`CostModelBackend` answers from
:class:`~sqltune.schema.TableStats` and :class:`~sqltune.schema.ColumnStats` alone, with the formulas of
PostgreSQL's planner (``costsize.c``, ``selfuncs.c``) cut down to what those statistics can feed. Its answers
are labelled estimates (``estimated = True``): they rank index configurations sensibly, they are not the
numbers ``EXPLAIN`` would print.

The package, bottom to top (each module documents its formulas):

- :mod:`~sqltune.indexes.costmodel.settings`: :class:`CostSettings` (PostgreSQL's cost constants) and the
  ``CostContext`` the path costing reads;
- :mod:`~sqltune.indexes.costmodel.facts`: what the model knows about a query and each base relation;
- :mod:`~sqltune.indexes.costmodel.selectivity`: the fraction of rows each predicate keeps, from column
  statistics, and a relation's predicates folded into index conditions;
- :mod:`~sqltune.indexes.costmodel.stats`: table rows and pages, value widths, correlation, index sizes;
- :mod:`~sqltune.indexes.costmodel.reading`: a query graph read into those facts;
- :mod:`~sqltune.indexes.costmodel.access`: access paths for one relation (sequential, B-tree, hash, BRIN,
  partial and expression indexes, index-only scans);
- :mod:`~sqltune.indexes.costmodel.query`: join order, hash join or nested loop, ORDER BY and LIMIT;
- :mod:`~sqltune.indexes.costmodel.backend`: :class:`CostModelBackend`, the what-if protocol over them (with
  a worked example).

Everything is a minimum over options that only grow as indexes are added, so a query's cost is monotone
(never higher with more indexes) and deterministic (ties go to the path without an index, then to the index
that sorts first).
"""

from sqltune.indexes.costmodel.backend import CostModelBackend
from sqltune.indexes.costmodel.settings import CostSettings

__all__ = ["CostModelBackend", "CostSettings"]
