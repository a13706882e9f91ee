"""The Snowflake connector, against a fakesnow server (Snowflake's HTTP API emulated on DuckDB) and real payloads.

The real ``snowflake.connector`` of sqltune's environment talks to fakesnow's server (``fakesnow_server``: it
runs from a virtual environment of its own), exactly as it talks to an account; each connection gets an
in-memory database of its own. fakesnow runs what it supports for real: connecting, INFORMATION_SCHEMA,
SHOW PRIMARY/UNIQUE KEYS, and the seeded ``SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY`` that ``query_history``
groups and ranks. What it lacks
(``EXPLAIN USING JSON``, ``GET_QUERY_OPERATOR_STATS``, ``SYSTEM$CLUSTERING_INFORMATION``, clustering keys,
declared foreign keys) is answered by ``snowflake_support.Scripted``, a connection that returns the fixture
rows in ``fixtures/snowflake`` for those statements only, in the shape the Python connector returns them (VARIANT
as JSON text, upper-case column names), and passes every other statement to fakesnow. The connector's
code path is the same either way: it only sees a DB-API connection.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import pytest
from snowflake.connector import errors as sf_errors
from snowflake_support import Rows, fixture_text, one_value, scripted, table_rows

from sqltune.connectors import ConnectionError, QueryError, QueryTimeout, WorkloadUnavailable
from sqltune.connectors.snowflake import QUERY_TAG, SnowflakeConnection, SnowflakeStatement, connect
from sqltune.connectors.snowflake.safety import check_read_only
from sqltune.plans.snowflake import parse_snowflake
from sqltune.testing.fakesnow import QUERY_HISTORY_COLUMNS

# fakesnow 0.12 warns on every DB-API result it builds from Arrow; not about sqltune.
pytestmark = pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result:UserWarning")

SECRET = "Tr0ub4dor&3-horse"
TOKEN = "ver:1-hint:3310-ETMsDgAAAYxJ"
QUERY_ID = "01b8e2f1-0306-9c4a-0002-b1f6000c81d2"


def run(raw: Any, *statements: str) -> None:
    cursor = raw.cursor()
    for statement in statements:
        cursor.execute(statement)


# -- connecting ---------------------------------------------------------------------------------------------
def test_connect_sets_timeout_and_tag_as_session_parameters(
    fake: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    with connect(
        account="acme-analytics",
        user="SQLTUNE",
        password=SECRET,
        warehouse="ANALYTICS_WH",
        role="SQLTUNE_READER",
        database="ANALYTICS",
        schema="PUBLIC",
        statement_timeout_s=45,
        **fake,
    ) as sf:
        client = cast(Any, sf)._connection  # the real connector's connection, logged in to fakesnow
        # What the connector sent as the login's SESSION_PARAMETERS (beside its own defaults).
        sent = client._session_parameters
        assert (sent["STATEMENT_TIMEOUT_IN_SECONDS"], sent["QUERY_TAG"]) == (45, QUERY_TAG)
        assert sent["FAKESNOW_DB_PATH"] == ":isolated:"  # the caller's session parameters are kept
        assert client.login_timeout == 60
        # Role and warehouse went in the login request; the connector then keeps what the server answers,
        # and fakesnow answers none: only the account is left to compare.
        assert client.account == "acme-analytics"
        assert repr(sf) == "<SnowflakeConnection acme-analytics/ANALYTICS.PUBLIC warehouse=ANALYTICS_WH>"
        assert SECRET not in repr(sf)
        assert sf.timeout_s == 45
        closes: list[bool] = []
        close = client.close
        monkeypatch.setattr(client, "close", lambda *args, **kwargs: (closes.append(True), close(*args, **kwargs)))
    # fakesnow's login answers no master token, so the connector cannot log out there and its is_closed()
    # stays False: what sqltune owes is calling close() on the connection it opened.
    assert closes == [True]


def test_an_open_connection_is_tagged_and_time_limited_but_left_open(raw: Any) -> None:
    wrapper, sf = scripted(raw)
    assert [sql for sql, _, _ in wrapper.sent] == [
        "ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = 120",
        "ALTER SESSION SET QUERY_TAG = 'sqltune'",
    ]
    sf.close()
    assert not raw.is_closed()  # the caller's connection: theirs to close


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"account": "a", "connection": object()}, ValueError, "either connection= or connection settings"),
        ({"connection": "not a connection"}, TypeError, "must be an open snowflake.connector connection; got str"),
        ({"user": "me"}, ValueError, "account= is required"),
        ({"account": "a", "statement_timeout_s": 0}, ValueError, "invalid statement_timeout_s 0"),
    ],
)
def test_bad_connect_arguments_are_one_clear_error(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        connect(**kwargs)


def test_a_wrong_account_fails_with_a_scrubbed_connection_error() -> None:
    """The real connector (not fakesnow), pointed at a closed local port: fails fast, no secret shown."""
    with pytest.raises(ConnectionError) as caught:
        connect(
            account="sqltune-no-such-account",
            user="alice",
            password=SECRET,
            host="127.0.0.1",
            port=9,
            protocol="http",
            login_timeout_s=2,
        )
    message = str(caught.value)
    assert message.startswith("cannot connect to Snowflake sqltune-no-such-account/-: 250001")
    assert SECRET not in message and SECRET not in repr(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.parametrize(
    ("credentials", "secret"),
    [({"password": SECRET}, SECRET), ({"authenticator": "oauth", "token": TOKEN}, TOKEN)],
)
def test_driver_messages_echoing_a_secret_are_scrubbed(
    fake: dict[str, Any], credentials: dict[str, Any], secret: str
) -> None:
    """The secret pasted where a name belongs: fakesnow's (real) error message quotes it back."""
    with (
        connect(account="acme", user="alice", database="ANALYTICS", schema="PUBLIC", **credentials, **fake) as sf,
        pytest.raises(QueryError) as caught,
    ):
        sf.schema(secret)
    message = str(caught.value)
    assert "Catalog Error" in message and '"***._FS_INFORMATION_SCHEMA' in message
    assert secret not in message and caught.value.sqlstate == "42S02"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_cancelled_statement_is_a_query_timeout(raw: Any) -> None:
    cancelled = sf_errors.ProgrammingError(
        msg="Statement reached its statement or warehouse timeout of 120 second(s) and was canceled.",
        errno=630,
        sqlstate="57014",
    )
    _, sf = scripted(raw, {"GET_QUERY_OPERATOR_STATS": cancelled})
    with pytest.raises(QueryTimeout, match="pass a larger statement_timeout_s="):
        sf.operator_stats(QUERY_ID)


