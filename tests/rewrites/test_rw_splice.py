"""Edits, not reprints: ``fix`` changes only the spans a rewrite touches and keeps the rest byte for byte.

Each case is a file in the user's layout -- comments, lower/odd casing, quoted identifiers, CRLF line endings
-- with the one region a rewrite may change marked ``⟦...⟧``. The output must keep the text before and after
that region byte for byte, must differ from the input, and must parse to the same query as sqlglot's own
printing of the rewritten tree (the engine checks that too, this asserts it from outside).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import sqltune.cli.fix  # noqa: F401  (registers the command)
from sqltune.cli import main
from sqltune.core.sqlglot import exp, parse_one
from sqltune.rewrites import REWRITES, rewrite
from sqltune.rewrites.base import unified_diff
from sqltune.rewrites.splice import splice
from sqltune.schema import Schema

SHOP = (Path(__file__).resolve().parents[2] / "fixtures" / "rewrites" / "shop.sql").read_text(encoding="utf-8")
LEAD = "-- lead: a comment before the statement\r\n"

#: (rewrite, file text with the changed region marked); every case runs with the "shop" schema, postgres.
CASES: list[tuple[str, str]] = [
    (
        "RW001",
        LEAD + "select c.id\r\n  from customers as c\r\n where ⟦c.id not in (select o.customer_id from orders as o "
        "where o.status = 'open')⟧;  -- trailing\r\nselect 1;\r\n",
    ),
    (
        "RW002",
        '/* block */\nSelect o.id, o."total"\n  From ⟦orders As o\n Where o.customer_id In (select c.id from '
        "customers as c where c.vip)⟧;\n",
    ),
    (
        "RW003",
        LEAD + "select c.id,⟦\r\n       (select count(*) from orders as o where o.customer_id = c.id) as n\r\n"
        "  from customers as c⟧\r\n;",
    ),
    (
        "RW004",
        "-- lead\nselect o.id, o.total\n  from orders as o\n where ⟦o.customer_id = 42 or o.status = 'disputed'⟧;\n",
    ),
    ("RW005", LEAD + "SELECT \"id\"\r\n  FROM orders\r\n WHERE ⟦date_trunc('month', created_at) = '2024-03-01'⟧;\r\n"),
    ("RW006", "-- lead\nselect id\n  from items\n where ⟦qty + 1 > 10⟧  -- over ten\n;\n"),
    ("RW007", LEAD + "select id -- the key\r\n  from orders\r\n where ⟦created_at::date = '2024-03-01'⟧;\r\n"),
    (
        "RW008",
        "-- lead\nSelect c.id, o.id\n  From customers As c\n  ⟦Left Join⟧ orders As o On o.customer_id = c.id\n"
        " Where o.status = 'open';\n",
    ),
    (
        "RW009",
        LEAD + 'select o.id, o."total"\r\n  from orders as o⟦\r\n  join customers as c on c.id = o.customer_id⟧;\r\n',
    ),
    ("RW010", "-- lead\nselect ⟦distinct ⟧o.id,\n       o.status\n  from orders as o;\n"),
    (
        "RW011",
        LEAD + "select status, count(*)\r\n  from orders\r\n ⟦group by status\r\nhaving status <> 'void'⟧;\r\n",
    ),
    (
        "RW012",
        "-- lead\nselect s.customer_id, s.spent\n  from (select customer_id, sum(total) as spent\n"
        "          from orders⟦\n         group by customer_id) as s\n where s.customer_id = 7⟧;\n",
    ),
    (
        "RW013",
        LEAD + "⟦with big as (select id, total from orders where total > 1000)\r\nselect big.id\r\n  from big⟧\r\n"
        " where big.id > 10;\r\n",
    ),
    (
        "RW014",
        "-- lead\nselect c.id\n  from customers as c\n where ⟦(select count(*) from orders as o where "
        "o.customer_id = c.id) > 0⟧;\n",
    ),
    (
        "RW015",
        LEAD + "select id, \"total\" from orders where status = 'open'\r\n⟦Union⟧\r\n"
        "select id, total from orders where status = 'paid';\r\n",
    ),
    ("RW016", "-- lead\nselect id, total from orders order by id limit 50 offset 10000;\n"),  # a template: unchanged
    (
        "RW017",
        LEAD
        + "select id\r\n  from customers\r\n where id in (select customer_id from orders⟦ order by created_at⟧);\r\n",
    ),
    (
        "RW018",
        "-- lead\nselect o.id\n  from orders as o⟦\n where o.total < (select sum(i.price) from items as i\n"
        "                   where i.order_id = o.id)⟧\n order by o.id;  -- trailing\n",
    ),
    (
        "RW022",
        '-- lead\nselect o.id, o."total"\n  from ⟦orders as o\n where o.note is null Or o.customer_id In (select c.id '
        "from customers as c where c.vip)⟧;\n",
    ),
    (
        "RW023",
        LEAD + "select c.id\r\n  from customers as c\r\n ⟦where not exists (select 1 from orders as o where "
        "o.customer_id = c.id)⟧;  -- trailing\r\n",
    ),
    (
        "RW024",
        "/* block */\nSelect ⟦count(*)\n  From customers As c\n Where c.id In (select o.customer_id from orders as o "
        "where o.status = 'open')⟧;\n",
    ),
    ("RW019", "-- lead\nselect o.id,\n       o.status\n  from orders as o⟦\n group by o.id, o.status⟧;\n"),
    ("RW020", LEAD + "select id\r\n  from orders\r\n where ⟦status is not null\r\n   and customer_id = 7⟧;\r\n"),
    (
        "RW021",
        "-- lead\nselect c.id\n  from customers as c\n where ⟦c.id in (select c2.id\n"
        "                 from customers as c2 where c2.vip)⟧;\n",
    ),
]

#: The dialect of a case whose rewrite is made for one dialect only (postgres otherwise).
DIALECTS = {"RW023": "mysql"}


def _split(marked: str) -> tuple[str, str, str]:
    prefix, rest = marked.split("⟦")
    region, suffix = rest.split("⟧")
    return prefix, region, suffix


def _fix(text: str, rule: str) -> str:
    dialect = DIALECTS.get(rule, "postgres")
    report = rewrite(text, dialect=dialect, schema=Schema.from_ddl(SHOP, dialect=dialect), select=[rule], unsafe=True)
    assert not report.problems, report.problems
    return report.sql


def test_every_rewrite_has_a_layout_case() -> None:
    assert sorted(rule for rule, _ in CASES) == sorted(entry.id for entry in REWRITES)


@pytest.mark.parametrize(("rule", "marked"), [case for case in CASES if "⟦" in case[1]], ids=lambda v: v[:5])
def test_only_the_rewritten_span_changes(rule: str, marked: str) -> None:
    prefix, region, suffix = _split(marked)
    text = prefix + region + suffix
    fixed = _fix(text, rule)
    assert fixed != text, f"{rule} did not change the text"
    assert fixed.startswith(prefix), f"text before the rewritten span changed:\n{unified_diff(text, fixed)}"
    assert fixed.endswith(suffix), f"text after the rewritten span changed:\n{unified_diff(text, fixed)}"
    assert fixed.count("lead") == text.count("lead") and fixed.count("/*") == text.count("/*"), "comments once"
    # The spliced statement is the rewritten query: the same as reprinting the rewritten tree.
    dialect = DIALECTS.get(rule, "postgres")
    schema = Schema.from_ddl(SHOP, dialect=dialect)
    reprint = rewrite(text, dialect=dialect, schema=schema, select=[rule], unsafe=True)
    after = [change.after_tree for change in reprint.applied][-1]
    statement = next(part for part in fixed.split(";") if rule != "RW001" or "exists" in part.lower())
    assert parse_one(statement, dialect).sql(dialect, comments=False) == parse_one(after.sql(dialect), dialect).sql(
        dialect, comments=False
    )


def test_a_template_leaves_the_file_as_written() -> None:
    [(_, text)] = [case for case in CASES if case[0] == "RW016"]
    report = rewrite(text, dialect="postgres", schema=Schema.from_ddl(SHOP), select=["RW016"], unsafe=True)
    assert report.sql == text and report.advised and report.advised[0].template


def test_union_to_union_all_is_a_one_line_diff_in_the_cli(tmp_path: Path) -> None:
    schema = tmp_path / "shop.sql"
    schema.write_text(SHOP, encoding="utf-8")
    path = tmp_path / "q.sql"
    text = (
        "-- lead\nselect id, total from orders where status = 'open'\nUnion\n"
        "select id, total from orders where status = 'paid';\n"
    )
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["fix", "--schema", str(schema), str(path)])
    assert result.exit_code == 0, result.output
    fixed = path.read_text(encoding="utf-8")
    assert fixed == text.replace("\nUnion\n", "\nUnion ALL\n")
    changed = [line for line in unified_diff(text, fixed).splitlines()[2:] if line[:1] in "+-"]
    assert changed == ["-Union", "+Union ALL"]


def test_crlf_survives_everywhere_outside_the_edit() -> None:
    text = "select id\r\n  from orders\r\n where created_at::date = '2024-03-01';\r\n"
    fixed = _fix(text, "RW007")
    assert fixed.count("\r\n") == 3 and "\n" not in fixed.replace("\r\n", "")


def test_a_changed_node_keeps_its_unchanged_children_as_written() -> None:
    """HAVING's condition moves into a new WHERE; the moved condition keeps the user's casing and quoting."""
    text = "select status from orders group by status having lower(\"status\") = 'Open'"
    fixed = rewrite(text, dialect="postgres", schema=Schema.from_ddl(SHOP), select=["RW011"], unsafe=True).sql
    assert fixed == "select status from orders WHERE lower(\"status\") = 'Open' group by status"


def test_splice_gives_up_rather_than_guessing() -> None:
    """A rewritten tree that does not match the text is refused (the engine then reprints the statement)."""
    text = "SELECT a FROM t"
    before = parse_one(text, "postgres")
    unrelated = exp.select("b").from_("u")
    assert splice(text, 0, before, unrelated, "postgres") in (None, "SELECT b FROM u")


# -- SQL in messages is the input's dialect ---------------------------------------------------------------

#: (rewrite, dialect, SQL, text its message must quote, sqlglot's generic spelling it must not use)
DIALECT_CASES = [
    (
        "RW005",
        "postgres",
        "SELECT id FROM orders WHERE date_trunc('month', created_at) = '2024-03-01'",
        "DATE_TRUNC('MONTH', created_at)",
        "TIMESTAMP_TRUNC",
    ),
    (
        "RW005",
        "bigquery",
        "SELECT id FROM orders WHERE DATE_TRUNC(created_at, MONTH) = '2024-03-01'",
        "DATE_TRUNC(created_at, MONTH)",
        "TIMESTAMP_TRUNC",
    ),
    ("RW007", "postgres", "SELECT id FROM orders WHERE created_at::date = '2024-03-01'", "CAST(", "TRY_CAST"),
    ("RW006", "tsql", "SELECT id FROM items WHERE [qty] + 1 > 10", "[qty] + 1", '"qty"'),
    (
        "RW001",
        "mysql",
        "SELECT id FROM orders WHERE `note` NOT IN (SELECT sku FROM items)",
        "`note` is never NULL",
        '"note"',
    ),
    ("RW011", "tsql", "SELECT [status] FROM orders GROUP BY [status] HAVING LEN([status]) > 2", "[status]", '"status"'),
]


@pytest.mark.parametrize(("rule", "dialect", "sql", "quoted", "generic"), DIALECT_CASES)
def test_messages_quote_sql_in_the_input_dialect(rule: str, dialect: str, sql: str, quoted: str, generic: str) -> None:
    report = rewrite(sql, dialect=dialect, select=[rule])
    [change] = [change for change in report.changes if change.rewrite == rule][:1]
    message = change.describe() + change.diff()
    assert quoted in message and generic not in message, message
