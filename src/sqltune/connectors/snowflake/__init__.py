"""A read-only, time-limited, credential-safe connection to Snowflake.

The package, one module per seam (only this file re-exports; the modules import each other directly):

- :mod:`~sqltune.connectors.snowflake.connection`: :class:`SnowflakeConnection` (plans with
  ``EXPLAIN USING JSON``, operator statistics), :func:`connect` and :func:`connect_url`;
- :mod:`~sqltune.connectors.snowflake.url`: ``snowflake://user@account/database/schema?...`` URLs, as
  snowflake-sqlalchemy writes them, read into :func:`connect`'s arguments;
- :mod:`~sqltune.connectors.snowflake.safety`: the read-only guard, the one-statement check, quoting of
  names, timeouts, scrubbed errors, :data:`QUERY_TAG` and :data:`SECRET_OPTIONS`;
- :mod:`~sqltune.connectors.snowflake.history`: the workload from ``ACCOUNT_USAGE.QUERY_HISTORY``,
  :class:`SnowflakeStatement`;
- :mod:`~sqltune.connectors.snowflake.catalog`: the schema from ``INFORMATION_SCHEMA`` and ``SHOW ... KEYS``,
  clustering keys and ``SYSTEM$CLUSTERING_INFORMATION``, :func:`column_type`, :func:`clustering_columns`.

What sqltune reads from an account, and from where:

* **plans**: ``EXPLAIN USING JSON <statement>`` compiles a statement without running it (no warehouse
  time, only cloud-services compilation) and returns the plan with compile-time pruning figures;
* **what a query did**: ``GET_QUERY_OPERATOR_STATS(query_id)``, per operator rows, pruning, spilling and
  time shares of a finished query (the data behind Snowsight's query profile);
* **the workload**: ``SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY``, grouped by ``QUERY_PARAMETERIZED_HASH`` so
  that one statement run with different literals counts once, most elapsed time first;
* **clustering**: ``SYSTEM$CLUSTERING_INFORMATION``, how well a table's micro-partitions are sorted by
  its clustering key (or by any columns, to try a key before defining it);
* **the schema**: ``INFORMATION_SCHEMA.TABLES``/``COLUMNS`` (row counts, bytes, clustering keys) and
  ``SHOW PRIMARY|UNIQUE|IMPORTED KEYS`` (declared, unenforced, but they document the model).

Plans and operator statistics are returned as the raw payloads (dicts and lists, VARIANT columns decoded);
:mod:`sqltune.plans.snowflake` turns them into plan graphs.

Snowflake has no read-only session, so read-only is this package's own discipline:

* every statement it sends is composed here and is one of ``SELECT``, ``SHOW``, ``EXPLAIN`` or
  ``ALTER SESSION SET`` of sqltune's two session parameters (checked before sending, see
  :func:`~sqltune.connectors.snowflake.safety.check_read_only`); user SQL only ever travels behind
  ``EXPLAIN``, which compiles and never executes, and must be exactly one statement (checked here, and
  ``num_statements=1`` makes the server refuse a second);
* values (query ids, table names, filters) are bound parameters, never pasted into SQL text;
* the session runs with ``STATEMENT_TIMEOUT_IN_SECONDS`` (server side) and every call also passes the
  connector's client-side ``timeout``; ``QUERY_TAG = 'sqltune'`` marks sqltune's statements in
  QUERY_HISTORY (and :meth:`SnowflakeConnection.query_history` leaves them out);
* driver errors are re-raised as :class:`~sqltune.connectors.DatabaseError` subclasses whose text is
  scrubbed of the password, token and passcode in play, without the driver's exception chained; ``repr()``
  shows the account, database and schema only.

The driver is ``snowflake-connector-python`` (``pip install 'sqltune[snowflake]'``); it is looked up as
``snowflake.connector.connect`` at call time. The tests point it at a fakesnow server (``host=``, ``port=``,
``protocol="http"``).
"""

try:
    import snowflake.connector  # noqa: F401  (imported first, for this message when the extra is missing)
except ImportError as missing:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "the Snowflake connector needs snowflake-connector-python: pip install 'sqltune[snowflake]'"
    ) from missing

from sqltune.connectors.snowflake.catalog import clustering_columns, column_type
from sqltune.connectors.snowflake.connection import SnowflakeConnection, connect, connect_url
from sqltune.connectors.snowflake.history import ACCOUNT_USAGE_HINT, SnowflakeStatement
from sqltune.connectors.snowflake.safety import QUERY_TAG, SECRET_OPTIONS

__all__ = [
    "ACCOUNT_USAGE_HINT",
    "QUERY_TAG",
    "SECRET_OPTIONS",
    "SnowflakeConnection",
    "SnowflakeStatement",
    "clustering_columns",
    "column_type",
    "connect",
    "connect_url",
]
