"""The layout advisor on BigQuery, through the real ``google-cloud-bigquery`` client.

The client (anonymous credentials, or a service-account key file for the CLI) talks to a local HTTP server that
answers the recorded REST responses of ``fixtures/bigquery`` (see its README) and of the workload's
``fixtures/workloads/bigquery``: each query job gets the recorded results of the statement it runs
(:class:`sqltune.testing.replay.QueryJobs`). The dataset ``acme-analytics.shop``: ``orders`` (15 GB, neither
partitioned nor clustered), ``events`` (2 TB over twelve years), ``page_views`` (400 GB, partitioned by
``DATE(view_ts)``, clustered by ``referrer``) and ``customers`` (50 MB).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from google.auth.credentials import AnonymousCredentials

from sqltune.cli import main
from sqltune.connectors import WorkloadUnavailable
from sqltune.connectors.bigquery import BigQueryConnection, connect, connect_url
from sqltune.layout import bigquery as bq
from sqltune.layout.advisor import advise_layout
from sqltune.layout.model import GB, LayoutConfig, LayoutPlan, Recommendation
from sqltune.layout.probes import scanned_share
from sqltune.layout.simulate import Condition, Layout, Probe, Sample
from sqltune.testing.replay import QueryJobs, ReplayServer, Request, Route
from sqltune.workload import Execution, Workload

ROOT = Path(__file__).resolve().parents[2]
LAYOUT = ROOT / "fixtures" / "bigquery"
WORKLOAD = ROOT / "fixtures" / "workloads" / "bigquery"
PROJECT = "acme-analytics"
TABLES = ("orders", "events", "page_views")


def payload(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def parameter(name: str, value: str) -> str:
    """A query parameter as the client sends it, as a pattern searched in the job's query configuration."""
    sent = {"name": name, "parameterType": {"type": "STRING"}, "parameterValue": {"value": value}}
    return re.escape(json.dumps(sent, sort_keys=True))


def recorded(**replace: Any) -> dict[str, Any]:
    """Statement patterns -> recorded results (``replace`` swaps one pattern's answer)."""
    first = {**payload(WORKLOAD / "get_query_results_wait.json"), **payload(WORKLOAD / "get_query_results_page1.json")}
    results: dict[str, Any] = {
        "workload": (
            r"GROUP BY template_key, bucket_start",
            [first, payload(WORKLOAD / "get_query_results_page2.json")],
        ),
        "catalog": (r"INFORMATION_SCHEMA\.COLUMNS", payload(LAYOUT / "catalog_shop.json")),
        "storage": (r"INFORMATION_SCHEMA\.TABLE_STORAGE", payload(LAYOUT / "table_storage.json")),
        **{f"jobs_{t}": (parameter("table", t), payload(LAYOUT / f"table_jobs_{t}.json")) for t in TABLES},
        **{f"sample_{t}": (rf"shop\.{t}` TABLESAMPLE", payload(LAYOUT / f"sample_{t}.json")) for t in TABLES},
    }
    for key, answer in replace.items():
        results[key] = (results[key][0], answer)
    return dict(results.values())


def served(jobs: QueryJobs, *routes: Route) -> ReplayServer:
    return ReplayServer([*routes, *jobs.routes()])


def connection(server: ReplayServer) -> BigQueryConnection:
    return connect(
        PROJECT,
        credentials=AnonymousCredentials(),
        location="US",
        client_options={"api_endpoint": server.url},
        maximum_bytes_billed=2 * 2**30,
    )


