"""What a star design is written as: DDL (:mod:`.ddl`), a dbt project (:mod:`.dbt`), ER diagrams
(:mod:`.diagram`), the rewritten queries and JSON (:func:`write_outputs` puts them all in one folder).

Layout of the folder::

    design.json              the design, its evidence, the bus matrix and the coverage
    ddl/postgres.sql         CREATE TABLE statements
    ddl/snowflake.sql
    diagrams/star.mmd        Mermaid erDiagram
    diagrams/star.dot        Graphviz
    queries/<template>.sql   each answered workload query, rewritten against the star
    dbt/                     the dbt project (dbt_project.yml, models/, snapshots/, tests/)
"""

from __future__ import annotations

import json
from pathlib import Path

from sqltune.design.emit.dbt import dbt_project
from sqltune.design.emit.ddl import ddl
from sqltune.design.emit.diagram import dot, mermaid
from sqltune.design.model import StarDesign
from sqltune.design.rewrite import Coverage
from sqltune.schema import Schema

__all__ = ["dbt_project", "ddl", "design_json", "dot", "mermaid", "output_files", "write_outputs"]


def design_json(design: StarDesign, coverage: Coverage | None = None) -> dict[str, object]:
    data: dict[str, object] = design.to_dict()
    if coverage is not None:
        data["coverage"] = coverage.to_dict()
    return data


def output_files(design: StarDesign, schema: Schema, coverage: Coverage | None = None) -> dict[str, str]:
    """Every output file, by path relative to the output folder."""
    files = {
        "design.json": json.dumps(design_json(design, coverage), indent=2) + "\n",
        "ddl/postgres.sql": ddl(design, "postgres"),
        "ddl/snowflake.sql": ddl(design, "snowflake"),
        "diagrams/star.mmd": mermaid(design),
        "diagrams/star.dot": dot(design),
    }
    for query in coverage.answered if coverage is not None else []:
        name = query.template.removesuffix(".sql")
        files[f"queries/{name}.sql"] = (
            f"-- {query.template}: joins {query.joins_before} -> {query.joins_after}\n{query.rewritten};\n"
        )
    files.update({f"dbt/{path}": text for path, text in dbt_project(design, schema).items()})
    return files


def write_outputs(design: StarDesign, schema: Schema, out: str | Path, coverage: Coverage | None = None) -> list[Path]:
    """Write :func:`output_files` under ``out``; the paths written."""
    written = []
    for relative, text in output_files(design, schema, coverage).items():
        path = Path(out) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
