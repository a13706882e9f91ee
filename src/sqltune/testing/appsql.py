"""The corpus of application SQL (``fixtures/appsql/``): its cases, schemas, parameters and expectations.

A case is one statement as an ORM sends it (``sql`` with ``$n``, ``%s`` or ``?`` placeholders and the
``params`` a call bound), its ``dialect``, the ``schema`` it runs against (a key of :data:`SCHEMAS`), the
rewrite class it ``exercises`` and the expectation: ``expected`` (the rewritten SQL, or
``"no rewrite: <why>"``), ``applied`` and ``advised`` (rewrite ids). :func:`outcome` runs the rewrites;
:func:`update_expectations` writes the current outcomes into the files (``SQLTUNE_UPDATE_APPSQL=1`` in the
corpus test), keeping everything else of the file -- comments included -- as it is.

>>> bind('SELECT * FROM "t" WHERE "t"."a" = $2 AND b = $1 AND c = \\'$1\\'', [7, "x"], "postgres")
'SELECT * FROM "t" WHERE "t"."a" = \\'x\\' AND b = 7 AND c = \\'$1\\''
>>> bind("SELECT * FROM `t` WHERE a IN (?, ?) LIMIT ?", [True, None, 1], "mysql")
'SELECT * FROM `t` WHERE a IN (TRUE, NULL) LIMIT 1'
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from sqltune.core.sqlglot import parse_one
from sqltune.rewrites import rewrite
from sqltune.schema import Schema

__all__ = [
    "CLASSES",
    "CORPUS",
    "COUNTERPART",
    "SCHEMAS",
    "Case",
    "Outcome",
    "bind",
    "drop_mysql_world",
    "executable_ddl",
    "load_cases",
    "mysql_world",
    "outcome",
    "schema",
    "to_mysql",
    "update_expectations",
]

CORPUS = Path(__file__).resolve().parents[3] / "fixtures" / "appsql"

#: schema reference -> (file under fixtures/appsql/schemas, dialect)
SCHEMAS = {
    "rails-postgres": ("rails_structure.sql", "postgres"),
    "rails-mysql": ("rails_structure_mysql.sql", "mysql"),
    "django-postgres": ("django_postgres.sql", "postgres"),
    "django-mysql": ("django_mysql.sql", "mysql"),
}

#: A PostgreSQL schema and the MySQL one with the same tables and columns (portable cases run on both).
COUNTERPART = {"rails-postgres": "rails-mysql", "django-postgres": "django-mysql"}

#: The rewrite classes a case may exercise; ``none``: a control case that nothing should change.
CLASSES = {
    "join-elimination": "an inner or left join whose table is unused and matches one row, wherever it stands",
    "redundant-distinct": "DISTINCT over a select list that holds a key",
    "redundant-group-by": "GROUP BY a key with no aggregate over duplicates",
    "redundant-order-by": "ORDER BY under LIMIT when the WHERE pins a unique key; in IN subqueries, derived tables",
    "redundant-predicate": "a predicate implied by NOT NULL, keys or another conjunct",
    "self-subquery": "a subquery that re-reads the outer table by its key",
    "semi-join-to-join": "IN (SELECT ...) to an inner join when the inner side is unique; nested IN chains",
    "anti-join": "NOT IN / NOT (x IN ...) / LEFT JOIN ... IS NULL to NOT EXISTS, with its NULL conditions",
    "or-in-to-left-join": "fk IS NULL OR fk IN (SELECT key ...) to a LEFT JOIN",
    "in-to-join-count-distinct": "COUNT over IN (SELECT ...) to a join with COUNT(DISTINCT ...)",
    "distinct-join-to-semi-join": "DISTINCT that only undoes a to-many join's fan-out, to EXISTS",
    "none": "a control: the SQL is as it should be",
}

NO_REWRITE = "no rewrite: "
_PLACEHOLDER = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`|\$(\d+)|%s|\?""")


@dataclass(frozen=True)
class Case:
    path: Path
    fields: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.fields["name"])

    @property
    def id(self) -> str:
        return f"{self.path.stem}/{self.name}"

    @property
    def sql(self) -> str:
        return str(self.fields["sql"])

    @property
    def dialect(self) -> str:
        return str(self.fields["dialect"])

    @property
    def params(self) -> list[Any]:
        return list(self.fields.get("params", []))

    def bound(self, sql: str | None = None) -> str:
        """The statement (or a rewrite of it) with the sample parameters written in as literals."""
        return bind(self.sql if sql is None else sql, self.params, self.dialect)


@dataclass(frozen=True)
class Outcome:
    sql: str
    applied: list[str]
    advised: list[str]

    @property
    def changed(self) -> bool:
        return bool(self.applied)


def load_cases(folder: Path = CORPUS) -> list[Case]:
    cases = []
    for path in sorted(folder.glob("*.toml")):
        for fields in tomllib.loads(path.read_text(encoding="utf-8")).get("case", []):
            cases.append(Case(path, fields))
    return cases


