"""The star design: facts, measures, dimensions, bridges, and the reasons behind each.

A :class:`StarDesign` is plain data: the designer (:mod:`sqltune.design.designer`) fills it, the emitters
(:mod:`sqltune.design.emit`) turn it into DDL, a dbt project, diagrams and JSON, and the rewriter
(:mod:`sqltune.design.rewrite`) maps workload queries onto it. Every choice carries a :class:`Choice`: the
evidence (templates and statistics) and a confidence between 0 and 1.

Columns of the star keep their source names where they are unique in their star table (``l_quantity``),
so that the rewritten queries read like the originals; a column folded from a snowflaked parent is named
after its path (``c_nation_name``, ``c_region_name``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqltune.core.display import Displayable

__all__ = [
    "Bridge",
    "Choice",
    "Dimension",
    "DimensionRole",
    "Fact",
    "FoldedJoin",
    "Measure",
    "StarColumn",
    "StarDesign",
]


#: A to-one join folded into a star table: (child table, its columns, parent table, the parent's columns).
FoldedJoin = tuple[str, tuple[str, ...], str, tuple[str, ...]]


def _joins_to_dict(joins: list[FoldedJoin]) -> list[dict[str, Any]]:
    return [{"child": c, "columns": list(cc), "parent": p, "parent_columns": list(pc)} for c, cc, p, pc in joins]


@dataclass(slots=True)
class Choice:
    """Why: what the workload and the schema showed, which templates, and how sure the designer is."""

    reason: str
    confidence: float = 0.5
    evidence: list[str] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "confidence": round(self.confidence, 3),
            "evidence": self.evidence,
            "templates": sorted(set(self.templates)),
        }


@dataclass(slots=True)
class StarColumn:
    """A column of a star table and where it comes from (``source_table.source_column``)."""

    name: str
    source_table: str
    source_column: str
    type: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "source": f"{self.source_table}.{self.source_column}", "type": self.type}


@dataclass(slots=True)
class Measure:
    column: StarColumn
    additivity: str  # "additive", "semi-additive", "non-additive"
    aggregates: list[str]  # the functions the workload applies ("sum", "avg", "sum(expression)", ...)
    stored_as: list[str]  # the additive components to store: ["sum"], or ["sum", "count"] for an average
    why: Choice

    @property
    def name(self) -> str:
        return self.column.name

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.column.to_dict(),
            "additivity": self.additivity,
            "aggregates": self.aggregates,
            "stored_as": self.stored_as,
            "why": self.why.to_dict(),
        }


@dataclass(slots=True)
class DimensionRole:
    """A fact's reference to a dimension: ``fact.key`` = ``dimension.key``, in a role (``ship_date``)."""

    dimension: str
    role: str
    key: str  # the fact's foreign-key column (a surrogate key)
    natural: tuple[str, ...]  # the fact's natural columns it is computed from
    why: Choice

    def to_dict(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension,
            "role": self.role,
            "key": self.key,
            "natural": list(self.natural),
            "why": self.why.to_dict(),
        }


