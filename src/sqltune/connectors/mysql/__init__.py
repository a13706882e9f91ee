"""A read-only, time-limited, credential-safe connection to a live MySQL or MariaDB.

The package, one module per seam (only this file re-exports):

- :mod:`~sqltune.connectors.mysql.connection`: :class:`MySQLConnection`, :func:`connect`,
  :func:`resolve_target` (``mysql://`` / ``mariadb://`` URLs and mappings to PyMySQL's arguments);
- :mod:`~sqltune.connectors.mysql.safety`: the session's read-only and time-limit settings per server
  flavour, the statements sqltune may send, driver errors translated to scrubbed sqltune errors;
- :mod:`~sqltune.connectors.mysql.digest`: the workload from
  ``performance_schema.events_statements_summary_by_digest``.

Harmless on production servers by construction: the session is ``READ ONLY`` (the server refuses writes),
every statement has a time limit (``max_statement_time`` on MariaDB, ``max_execution_time`` on MySQL), only
``SELECT``, ``SHOW`` and sqltune's own ``SET SESSION`` statements are ever sent, and no message, ``repr`` or
error carries the password. The driver is PyMySQL (pure Python): ``pip install 'sqltune[mysql]'``.
"""

try:
    import pymysql  # noqa: F401  (imported first, for this message when the extra is missing)
except ImportError as missing:  # pragma: no cover - depends on the installed extras
    raise ImportError("the MySQL/MariaDB connector needs PyMySQL: pip install 'sqltune[mysql]'") from missing

from sqltune.connectors.mysql.connection import MySQLConnection, connect, resolve_target
from sqltune.connectors.mysql.digest import DIGEST_TABLE

__all__ = ["DIGEST_TABLE", "MySQLConnection", "connect", "resolve_target"]