# -- EXPLAIN ------------------------------------------------------------------------------------------------
def test_explain_returns_the_json_plan(raw: Any) -> None:
    sql = fixture_text("revenue_by_segment.sql")
    payload = fixture_text("explain_revenue_by_segment.json")
    wrapper, sf = scripted(raw, {r"^EXPLAIN USING JSON ": one_value("content", payload)})
    plan = sf.explain(sql + ";\n")
    assert plan == json.loads(payload)
    sent, params, options = wrapper.sent[-1]
    assert sent == "EXPLAIN USING JSON " + sql.strip()
    assert params is None and options == {"timeout": 120, "num_statements": 1}
    graph = parse_snowflake(plan)
    scans = [node for node in graph if node.details.get("partitions_total") is not None]
    assert {(node.label, node.details["partitions_total"]) for node in scans} == {
        ("TableScan on CUSTOMER C", 10),
        ("TableScan on ORDERS O", 124),
    }


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT 1; DROP TABLE orders", "expected one SQL statement; got 2"),
        ("  ;  ", "expected a SQL statement; got an empty string"),
        ("", "expected a SQL statement; got an empty string"),
    ],
)
def test_explain_takes_exactly_one_statement(raw: Any, sql: str, message: str) -> None:
    wrapper, sf = scripted(raw)
    before = len(wrapper.sent)
    with pytest.raises(ValueError, match=re.escape(message)):
        sf.explain(sql)
    assert len(wrapper.sent) == before  # nothing reached the server


def test_explain_failing_on_the_server_is_a_query_error(raw: Any) -> None:
    """fakesnow cannot parse EXPLAIN USING JSON: its (real) driver error comes back translated."""
    _, sf = scripted(raw)
    with pytest.raises(QueryError, match="syntax error") as caught:
        sf.explain("SELECT 1")
    assert not isinstance(caught.value, QueryTimeout) and caught.value.sqlstate == "42000"


def test_explain_without_a_plan_is_a_query_error(raw: Any) -> None:
    _, sf = scripted(raw, {"^EXPLAIN": one_value("content", '{"unexpected": true}')})
    with pytest.raises(QueryError, match="did not return a JSON plan"):
        sf.explain("SELECT 1")


