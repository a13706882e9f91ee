"""``sqltune layout --dsn snowflake://...`` and ``sqltune workload query_history --dsn snowflake://...`` end to end.

The command opens its own connection from the URL with the real ``snowflake.connector``, to the run's fakesnow
server (``host``, ``port`` and ``protocol`` are URL options, as they are the connector's), reads the workload
from ``SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY`` and samples the tables. The seeding connection and the command's
are two sessions, so the data lives in fakesnow's shared in-memory database, not in an isolated one as in the
other Snowflake tests: the database :data:`DATABASE` and the history are seeded once per run, under a lock
(xdist workers share the server), and no other test writes the shared ``SNOWFLAKE`` database.

The tables are TPC-H's ORDERS, LINEITEM and PART at scale factor 0.01, in order-key order as TPC-H loads them
(so dates lie in no order); the history holds TPC-H Q1, Q4, Q6, Q14 and Q15, each run in several hours with its
own literals (the simulator's literal samples).
What fakesnow lacks (``SYSTEM$CLUSTERING_INFORMATION``, ``SYSTEM$ESTIMATE_AUTOMATIC_CLUSTERING_COSTS``,
``TABLE_DML_HISTORY``) comes back as notes, as it does from an account without them.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import snowflake.connector
from click.testing import CliRunner
from filelock import FileLock

from sqltune.cli import main
from sqltune.testing.fakesnow import QUERY_HISTORY_COLUMNS

# fakesnow 0.12 warns on every DB-API result it builds from Arrow; not about sqltune.
pytestmark = pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result:UserWarning")

DATABASE = "SQLTUNE_TPCH_CLI"
# Characters a URL must carry percent-encoded; fakesnow accepts any password, so only where it shows matters.
SECRET = "Tr0ub4dor&3:p@ss/w?rd#"
WAREHOUSE = "TPCH_WH"
Q6 = (
    "SELECT sum(l_extendedprice * l_discount) AS revenue FROM lineitem WHERE l_shipdate >= '{start}'"
    " AND l_shipdate < '{end}' AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24"
)
Q1 = (
    "SELECT l_returnflag, l_linestatus, sum(l_quantity) AS sum_qty, sum(l_extendedprice) AS sum_base_price,"
    " avg(l_discount) AS avg_disc, count(*) AS count_order FROM lineitem WHERE l_shipdate <= '{start}'"
    " GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus"
)
Q4 = (
    "SELECT o_orderpriority, count(*) AS order_count FROM orders WHERE o_orderdate >= '{start}'"
    " AND o_orderdate < '{end}' AND EXISTS (SELECT * FROM lineitem WHERE l_orderkey = o_orderkey"
    " AND l_commitdate < l_receiptdate) GROUP BY o_orderpriority ORDER BY o_orderpriority"
)
Q14 = (
    "SELECT 100.00 * sum(CASE WHEN p_type LIKE 'PROMO%' THEN l_extendedprice * (1 - l_discount) ELSE 0 END)"
    " / sum(l_extendedprice * (1 - l_discount)) AS promo_revenue FROM lineitem, part WHERE l_partkey = p_partkey"
    " AND l_shipdate >= '{start}' AND l_shipdate < '{end}'"
)
Q15 = (
    "WITH revenue AS (SELECT l_suppkey AS supplier_no, sum(l_extendedprice * (1 - l_discount)) AS total_revenue"
    " FROM lineitem WHERE l_shipdate >= '{start}' AND l_shipdate < '{end}' GROUP BY l_suppkey)"
    " SELECT supplier_no, total_revenue FROM revenue"
    " WHERE total_revenue = (SELECT max(total_revenue) FROM revenue) ORDER BY supplier_no"
)
# (hash, text, literals per run, milliseconds per run): each run an hour apart, so each is a literal sample.
TEMPLATES = [
    ("tpch-q6", Q6, [{"start": f"{y}-01-01", "end": f"{y + 1}-01-01"} for y in range(1993, 1998)], 42_000),
    ("tpch-q1", Q1, [{"start": d} for d in ("1998-09-02", "1998-08-15")], 65_000),
    (
        "tpch-q4",
        Q4,
        [{"start": s, "end": e} for s, e in (("1993-07-01", "1993-10-01"), ("1995-01-01", "1995-04-01"))],
        30_000,
    ),
    (
        "tpch-q14",
        Q14,
        [{"start": s, "end": e} for s, e in (("1995-09-01", "1995-10-01"), ("1996-03-01", "1996-04-01"))],
        21_000,
    ),
    (
        "tpch-q15",
        Q15,
        [{"start": s, "end": e} for s, e in (("1996-01-01", "1996-04-01"), ("1997-07-01", "1997-10-01"))],
        35_000,
    ),
]


# TPC-H's ORDERS, LINEITEM and PART at scale factor 0.01 (15,000 orders, about 60,000 lines), generated in the
# warehouse: orders in order-key order with dates spread over 1992-1998 by a multiplicative hash (no order at
# all), 1 to 7 lines each, shipped 1 to 121 days after the order, committed 30 to 90 days after it, received 1
# to 30 days after shipping, discounts 0.00 to 0.10, quantities 1 to 50 (TPC-H's rules).
TPCH = (
    "CREATE TABLE orders (o_orderkey NUMBER(38,0) NOT NULL PRIMARY KEY, o_custkey NUMBER(38,0),"
    " o_orderstatus VARCHAR(1), o_totalprice NUMBER(12,2), o_orderdate DATE, o_orderpriority VARCHAR(15))",
    "INSERT INTO orders SELECT k, MOD(k * 37, 1500) + 1, 'O', MOD(k * 7907, 500000) + 900.5,"
    " DATEADD(day, MOD(k * 7919, 2405), '1992-01-01'::DATE), CASE MOD(k * 13, 5) WHEN 0 THEN '1-URGENT'"
    " WHEN 1 THEN '2-HIGH' WHEN 2 THEN '3-MEDIUM' WHEN 3 THEN '4-NOT SPECIFIED' ELSE '5-LOW' END"
    " FROM (SELECT seq4() + 1 AS k FROM TABLE(GENERATOR(ROWCOUNT => 15000)))",
    "CREATE TABLE lineitem (l_orderkey NUMBER(38,0) NOT NULL, l_linenumber NUMBER(38,0) NOT NULL,"
    " l_partkey NUMBER(38,0), l_suppkey NUMBER(38,0), l_quantity NUMBER(12,2), l_extendedprice NUMBER(12,2),"
    " l_discount NUMBER(12,2), l_returnflag VARCHAR(1), l_linestatus VARCHAR(1), l_shipdate DATE,"
    " l_commitdate DATE, l_receiptdate DATE)",
    "INSERT INTO lineitem SELECT o_orderkey, n, MOD(o_orderkey * 31 + n * 17, 2000) + 1,"
    " MOD(o_orderkey * 7 + n, 100) + 1, MOD(o_orderkey * 13 + n * 29, 50) + 1,"
    " (MOD(o_orderkey * 13 + n * 29, 50) + 1) * (900 + MOD(o_orderkey * 3 + n, 1100)),"
    " MOD(o_orderkey * 7 + n * 3, 11) / 100,"
    " CASE WHEN receipt > '1995-06-17'::DATE THEN 'N' WHEN MOD(o_orderkey + n, 2) = 0 THEN 'R' ELSE 'A' END,"
    " CASE WHEN ship > '1995-06-17'::DATE THEN 'O' ELSE 'F' END,"
    " ship, DATEADD(day, 30 + MOD(o_orderkey * 11 + n * 5, 61), o_orderdate), receipt"
    " FROM (SELECT o.*, l.n, DATEADD(day, 1 + MOD(o_orderkey * 131 + n * 71, 121), o_orderdate) AS ship,"
    " DATEADD(day, 1 + MOD(o_orderkey * 17 + n * 7, 30), DATEADD(day, 1 + MOD(o_orderkey * 131 + n * 71, 121),"
    " o_orderdate)) AS receipt"
    " FROM orders AS o, (SELECT seq4() + 1 AS n FROM TABLE(GENERATOR(ROWCOUNT => 7))) AS l"
    " WHERE l.n <= 1 + MOD(o.o_orderkey * 5, 7))",
    "CREATE TABLE part (p_partkey NUMBER(38,0) NOT NULL PRIMARY KEY, p_type VARCHAR(25))",
    "INSERT INTO part SELECT k, CASE MOD(k, 4) WHEN 0 THEN 'PROMO BRUSHED TIN' WHEN 1 THEN 'STANDARD POLISHED COPPER'"
    " WHEN 2 THEN 'ECONOMY ANODIZED STEEL' ELSE 'LARGE PLATED BRASS' END"
    " FROM (SELECT seq4() + 1 AS k FROM TABLE(GENERATOR(ROWCOUNT => 2000)))",
)


def _seed(address: dict[str, Any]) -> None:
    raw = snowflake.connector.connect(
        account="fakesnow", user="seed", password="seed", database=DATABASE, schema="PUBLIC", **address
    )
    try:
        cursor = raw.cursor()
        for statement in TPCH:
            cursor.execute(statement)
        cursor.execute("CREATE DATABASE SNOWFLAKE")
        cursor.execute("CREATE SCHEMA SNOWFLAKE.ACCOUNT_USAGE")
        columns = ", ".join(f"{name} {kind}" for name, kind in QUERY_HISTORY_COLUMNS.items())
        cursor.execute(f"CREATE TABLE SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY ({columns})")
        names = [name for name in QUERY_HISTORY_COLUMNS if name != "start_time"]
        insert = (
            f"INSERT INTO SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY ({', '.join(names)}, start_time)"
            f" SELECT {', '.join(['%s'] * len(names))}, DATEADD('minute', -%s, CURRENT_TIMESTAMP())"
        )
        for hashed, text, literals, elapsed in TEMPLATES:
            for hour, values in enumerate(literals):
                run = {
                    "query_id": f"{hashed}-{hour}",
                    "query_text": text.format(**values),
                    "database_name": DATABASE,
                    "schema_name": "PUBLIC",
                    "query_type": "SELECT",
                    "user_name": "ANALYST",
                    "role_name": "ANALYST",
                    "warehouse_name": WAREHOUSE,
                    "warehouse_size": "Small",
                    "query_tag": "",
                    "execution_status": "SUCCESS",
                    "total_elapsed_time": elapsed,
                    "compilation_time": 120,
                    "execution_time": elapsed - 120,
                    "queued_provisioning_time": 0,
                    "queued_overload_time": 0,
                    "bytes_scanned": 52_000_000,
                    "percentage_scanned_from_cache": 0.0,
                    "rows_produced": 4,
                    "partitions_scanned": 40,
                    "partitions_total": 40,
                    "bytes_spilled_to_local_storage": 0,
                    "bytes_spilled_to_remote_storage": 0,
                    "query_parameterized_hash": hashed,
                }
                cursor.execute(insert, [run[name] for name in names] + [60 * (hour + 1) + 5])
    finally:
        raw.close()


@pytest.fixture(scope="session")
def tpch_snowflake(fakesnow_server: dict[str, Any], services: Path) -> dict[str, Any]:
    """The fakesnow server's address, once :data:`DATABASE` and the query history are seeded (once per run)."""
    with FileLock(str(services / "fakesnow-tpch-cli.lock")):
        marker = services / "fakesnow-tpch-cli.seeded"  # names the server seeded
        if not marker.exists() or marker.read_text() != str(fakesnow_server["port"]):
            _seed(fakesnow_server)
            marker.write_text(str(fakesnow_server["port"]))
    return fakesnow_server


