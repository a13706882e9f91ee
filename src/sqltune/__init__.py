"""sqltune: make SQL fast and schemas sound.

>>> import sqltune
>>> report = sqltune.lint("SELECT * FROM orders", dialect="postgres")
>>> [finding.code for finding in report]
['SQ001']
"""

__version__ = "0.1.0"

from sqltune.advisor import advise_indexes  # noqa: E402
from sqltune.api import analyze, lint  # noqa: E402
from sqltune.config import Config, load_config  # noqa: E402
from sqltune.connectors import connect  # noqa: E402  (loads psycopg only when called)
from sqltune.findings import Finding, Fix, Report, Severity  # noqa: E402
from sqltune.graph import ColumnRole, QueryGraph  # noqa: E402
from sqltune.schema import Schema  # noqa: E402

__all__ = [
    "ColumnRole",
    "Config",
    "Finding",
    "Fix",
    "QueryGraph",
    "Report",
    "Schema",
    "Severity",
    "__version__",
    "advise_indexes",
    "analyze",
    "connect",
    "lint",
    "load_config",
]