@dataclass(slots=True)
class Fact:
    name: str  # "fct_lineitem"
    table: str  # the source table at the fact's grain
    grain: tuple[str, ...]  # the source key of one row
    sources: list[str]  # the table at the grain, then the to-one tables folded into it
    joins: list[FoldedJoin]  # the to-one joins folded into the fact
    columns: list[StarColumn]  # every column the fact carries (degenerate, measures, natural keys, dates)
    measures: list[Measure] = field(default_factory=list)
    degenerate: list[str] = field(default_factory=list)
    dimensions: list[DimensionRole] = field(default_factory=list)
    why: Choice = field(default_factory=lambda: Choice(""))
    header_of: str | None = None  # the line fact whose header this fact keeps at its own grain (drill-across)

    def column(self, name: str) -> StarColumn | None:
        return next((c for c in self.columns if c.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "table": self.table,
            "header_of": self.header_of,
            "grain": list(self.grain),
            "sources": self.sources,
            "joins": _joins_to_dict(self.joins),
            "columns": [c.to_dict() for c in self.columns],
            "measures": [m.to_dict() for m in self.measures],
            "degenerate": self.degenerate,
            "dimensions": [d.to_dict() for d in self.dimensions],
            "why": self.why.to_dict(),
        }


@dataclass(slots=True)
class Dimension:
    name: str  # "dim_customer"
    kind: str  # "regular", "date", "junk"
    table: str | None  # the source root (None for the generated date dimension)
    natural_key: tuple[str, ...]
    surrogate_key: str
    columns: list[StarColumn]
    folded: list[FoldedJoin] = field(default_factory=list)  # the snowflake flattened into it
    hierarchies: list[list[str]] = field(default_factory=list)  # coarsest level first
    roles: list[str] = field(default_factory=list)  # role-playing names ("order_date", "ship_date")
    scd_type: int = 1
    scd: Choice = field(default_factory=lambda: Choice(""))
    why: Choice = field(default_factory=lambda: Choice(""))

    def column(self, name: str) -> StarColumn | None:
        return next((c for c in self.columns if c.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "table": self.table,
            "natural_key": list(self.natural_key),
            "surrogate_key": self.surrogate_key,
            "columns": [c.to_dict() for c in self.columns],
            "folded": _joins_to_dict(self.folded),
            "hierarchies": self.hierarchies,
            "roles": self.roles,
            "scd_type": self.scd_type,
            "scd": self.scd.to_dict(),
            "why": self.why.to_dict(),
        }


@dataclass(slots=True)
class Bridge:
    """A many-to-many association kept as its own table between a dimension and a group dimension."""

    name: str
    table: str
    keys: list[tuple[tuple[str, ...], str, tuple[str, ...]]]  # (columns, parent table, parent columns)
    columns: list[StarColumn]
    why: Choice

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "table": self.table,
            "keys": [{"columns": list(c), "parent": p, "parent_columns": list(pc)} for c, p, pc in self.keys],
            "columns": [c.to_dict() for c in self.columns],
            "why": self.why.to_dict(),
        }


@dataclass(slots=True)
class StarDesign(Displayable):
    facts: list[Fact] = field(default_factory=list)
    dimensions: list[Dimension] = field(default_factory=list)
    bridges: list[Bridge] = field(default_factory=list)
    excluded: dict[str, Choice] = field(default_factory=dict)  # table -> why it is in no fact
    relationships: list[Any] = field(default_factory=list)  # sqltune.design.relationships.Relationship
    oltp_templates: list[str] = field(default_factory=list)  # templates the sources keep serving (not the star)
    dialect: str | None = None

    def fact(self, name: str) -> Fact | None:
        return next((f for f in self.facts if f.name == name or f.table == name), None)

    def dimension(self, name: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.name == name or (d.table is not None and d.table == name)), None)

    def bus_matrix(self) -> dict[str, dict[str, list[str]]]:
        """Fact -> dimension -> the roles it plays there (the Kimball bus matrix)."""
        return {
            fact.name: {
                dimension.name: [r.role for r in fact.dimensions if r.dimension == dimension.name]
                for dimension in self.dimensions
                if any(r.dimension == dimension.name for r in fact.dimensions)
            }
            for fact in self.facts
        }

    def conformed(self) -> list[str]:
        """Dimensions shared by more than one fact."""
        return [
            d.name
            for d in self.dimensions
            if sum(any(r.dimension == d.name for r in f.dimensions) for f in self.facts) > 1
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "sqltune-star-design",
            "facts": [f.to_dict() for f in self.facts],
            "dimensions": [d.to_dict() for d in self.dimensions],
            "bridges": [b.to_dict() for b in self.bridges],
            "conformed": self.conformed(),
            "bus_matrix": self.bus_matrix(),
            "excluded": {t: c.to_dict() for t, c in sorted(self.excluded.items())},
            "relationships": [r.to_dict() for r in self.relationships],
            "oltp_templates": self.oltp_templates,
        }
