"""MySQL / MariaDB ``EXPLAIN FORMAT=JSON`` and MariaDB ``ANALYZE FORMAT=JSON`` -> PlanGraph.

The JSON is a tree of *operations* (``query_block``, ``ordering_operation``, ``grouping_operation``,
``duplicates_removal``, ``nested_loop``, ``union_result``, MariaDB's ``filesort``, ``temporary_table``,
``block-nl-join``) ending in ``table`` objects; subqueries hang from ``attached_subqueries``,
``materialized_from_subquery`` (MariaDB: ``materialized``, ``subqueries``) and friends. Each operation
becomes a node; a ``nested_loop`` with one table is not a node of its own.

``table_name`` is the alias when the query gave one (MySQL prints aliases there), so a table node's
``relation`` and ``alias`` both hold it. Estimated rows are ``rows_examined_per_scan`` (MariaDB: ``rows``)
times ``filtered``%, i.e. rows *produced* per scan, the same meaning PostgreSQL's ``Plan Rows`` has;
MariaDB's ``r_rows`` x ``r_filtered``% gives the actual ones, and the filtered-out remainder becomes
``rows_removed["Filter"]``. MariaDB's ``r_table_time_ms`` + ``r_other_time_ms`` is a table's own time;
``query_block.r_total_time_ms`` is inclusive.

>>> plan = parse_mysql_json({"query_block": {"select_id": 1, "cost_info": {"query_cost": "3.20"},
...     "table": {"table_name": "t", "access_type": "ALL", "rows_examined_per_scan": 10, "filtered": "10.00",
...     "attached_condition": "(t.a = 1)"}}})
>>> [n.label for n in plan], plan[1].est_rows, plan[1].conditions, plan.total_cost
(['query_block #1', 'ALL on t'], 1.0, {'Filter': '(t.a = 1)'}, 3.2)
"""

from __future__ import annotations

from typing import Any

from sqltune.plans.errors import PlanError
from sqltune.plans.model import PlanGraph
from sqltune.plans.nodes import PlanNode
from sqltune.plans.vocabulary import mysql_access

__all__ = ["parse_mysql_json"]

# Operation key -> (normalised operator, kind).
_OPERATIONS = {
    "ordering_operation": ("Sort", "sort"),
    "grouping_operation": ("Aggregate", "aggregate"),
    "duplicates_removal": ("Unique", "other"),
    "windowing": ("WindowAgg", "aggregate"),
    "buffer_result": ("Materialize", "other"),
    "filesort": ("Sort", "sort"),
    "temporary_table": ("Materialize", "other"),
    "union_result": ("Append", "other"),
}
_SUBQUERY_LISTS = (
    "attached_subqueries",
    "optimized_away_subqueries",
    "select_list_subqueries",
    "having_subqueries",
    "order_by_subqueries",
    "group_by_subqueries",
    "update_value_subqueries",
    "subqueries",
    "query_specifications",
)
_CONDITIONS = {
    "attached_condition": "Filter",
    "index_condition": "Index Cond",
    "having_condition": "Having",
    "const_condition": "One-Time Filter",
    "outer_ref_condition": "Outer Ref Filter",
    "pushed_index_condition": "Index Cond",
}


