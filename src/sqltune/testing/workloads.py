"""Generated query logs for tests, demos and the ingest benchmark: many executions of a few thousand templates.

:func:`generate` draws executions of ``templates`` query templates over a shop-like schema -- point look-ups,
ranges, IN lists of varying length, joins, aggregates, LIKE, multi-row inserts, updates and deletes -- with
Zipf-distributed frequencies (a few hot templates, a long tail), fresh literals at every execution (numbers,
dates, strings with quotes in them), a comment with a request id on some, and line breaks in the longer ones.
Times advance by random gaps; durations are log-normal around each template's own typical time.

Writers put the executions in the formats the real servers write: :func:`write_postgres_log` (stderr, with
``log_min_duration_statement = 0`` and ``log_line_prefix = '%m [%p] %q%u@%d '``; continuation lines start with
a tab as PostgreSQL writes them) and :func:`write_mysql_slow_log` (MySQL 8 slow query log).

>>> runs = list(generate(5, templates=50, seed=1))
>>> len(runs), runs[0].sql.split()[0] in {"SELECT", "UPDATE", "INSERT", "DELETE", "/*"}
(5, True)
"""

from __future__ import annotations

import itertools
import math
import os
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["POSTGRES_PREFIX", "Generated", "generate", "write_mysql_slow_log", "write_postgres_log"]

#: The log_line_prefix of the generated PostgreSQL logs.
POSTGRES_PREFIX = "%m [%p] %q%u@%d "
START = datetime(2024, 5, 1, tzinfo=UTC)

_TABLES = {
    "customers": ("id", "email", "name", "country", "created_at", "segment", "score"),
    "orders": ("id", "customer_id", "status", "total", "created_at", "shipped_at", "channel"),
    "order_items": ("id", "order_id", "product_id", "quantity", "price", "discount"),
    "products": ("id", "sku", "name", "category_id", "price", "stock", "updated_at"),
    "categories": ("id", "name", "parent_id", "slug"),
    "payments": ("id", "order_id", "amount", "method", "paid_at", "status"),
    "shipments": ("id", "order_id", "carrier", "tracking", "shipped_at", "delivered_at"),
    "reviews": ("id", "product_id", "customer_id", "rating", "body", "created_at"),
    "carts": ("id", "customer_id", "updated_at", "status"),
    "cart_items": ("id", "cart_id", "product_id", "quantity"),
    "inventory": ("id", "product_id", "warehouse_id", "quantity", "updated_at"),
    "warehouses": ("id", "name", "region", "capacity"),
    "sessions": ("id", "customer_id", "started_at", "ip", "agent"),
    "events": ("id", "session_id", "kind", "payload", "created_at"),
    "coupons": ("id", "code", "percent", "valid_until"),
    "refunds": ("id", "payment_id", "amount", "reason", "created_at"),
}
_JOINS = [
    ("orders", "customer_id", "customers", "id"),
    ("order_items", "order_id", "orders", "id"),
    ("order_items", "product_id", "products", "id"),
    ("products", "category_id", "categories", "id"),
    ("payments", "order_id", "orders", "id"),
    ("shipments", "order_id", "orders", "id"),
    ("reviews", "product_id", "products", "id"),
    ("cart_items", "cart_id", "carts", "id"),
    ("inventory", "product_id", "products", "id"),
    ("inventory", "warehouse_id", "warehouses", "id"),
    ("events", "session_id", "sessions", "id"),
    ("refunds", "payment_id", "payments", "id"),
]
_WORDS = ("alpha", "blue", "crate", "delta", "ember", "fjord", "gala", "harbor", "iris", "jade", "kilo", "lumen")
_STATUSES = ("new", "paid", "shipped", "done", "cancelled", "it's late")


@dataclass(frozen=True, slots=True)
class Generated:
    """One generated execution: which template it runs (0 is the most frequent) and what the log says."""

    template: int
    sql: str
    at: datetime
    duration_ms: float
    rows: int
    user: str
    database: str
    pid: int


Literal = Callable[[random.Random], str]


def _number(low: int, high: int) -> Literal:
    return lambda r: str(r.randint(low, high))


