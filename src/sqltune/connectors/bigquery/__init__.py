"""A read-only, cost-capped, time-limited connection to BigQuery, for the workload in ``INFORMATION_SCHEMA.JOBS``.

- :mod:`~sqltune.connectors.bigquery.connection`: :class:`BigQueryConnection` (every statement is a query job
  composed here: checked read-only, capped by ``maximum_bytes_billed``, time-limited, labelled ``sqltune``) and
  :func:`connect`;
- :mod:`~sqltune.connectors.bigquery.jobs`: the workload, ``INFORMATION_SCHEMA.JOBS`` grouped in BigQuery by
  ``query_info.query_hashes.normalized_literals`` (see ``docs/workload.md``);
- :mod:`~sqltune.connectors.bigquery.layout`: the layout advisor's port (datasets from INFORMATION_SCHEMA, a
  block sample, what the jobs reading a table cost); see ``docs/layout.md``.

The driver is ``google-cloud-bigquery`` (``pip install 'sqltune[bigquery]'``). Credentials are the client's
(Application Default Credentials unless given); sqltune never prints or keeps them beyond the client.
"""

try:
    from google.cloud import bigquery  # noqa: F401  (imported first, for this message when the extra is missing)
except ImportError as missing:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "the BigQuery connector needs google-cloud-bigquery: pip install 'sqltune[bigquery]'"
    ) from missing

from sqltune.connectors.bigquery.connection import LABEL, BigQueryConnection, connect, connect_url
from sqltune.connectors.bigquery.jobs import JOBS_HINT, jobs_sql

__all__ = ["JOBS_HINT", "LABEL", "BigQueryConnection", "connect", "connect_url", "jobs_sql"]