# -- operator statistics --------------------------------------------------------------------------------
def test_operator_stats_decode_variants_and_feed_the_plan_parser(raw: Any) -> None:
    fixture = json.loads(fixture_text("operator_stats_revenue_by_segment.json"))
    wrapper, sf = scripted(raw, {r"GET_QUERY_OPERATOR_STATS": table_rows(fixture)})
    rows = sf.operator_stats(QUERY_ID)
    sent, params, _ = wrapper.sent[-1]
    assert sent == "SELECT * FROM TABLE(GET_QUERY_OPERATOR_STATS(%s))" and params == [QUERY_ID]
    assert len(rows) == 8
    scan = rows[7]
    assert scan["operator_type"] == "TableScan" and scan["parent_operators"] == [6]
    assert scan["operator_statistics"]["pruning"] == {"partitions_scanned": 34, "partitions_total": 124}
    assert scan["operator_attributes"]["table_name"] == "ANALYTICS.PUBLIC.ORDERS"
    graph = parse_snowflake(rows)
    shares = {node.label: node.time_share for node in graph}
    assert max(shares, key=lambda label: shares[label] or 0) == "TableScan on ORDERS"


@pytest.mark.parametrize("query_id", ["'); DROP TABLE x; --", "last", "", "01b8e2f1-0306-9c4a-0002"])
def test_operator_stats_refuse_what_is_not_a_query_id(raw: Any, query_id: str) -> None:
    wrapper, sf = scripted(raw)
    before = len(wrapper.sent)
    with pytest.raises(ValueError, match="invalid Snowflake query id"):
        sf.operator_stats(query_id)
    assert len(wrapper.sent) == before


# -- clustering ---------------------------------------------------------------------------------------------
def test_clustering_information_is_parsed(raw: Any) -> None:
    events = fixture_text("clustering_information_events.json")
    by_date = fixture_text("clustering_information_orders_by_date.json")
    wrapper, sf = scripted(
        raw,
        {
            r"CLUSTERING_INFORMATION\(%s\)": one_value(
                "SYSTEM$CLUSTERING_INFORMATION('ANALYTICS.PUBLIC.EVENTS')", events
            ),
            r"CLUSTERING_INFORMATION\(%s, %s\)": one_value("SYSTEM$CLUSTERING_INFORMATION", by_date),
        },
    )
    info = sf.clustering_information("analytics.public.events")
    assert wrapper.sent[-1][1] == ["analytics.public.events"]
    assert info["cluster_by_keys"] == "LINEAR(EVENT_DATE, USER_ID)"
    assert sum(info["partition_depth_histogram"].values()) == info["total_partition_count"] == 1156
    assert "high cardinality key USER_ID" in info["notes"]
    assert info["clustering_errors"][0]["error"].startswith("(003325)")

    trial = sf.clustering_information("ANALYTICS.PUBLIC.ORDERS", ["o_orderdate"])
    assert wrapper.sent[-1][1] == ["ANALYTICS.PUBLIC.ORDERS", "(o_orderdate)"]
    assert trial["average_depth"] == pytest.approx(1.0645)
    assert sf.clustering_information("ANALYTICS.PUBLIC.ORDERS", "o_orderdate") == trial


def test_clustering_information_of_an_unclustered_table_says_to_pass_columns(raw: Any) -> None:
    unclustered = sf_errors.ProgrammingError(
        msg="Invalid clustering keys or table EVENTS_RAW is not clustered", errno=5017, sqlstate="22023"
    )
    _, sf = scripted(raw, {"CLUSTERING_INFORMATION": unclustered})
    with pytest.raises(QueryError, match=r"has no clustering key: pass columns=\[...\]"):
        sf.clustering_information("events_raw")
    with pytest.raises(ValueError, match="at least one column"):
        sf.clustering_information("events_raw", [])


def test_clustering_information_missing_on_the_server_is_a_query_error(raw: Any) -> None:
    _, sf = scripted(raw)  # fakesnow has no SYSTEM$CLUSTERING_INFORMATION: a real driver error
    with pytest.raises(QueryError, match=r"(?i)system\$clustering_information does not exist"):
        sf.clustering_information("orders", ["o_orderdate"])


# -- the workload -------------------------------------------------------------------------------------------
# The run's start is seeded relative to the server's clock, apart.
HISTORY_COLUMNS = {name: kind for name, kind in QUERY_HISTORY_COLUMNS.items() if name != "start_time"}


@pytest.fixture
def history(raw: Any) -> SnowflakeConnection:
    """fakesnow with SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY seeded from the fixture."""
    columns = ", ".join(f"{name} {kind}" for name, kind in HISTORY_COLUMNS.items())
    run(
        raw,
        "CREATE DATABASE SNOWFLAKE",
        "CREATE SCHEMA SNOWFLAKE.ACCOUNT_USAGE",
        f"CREATE TABLE SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY ({columns}, start_time TIMESTAMP_LTZ)",
    )
    cursor = raw.cursor()
    names = list(HISTORY_COLUMNS)
    insert = (
        f"INSERT INTO SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY ({', '.join(names)}, start_time)"
        f" SELECT {', '.join(['%s'] * len(names))}, DATEADD('minute', -%s, CURRENT_TIMESTAMP())"
    )
    for row in json.loads(fixture_text("query_history.json"))["rows"]:
        cursor.execute(insert, [row[name] for name in names] + [row["minutes_ago"]])
    return connect(connection=raw)