def workload(bq_connection: BigQueryConnection) -> Workload:
    """The recorded JOBS workload (a dashboard, a dbt MERGE and an ad-hoc query on orders) and templates on
    events, page_views and customers with their normalized-literals hashes, as JOBS would have them."""
    found = Workload.from_bigquery(bq_connection, days=7)
    at = datetime(2024, 11, 4, 8, tzinfo=UTC)
    purchases = (("query_parameterized_hash", "ZXZlbnRzX3dlZWtseV9wdXJjaGFzZXM="),)
    for day in ("2024-06-01", "2024-09-14", "2023-02-11"):
        sql = (
            f"SELECT kind, COUNT(*) FROM `acme-analytics.shop.events` WHERE event_ts >= TIMESTAMP '{day}'"
            f" AND event_ts < TIMESTAMP_ADD(TIMESTAMP '{day}', INTERVAL 7 DAY) AND kind = 'purchase' GROUP BY kind"
        )
        found.add(Execution(sql, 60_000.0, at=at, calls=20, ids=purchases))
    views = (("query_parameterized_hash", "cGFnZV92aWV3c19kYWlseQ=="),)
    for day, page in (("2024-10-01", 417), ("2024-03-12", 88), ("2024-07-30", 901)):
        sql = (
            f"SELECT COUNT(*) FROM `acme-analytics.shop.page_views` WHERE view_ts >= TIMESTAMP '{day}'"
            f" AND view_ts < TIMESTAMP_ADD(TIMESTAMP '{day}', INTERVAL 1 DAY) AND page_id = {page}"
        )
        found.add(Execution(sql, 2_000.0, at=at, calls=230, ids=views))
    found.add(Execution("SELECT name FROM `acme-analytics.shop.customers` WHERE customer_id = 42", 100.0, at=at))
    return found


def by_table(plan: LayoutPlan) -> dict[str, Recommendation]:
    return {rec.table: rec for rec in plan.recommendations}


@pytest.fixture
def advised() -> Iterator[tuple[LayoutPlan, ReplayServer]]:
    jobs = QueryJobs(payload(WORKLOAD / "jobs_insert.json"), recorded())
    with served(jobs) as server, connection(server) as bq_connection:
        plan = advise_layout(
            workload(bq_connection), bq_connection, config=LayoutConfig(sample_rows=2000, history_days=7)
        )
        yield plan, server


def sent(server: ReplayServer) -> list[dict[str, Any]]:
    return [
        r.body["configuration"]
        for r in server.requests
        if r.method == "POST" and r.path.split("?")[0].endswith("/jobs")
    ]


def test_what_was_asked_of_bigquery(advised: tuple[LayoutPlan, ReplayServer]) -> None:
    _, server = advised
    configurations = sent(server)
    assert all(re.match(r"\s*(SELECT|WITH)\b", c["query"]["query"]) for c in configurations)
    assert all(
        c["labels"] == {"sqltune": "sqltune"} and c["query"]["maximumBytesBilled"] == str(2 * 2**30)
        for c in configurations
    )
    statements = [c["query"]["query"] for c in configurations]
    # The datasets came from the workload's referenced tables; the storage view takes them as an array.
    storage = next(c["query"] for c in configurations if "TABLE_STORAGE" in c["query"]["query"])
    assert "`acme-analytics`.`region-us`.INFORMATION_SCHEMA.TABLE_STORAGE" in storage["query"]
    [datasets] = storage["queryParameters"]
    assert [v["value"] for v in datasets["parameterValue"]["arrayValues"]] == ["shop"]
    assert any("`acme-analytics`.shop.INFORMATION_SCHEMA.COLUMNS" in s for s in statements)
    # A block sample of each table large enough to advise, of the columns the advisor needs, and no more rows.
    samples = [s for s in statements if "TABLESAMPLE" in s]
    orders = "SELECT `customer_id`, `order_date`, `status` FROM `acme-analytics.shop.orders`"
    # 2,000 rows of 30,000,000, and a tenth more: blocks hold uneven numbers of rows; at most twice that back.
    assert f"{orders} TABLESAMPLE SYSTEM (0.007333 PERCENT) LIMIT 4000" in samples
    assert not any("customers" in s for s in samples)  # refused by its size before any sample
    jobs = [c["query"] for c in configurations if "UNNEST(referenced_tables)" in c["query"]["query"]]
    assert len(jobs) == 3
    values = {p["name"]: p["parameterValue"]["value"] for p in jobs[0]["queryParameters"]}
    assert values == {"days": "7", "label": "sqltune", "project": PROJECT, "dataset": "shop", "table": values["table"]}