def snowflake_url(address: dict[str, Any], password: str | None = SECRET, **options: Any) -> str:
    """``snowflake://SQLTUNE[:password]@fakesnow/DATABASE/PUBLIC?host=...&port=...&protocol=http&...``."""
    userinfo = "SQLTUNE" + (f":{quote(password, safe='')}" if password else "")
    query = {"host": address["host"], "port": address["port"], "protocol": address["protocol"], **options}
    return f"snowflake://{userinfo}@fakesnow/{DATABASE}/PUBLIC?" + "&".join(f"{k}={v}" for k, v in query.items())


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record of the run, the connector's included, down to DEBUG."""
    caplog.set_level(logging.DEBUG)
    yield caplog


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def layout(url: str, *extra: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """``sqltune layout`` over the seeded history (fakesnow reports every table as 0 bytes: no size gate)."""
    return run("layout", "--dsn", url, "--workload", "query_history", "--min-size", "0", *extra, env=env)


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert SECRET not in text and quote(SECRET, safe="") not in text and "Tr0ub4dor" not in text


# The ACCESS_HISTORY view is Enterprise Edition's; without it the workload loads, and says so on stderr.
NO_ACCESS_HISTORY = (
    "SNOWFLAKE.ACCOUNT_USAGE.ACCESS_HISTORY:0:0: cannot read it (002003 (42S02): Catalog Error: Table with name"
    " ACCESS_HISTORY does not exist!); templates carry no base objects or columns (Enterprise Edition has it)\n"
)


def test_layout_of_a_snowflake_url_clusters_lineitem_and_orders_with_the_evidence(
    tpch_snowflake: dict[str, Any], logged: pytest.LogCaptureFixture
) -> None:
    url = snowflake_url(tpch_snowflake, warehouse=WAREHOUSE, role="ANALYST")
    code, out, err = layout(url)
    assert code == 1, err  # something is recommended
    assert err == NO_ACCESS_HISTORY
    sections = {block.split(":", 1)[0]: block for block in re.split(r"\n(?=\S)", out.strip())}
    lineitem, orders, part = sections["LINEITEM"], sections["ORDERS"], sections["PART"]
    # LINEITEM: Q6 filters a discount band and a year, Q14 a month, Q15 a quarter, Q1 almost everything: the
    # discount (11 values) first, then the ship date, prunes the most (lowest cardinality first).
    assert lineitem.startswith("LINEITEM: cluster_by on (l_discount, l_shipdate)\n")
    assert "  [pass] saving: simulated scanned fraction 1 -> 0.4 (60% less; needs 20%)" in lineitem
    assert "  [pass] reads: 13 reads in the window (needs 1)" in lineitem
    assert "  [pass] current_layout: not clustered" in lineitem
    evidence = {
        match[1]: (float(match[2]), float(match[3]), int(match[4]), float(match[5]))
        for match in re.finditer(
            r"^  query_history:(tpch-q\d+)-\d+: ([\d.]+) -> ([\d.]+) of (\d+) partitions \(weight (\d+)\)$",
            lineitem,
            re.MULTILINE,
        )
    }
    assert set(evidence) == {"tpch-q1", "tpch-q4", "tpch-q6", "tpch-q14", "tpch-q15"}
    # Weights are the history's elapsed time: 5 runs of Q6 at 42 s, 2 of Q14 at 21 s, ...
    assert {name: weight for name, (_, _, _, weight) in evidence.items()} == {
        "tpch-q6": 210_000,
        "tpch-q1": 130_000,
        "tpch-q15": 70_000,
        "tpch-q4": 60_000,
        "tpch-q14": 42_000,
    }
    for name in ("tpch-q6", "tpch-q14", "tpch-q15"):  # the date-filtered templates: at least 10x fewer partitions
        before, after, partitions, _ = evidence[name]
        assert before == partitions and after * 10 < before, (name, evidence[name])
    assert evidence["tpch-q1"][1] > 0.9 * evidence["tpch-q1"][0]  # Q1 reads nearly every date: no key helps it
    assert evidence["tpch-q4"][0] == evidence["tpch-q4"][1]  # Q4 filters ORDERS, not LINEITEM
    assert lineitem.endswith("  ALTER TABLE SQLTUNE_TPCH_CLI.PUBLIC.LINEITEM CLUSTER BY (l_discount, l_shipdate);")
    # What fakesnow lacks, an account without the function would answer the same way: the reason is shown.
    assert "  note: SYSTEM$CLUSTERING_INFORMATION for l_discount, l_shipdate: 002003 (42S02)" in lineitem
    assert "  note: SYSTEM$ESTIMATE_AUTOMATIC_CLUSTERING_COSTS unavailable: 002003 (42S02)" in lineitem
    assert (
        "  [pass] churn: TABLE_DML_HISTORY not read (cannot read SNOWFLAKE.ACCOUNT_USAGE.TABLE_DML_HISTORY" in lineitem
    )

    assert orders.startswith("ORDERS: cluster_by on (o_orderdate)\n")
    # Before: the sample in the order SAMPLE returns it (none), so nearly every partition; after: a quarter's.
    q4 = re.search(r"^  query_history:tpch-q4-\d: ([\d.]+) -> 39 of 1000 partitions \(weight 60000\)$", orders, re.M)
    assert q4 is not None and float(q4[1]) > 900, orders
    assert orders.endswith("  ALTER TABLE SQLTUNE_TPCH_CLI.PUBLIC.ORDERS CLUSTER BY (o_orderdate);")
    # PART is only joined (Q14): nothing to prune on, and the plan says which gate.
    assert part.startswith("PART: none\n  [FAIL] candidates: the workload filters no column of this table\n")
    assert_no_secret(out, err, logged.text)

    assert any(record.name.startswith("snowflake.connector") for record in logged.records)  # the connector logged


def test_layout_json_of_a_snowflake_url_with_the_password_from_the_environment(
    tpch_snowflake: dict[str, Any], logged: pytest.LogCaptureFixture
) -> None:
    url = snowflake_url(tpch_snowflake, password=None, warehouse=WAREHOUSE)
    code, out, err = layout(
        url, "--table", "lineitem", "--table", "orders", "--format", "json", env={"SNOWFLAKE_PASSWORD": SECRET}
    )
    assert code == 1 and err == NO_ACCESS_HISTORY
    plan = json.loads(out)
    assert plan["notes"] == []
    by_table = {rec["table"]: rec for rec in plan["recommendations"]}
    assert sorted(by_table) == ["LINEITEM", "ORDERS"]  # --table: PART is left out
    lineitem, orders = by_table["LINEITEM"], by_table["ORDERS"]
    assert (lineitem["engine"], lineitem["kind"], lineitem["key"]) == (
        "snowflake",
        "cluster_by",
        ["l_discount", "l_shipdate"],
    )
    assert lineitem["ddl"] == ["ALTER TABLE SQLTUNE_TPCH_CLI.PUBLIC.LINEITEM CLUSTER BY (l_discount, l_shipdate)"]
    assert all(gate["passed"] for gate in lineitem["gates"])
    assert [gate["name"] for gate in lineitem["gates"]] == [
        "size",
        "churn",
        "reads",
        "read_write",
        "current_layout",
        "saving",
    ]
    assert lineitem["candidates"][0] == {
        "key": ["l_discount", "l_shipdate"],
        "scanned_fraction": pytest.approx(0.40, abs=0.005),
    }
    assert lineitem["details"]["distinct"]["l_discount"] == 11
    assert "error" in lineitem["details"]["clustering_cost"] and lineitem["details"]["clustering_information"] == {}
    q6 = next(e for e in lineitem["evidence"] if e["location"].startswith("query_history:tpch-q6-"))
    assert q6["text"].startswith(
        "select sum(l_extendedprice * l_discount) as revenue from lineitem where l_shipdate >= ?"
    )
    assert (q6["weight"], q6["partitions"], q6["before"]) == (210_000.0, 984, 984.0)
    assert q6["after"] * 10 < q6["before"] and q6["saving"] > 0
    assert (orders["kind"], orders["key"], orders["ddl"]) == (
        "cluster_by",
        ["o_orderdate"],
        ["ALTER TABLE SQLTUNE_TPCH_CLI.PUBLIC.ORDERS CLUSTER BY (o_orderdate)"],
    )
    assert_no_secret(out, err, logged.text)


def test_workload_reads_query_history_from_a_snowflake_url(tpch_snowflake: dict[str, Any]) -> None:
    url = snowflake_url(tpch_snowflake, warehouse=WAREHOUSE, role="ANALYST", STATEMENT_TIMEOUT_IN_SECONDS=60)
    code, out, err = run("workload", "query_history", "--dsn", url, "--format", "json", "--top", "10")
    assert (code, err) == (0, "")
    loaded = json.loads(out)
    assert (loaded["dialect"], loaded["summary"]["calls"]) == ("snowflake", 13)
    assert [problem["path"] for problem in loaded["problems"]] == ["SNOWFLAKE.ACCOUNT_USAGE.ACCESS_HISTORY"]
    # The source names the account, database and warehouse: never the user info.
    assert loaded["sources"] == [
        f"snowflake:fakesnow/{DATABASE}.PUBLIC warehouse={WAREHOUSE} SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY last 30 days"
    ]
    calls = {t["ids"]["query_parameterized_hash"][0]: (t["calls"], t["total_ms"]) for t in loaded["templates"]}
    assert calls == {
        "tpch-q1": (2, 130_000.0),
        "tpch-q4": (2, 60_000.0),
        "tpch-q6": (5, 210_000.0),
        "tpch-q14": (2, 42_000.0),
        "tpch-q15": (2, 70_000.0),
    }
    assert_no_secret(out, err)


def test_an_unreachable_account_is_one_line_without_the_password(logged: pytest.LogCaptureFixture) -> None:
    """The real connector pointed at a closed local port: one line, exit 2, no secret anywhere."""
    url = (
        f"snowflake://alice:{quote(SECRET, safe='')}@sqltune-no-such-account/{DATABASE}"
        "?host=127.0.0.1&port=9&protocol=http&login_timeout=2"
    )
    code, out, err = layout(url)
    assert (code, out) == (2, "")
    assert err.startswith(f"sqltune: error: cannot connect to Snowflake sqltune-no-such-account/{DATABASE}: 250001")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert_no_secret(err, logged.text)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            f"snowflake://alice:{SECRET}@acct/db/schema/extra",
            "a Snowflake URL's path is /database[/schema]; got 3 parts",
        ),
        (f"snowflake://alice:{SECRET}@acct/db?warehose=WH", "unknown option 'warehose' in the Snowflake URL"),
        (
            f"snowflake://alice@acct/db?password={quote(SECRET, safe='')}",
            "password has its place in a Snowflake URL, not in its query",
        ),
        (f"snowflake://alice:{SECRET}@acct/db?QUERY_TAG=mine", "QUERY_TAG is sqltune's own"),
    ],
    ids=["path", "option", "password-in-query", "query-tag"],
)
def test_a_malformed_snowflake_url_is_one_line_without_the_password(url: str, message: str) -> None:
    code, out, err = layout(url)
    assert (code, out) == (2, "")
    assert err.startswith(f"sqltune: error: {message}") and err.count("\n") == 1
    assert_no_secret(err)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--validate"], "--validate builds the layout on a copy: PostgreSQL only"),
        (["--schema", "PUBLIC"], "--schema does not apply to Snowflake: every schema of the URL's database is read"),
    ],
    ids=["validate", "schema"],
)
def test_options_snowflake_cannot_take_are_refused_before_connecting(extra: list[str], message: str) -> None:
    # A closed port: had the command connected first, the error would be the connection's.
    url = f"snowflake://alice:{quote(SECRET, safe='')}@acct/db?host=127.0.0.1&port=9&protocol=http&login_timeout=2"
    code, out, err = layout(url, *extra)
    assert (code, out) == (2, "")
    assert f"Error: {message}" in err
    assert_no_secret(err)