@cache
def schema(ref: str) -> Schema:
    file, dialect = SCHEMAS[ref]
    return Schema.from_ddl((CORPUS / "schemas" / file).read_text(encoding="utf-8"), dialect=dialect)


def executable_ddl(ref: str) -> str:
    """The schema's DDL as a throwaway schema or database can run it: Rails' ``public.`` qualifiers and its
    closing ``SET search_path`` dropped (the tables go where the connection's search path points)."""
    file, _ = SCHEMAS[ref]
    text = (CORPUS / "schemas" / file).read_text(encoding="utf-8")
    if ref == "rails-postgres":
        text = re.sub(r"\bpublic\.", "", text)
        text = "\n".join(line for line in text.splitlines() if not line.startswith("SET search_path"))
    return text


def mysql_world(address: dict[str, Any], ref: str, rows: int) -> Any:
    """A new database of the MariaDB at ``address`` with the schema ``ref`` and generated rows
    (``sqltune.testing.appdata``): a PyMySQL connection using it (multi-statements on)."""
    import uuid

    import pymysql
    from pymysql.constants import CLIENT

    from sqltune.testing.appdata import generate, load_mysql

    name = f"app_{ref.replace('-', '_')}_{rows}_{uuid.uuid4().hex[:8]}"
    connection = pymysql.connect(
        host=address["host"], port=address["port"], user=address["user"], password=address["password"],
        client_flag=CLIENT.MULTI_STATEMENTS,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
        cursor.execute(f"USE {name}")
        cursor.execute(executable_ddl(ref))
        while cursor.nextset():
            pass
    load_mysql(connection, generate(schema(ref), rows))
    return connection


def drop_mysql_world(connection: Any) -> None:
    """Drop the database a :func:`mysql_world` connection uses, and close it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT DATABASE()")
        (name,) = cursor.fetchone()
        cursor.execute(f"DROP DATABASE {name}")
    connection.close()


def literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return f"'{value.isoformat(sep=' ') if isinstance(value, dt.datetime) else value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def bind(sql: str, params: list[Any], dialect: str) -> str:
    """``sql`` with its placeholders (``$n``; ``%s`` and ``?`` in order) replaced by ``params`` as literals;
    quoted strings and names are left alone."""
    position = iter(range(len(params)))

    def replace(match: re.Match[str]) -> str:
        text = match.group(0)
        if text[0] in "'\"`":
            return text
        index = int(match.group(1)) - 1 if match.group(1) else next(position)
        return literal(params[index])

    return _PLACEHOLDER.sub(replace, sql)


def to_mysql(sql: str) -> str:
    """A PostgreSQL statement printed in the MySQL dialect (for the portable cases' run on MariaDB)."""
    return str(parse_one(sql, "postgres").sql(dialect="mysql"))


def outcome(case: Case) -> Outcome:
    """What the rewrites do to the case now: the output SQL and the ids applied and advised."""
    report = rewrite(case.sql, dialect=case.dialect, schema=schema(str(case.fields["schema"])))
    if report.problems:
        raise ValueError(f"{case.id}: {report.problems}")
    applied = sorted({change.rewrite for change in report.applied})
    advised = sorted({change.rewrite for change in report.advised})
    return Outcome(report.sql, applied, advised)


def expectation(case: Case, now: Outcome) -> dict[str, Any]:
    """The fields an update writes for ``case``: a kept reason when it is still not rewritten."""
    if now.changed:
        expected = now.sql
    else:
        old = str(case.fields.get("expected", ""))
        if old.startswith(NO_REWRITE):
            expected = old
        elif case.fields.get("exercises") == "none":
            expected = NO_REWRITE + str(case.fields.get("note", "nothing to change"))
        else:
            expected = NO_REWRITE + f"{case.fields.get('exercises')} is not proven here (yet)"
    return {"expected": expected, "applied": now.applied, "advised": now.advised}


def _toml(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def update_expectations(cases: list[Case]) -> int:
    """Write each case's current outcome into its file (``expected``, ``applied``, ``advised``, replacing
    those lines, or added at the end of the case); the number of cases whose fields changed."""
    changed = 0
    for path in sorted({case.path for case in cases}):
        mine = {case.name: case for case in cases if case.path == path}
        blocks = re.split(r"(?m)^(?=\[\[case\]\]\s*$)", path.read_text(encoding="utf-8"))
        out = [blocks[0]]
        for block in blocks[1:]:
            found = re.search(r'(?m)^name = "([^"]+)"', block)
            case = mine.get(found.group(1)) if found else None
            if case is None:
                out.append(block)
                continue
            fields = expectation(case, outcome(case))
            changed += any(case.fields.get(key) != value for key, value in fields.items())
            lines = [line for line in block.rstrip("\n").split("\n") if line.split(" = ")[0] not in fields]
            lines += [f"{key} = {_toml(value)}" for key, value in fields.items()]
            trailing = "\n\n" if block.endswith("\n\n") else "\n"
            out.append("\n".join(lines) + trailing)
        path.write_text("".join(out), encoding="utf-8")
    return changed