def test_a_large_table_over_twelve_years_is_partitioned_by_month(advised: tuple[LayoutPlan, ReplayServer]) -> None:
    plan, _ = advised
    events = by_table(plan)["events"]
    assert events.kind == "partition" and events.key[0] == "TIMESTAMP_TRUNC(event_ts, MONTH)", plan.to_text()
    assert any(re.match(r"DAY would make 4,3\d\d partitions .* at most 4,000 in one job", n) for n in events.notes)
    create, rename_old, rename_new = events.ddl
    assert create.startswith(
        "CREATE TABLE `acme-analytics.shop.events_sqltune_new`\nPARTITION BY TIMESTAMP_TRUNC(event_ts, MONTH)\n"
    )
    assert create.endswith("\nAS SELECT * FROM `acme-analytics.shop.events`")
    assert re.search(r"\nCLUSTER BY (kind, )?event_ts\n", create)  # the week, inside its month
    assert rename_old == "ALTER TABLE `acme-analytics.shop.events` RENAME TO events_sqltune_old"
    assert rename_new == "ALTER TABLE `acme-analytics.shop.events_sqltune_new` RENAME TO events"
    assert any("full scan of the table (2,048.0 GB logical)" in w for w in events.warnings)
    gates = {g.name: g for g in events.gates}
    assert gates["partition_size"].passed and gates["current_layout"].detail == "not partitioned"
    [evidence] = events.evidence  # a week of twelve years, of kind purchase
    assert evidence.after * 100 < evidence.before


def test_savings_are_the_jobs_bytes_and_slot_time_scaled_by_the_pruning(
    advised: tuple[LayoutPlan, ReplayServer],
) -> None:
    plan, _ = advised
    orders = by_table(plan)["orders"]
    savings = orders.details["savings"]
    assert savings["source"] == "INFORMATION_SCHEMA.JOBS, last 7 days" and savings["templates_without_usage"] == 0
    processed = 225_443_840_000 + 3_221_225_472 + 536_870_912  # the three templates' bytes in the 7 days
    assert savings["bytes"] == pytest.approx(processed * 30 / 7)
    assert savings["slot_ms"] == pytest.approx((16_340_000 + 2_870_000 + 41_000) * 30 / 7)
    for evidence in orders.evidence:
        assert evidence.bytes_saved is not None and evidence.slot_ms_saved is not None
        assert 0 <= evidence.after <= evidence.before == evidence.partitions  # unclustered: every block, now
    assert savings["bytes_saved"] == pytest.approx(sum(e.bytes_saved or 0 for e in orders.evidence))
    assert 0.5 * savings["bytes"] < savings["bytes_saved"] < savings["bytes"]
    shown = f"saving per 30 days: {savings['bytes_saved'] / 1024**3:.1f} GB processed, "
    assert (
        shown in plan.to_text()
        and f"(of {savings['bytes'] / 1024**3:.1f} GB; INFORMATION_SCHEMA.JOBS" in plan.to_text()
    )


def test_a_mid_sized_table_is_clustered_in_place(advised: tuple[LayoutPlan, ReplayServer]) -> None:
    plan, _ = advised
    orders = by_table(plan)["orders"]
    assert orders.kind == "cluster_by" and orders.key[0] == "status", plan.to_text()
    assert "order_date" in orders.key
    assert orders.commands == [f"bq update --clustering_fields={','.join(orders.key)} acme-analytics:shop.orders"]
    assert not orders.ddl
    assert orders.details["rewrite"][0].startswith("CREATE TABLE `acme-analytics.shop.orders_sqltune_new`\nCLUSTER BY")
    assert "no partitioning: 15.0 GB (below 100.0 GB for partitioning)" in orders.notes
    assert f"  $ {orders.commands[0]}" in plan.to_text()