def test_query_history_ranks_statements_by_total_elapsed_time(history: SnowflakeConnection) -> None:
    statements = history.query_history()
    assert all(isinstance(s, SnowflakeStatement) for s in statements)
    assert [(s.queryid, s.calls, s.total_time_ms) for s in statements] == [
        ("9f2d4c1b7e0a5d3f8c6b2a1e4d7f0c93", 3, 125100.0),  # the dashboard query, three literal variants
        ("c41e8a2f6b0d9c3e7a1f5b2d8e4c6a07", 1, 95400.0),  # the nightly MERGE
        (None, 1, 20350.0),  # no parameterized hash: each run stands alone
        (None, 1, 15120.0),
        ("3b7e1f9a0c4d2e6b8a5f7c1d3e9b0a24", 4, 4800.0),  # the API lookup: fast, frequent
    ]  # left out: a run 10 days ago, a failed run, sqltune's own statement, a SHOW
    dashboard = statements[0]
    assert dashboard.query_id == QUERY_ID  # the latest run, ready for operator_stats()
    assert "o.o_orderdate >= '1997-01-01'" in dashboard.query
    assert dashboard.mean_time_ms == pytest.approx(41700.0)
    assert (dashboard.partitions_scanned, dashboard.partitions_total) == (141, 402)
    assert dashboard.scanned_fraction == pytest.approx(141 / 402)
    assert (dashboard.warehouse, dashboard.warehouse_size, dashboard.query_type) == ("ANALYTICS_WH", "Medium", "SELECT")
    assert dashboard.queued_ms == 2100.0 and dashboard.rows == 15
    merge = statements[1]
    assert (merge.bytes_spilled_local, merge.bytes_spilled_remote) == (1610612736, 268435456)
    assert merge.last_run is not None and merge.schema == "STAGING"


def test_query_history_filters(history: SnowflakeConnection) -> None:
    assert [s.query_type for s in history.query_history(warehouse="etl_wh")] == ["MERGE"]
    assert [s.total_time_ms for s in history.query_history(min_elapsed_ms=16000)] == [125100.0, 95400.0, 20350.0]
    assert len(history.query_history(limit=2)) == 2
    fortnight = history.query_history(days=14)[0]
    assert (fortnight.calls, fortnight.total_time_ms) == (4, 637100.0)
    assert fortnight.query_id == QUERY_ID  # still the latest run


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"days": 0}, "days must be a whole number from 1 to 365"),
        ({"days": 400}, "days must be a whole number from 1 to 365"),
        ({"limit": 0}, "limit must be a whole number >= 1"),
        ({"min_elapsed_ms": -1}, "min_elapsed_ms must be a number >= 0"),
    ],
)
def test_query_history_arguments_are_checked(raw: Any, kwargs: dict[str, Any], message: str) -> None:
    _, sf = scripted(raw)
    with pytest.raises(ValueError, match=message):
        sf.query_history(**kwargs)


def test_query_history_without_account_usage_says_which_grant_is_missing(raw: Any) -> None:
    sf = connect(connection=raw)  # no SNOWFLAKE database in this fakesnow: as for a role without the grant
    with pytest.raises(WorkloadUnavailable, match="GRANT IMPORTED PRIVILEGES ON DATABASE SNOWFLAKE TO ROLE"):
        sf.query_history()


# -- the schema ---------------------------------------------------------------------------------------------
SHOP_DDL = (
    "CREATE TABLE customer (c_custkey NUMBER(38,0) NOT NULL PRIMARY KEY, c_name VARCHAR(25) NOT NULL,"
    " c_mktsegment VARCHAR(10), c_acctbal NUMBER(12,2), c_email VARCHAR UNIQUE)",
    "CREATE TABLE orders (o_orderkey NUMBER(38,0) NOT NULL PRIMARY KEY, o_custkey NUMBER(38,0) NOT NULL,"
    " o_orderdate DATE, o_totalprice NUMBER(12,2), o_comment TEXT, o_created TIMESTAMP_NTZ, o_meta VARIANT,"
    " o_tax FLOAT) CLUSTER BY (o_orderdate)",
    "INSERT INTO customer VALUES (1, 'Customer#1', 'BUILDING', 711.56, 'a@x.io'),"
    " (2, 'Customer#2', 'MACHINERY', 121.65, NULL)",
    "INSERT INTO orders (o_orderkey, o_custkey, o_orderdate, o_totalprice) VALUES (10, 1, '1997-01-02', 173665.47),"
    " (11, 1, '1997-02-12', 46929.18), (12, 2, '1998-07-21', 193846.25)",
    "CREATE SCHEMA staging",
    "CREATE TABLE staging.orders_delta (o_orderkey NUMBER(38,0), o_orderstatus VARCHAR(1))",
)


