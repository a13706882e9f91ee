"""A read-only, time-limited, credential-safe connection to a live PostgreSQL.

The package, one module per seam (only this file re-exports; the modules import each other directly):

- :mod:`~sqltune.connectors.postgres.connection`: :class:`PostgresConnection`, :func:`connect`,
  :func:`resolve_target` (DSNs, URLs, mappings and SQLAlchemy objects to libpq keywords and secrets);
- :mod:`~sqltune.connectors.postgres.safety`: :data:`Timeout` and :func:`timeout_ms`, the one-statement
  check, driver errors translated to scrubbed sqltune errors;
- :mod:`~sqltune.connectors.postgres.explain`: EXPLAIN, generic plans for ``$n`` parameters,
  :class:`ExplainResult`;
- :mod:`~sqltune.connectors.postgres.catalog`: the :class:`~sqltune.schema.Schema` with statistics from
  ``pg_catalog``, :data:`PLANNER_SETTINGS`, when the usage counters were reset;
- :mod:`~sqltune.connectors.postgres.workload`: the workload from ``pg_stat_statements``;
- :mod:`~sqltune.connectors.postgres.whatif`: what-if index backends (HypoPG, real indexes rolled back);
- :mod:`~sqltune.connectors.postgres.validate`: measured runtime with and without planned indexes;
- :mod:`~sqltune.connectors.postgres.apply`: running an index plan (the one place sqltune writes).

sqltune is pointed at production databases, so the connection is built to be harmless there:

* **Nothing is ever committed.** Every unit of work runs in an explicit transaction that ends in
  ``ROLLBACK``. The session also sets ``default_transaction_read_only``, and every transaction that only
  reads says ``SET TRANSACTION READ ONLY``, so the server itself refuses writes.
* **EXPLAIN does not execute** unless ``analyze=True`` is asked for. With ``analyze=True`` a query runs in a
  read-only transaction; a data-modifying statement (INSERT/UPDATE/DELETE/MERGE, ``SELECT ... FOR UPDATE``,
  ``SELECT INTO``) cannot run read-only, so it runs read-write and is rolled back. Rolled back means table
  contents are unchanged, but the work was done: rows were locked while it ran, triggers fired, and sequences
  advanced (``nextval`` is never rolled back).
* **Every statement has a time limit**: the session's ``statement_timeout`` and a ``SET LOCAL`` one in each
  transaction; a cancelled statement raises :class:`~sqltune.connectors.QueryTimeout`.
* **One statement per EXPLAIN**: user SQL is sent with the extended query protocol, which the server refuses
  to run with more than one command, so ``SELECT 1; DROP TABLE t`` cannot slip through. (The one exception,
  ``EXPLAIN (GENERIC_PLAN)``, is first checked by ``PREPARE``-ing the text, which goes the extended way.)
* **No password in any message**: errors are re-raised as :class:`~sqltune.connectors.DatabaseError`
  subclasses whose text is scrubbed, without the driver's exception chained; ``repr()`` shows host and
  database only.

Queries with ``$1``-style parameters (as ``pg_stat_statements`` records them) and no values are explained
with a *generic* plan: ``EXPLAIN (GENERIC_PLAN)`` on PostgreSQL 16+, else ``PREPARE`` plus
``EXPLAIN EXECUTE ...(NULL, ...)`` under ``plan_cache_mode = force_generic_plan`` (the NULLs are never
looked at: a generic plan is built for any value). ``analyze=True`` needs real values (``params=``).
"""

try:
    import psycopg  # noqa: F401  (imported first, for this message when the extra is missing)
except ImportError as missing:  # pragma: no cover - depends on the installed extras
    raise ImportError("the PostgreSQL connector needs psycopg 3: pip install 'sqltune[postgres]'") from missing

from sqltune.connectors.postgres.apply import apply_statements
from sqltune.connectors.postgres.catalog import PLANNER_SETTINGS
from sqltune.connectors.postgres.connection import PostgresConnection, connect, resolve_target
from sqltune.connectors.postgres.explain import ExplainResult
from sqltune.connectors.postgres.safety import Timeout, timeout_ms
from sqltune.connectors.postgres.validate import measure_regressions
from sqltune.connectors.postgres.whatif import HypoPGBackend, RealIndexBackend
from sqltune.connectors.postgres.workload import WorkloadStatement

__all__ = [
    "PLANNER_SETTINGS",
    "ExplainResult",
    "HypoPGBackend",
    "PostgresConnection",
    "RealIndexBackend",
    "Timeout",
    "WorkloadStatement",
    "apply_statements",
    "connect",
    "measure_regressions",
    "resolve_target",
    "timeout_ms",
]
