"""DuckDB JSON profiles (``PRAGMA enable_profiling='json'``) and ``EXPLAIN (FORMAT json)`` -> PlanGraph.

Three shapes are read:

- DuckDB 1.2+ / 2.x profiles: ``{"operator": [...], "query": {...}, "planner": {...}, ...}`` with
  operators ``{"name", "type", "timing", "intermediate_rows", "extra_info": {...}, "children"}``
  (older 1.x releases put the root's children, ``latency`` and ``rows_returned`` at the top level);
- DuckDB 0.10-1.1 profiles: ``{"query_name", "latency", "children": [...]}`` with operators
  ``{"operator_name", "operator_type", "operator_timing", "operator_cardinality", "extra_info"}`` where
  ``extra_info`` is text in the oldest releases;
- ``EXPLAIN (FORMAT json)``: a list of ``{"name", "children", "extra_info"}`` without timings.

DuckDB's operator timing is the time spent *in* the operator (seconds): it becomes ``exclusive_ms`` and
the inclusive time is derived. ``extra_info`` gives the table (``Table: memory.main.orders``), filters,
join conditions and the estimated cardinality; a scan's ``rows_scanned`` beyond the rows it returned
counts as removed by its filters.

>>> plan = parse_duckdb({"operator": [{"name": "SEQ_SCAN", "type": "TABLE_SCAN", "timing": 0.002,
...     "intermediate_rows": 40, "rows_scanned": 1000, "extra_info": {"Table": "memory.main.t",
...     "Filters": "(x > 5)", "Estimated Cardinality": "200"}}]})
>>> n = plan.root
>>> n.label, n.relation, n.exclusive_ms, n.est_rows, n.removed_share, n.est_direction
('SEQ_SCAN on t', 't', 2.0, 200.0, 0.96, 'over')
"""

from __future__ import annotations

from typing import Any

from sqltune.plans.errors import PlanError
from sqltune.plans.model import PlanGraph
from sqltune.plans.nodes import PlanNode
from sqltune.plans.vocabulary import duckdb_operator

__all__ = ["parse_duckdb"]

_NAME_KEYS = ("name", "operator_name", "operator_type", "type")
_TIME_KEYS = ("timing", "operator_timing")
_ROW_KEYS = ("intermediate_rows", "operator_cardinality", "cardinality")