def with_clustering_keys(keys: Mapping[str, str]) -> Callable[[Any], Rows]:
    """fakesnow accepts CLUSTER BY but reports no key: fill in what Snowflake reports for these tables."""

    def answer(cursor: Any) -> Rows:
        columns = [column[0] for column in cursor.description]
        position = [c.upper() for c in columns].index("CLUSTERING_KEY")
        rows = [list(row) for row in cursor.fetchall()]
        for row in rows:
            row[position] = keys.get(row[[c.upper() for c in columns].index("TABLE_NAME")], row[position])
        return columns, [tuple(row) for row in rows]

    return answer


def test_schema_reads_tables_columns_keys_and_sizes(raw: Any) -> None:
    run(raw, *SHOP_DDL)
    imported = json.loads(fixture_text("imported_keys.json"))[:1]  # fakesnow cannot declare foreign keys
    wrapper, sf = scripted(
        raw,
        {
            r"INFORMATION_SCHEMA\.TABLES": with_clustering_keys({"ORDERS": "LINEAR(O_ORDERDATE, TO_DATE(O_CREATED))"}),
            r"^SHOW IMPORTED KEYS": table_rows(imported),
        },
    )
    schema = sf.schema("analytics", "public")
    assert sorted(t.qualified_name for t in schema) == ["ANALYTICS.PUBLIC.CUSTOMER", "ANALYTICS.PUBLIC.ORDERS"]
    orders = schema.table("orders")
    assert orders is not None and schema.table("analytics.public.orders") is orders
    assert {c.name: c.type for c in orders.columns.values()} == {
        "O_ORDERKEY": "DECIMAL(38, 0)",
        "O_CUSTKEY": "DECIMAL(38, 0)",
        "O_ORDERDATE": "DATE",
        "O_TOTALPRICE": "DECIMAL(12, 2)",
        "O_COMMENT": "VARCHAR",
        "O_CREATED": "TIMESTAMPNTZ",
        "O_META": "VARIANT",
        "O_TAX": "DOUBLE",
    }
    assert not orders.column("o_custkey").nullable and orders.column("o_orderdate").nullable  # type: ignore[union-attr]
    assert orders.primary_key == ("O_ORDERKEY",)
    assert orders.stats is not None and orders.stats.rows == 3
    assert [(*fk.columns, fk.ref_table, *fk.ref_columns) for fk in orders.foreign_keys] == [
        ("O_CUSTKEY", "ANALYTICS.PUBLIC.CUSTOMER", "C_CUSTKEY")
    ]
    (clustering,) = orders.indexes
    assert (clustering.name, clustering.method) == ("ORDERS_clustering_key", "clustering")
    assert clustering.columns == ("O_ORDERDATE", "TO_DATE(O_CREATED)")
    customer = schema.table("CUSTOMER")
    assert customer is not None and customer.column("c_name").type == "VARCHAR(25)"  # type: ignore[union-attr]
    assert customer.indexes == [] and customer.stats is not None and customer.stats.rows == 2

    statements = [sql for sql, _, _ in wrapper.sent]
    assert 'SHOW PRIMARY KEYS IN SCHEMA "ANALYTICS"."PUBLIC"' in statements
    for sql, _, options in wrapper.sent:
        check_read_only(sql)  # every statement sent is one the connector may send
        assert options == {"timeout": 120, "num_statements": 1}


