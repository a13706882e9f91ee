"""Safe rewrites: change a query's text, never its results.

Each rewrite (one module each, in the style of sqlglot's ``optimizer/``) proves its preconditions against the
:class:`~sqltune.schema.Schema` -- NOT NULL columns, unique keys, foreign keys, the dialect -- and reports a
change as APPLIED when they hold, or as ADVISED with the conditions the schema does not prove.
:func:`rewrite` runs them over a text and replaces only the changed statements.

>>> report = rewrite("SELECT * FROM t WHERE id NOT IN (SELECT t_id FROM u)",
...                  schema=Schema.from_ddl("CREATE TABLE t (id int PRIMARY KEY); CREATE TABLE u (t_id int NOT NULL)"))
>>> print(report.sql)
SELECT * FROM t WHERE NOT EXISTS(SELECT 1 FROM u WHERE u.t_id = t.id)
"""

from sqltune.rewrites.base import Rewrite, RewriteOutcome, Status
from sqltune.rewrites.engine import Change, RewriteReport, rewrite, rewrite_source
from sqltune.rewrites.registry import REWRITES, select_rewrites
from sqltune.schema import Schema

__all__ = [
    "REWRITES",
    "Change",
    "Rewrite",
    "RewriteOutcome",
    "RewriteReport",
    "Schema",
    "Status",
    "rewrite",
    "rewrite_source",
    "select_rewrites",
]