def _extra(value: Any) -> dict[str, Any]:
    """``extra_info`` as a dict; old releases give ``Key: value`` lines (or bare lines) of text."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str) or not value.strip():
        return {}
    info: dict[str, Any] = {}
    bare: list[str] = []
    for line in value.splitlines():
        line = line.strip()
        if not line or set(line) <= {"-", "="} or line == "[INFOSEPARATOR]":
            continue
        key, sep, rest = line.partition(": ")
        if sep and key and len(key) < 40:
            info[key.strip()] = rest.strip()
        else:
            bare.append(line)
    if bare:
        info["_lines"] = bare
    return info


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _number(value: Any, key: str, where: str, path: str | None) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise PlanError(f"expected a number for {key!r}, got {value!r}", path=path, where=where)
    try:
        return float(str(value).lstrip("~").replace(",", ""))
    except ValueError:
        raise PlanError(f"expected a number for {key!r}, got {value!r}", path=path, where=where) from None


def _node(node_id: int, data: dict[str, Any], parent: int | None, where: str, path: str | None) -> PlanNode:
    name = next((str(data[k]) for k in _NAME_KEYS if data.get(k)), None)
    if name is None:
        raise PlanError("not a DuckDB operator: expected a 'name' or 'operator_name' key", path=path, where=where)
    engine_type = str(data.get("type") or data.get("operator_type") or name)
    operator, kind = duckdb_operator(engine_type if engine_type != "TABLE_SCAN" else name)
    if engine_type == "TABLE_SCAN" or name in ("SEQ_SCAN", "SEQ_SCAN "):
        kind = "scan"
    node = PlanNode(node_id, operator, name.strip(), kind, parent=parent, raw=data)
    info = _extra(data.get("extra_info"))
    table = info.get("Table")
    if table is None and kind == "scan" and info.get("_lines"):
        table = info["_lines"][0]  # DuckDB <= 1.0 printed the table name as the first line
    if table:
        parts = str(table).split(".")
        node.relation = node.alias = parts[-1]
        node.schema = ".".join(parts[:-1]) or None
    if info.get("Filters"):
        node.conditions["Filter"] = _text(info["Filters"])
    if info.get("Expression"):
        node.conditions["Filter"] = _text(info["Expression"])
    if info.get("Dynamic Filters"):
        node.conditions["Dynamic Filter"] = _text(info["Dynamic Filters"])
    if info.get("Conditions"):
        node.conditions["Join Cond"] = _text(info["Conditions"])
    if info.get("Join Type"):
        node.join_type = str(info["Join Type"]).capitalize()
    if info.get("Groups"):
        node.group_keys = [_text(info["Groups"])]
    if info.get("Order By"):
        node.sort_keys = [_text(info["Order By"])]
    projections = info.get("Projections")
    if projections:
        node.output = [str(p) for p in projections] if isinstance(projections, list) else [str(projections)]
    node.est_rows = _number(info.get("Estimated Cardinality", info.get("EC")), "Estimated Cardinality", where, path)
    timing = next((data[k] for k in _TIME_KEYS if k in data), None)
    seconds = _number(timing, "timing", where, path)
    if seconds is not None:
        node.exclusive_ms = seconds * 1000.0
    rows = next((data[k] for k in _ROW_KEYS if k in data), None)
    node.act_rows = _number(rows, "intermediate_rows", where, path)
    if node.act_rows is not None:
        node.act_loops = 1.0
    scanned = _number(data.get("rows_scanned"), "rows_scanned", where, path)
    if scanned is not None:
        node.details["rows_scanned"] = scanned
        if node.conditions and node.act_rows is not None and scanned > node.act_rows:
            node.rows_removed["Filter"] = scanned - node.act_rows
    for key in ("intermediate_size_bytes", "row_groups_scanned", "total_row_groups_to_scan", "cpu_time"):
        if key in data:
            node.details[key] = data[key]
    node.details["extra_info"] = {k: v for k, v in info.items() if k != "_lines"}
    return node


def parse_duckdb(data: Any, *, path: str | None = None) -> PlanGraph:
    """A :class:`PlanGraph` from a loaded DuckDB JSON profile or ``EXPLAIN (FORMAT json)`` plan."""
    profile = isinstance(data, dict)
    top: dict[str, Any] = data if isinstance(data, dict) else {}
    if isinstance(data, dict):
        if isinstance(data.get("operator"), list):
            roots, where = data["operator"], "$.operator"
        elif isinstance(data.get("children"), list) and not any(k in data for k in _NAME_KEYS):
            roots, where = data["children"], "$.children"
        elif any(k in data for k in _NAME_KEYS):
            roots, where = [data], "$"
            profile = any(k in data for k in _TIME_KEYS)
        else:
            raise PlanError(
                "not a DuckDB plan: expected an 'operator' or 'children' list of operators", path=path, where="$"
            )
    elif isinstance(data, list):
        roots, where = data, "$"
    else:
        raise PlanError("not a DuckDB plan: expected a JSON object or list", path=path, where="$")
    if not roots:
        raise PlanError("not a DuckDB plan: it lists no operators", path=path, where=where)
    nodes: list[PlanNode] = []
    stack: list[tuple[Any, int | None, str]] = []
    if len(roots) > 1:
        nodes.append(PlanNode(0, "Query", "Query", "other"))
        stack.extend((roots[i], 0, f"{where}[{i}]") for i in range(len(roots) - 1, -1, -1))
    else:
        stack.append((roots[0], None, f"{where}[0]"))
    while stack:
        item, parent, at = stack.pop()
        if not isinstance(item, dict):
            raise PlanError(f"expected an operator object, got {type(item).__name__}", path=path, where=at)
        node = _node(len(nodes), item, parent, at, path)
        nodes.append(node)
        children = item.get("children") or []
        if not isinstance(children, list):
            raise PlanError("expected a list for 'children'", path=path, where=at)
        stack.extend((children[i], node.id, f"{at}.children[{i}]") for i in range(len(children) - 1, -1, -1))
    query = top.get("query") if isinstance(top.get("query"), dict) else {}
    total = (query or {}).get("total_time", top.get("latency", top.get("result")))
    execution_ms = None
    if isinstance(total, int | float) and not isinstance(total, bool):
        execution_ms = float(total) * 1000.0
    planning = 0.0
    seen_planning = False
    for key in ("planner", "optimizer", "physical_planner"):
        section = top.get(key)
        if isinstance(section, dict) and isinstance(section.get("total_time"), int | float):
            planning += float(section["total_time"]) * 1000.0
            seen_planning = True
    details = {k: top[k] for k in ("io", "system") if isinstance(top.get(k), dict)}
    if query:
        details["query"] = {k: v for k, v in query.items() if k != "sql"}
    has_timing = any(node.exclusive_ms is not None for node in nodes)
    return PlanGraph.build(
        nodes,
        format="duckdb-profile" if profile and has_timing else "duckdb-explain-json",
        dialect="duckdb",
        time_basis="exclusive",
        execution_ms=execution_ms,
        planning_ms=planning if seen_planning else None,
        details=details,
        raw=data,
    )