def test_schema_of_every_schema_with_unique_and_composite_keys(raw: Any) -> None:
    lineitem = (
        "CREATE TABLE public.lineitem (l_orderkey NUMBER(38,0) NOT NULL, l_linenumber NUMBER(38,0) NOT NULL,"
        " l_partkey NUMBER(38,0), l_suppkey NUMBER(38,0), l_quantity NUMBER(12,2))"
    )
    run(raw, *SHOP_DDL, lineitem)
    # fakesnow reports neither unique nor foreign keys; SHOW answers once per schema, rows name their schema
    _, sf = scripted(
        raw,
        {
            r"^SHOW UNIQUE KEYS": table_rows(json.loads(fixture_text("unique_keys.json"))),
            r"^SHOW IMPORTED KEYS": table_rows(json.loads(fixture_text("imported_keys.json"))),
        },
    )
    schema = sf.schema()  # the session's database, all schemas
    assert sorted(t.qualified_name for t in schema) == [
        "ANALYTICS.PUBLIC.CUSTOMER",
        "ANALYTICS.PUBLIC.LINEITEM",
        "ANALYTICS.PUBLIC.ORDERS",
        "ANALYTICS.STAGING.ORDERS_DELTA",
    ]
    delta = schema.table("orders_delta")
    assert delta is not None and list(delta.columns) == ["o_orderkey", "o_orderstatus"]
    assert delta.column("O_ORDERSTATUS").type == "VARCHAR(1)"  # type: ignore[union-attr]
    assert delta.foreign_keys == [] and delta.unique_keys == []  # PUBLIC's keys stay in PUBLIC
    items = schema.table("lineitem")
    assert items is not None
    assert items.unique_keys == [("L_ORDERKEY", "L_LINENUMBER")]  # in key_sequence order
    assert items.is_unique(["l_linenumber", "l_orderkey"])
    assert [(fk.name, fk.columns, fk.ref_table, fk.ref_columns) for fk in items.foreign_keys] == [
        ("FK_LINEITEM_ORDER", ("L_ORDERKEY",), "ANALYTICS.PUBLIC.ORDERS", ("O_ORDERKEY",)),
        ("FK_LINEITEM_PARTSUPP", ("L_PARTKEY", "L_SUPPKEY"), "ANALYTICS.PUBLIC.PARTSUPP", ("PS_PARTKEY", "PS_SUPPKEY")),
    ]
    customer = schema.table("customer")
    assert customer is not None and customer.unique_keys == [("C_EMAIL",)]
    assert customer.primary_key == ("C_CUSTKEY",)  # from fakesnow's own SHOW PRIMARY KEYS


def test_schema_is_read_from_json_round_trip(raw: Any) -> None:
    """The live schema survives the JSON snapshot sqltune ships for offline linting."""
    run(raw, *SHOP_DDL)
    _, sf = scripted(raw, {r"INFORMATION_SCHEMA\.TABLES": with_clustering_keys({"ORDERS": "LINEAR(O_ORDERDATE)"})})
    schema = sf.schema("ANALYTICS", "PUBLIC")
    from sqltune.schema import Schema

    again = Schema.from_dict(json.loads(json.dumps(schema.to_dict(), default=str)))
    orders = again.table("orders")
    assert orders is not None and orders.indexes[0].method == "clustering"
    assert orders.primary_key == ("O_ORDERKEY",)


def test_only_reading_statements_may_be_sent() -> None:
    for sql in ("DELETE FROM orders", "ALTER SESSION SET AUTOCOMMIT = TRUE", "CALL purge()", "EXPLAIN SELECT 1"):
        with pytest.raises(AssertionError, match="only reads"):
            check_read_only(sql)
    for sql in ("SELECT 1", "SHOW PRIMARY KEYS IN SCHEMA a.b", "EXPLAIN USING JSON SELECT 1"):
        check_read_only(sql)


# -- the layout advisor -------------------------------------------------------------------------------------
def _events(raw: Any) -> None:
    """EVENTS: 3,000 rows over 300 days inserted in scrambled order, a near-unique USER_ID, a 5-value KIND."""
    rows = [(f"DATE '2024-01-01' + {(n * 7919) % 300}", n, f"'k{n % 5}'") for n in range(3000)]
    values = ", ".join(f"({d}, {u}, {k})" for d, u, k in rows)
    run(raw, "CREATE TABLE EVENTS (EV_DATE DATE, USER_ID INT, KIND VARCHAR)", f"INSERT INTO EVENTS VALUES {values}")


def _layout_workload() -> Any:
    from sqltune.workload import Execution, Workload

    workload = Workload("snowflake")
    for start in ("2024-02-01", "2024-05-10", "2024-09-01"):
        sql = f"SELECT kind, count(*) FROM events WHERE ev_date BETWEEN '{start}' AND DATEADD(day, 6, '{start}')"
        workload.add(Execution(f"{sql} GROUP BY kind", 900.0))
    for user in (17, 2048):
        workload.add(Execution(f"SELECT * FROM events WHERE user_id = {user}", 20.0))
    return workload