def _text(r: random.Random) -> str:
    word = r.choice(_WORDS) + ("'s" if r.random() < 0.05 else "") + str(r.randint(1, 999))
    return "'" + word.replace("'", "''") + "'"


def _prefix(r: random.Random) -> str:
    return f"'{r.choice(_WORDS)}%'"


def _date(r: random.Random) -> str:
    return "'" + (START - timedelta(days=r.randint(0, 900), seconds=r.randint(0, 86399))).isoformat(" ")[:19] + "'"


def _value_of(column: str) -> Literal:
    if column == "id" or column.endswith("_id"):
        return _number(1, 5_000_000)
    if column.endswith("_at") or column == "valid_until":
        return _date
    if column in ("status",):
        return lambda r: "'" + r.choice(_STATUSES).replace("'", "''") + "'"
    if column in ("total", "price", "amount", "discount", "score"):
        return lambda r: f"{r.uniform(0, 2000):.2f}"
    if column in ("quantity", "stock", "capacity", "rating", "percent"):
        return _number(0, 500)
    return _text


@dataclass(frozen=True, slots=True)
class _Template:
    """A statement with holes: the text parts around them, a maker per hole, and how it is laid out."""

    parts: tuple[str, ...]  # len(holes) + 1 parts
    holes: tuple[Literal | tuple[Literal, int, int], ...]  # a literal, or (literal, low, high): an IN list
    typical_ms: float

    def render(self, r: random.Random) -> str:
        out = [self.parts[0]]
        for hole, part in zip(self.holes, self.parts[1:], strict=True):
            if isinstance(hole, tuple):
                out.append(", ".join(hole[0](r) for _ in range(r.randint(hole[1], hole[2]))))
            else:
                out.append(hole(r))
            out.append(part)
        return "".join(out)


def _templates(count: int, seed: int) -> list[_Template]:
    r = random.Random(seed)
    made: list[_Template] = []
    seen: set[tuple[str, ...]] = set()
    shapes = itertools.cycle(("point", "range", "in", "join", "agg", "like", "insert", "update", "delete", "top"))
    while len(made) < count:
        shape = next(shapes)
        table = r.choice(list(_TABLES))
        cols = _TABLES[table]
        picked = r.sample(cols, k=min(len(cols), r.randint(1, 4)))
        select = ", ".join(picked)
        parts: list[str]
        holes: list[Literal | tuple[Literal, int, int]]
        signature: tuple[str, ...] = ()
        if shape == "point":
            key = r.choice(cols)
            parts, holes = [f"SELECT {select} FROM {table} WHERE {key} = ", ""], [_value_of(key)]
        elif shape == "range":
            key = r.choice(cols)
            parts = [f"SELECT {select}\nFROM {table}\nWHERE {key} >= ", f" AND {key} < ", f"\nORDER BY {cols[0]}"]
            holes = [_value_of(key), _value_of(key)]
        elif shape == "in":
            key = r.choice(cols)
            parts, holes = [f"SELECT {select} FROM {table} WHERE {key} IN (", ")"], [(_value_of(key), 1, 30)]
        elif shape == "join":
            left, lcol, right, rcol = r.choice(_JOINS)
            filt = r.choice(_TABLES[right])
            parts = [
                f"SELECT l.{_TABLES[left][0]}, r.{filt}\n  FROM {left} l\n  JOIN {right} r ON r.{rcol} = l.{lcol}\n"
                f" WHERE r.{filt} = ",
                "\n LIMIT ",
                "",
            ]
            holes = [_value_of(filt), _number(10, 100)]
        elif shape == "agg":
            group, key = r.choice(cols), r.choice(cols)
            parts = [
                f"SELECT {group}, count(*), max({key})\nFROM {table}\nWHERE {key} > ",
                f"\nGROUP BY {group}\nHAVING count(*) > ",
                "",
            ]
            holes = [_value_of(key), _number(1, 20)]
        elif shape == "like":
            key = r.choice(cols)
            parts, holes = [f"SELECT {select} FROM {table} WHERE {key} LIKE ", ""], [_prefix]
        elif shape == "insert":
            rows = r.randint(1, 3)  # VALUES lists collapse: the row count does not make another template
            parts, holes = [f"INSERT INTO {table} ({select}) VALUES ("], []
            for index in range(rows):
                for position, column in enumerate(picked):
                    holes.append(_value_of(column))
                    last = position == len(picked) - 1
                    parts.append((")" + (", (" if index < rows - 1 else "")) if last else ", ")
            signature = ("insert", table, select)
        elif shape == "update":
            target, key = r.choice(cols), r.choice(cols)
            parts = [f"UPDATE {table} SET {target} = ", f" WHERE {key} = ", ""]
            holes = [_value_of(target), _value_of(key)]
        elif shape == "delete":
            key = r.choice(cols)
            parts, holes = [f"DELETE FROM {table} WHERE {key} < ", ""], [_value_of(key)]
        else:
            key = r.choice(cols)
            parts = [f"SELECT {select} FROM {table} WHERE {key} <> ", f" ORDER BY {key} DESC LIMIT ", ""]
            holes = [_value_of(key), _number(1, 100)]
        if shape != "insert":
            signature = tuple(parts)  # no literal in the parts: distinct parts are distinct templates
        if signature in seen:
            continue
        seen.add(signature)
        made.append(_Template(tuple(parts), tuple(holes), typical_ms=math.exp(r.gauss(0.0, 1.5))))
    return made