def test_a_table_partitioned_on_the_column_keeps_it_and_gets_clustered(
    advised: tuple[LayoutPlan, ReplayServer],
) -> None:
    plan, _ = advised
    views = by_table(plan)["page_views"]
    assert views.kind == "cluster_by" and views.key[0] == "page_id", plan.to_text()
    assert any(n.startswith("already partitioned by DATE(view_ts)") for n in views.notes)
    assert next(g for g in views.gates if g.name == "current_layout").detail == "clustered on (referrer)"
    [evidence] = views.evidence  # one day of a year, already pruned to its partition
    assert evidence.before < evidence.partitions / 100 and evidence.after < evidence.before
    assert views.details["partitioning"]["current"] == "DATE(view_ts)"


def test_a_small_table_is_refused_by_its_size(advised: tuple[LayoutPlan, ReplayServer]) -> None:
    plan, _ = advised
    customers = by_table(plan)["customers"]
    assert customers.kind == "none" and customers.gates[0].name == "size" and not customers.gates[0].passed
    assert any("daily_revenue: not in the database's schema" in n for n in plan.notes)  # the MERGE's target


def test_partitioning_by_month_when_the_thresholds_are_lowered() -> None:
    jobs = QueryJobs(payload(WORKLOAD / "jobs_insert.json"), recorded())
    config = LayoutConfig(
        sample_rows=2000, history_days=7, partition_min_bytes=10 * GB, bq_min_partition_bytes=0.1 * GB
    )
    with served(jobs) as server, connection(server) as bq_connection:
        plan = advise_layout(workload(bq_connection), bq_connection, tables=["orders"], config=config)
    [orders] = plan.recommendations
    assert orders.kind == "partition" and orders.key[0] == "DATE_TRUNC(order_date, MONTH)", plan.to_text()
    assert orders.details["partitioning"]["partitions"] == 35  # January 2022 to November 2024
    # 15 GB over about 1,040 days: 15 MB a day, below the 102.4 MB asked; 35 months of 440 MB are not.
    assert any(
        re.match(r"DAY partitions would hold 1[45]\.\d MB on average \(fewer than 102\.4 MB", n) for n in orders.notes
    )
    assert "PARTITION BY DATE_TRUNC(order_date, MONTH)\nCLUSTER BY " in orders.ddl[0]


def test_without_the_jobs_grant_the_workloads_own_bytes_stand_in() -> None:
    denied = (403, payload(WORKLOAD / "jobs_insert_access_denied.json"))
    jobs = QueryJobs(payload(WORKLOAD / "jobs_insert.json"), recorded(jobs_orders=denied))
    with served(jobs) as server, connection(server) as bq_connection:
        with pytest.raises(WorkloadUnavailable, match=r"bigquery\.jobs\.listAll"):
            bq_connection.table_jobs("acme-analytics.shop.orders", 7)
        plan = advise_layout(
            workload(bq_connection), bq_connection, tables=["orders"], config=LayoutConfig(sample_rows=2000)
        )
    [orders] = plan.recommendations
    assert any(n.startswith("no JOBS usage (cannot read `region-us`.INFORMATION_SCHEMA.JOBS") for n in orders.notes)
    savings = orders.details["savings"]
    assert savings["source"].startswith("the workload's bytes scanned over ") and savings["slot_ms"] is None
    # The workload's templates span 5 h 7 min of 4 November: their bytes, scaled to 30 days.
    span = (datetime(2024, 11, 4, 11, 20, 0, 500000) - datetime(2024, 11, 4, 6, 12, 44, 2000)).total_seconds() / 86400
    processed = 225_443_840_000 + 3_221_225_472 + 536_870_912
    assert savings["bytes"] == pytest.approx(processed * 30 / span)