def test_layout_advisor_clusters_by_date_with_clustering_information(raw: Any) -> None:
    from sqltune.layout.advisor import advise_layout
    from sqltune.layout.model import LayoutConfig

    _events(raw)
    by_date = fixture_text("clustering_information_orders_by_date.json")
    wrapper, sf = scripted(
        raw, {r"CLUSTERING_INFORMATION\(%s, %s\)": one_value("SYSTEM$CLUSTERING_INFORMATION", by_date)}
    )
    plan = advise_layout(_layout_workload(), sf, config=LayoutConfig(cluster_min_bytes=0, partitions=100))
    [rec] = plan.recommendations
    assert rec.kind == "cluster_by" and rec.key == ("ev_date",), plan.to_text()
    assert rec.ddl == [
        "ALTER TABLE ANALYTICS.PUBLIC.EVENTS CLUSTER BY (ev_date)",
        "ALTER TABLE ANALYTICS.PUBLIC.EVENTS ADD SEARCH OPTIMIZATION ON EQUALITY(user_id)",
    ]
    info = rec.details["clustering_information"]["ev_date"]
    assert info["average_depth"] == pytest.approx(1.0645) and info["histogram"] == {"1": 118, "2": 4, "3": 2}
    assert info["total_constant_partition_count"] == 96
    dated = [e for e in rec.evidence if "ev_date" in e.text]
    assert dated and all(e.after * 5 < e.before for e in dated)
    sent = [sql for sql, _, _ in wrapper.sent]
    assert any("SAMPLE (" in sql for sql in sent)
    for sql in sent:
        check_read_only(sql)


def test_layout_advisor_refuses_a_small_snowflake_table_by_its_size_gate(raw: Any) -> None:
    from sqltune.layout.advisor import advise_layout

    _events(raw)
    _, sf = scripted(raw)
    [rec] = advise_layout(_layout_workload(), sf).recommendations
    assert rec.kind == "none" and rec.gates[0].name == "size" and not rec.gates[0].passed
    assert "10.0 GB for clustering" in rec.gates[0].detail


# -- the layout advisor: TABLE_DML_HISTORY and SYSTEM$ESTIMATE_AUTOMATIC_CLUSTERING_COSTS -------------------
DML_COLUMNS = {
    "start_time": "TIMESTAMP_LTZ",
    "end_time": "TIMESTAMP_LTZ",
    "table_id": "NUMBER(38,0)",
    "table_name": "VARCHAR",
    "schema_id": "NUMBER(38,0)",
    "schema_name": "VARCHAR",
    "database_id": "NUMBER(38,0)",
    "database_name": "VARCHAR",
    "rows_added": "NUMBER(38,0)",
    "rows_removed": "NUMBER(38,0)",
    "rows_updated": "NUMBER(38,0)",
}


def _dml_history(raw: Any, rows: Sequence[tuple[int, str, int, int, int]]) -> None:
    """SNOWFLAKE.ACCOUNT_USAGE.TABLE_DML_HISTORY on fakesnow: (hours ago, table, added, removed, updated)."""
    columns = ", ".join(f"{name} {kind}" for name, kind in DML_COLUMNS.items())
    run(
        raw,
        "CREATE DATABASE IF NOT EXISTS SNOWFLAKE",
        "CREATE SCHEMA IF NOT EXISTS SNOWFLAKE.ACCOUNT_USAGE",
        f"CREATE TABLE SNOWFLAKE.ACCOUNT_USAGE.TABLE_DML_HISTORY ({columns})",
    )
    cursor = raw.cursor()
    for hours, table, added, removed, updated in rows:
        cursor.execute(
            "INSERT INTO SNOWFLAKE.ACCOUNT_USAGE.TABLE_DML_HISTORY"
            " (start_time, end_time, table_id, table_name, schema_id, schema_name, database_id, database_name,"
            " rows_added, rows_removed, rows_updated)"
            " SELECT DATEADD('hour', -%s, CURRENT_TIMESTAMP()), DATEADD('hour', 1 - %s, CURRENT_TIMESTAMP()),"
            " 7, %s, 3, 'PUBLIC', 1, 'ANALYTICS', %s, %s, %s",
            [hours, hours, table, added, removed, updated],
        )
    run(raw, "USE SCHEMA ANALYTICS.PUBLIC")  # CREATE DATABASE made SNOWFLAKE the session's


def test_table_dml_sums_the_window_of_one_table(raw: Any) -> None:
    _dml_history(
        raw,
        [
            (2, "EVENTS", 1000, 0, 0),
            (30, "EVENTS", 2000, 0, 10),
            (24 * 40, "EVENTS", 0, 5000, 0),
            (3, "ORDERS", 9, 9, 9),
        ],
    )
    _, sf = scripted(raw)
    assert sf.table_dml("analytics.public.events") == {"added": 3000.0, "removed": 0.0, "updated": 10.0, "hours": 2.0}
    assert sf.table_dml("ANALYTICS.PUBLIC.EVENTS", days=60)["removed"] == 5000.0
    with pytest.raises(ValueError, match=r"database\.schema\.table"):
        sf.table_dml("events")


