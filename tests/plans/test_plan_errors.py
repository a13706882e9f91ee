"""Bad input gives one line naming the place and what was expected, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqltune.plans import PlanError, load_plan, parse_plan

MALFORMED = Path(__file__).resolve().parents[2] / "fixtures" / "plans" / "malformed"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("truncated.json", "line 17 column 17: invalid JSON: the EXPLAIN plan is truncated (unterminated string)"),
        ("missing_comma.json", "line 5 column 7: invalid JSON: expected ',' delimiter"),
        ("bad_number.json", "$[0].Plan: expected a number for 'Total Cost', got 'lots'"),
        (
            "not_a_plan.json",
            "not a recognised EXPLAIN plan (found query, rows); expected PostgreSQL, MySQL/MariaDB, Snowflake or"
            " DuckDB JSON, or PostgreSQL text",
        ),
        (
            "truncated_cost.txt",
            "line 5 column 28: malformed or truncated cost block; expected '(cost=STARTUP..TOTAL rows=N width=W)'",
        ),
        (
            "not_a_plan.txt",
            "line 1 column 1: not an EXPLAIN plan: expected an operator line such as 'Seq Scan on t  (cost=...)',"
            " got 'ERROR:  relation \"orders\" does not exist'",
        ),
        ("orphan_arrow.txt", "line 2 column 1: '->' operator is not indented below any operator"),
        ("mysql_table_without_name.json", "$.query_block.table: not a MySQL plan table: expected a 'table_name' key"),
        ("snowflake_unknown_parent.json", "$.Operations[0][1]: operator 1 names parent 7, which is not in step 1"),
        (
            "duckdb_operator_without_name.json",
            "$.operator[0]: not a DuckDB operator: expected a 'name' or 'operator_name' key",
        ),
        ("empty.txt", "empty input: expected an EXPLAIN plan"),
    ],
)
def test_malformed_plan_message(name: str, message: str) -> None:
    path = MALFORMED / name
    with pytest.raises(PlanError) as raised:
        load_plan(path)
    assert str(raised.value) == f"{path}: {message}"
    assert "\n" not in str(raised.value)


def test_every_malformed_fixture_is_covered() -> None:
    assert len(list(MALFORMED.iterdir())) == 11


@pytest.mark.parametrize(
    ("data", "fmt", "message"),
    [
        ("[]", None, "<plan>: not a recognised EXPLAIN plan (found list); expected PostgreSQL"),
        ([], "postgres-json", "<plan>: $: not an EXPLAIN plan: the JSON list is empty"),
        ({"Plan": {"Node Type": "Sort", "Plans": {}}}, None, "<plan>: $.Plan: expected a list for 'Plans'"),
        ({"Plan": {"Node Type": "Sort", "Plans": [7]}}, None, "<plan>: $.Plan.Plans[0]: expected a plan node object"),
        ({"Plan": {"Plans": []}}, None, "<plan>: $.Plan: not an EXPLAIN plan node: expected a 'Node Type' key"),
        ({"Plan": {}}, "postgres-json", "<plan>: $.Plan: not an EXPLAIN plan node: expected a 'Node Type' key"),
        ("{}", "mysql", "<plan>: $: not a MySQL EXPLAIN FORMAT=JSON plan: expected a 'query_block' key"),
        ('{"query": "x", "inputs": []}', None, "<plan>: MySQL's EXPLAIN FORMAT=JSON version 2 is not supported"),
        ("Seq Scan on t", "oracle", "<plan>: unknown plan format 'oracle'; expected one of: postgres-json"),
        (b"\xff\xfe", None, "<plan>: invalid UTF-8 byte 0xff; expected UTF-8 text"),
        ({"Operations": [[{"id": 0}]]}, None, "<plan>: $.Operations[0][0]: expected an operation object with an"),
        (
            [{"OPERATOR_TYPE": "Result", "OPERATOR_ID": 0, "OPERATOR_STATISTICS": "{oops"}],
            None,
            "<plan>: $[0]: invalid JSON in OPERATOR_STATISTICS: Expecting property name",
        ),
        ({"operator": []}, None, "<plan>: $.operator: not a DuckDB plan: it lists no operators"),
        (
            "Sort\n  Sort Key: x\n  InitPlan 1\n  Filter: y",
            None,
            "<plan>: line 4 column 3: expected the '->' operator of 'InitPlan 1' here",
        ),
        ("Sort\n  InitPlan 1", None, "<plan>: line 2: the plan ends before the '->' operator of 'InitPlan 1'"),
        ("Result\nPlanning Time: soon", None, "<plan>: line 2 column 1: expected a time such as '0.123 ms'"),
    ],
)
def test_structural_errors(data: object, fmt: str | None, message: str) -> None:
    with pytest.raises(PlanError) as raised:
        parse_plan(data, fmt)
    assert str(raised.value).startswith(message)


def test_missing_file() -> None:
    with pytest.raises(PlanError, match=r"^nowhere\.json: cannot read the plan file: No such file or directory$"):
        load_plan("nowhere.json")


def test_psql_decorated_json_and_gui_quoting_are_tolerated() -> None:
    decorated = (
        "                 QUERY PLAN                 \n"
        "--------------------------------------------\n"
        " [                                         +\n"
        "   {                                       +\n"
        '     "Plan": {                             +\n'
        '       "Node Type": "Result",              +\n'
        '       "Total Cost": 0.01                  +\n'
        "     }                                     +\n"
        "   }                                       +\n"
        " ]\n"
        "(1 row)\n"
    )
    assert parse_plan(decorated).total_cost == 0.01
    quoted = (
        '"Limit  (cost=0.00..0.04 rows=1 width=4)"\n'
        '"  ->  Seq Scan on ""my table"" t  (cost=0.00..35.50 rows=2550 width=4)"'
    )
    plan = parse_plan(quoted)
    assert [n.relation for n in plan] == [None, "my table"]


def test_a_garbled_number_in_a_detail_line_names_the_file_and_line(tmp_path: Path) -> None:
    # Found by the robustness harness: a NUL byte inside "Batches: 1)" raised a bare int() error.
    path = tmp_path / "damaged.txt"
    path.write_text(
        "Hash Join  (cost=1.00..2.00 rows=1 width=4)\n  Buckets: 1024  Batches: 1)\x00 Memory Usage: 480kB\n"
    )
    with pytest.raises(PlanError, match=r"damaged\.txt: line 2 column 3: malformed detail line"):
        load_plan(path)
