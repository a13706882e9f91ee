"""The Schema built from DDL: keys, indexes and constraints in the spellings of several dialects."""

from __future__ import annotations

import pytest

from sqltune.schema import Schema, SchemaError, Table


def table(ddl: str, name: str, dialect: str = "postgres") -> Table:
    found = Schema.from_ddl(ddl, dialect).table(name)
    assert found is not None, f"{name} not defined by:\n{ddl}"
    return found


def index_summary(t: Table) -> list[tuple[str, tuple[str, ...], bool, str]]:
    return [(i.name, i.columns, i.unique, i.method) for i in t.indexes]


def test_postgres_keys_columns_and_nullability() -> None:
    t = table(
        """
        CREATE TABLE orders (
            id bigint GENERATED ALWAYS AS IDENTITY,
            customer_id bigint NOT NULL REFERENCES customers (id),
            code text UNIQUE,
            region text,
            placed_at timestamptz DEFAULT now(),
            CONSTRAINT orders_pkey PRIMARY KEY (id),
            CONSTRAINT orders_region_code UNIQUE (region, code)
        )
        """,
        "orders",
    )
    assert list(t.columns) == ["id", "customer_id", "code", "region", "placed_at"]
    assert t.primary_key == ("id",)
    assert t.unique_keys == [("code",), ("region", "code")]
    assert [(fk.columns, fk.ref_table, fk.ref_columns) for fk in t.foreign_keys] == [
        (("customer_id",), "customers", ("id",))
    ]
    id_column, placed = t.column("id"), t.column("placed_at")
    assert id_column is not None and id_column.identity and not id_column.nullable
    assert placed is not None and placed.nullable and placed.default is not None
    assert t.is_unique(["region", "code", "placed_at"]) and not t.is_unique(["region"])


def test_alter_table_and_create_index_apply_to_the_table() -> None:
    t = table(
        """
        CREATE TABLE t (id int, a int, b text);
        ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY (id);
        ALTER TABLE t ADD COLUMN c int;
        ALTER TABLE t ADD CONSTRAINT t_a_fk FOREIGN KEY (a) REFERENCES other (id);
        CREATE UNIQUE INDEX t_lower_b ON t (lower(b)) WHERE a IS NOT NULL;
        CREATE INDEX t_a_c ON t USING hash (a);
        CREATE INDEX ON t (a DESC, c) INCLUDE (b);
        """,
        "t",
    )
    assert t.primary_key == ("id",) and "c" in t.columns
    assert [fk.ref_table for fk in t.foreign_keys] == ["other"]
    lower, hashed, unnamed = t.indexes
    assert (lower.columns, lower.unique, lower.where) == (("LOWER(b)",), True, "a IS NOT NULL")
    assert hashed.method == "hash"
    assert (unnamed.name, unnamed.columns, unnamed.include) == ("t_a_c_idx", ("a", "c"), ("b",))
    assert all(index.origin is not None for index in t.indexes)


def test_pg_dump_style_qualified_names_find_an_unqualified_table() -> None:
    t = table(
        """
        CREATE TABLE t (id int, b text);
        ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id);
        CREATE INDEX CONCURRENTLY IF NOT EXISTS t_b ON public.t USING gin (b gin_trgm_ops);
        """,
        "t",
    )
    assert t.primary_key == ("id",)
    assert index_summary(t) == [("t_b", ("b gin_trgm_ops",), False, "gin")]


def test_a_qualifier_never_reaches_a_table_of_another_schema() -> None:
    schema = Schema.from_ddl("CREATE TABLE sales.t (id int); CREATE INDEX t_id ON archive.t (id);", "postgres")
    sales = schema.table("sales.t")
    assert sales is not None and sales.indexes == []


def test_mysql_inline_keys_become_indexes() -> None:
    t = table(
        """
        CREATE TABLE t (
            id INT NOT NULL AUTO_INCREMENT,
            a INT, b INT, body TEXT,
            PRIMARY KEY (id),
            KEY ix_a (a),
            INDEX ix_a_b USING BTREE (a, b),
            UNIQUE KEY ux_b (b),
            FULLTEXT KEY ft_body (body),
            CONSTRAINT fk_a FOREIGN KEY (a) REFERENCES other (id)
        ) ENGINE=InnoDB;
        ALTER TABLE t ADD INDEX ix_b (b);
        """,
        "t",
        "mysql",
    )
    assert t.primary_key == ("id",) and t.unique_keys == [("b",)]
    assert index_summary(t) == [
        ("ix_a", ("a",), False, "btree"),
        ("ix_a_b", ("a", "b"), False, "btree"),
        ("ft_body", ("body",), False, "fulltext"),
        ("ix_b", ("b",), False, "btree"),
    ]
    assert [fk.columns for fk in t.foreign_keys] == [("a",)]


def test_tsql_clustered_keys_and_index_kinds() -> None:
    t = table(
        """
        CREATE TABLE dbo.t (id INT NOT NULL, a INT, b INT,
            CONSTRAINT pk_t PRIMARY KEY CLUSTERED (id),
            CONSTRAINT uq_t UNIQUE NONCLUSTERED (a, b));
        CREATE NONCLUSTERED INDEX ix_t_b ON dbo.t (b) INCLUDE (a) WHERE b > 0;
        """,
        "dbo.t",
        "tsql",
    )
    assert t.primary_key == ("id",) and t.unique_keys == [("a", "b")]
    [index] = t.indexes
    assert (index.name, index.columns, index.include, index.where) == ("ix_t_b", ("b",), ("a",), "b > 0")
    column = t.column("id")
    assert column is not None and not column.nullable


def test_create_table_as_select_has_no_known_columns() -> None:
    t = table("CREATE TABLE recent AS SELECT * FROM orders WHERE placed_at > now() - interval '1 day'", "recent")
    assert t.columns == {} and t.origin is not None


def test_effective_indexes_add_key_indexes() -> None:
    t = table("CREATE TABLE t (id int PRIMARY KEY, email text UNIQUE, a int); CREATE INDEX t_a ON t (a)", "t")
    assert [(i.name, i.primary, i.unique) for i in t.effective_indexes()] == [
        ("t_a", False, False),
        ("t_pkey", True, True),
        ("t_email_key", False, True),
    ]


def test_bad_ddl_names_file_line_and_column() -> None:
    with pytest.raises(SchemaError) as raised:
        Schema.from_ddl("CREATE TABLE ok (id int);\nCREATE TABLE broken (id int name text);", "postgres", "s.sql")
    message = str(raised.value)
    assert message == "s.sql:2:29: syntax error: expected ')' before 'name'"
    assert "\n" not in message


def test_named_column_level_primary_key() -> None:
    t = table("CREATE TABLE t (id int CONSTRAINT t_pk PRIMARY KEY, b int)", "t")
    assert t.primary_key == ("id",)