def test_the_schema_reads_partitioning_clustering_types_and_sizes() -> None:
    jobs = QueryJobs(payload(WORKLOAD / "jobs_insert.json"), recorded())
    with served(jobs) as server, connection(server) as bq_connection:
        schema = bq_connection.schema(["shop"])
    views = schema.table("acme-analytics.shop.page_views")
    assert views is not None and views.namespace == "acme-analytics.shop" and views.stats is not None
    assert (views.stats.rows, views.stats.size_bytes) == (2_000_000_000, 400 * GB)
    assert [(i.method, i.columns) for i in views.indexes] == [
        ("partition", ("DATE(view_ts)",)),
        ("clustering", ("referrer",)),
    ]
    orders = schema.table("orders")
    assert orders is not None and orders.indexes == []
    assert orders.columns["amount"].type == "NUMERIC(12, 2)" and not orders.columns["order_id"].nullable
    assert bq.parse_partitioning(views.indexes[0].columns[0]) == ("view_ts", ("trunc_date", "day"))


@pytest.mark.parametrize(
    ("expression", "part"),
    [
        ("order_date", ("order_date", ("trunc_date", "day"))),
        ("DATE(`view_ts`)", ("view_ts", ("trunc_date", "day"))),
        ("TIMESTAMP_TRUNC(ts, HOUR)", ("ts", ("trunc_date", "hour"))),
        ("DATETIME_TRUNC(dt, YEAR)", ("dt", ("trunc_date", "year"))),
        ("RANGE_BUCKET(customer_id, GENERATE_ARRAY(0, 100000, 25))", ("customer_id", ("bucket", "0:25"))),
        ("_PARTITIONDATE", None),
        ("TIMESTAMP_TRUNC(_PARTITIONTIME, DAY)", None),
    ],
)
def test_partitioning_clauses_read_back(expression: str, part: Any) -> None:
    assert bq.parse_partitioning(expression) == part


def test_granularity_and_integer_ranges() -> None:
    days = np.arange(0, 5000, dtype=float)  # 1970-01-01 plus 5,000 days
    sample = Sample.from_columns({"d": [date.fromordinal(719163 + int(d)) for d in days], "n": list(range(5000))})
    config = LayoutConfig()
    partitioning, why = bq.choose_partitioning(sample, "d", "DATE", 50_000 * GB, config)
    assert partitioning is not None and (partitioning.unit, partitioning.expression) == (
        "MONTH",
        "DATE_TRUNC(d, MONTH)",
    )
    assert why[0].startswith("DAY would make 5,000 partitions")
    small, why = bq.choose_partitioning(sample, "d", "DATE", 200 * GB, config)
    assert small is not None and small.unit == "YEAR" and "MONTH partitions would hold" in why[1]
    none, why = bq.choose_partitioning(sample, "d", "DATE", 20 * GB, config)
    assert none is None and len(why) == 3
    ranged, _ = bq.choose_partitioning(sample, "n", "INT64", 400 * GB, config)
    assert ranged is not None and ranged.expression == "RANGE_BUCKET(n, GENERATE_ARRAY(0, 5000, 125))"
    assert ranged.count == 40
    text, why = bq.choose_partitioning(sample, "n", "STRING", 400 * GB, config)
    assert text is None and "BigQuery partitions by a DATE, TIMESTAMP, DATETIME or INT64 column" in why[0]


def test_rows_scanned_count_partitions_of_unequal_size() -> None:
    # 900 rows on day 0, 100 on day 1: a filter on day 1 reads a tenth of the rows, half of the partitions.
    sample = Sample.from_columns({"d": [0.0] * 900 + [1.0] * 100})
    day1 = Probe("t", 1.0, [[[Condition("d", np.array([[1.0, 1.0]]))]]])
    layout = Layout(sample, ("d",), 10_000, split_on="d", blocks_in_splits=True)
    assert layout.partitions == 2 and layout.scanned(day1) == 1.0
    assert scanned_share(layout, [day1]) == (0.1, [0.1])
    blocks = Layout(sample, ("d",), 300, split_on="d", blocks_in_splits=True)
    assert blocks.sizes.tolist() == [300, 300, 300, 100]