def _float(value: Any, key: str, where: str, path: str | None) -> float | None:
    """MySQL prints costs and percentages as strings ("12.50"); MariaDB as numbers."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise PlanError(f"expected a number for {key!r}, got {value!r}", path=path, where=where)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise PlanError(f"expected a number for {key!r}, got {value!r}", path=path, where=where) from None


class _Builder:
    def __init__(self, path: str | None) -> None:
        self.path = path
        self.nodes: list[PlanNode] = []
        self.analyzed = False

    def add(self, node: PlanNode) -> PlanNode:
        node.id = len(self.nodes)
        self.nodes.append(node)
        return node

    def number(self, data: dict[str, Any], key: str, where: str) -> float | None:
        return _float(data.get(key), key, where, self.path)

    # -- operations ------------------------------------------------------------------------------------
    def query_block(self, data: Any, parent: int | None, where: str, label: str | None = None) -> None:
        if not isinstance(data, dict):
            raise PlanError("expected an object for 'query_block'", path=self.path, where=where)
        select_id = data.get("select_id")
        original = f"query_block #{select_id}" if select_id is not None else "query_block"
        node = self.add(PlanNode(0, "Query Block", original, "other", parent=parent, raw=data))
        node.subplan_name = label
        cost = data.get("cost_info")
        if isinstance(cost, dict) and "query_cost" in cost:
            node.est_total_cost = _float(cost["query_cost"], "query_cost", where, self.path)
        elif "cost" in data:  # MariaDB 11
            node.est_total_cost = self.number(data, "cost", where)
        if "r_total_time_ms" in data:
            self.analyzed = True
            node.inclusive_ms = self.number(data, "r_total_time_ms", where)
            node.act_loops = self.number(data, "r_loops", where)
        if "message" in data:
            node.details["message"] = data["message"]
        for key, label_ in _CONDITIONS.items():
            if key in data:
                node.conditions[label_] = str(data[key])
        self.children(data, node.id, where)

    def children(self, data: dict[str, Any], parent: int, where: str) -> None:
        """Walk the operation keys of ``data`` in document order."""
        for key, value in data.items():
            at = f"{where}.{key}"
            if key == "table":
                self.table(value, parent, at)
            elif key == "nested_loop":
                self.nested_loop(value, parent, at)
            elif key in _OPERATIONS:
                self.operation(key, value, parent, at)
            elif key in ("read_sorted_file", "expression_cache"):
                if isinstance(value, dict):
                    self.children(value, parent, at)
            elif key == "block-nl-join":
                self.block_join(value, parent, at)
            elif key == "query_block":
                self.query_block(value, parent, at)
            elif key in _SUBQUERY_LISTS:
                if not isinstance(value, list):
                    raise PlanError(f"expected a list for {key!r}", path=self.path, where=at)
                for index, item in enumerate(value):
                    if isinstance(item, dict):
                        block = item.get("query_block") or (item.get("expression_cache") or {}).get("query_block")
                        if block is not None:
                            self.query_block(block, parent, f"{at}[{index}].query_block", label=key)

    def operation(self, key: str, data: Any, parent: int, where: str) -> None:
        if not isinstance(data, dict):
            raise PlanError(f"expected an object for {key!r}", path=self.path, where=where)
        operator, kind = _OPERATIONS[key]
        if key == "ordering_operation" and not data.get("using_filesort"):
            operator, kind = "Ordered", "other"  # the order comes from an index: no sort runs
        node = self.add(PlanNode(0, operator, key, kind, parent=parent, raw=data))
        for flag in ("using_filesort", "using_temporary_table"):
            if flag in data:
                node.details[flag] = bool(data[flag])
        cost = data.get("cost_info")
        if isinstance(cost, dict) and "sort_cost" in cost:
            node.est_total_cost = _float(cost["sort_cost"], "sort_cost", where, self.path)
        if key == "filesort":
            if data.get("sort_key"):
                node.sort_keys = [str(data["sort_key"])]
            node.sort_method = str(data["r_sort_mode"]) if "r_sort_mode" in data else None
            if "r_total_time_ms" in data:
                self.analyzed = True
                node.exclusive_ms = self.number(data, "r_total_time_ms", where)
                node.act_loops = self.number(data, "r_loops", where)
                node.act_rows = self.number(data, "r_output_rows", where)
            if "r_sort_passes" in data:
                node.details["sort_passes"] = data["r_sort_passes"]
            for flag in ("r_limit", "r_used_priority_queue"):
                if flag in data:
                    node.details[flag[2:]] = data[flag]
        if key == "union_result":
            node.details["table_name"] = data.get("table_name")
            if "r_rows" in data:
                node.act_rows = self.number(data, "r_rows", where)
                node.act_loops = self.number(data, "r_loops", where)
        self.children(data, node.id, where)

    def nested_loop(self, items: Any, parent: int, where: str) -> None:
        if not isinstance(items, list):
            raise PlanError("expected a list for 'nested_loop'", path=self.path, where=where)
        target = parent
        if len(items) > 1:
            target = self.add(PlanNode(0, "Nested Loop", "nested_loop", "join", parent=parent, raw={})).id
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise PlanError("expected an object in 'nested_loop'", path=self.path, where=f"{where}[{index}]")
            self.children(item, target, f"{where}[{index}]")

    def block_join(self, data: Any, parent: int, where: str) -> None:
        if not isinstance(data, dict):
            raise PlanError("expected an object for 'block-nl-join'", path=self.path, where=where)
        join_type = str(data.get("join_type") or "BNL")
        node = self.add(PlanNode(0, "Block Nested Loop", f"block-nl-join ({join_type})", "join", parent=parent))
        node.raw = data
        node.details["buffer_type"] = data.get("buffer_type")
        node.details["buffer_size"] = data.get("buffer_size")
        if "attached_condition" in data:
            node.conditions["Join Filter"] = str(data["attached_condition"])
        if "r_loops" in data:
            self.analyzed = True
            node.act_loops = self.number(data, "r_loops", where)
            unpack = self.number(data, "r_unpack_time_ms", where) or 0.0
            other = self.number(data, "r_other_time_ms", where) or 0.0
            node.exclusive_ms = unpack + other
            node.details["r_filtered"] = data.get("r_filtered")
            node.details["effective_rows"] = data.get("r_effective_rows")
        self.children({k: v for k, v in data.items() if k == "table"}, node.id, where)

    def table(self, data: Any, parent: int, where: str) -> None:
        if not isinstance(data, dict):
            raise PlanError("expected an object for 'table'", path=self.path, where=where)
        if "table_name" not in data:
            raise PlanError("not a MySQL plan table: expected a 'table_name' key", path=self.path, where=where)
        access = str(data.get("access_type", "ALL"))
        operator, kind = mysql_access(access)
        name = str(data["table_name"])
        node = self.add(PlanNode(0, operator, access, kind, parent=parent, raw=data))
        if name.startswith("<"):  # <derived2>, <union1,2>, <subquery3>, <temporary>
            node.details["derived"] = name
            node.alias = name
        else:
            node.relation = node.alias = name
        node.index = data.get("key")
        node.details["access_type"] = access
        for key in ("possible_keys", "used_key_parts", "key_length", "ref", "used_columns", "using_index"):
            if key in data:
                node.details[key] = data[key]
        for key, label in _CONDITIONS.items():
            if key in data:
                node.conditions[label] = str(data[key])
        if data.get("ref"):
            node.conditions.setdefault("Ref", ", ".join(str(r) for r in data["ref"]))
        examined = self.number(data, "rows_examined_per_scan", where)
        if examined is None:
            examined = self.number(data, "rows", where)
        filtered = self.number(data, "filtered", where)
        if examined is not None:
            node.details["rows_examined_per_scan"] = examined
            node.est_rows = examined * (filtered if filtered is not None else 100.0) / 100.0
        if filtered is not None:
            node.details["filtered"] = filtered
        produced = self.number(data, "rows_produced_per_join", where)
        if produced is not None:
            node.details["rows_produced_per_join"] = produced
        cost = data.get("cost_info")
        if isinstance(cost, dict):
            read = _float(cost.get("read_cost"), "read_cost", where, self.path) or 0.0
            evaluate = _float(cost.get("eval_cost"), "eval_cost", where, self.path) or 0.0
            node.est_total_cost = read + evaluate  # the table's own cost; prefix_cost is cumulative
            if "prefix_cost" in cost:
                node.details["prefix_cost"] = _float(cost["prefix_cost"], "prefix_cost", where, self.path)
        elif "cost" in data:
            node.est_total_cost = self.number(data, "cost", where)
        if "r_rows" in data:
            self.analyzed = True
            read_rows = self.number(data, "r_rows", where) or 0.0
            kept = self.number(data, "r_filtered", where)
            share = (kept if kept is not None else 100.0) / 100.0
            node.act_loops = self.number(data, "r_loops", where)
            node.act_rows = read_rows * share
            node.details["rows_examined"] = read_rows
            if read_rows * (1.0 - share) > 0:
                node.rows_removed["Filter"] = read_rows * (1.0 - share)
            table_ms = self.number(data, "r_table_time_ms", where)
            other_ms = self.number(data, "r_other_time_ms", where)
            total_ms = self.number(data, "r_total_time_ms", where)  # MariaDB before 10.9
            if table_ms is not None or other_ms is not None:
                node.exclusive_ms = (table_ms or 0.0) + (other_ms or 0.0)
            elif total_ms is not None:
                node.exclusive_ms = total_ms
            if node.act_loops == 0:
                node.never_executed = True
        for key in ("materialized_from_subquery", "materialized"):
            inner = data.get(key)
            if isinstance(inner, dict):
                block = inner.get("query_block")
                if block is not None:
                    self.query_block(block, node.id, f"{where}.{key}.query_block", label=key)
        self.children({k: v for k, v in data.items() if k in _SUBQUERY_LISTS}, node.id, where)


def parse_mysql_json(data: Any, *, path: str | None = None) -> PlanGraph:
    """A :class:`PlanGraph` from the loaded JSON of MySQL/MariaDB ``EXPLAIN FORMAT=JSON`` or ``ANALYZE``."""
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if isinstance(data, dict) and "EXPLAIN" in data and isinstance(data["EXPLAIN"], dict):
        data = data["EXPLAIN"]  # a row fetched as a dict keyed by the column name
    if not isinstance(data, dict) or "query_block" not in data:
        raise PlanError("not a MySQL EXPLAIN FORMAT=JSON plan: expected a 'query_block' key", path=path, where="$")
    builder = _Builder(path)
    builder.query_block(data["query_block"], None, "$.query_block")
    root = builder.nodes[0]
    planning = data.get("query_optimization")
    planning_ms = None
    if isinstance(planning, dict):
        planning_ms = _float(planning.get("r_total_time_ms"), "r_total_time_ms", "$.query_optimization", path)
    details: dict[str, Any] = {}
    if root.est_total_cost is not None:
        details["query_cost"] = root.est_total_cost
    return PlanGraph.build(
        builder.nodes,
        format="mariadb-analyze-json" if builder.analyzed else "mysql-json",
        dialect="mysql",
        time_basis="exclusive",
        planning_ms=planning_ms,
        execution_ms=root.inclusive_ms if builder.analyzed else None,
        details=details,
        raw=data,
    )
