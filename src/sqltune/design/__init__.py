"""The star-schema designer: dimensional models proposed from a schema and how its workload queries it.

- :mod:`~sqltune.design.relationships`: many-to-one relationships, declared, inferred and checked;
- :mod:`~sqltune.design.model`: :class:`StarDesign` and its facts, measures, dimensions, bridges, choices;
- :mod:`~sqltune.design.designer`: the design (:func:`design_star`);
- :mod:`~sqltune.design.rewrite`: workload queries rewritten onto the star, and the coverage;
- :mod:`~sqltune.design.joins`: a SELECT's FROM clause, when a table may fold across its joins, and rebuilt;
- :mod:`~sqltune.design.emit`: DDL, the dbt project, diagrams, JSON;
- :mod:`~sqltune.design.ports`: what a live connection provides (sampled checks).

>>> from sqltune.schema import Schema
>>> from sqltune.workload import Execution, Workload
>>> schema = Schema.from_ddl(
...     "CREATE TABLE store (id int PRIMARY KEY, city text NOT NULL);"
...     "CREATE TABLE sale (id int PRIMARY KEY, store_id int NOT NULL REFERENCES store (id), amount numeric)")
>>> workload = Workload("postgres")
>>> _ = workload.add(Execution("SELECT s.city, sum(x.amount) FROM sale x JOIN store s ON x.store_id = s.id GROUP BY 1"))
>>> result = design_star_schema(schema, workload)
>>> [f.name for f in result.design.facts], [d.name for d in result.design.dimensions], result.coverage.share
(['fct_sale'], ['dim_store'], 1.0)
>>> print(result.coverage.queries[0].rewritten.replace(" FROM", "\\nFROM"))
SELECT s.city AS city, SUM(x.amount) AS _col_1
FROM fct_sale AS x JOIN dim_store AS s ON x.store_key = s.store_key GROUP BY s.city
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqltune.core.display import Displayable
from sqltune.design.designer import design_star
from sqltune.design.model import Bridge, Choice, Dimension, DimensionRole, Fact, Measure, StarColumn, StarDesign
from sqltune.design.ports import DesignConnection
from sqltune.design.relationships import Relationship, Relationships, find_relationships
from sqltune.design.rewrite import (
    Coverage,
    NotAnswered,
    RewrittenQuery,
    Unplaced,
    rewrite_query,
    rewrite_workload,
)
from sqltune.schema import Schema
from sqltune.workload import Workload

__all__ = [
    "Bridge",
    "Choice",
    "Coverage",
    "DesignConnection",
    "DesignResult",
    "Dimension",
    "DimensionRole",
    "Fact",
    "Measure",
    "NotAnswered",
    "Relationship",
    "Relationships",
    "RewrittenQuery",
    "StarColumn",
    "StarDesign",
    "Unplaced",
    "design_star",
    "design_star_schema",
    "find_relationships",
    "rewrite_query",
    "rewrite_workload",
]


@dataclass(slots=True)
class DesignResult(Displayable):
    """The design and how much of the workload it answers."""

    design: StarDesign
    coverage: Coverage

    def to_dict(self) -> dict[str, Any]:
        return {**self.design.to_dict(), "coverage": self.coverage.to_dict()}


def design_star_schema(schema: Schema, workload: Workload, connection: DesignConnection | None = None) -> DesignResult:
    """Propose a star schema for ``workload`` over ``schema`` and rewrite the workload onto it."""
    design = design_star(schema, workload, connection)
    return DesignResult(design, rewrite_workload(design, schema, workload))
