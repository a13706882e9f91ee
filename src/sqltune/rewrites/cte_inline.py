"""RW013 cte-inlining: inline a CTE used once; advise ``NOT MATERIALIZED`` for one used several times.

Whether a CTE is an optimization fence depends on the engine and its version. PostgreSQL before 12
materializes every CTE: filters of the outer query are not pushed into it and its indexes are not used
through it. From 12 on it inlines a CTE that is referenced once (unless written ``AS MATERIALIZED``) and
materializes one referenced several times unless written ``AS NOT MATERIALIZED``. So:

- a non-recursive CTE referenced once becomes a derived table -- APPLIED: it is the same query on every
  version, lets PostgreSQL < 12 (and engines that materialize CTEs) optimize it with the outer query, and
  changes nothing where the planner inlines it anyway. An explicit ``AS MATERIALIZED`` is left alone, and so
  is a body with a volatile function (inlining could change how often it runs);
- on PostgreSQL, a CTE referenced several times by queries that filter it is advised ``AS NOT
  MATERIALIZED`` (PostgreSQL >= 12 only), so that each reference can use the filter.

>>> from sqltune.rewrites.base import show
>>> show(cte_inlining, "WITH big AS (SELECT * FROM orders WHERE total > 100) SELECT id FROM big WHERE id = 7")
APPLIED: SELECT id FROM (SELECT * FROM orders WHERE total > 100) AS big WHERE id = 7
>>> show(cte_inlining, "WITH b AS (SELECT id, k FROM t) SELECT * FROM b AS x JOIN b AS y ON x.id = y.k WHERE x.k = 1")
ADVISED: WITH b AS NOT MATERIALIZED (SELECT id, k FROM t) SELECT * FROM b AS x JOIN b AS y ON x.id =
    y.k WHERE x.k = 1
  if: the server runs PostgreSQL 12 or later (older versions reject NOT MATERIALIZED)
  if: computing b once per reference, with each reference's filters, costs less than materializing
      it once
"""

from __future__ import annotations

from collections.abc import Callable

from sqltune.core.sqlglot import exp
from sqltune.rewrites._analysis import cte_bodies, is_deterministic
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site
from sqltune.rewrites.conditions import benefit, server_version
from sqltune.schema import Schema, fold

__all__ = ["REWRITE", "cte_inlining"]

#: Dialects whose derived tables accept a column alias list: ``(SELECT ...) AS s(a, b)``.
_ALIAS_COLUMNS = {"postgres", "duckdb", "snowflake", "redshift", "trino", "presto", "spark", "databricks", "tsql"}


def _references(tree: exp.Expression, cte: exp.CTE) -> list[exp.Table]:
    name = fold(cte.alias)
    return [
        table
        for table in tree.root().find_all(exp.Table)
        if not table.args.get("db") and fold(table.name) == name and cte_bodies(table).get(name) is cte
    ]


def _rationale(dialect: str | None) -> str:
    if (dialect or "").lower() in {"postgres", "postgresql"}:
        return (
            "PostgreSQL before 12 materializes every CTE, so outer filters and indexes cannot reach into it; as a "
            "derived table the planner optimizes it with the outer query (from 12 on the planner inlines a "
            "single-use CTE itself, so there the change is neutral)"
        )
    return (
        "engines that materialize CTEs evaluate the whole CTE before the outer query filters it; as a derived "
        "table the optimizer can push the outer filters into it"
    )


def _sites(tree: exp.Expression, dialect: str | None) -> list[Site]:
    sites: list[Site] = []
    postgres = (dialect or "").lower() in {"postgres", "postgresql"}
    for with_ in tree.find_all(exp.With):
        if with_.args.get("recursive"):
            continue
        for cte in with_.expressions:
            body = cte.this
            if not isinstance(body, exp.Query) or not is_deterministic(body) or cte.args.get("materialized"):
                continue
            references = _references(tree, cte)
            alias_columns = cte.args["alias"].columns if isinstance(cte.args.get("alias"), exp.TableAlias) else []
            if len(references) == 1:
                if alias_columns and (dialect or "").lower() not in _ALIAS_COLUMNS:
                    continue
                sites.append(Site(_inline(with_, cte, references[0]), _rationale(dialect)))
            elif (
                len(references) > 1
                and postgres
                and cte.args.get("materialized") is None
                and any(_filtered(reference) for reference in references)
            ):
                # Proven safe on PostgreSQL 12+; only whether it pays off is unknown: the verified mode
                # checks the version and measures it.
                checks = (
                    server_version(
                        "the server runs PostgreSQL 12 or later (older versions reject NOT MATERIALIZED)", 120000
                    ),
                    benefit(
                        f"computing {cte.alias} once per reference, with each reference's filters, costs less than "
                        "materializing it once"
                    ),
                )
                rationale = (
                    f"PostgreSQL materializes {cte.alias} because it is referenced {len(references)} times; NOT "
                    "MATERIALIZED lets each reference push its own filters into it"
                )
                conditions = tuple(check.text for check in checks)
                sites.append(Site(_not_materialized(cte), rationale, conditions, checks=checks))
    return sites


def _filtered(reference: exp.Table) -> bool:
    select = reference.parent
    while select is not None and not isinstance(select, exp.Select):
        select = select.parent
    return select is not None and isinstance(select.args.get("where"), exp.Where)


def _inline(with_: exp.With, cte: exp.CTE, reference: exp.Table) -> Callable[[], None]:
    def apply() -> None:
        alias = reference.args.get("alias")
        name = alias.this.copy() if isinstance(alias, exp.TableAlias) and alias.this else exp.to_identifier(cte.alias)
        columns = (
            [c.copy() for c in cte.args["alias"].columns] if isinstance(cte.args.get("alias"), exp.TableAlias) else []
        )
        derived = exp.Subquery(this=cte.this.copy(), alias=exp.TableAlias(this=name, columns=columns or None))
        reference.replace(derived)
        remaining = [other for other in with_.expressions if other is not cte]
        if remaining:
            with_.set("expressions", remaining)
        else:
            with_.pop()

    return apply


def _not_materialized(cte: exp.CTE) -> Callable[[], None]:
    def apply() -> None:
        cte.set("materialized", False)

    return apply


def cte_inlining(expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
    """Inline one single-use CTE as a derived table, or advise NOT MATERIALIZED for a shared, filtered one."""
    return best_site(REWRITE.id, expression, lambda tree: _sites(tree, dialect))


REWRITE = Rewrite(
    "RW013",
    "cte-inlining",
    "single-use CTEs become derived tables; NOT MATERIALIZED advice for shared ones",
    cte_inlining,
    data_dependent=True,  # materializing once or computing per reference: only the data can tell
)