def generate(
    executions: int, *, templates: int = 5000, seed: int = 0, zipf: float = 1.1, comments: float = 0.05
) -> Iterator[Generated]:
    """``executions`` executions of ``templates`` templates (see the module documentation), reproducibly."""
    r = random.Random(seed)
    made = _templates(templates, seed)
    weights = list(itertools.accumulate(1.0 / (rank + 1) ** zipf for rank in range(len(made))))
    at = START
    batch = 4096
    for offset in range(0, executions, batch):
        for index in r.choices(range(len(made)), cum_weights=weights, k=min(batch, executions - offset)):
            template = made[index]
            sql = template.render(r)
            if r.random() < comments:
                sql = f"/* app=web request={r.randint(1, 10**9)} */ " + sql
            at += timedelta(microseconds=int(r.expovariate(1 / 80_000)))
            duration = round(template.typical_ms * math.exp(r.gauss(0.0, 0.5)), 3)
            yield Generated(index, sql, at, duration, r.randint(0, 100), "app", "shop", 4000 + index % 50)


def _lines(path: str | os.PathLike[str], chunks: Iterable[str]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.writelines(chunks)


def write_postgres_log(path: str | os.PathLike[str], runs: Iterable[Generated]) -> None:
    """A PostgreSQL stderr log of ``runs`` (``log_line_prefix`` :data:`POSTGRES_PREFIX`)."""

    def chunks() -> Iterator[str]:
        for run in runs:
            stamp = run.at.strftime("%Y-%m-%d %H:%M:%S.") + f"{run.at.microsecond // 1000:03d} UTC"
            sql = run.sql.replace("\n", "\n\t")
            prefix = f"{stamp} [{run.pid}] {run.user}@{run.database} "
            yield f"{prefix}LOG:  duration: {run.duration_ms:.3f} ms  statement: {sql}\n"

    _lines(path, chunks())


def write_mysql_slow_log(path: str | os.PathLike[str], runs: Iterable[Generated]) -> None:
    """A MySQL 8 slow query log of ``runs`` (``long_query_time = 0``)."""

    def chunks() -> Iterator[str]:
        yield "/usr/sbin/mysqld, Version: 8.0.36 (MySQL Community Server - GPL). started with:\n"
        yield "Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock\nTime                 Id Command    Argument\n"
        for run in runs:
            sql = run.sql.replace("''", "\\'")  # MySQL clients escape quotes with a backslash
            yield (
                f"# Time: {run.at.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}\n"
                f"# User@Host: {run.user}[{run.user}] @ localhost []  Id: {run.pid:5d}\n"
                f"# Query_time: {run.duration_ms / 1000:.6f}  Lock_time: 0.000002 Rows_sent: {run.rows}"
                f"  Rows_examined: {run.rows * 3}\n"
                f"SET timestamp={int(run.at.timestamp())};\n{sql};\n"
            )

    _lines(path, chunks())