def test_table_dml_without_account_usage_says_which_grant_is_missing(raw: Any) -> None:
    _, sf = scripted(raw)
    with pytest.raises(WorkloadUnavailable, match=r"TABLE_DML_HISTORY .*IMPORTED PRIVILEGES"):
        sf.table_dml("analytics.public.events")


def test_layout_gate_reads_table_dml_history_and_costs_come_from_snowflakes_estimate(raw: Any) -> None:
    from sqltune.layout.advisor import advise_layout
    from sqltune.layout.model import LayoutConfig

    _events(raw)
    _dml_history(raw, [(5, "EVENTS", 3000, 0, 0)])
    costs = fixture_text("estimate_clustering_costs_events.json")
    wrapper, sf = scripted(
        raw,
        {
            r"ESTIMATE_AUTOMATIC_CLUSTERING_COSTS\(%s, %s\)": one_value(
                "SYSTEM$ESTIMATE_AUTOMATIC_CLUSTERING_COSTS", costs
            )
        },
    )
    [rec] = advise_layout(
        _layout_workload(), sf, config=LayoutConfig(cluster_min_bytes=0, partitions=100)
    ).recommendations
    assert rec.kind == "cluster_by", rec
    churn = next(g for g in rec.gates if g.name == "churn")
    assert churn.passed and churn.detail.startswith("TABLE_DML_HISTORY, last 30 days: 3,000 rows added, 0 updated")
    cost = rec.details["clustering_cost"]
    assert (cost["initial"], cost["initial_unit"], cost["maintenance"]) == (0.841, "Credits", 0.112)
    assert "0.841 credits once; 0.112 credits per day to keep clustered" in " ".join(rec.notes)
    estimate = next(params for sql, params, _ in wrapper.sent if "ESTIMATE_AUTOMATIC" in sql)
    assert estimate == ["ANALYTICS.PUBLIC.EVENTS", "(ev_date)"]


def test_a_table_reloaded_as_fast_as_it_grows_fails_the_churn_gate(raw: Any) -> None:
    from sqltune.layout.advisor import advise_layout
    from sqltune.layout.model import LayoutConfig

    _events(raw)
    _dml_history(raw, [(h, "EVENTS", 3000, 3000, 0) for h in (3, 27, 51)])
    _, sf = scripted(raw)
    [rec] = advise_layout(_layout_workload(), sf, config=LayoutConfig(cluster_min_bytes=0)).recommendations
    assert rec.kind == "none" and not rec.ddl
    assert rec.gates[0].name == "churn" and not rec.gates[0].passed
    assert "9,000 rows added, 0 updated, 9,000 removed" in rec.gates[0].detail


def test_without_the_estimate_or_the_dml_history_the_evidence_says_so(raw: Any) -> None:
    from sqltune.layout.advisor import advise_layout
    from sqltune.layout.model import LayoutConfig

    _events(raw)
    _, sf = scripted(raw)  # fakesnow has neither ACCOUNT_USAGE here nor SYSTEM$ESTIMATE_AUTOMATIC_CLUSTERING_COSTS
    [rec] = advise_layout(
        _layout_workload(), sf, config=LayoutConfig(cluster_min_bytes=0, partitions=100)
    ).recommendations
    assert rec.kind == "cluster_by"
    churn = next(g for g in rec.gates if g.name == "churn")
    assert churn.passed and churn.detail.startswith("TABLE_DML_HISTORY not read (cannot read")
    assert "error" in rec.details["clustering_cost"]
    assert any(n.startswith("SYSTEM$ESTIMATE_AUTOMATIC_CLUSTERING_COSTS unavailable: ") for n in rec.notes)


def test_an_estimate_without_dml_history_has_no_maintenance_figure(raw: Any) -> None:
    from sqltune.layout.snowflake import ClusteringCost

    payload = fixture_text("estimate_clustering_costs_no_history.json")
    _, sf = scripted(raw, {r"ESTIMATE_AUTOMATIC": one_value("SYSTEM$ESTIMATE_AUTOMATIC_CLUSTERING_COSTS", payload)})
    cost = ClusteringCost.from_payload(sf.clustering_cost("analytics.public.events", ["ev_date"]))
    assert cost.initial == 0.841 and cost.maintenance is None
    assert cost.summary.startswith("0.841 credits once; no estimate of the daily maintenance (Unable to produce")