def test_urls_name_a_project_a_dataset_and_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(_service_account(tmp_path, "http://127.0.0.1:9/token")))
    with pytest.raises(ValueError, match="unknown option 'colour' in the BigQuery URL"):
        connect_url("bigquery://acme-analytics/shop?colour=red")
    with pytest.raises(ValueError, match=r"expected bigquery://project"):
        connect_url("bigquery:///shop")
    with connect_url(
        "bigquery://acme-analytics/shop?location=EU&maximum_bytes_billed=1024&api_endpoint=http://127.0.0.1:9"
    ) as found:
        assert (found.project, found.dataset, found.region) == (PROJECT, "shop", "region-eu")
        assert repr(found) == "<BigQueryConnection project=acme-analytics location=EU>"


def _service_account(tmp_path: Path, token_uri: str) -> Path:
    """A service-account key file whose token endpoint is the replay server (a fresh RSA key: nothing real)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path = tmp_path / "key.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": PROJECT,
                "private_key_id": "0123456789abcdef",
                "private_key": pem.decode(),
                "client_email": f"sqltune-reader@{PROJECT}.iam.gserviceaccount.com",
                "client_id": "100000000000000000001",
                "token_uri": token_uri,
            }
        )
    )
    return path


def test_the_cli_takes_a_bigquery_url_and_reads_the_jobs_workload(tmp_path: Path) -> None:
    jobs = QueryJobs(payload(WORKLOAD / "jobs_insert.json"), recorded())
    tokens: list[Request] = []

    def token(request: Request) -> tuple[int, Any]:
        tokens.append(request)
        return 200, {"access_token": "ya29.replayed", "expires_in": 3600, "token_type": "Bearer"}

    with served(jobs, Route("POST", r"^/token", token)) as server:
        key = _service_account(tmp_path, f"{server.url}/token")
        dsn = f"bigquery://acme-analytics/shop?location=US&api_endpoint={server.url}"
        result = CliRunner().invoke(
            main,
            ["layout", "--dsn", dsn, "--workload", "jobs", "--days", "7", "--sample-rows", "2000", "--format", "json"],
            env={"GOOGLE_APPLICATION_CREDENTIALS": str(key)},
        )
        assert result.exit_code == 1, result.output
        data = json.loads(result.stdout)
        [orders] = data["recommendations"]  # the JOBS workload reads orders alone
        assert orders["kind"] == "cluster_by" and orders["commands"][0].startswith("bq update --clustering_fields=")
        assert orders["details"]["savings"]["source"] == "INFORMATION_SCHEMA.JOBS, last 7 days"
        assert tokens, "the key file's token endpoint was asked for a token (Application Default Credentials)"
        days = next(c["query"] for c in sent(server) if "bucket_start" in c["query"]["query"])["queryParameters"][0]
        assert days["parameterValue"]["value"] == "7"
        listed = CliRunner().invoke(
            main,
            ["workload", "jobs", "--dsn", dsn, "--format", "json"],
            env={"GOOGLE_APPLICATION_CREDENTIALS": str(key)},
        )
        assert listed.exit_code == 0, listed.output
        assert json.loads(listed.stdout)["sources"] == [
            f"bigquery:{PROJECT} `region-us`.INFORMATION_SCHEMA.JOBS last 30 days"
        ]


def test_the_cli_refuses_validate_on_bigquery(tmp_path: Path) -> None:
    jobs = QueryJobs(payload(WORKLOAD / "jobs_insert.json"), recorded())
    with served(jobs) as server:
        key = _service_account(tmp_path, f"{server.url}/token")
        result = CliRunner().invoke(
            main,
            [
                "layout",
                "--dsn",
                f"bigquery://acme-analytics?api_endpoint={server.url}",
                "--workload",
                "jobs",
                "--validate",
            ],
            env={"GOOGLE_APPLICATION_CREDENTIALS": str(key)},
        )
    assert result.exit_code == 2 and "--validate builds the layout on a copy: PostgreSQL only" in result.output
