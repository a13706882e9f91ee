"""Snowflake plans -> PlanGraph: ``EXPLAIN USING JSON`` and ``GET_QUERY_OPERATOR_STATS`` rows.

Both are flat lists of operators that name their parents (``parentOperators`` /
``PARENT_OPERATORS``), per *step*; operator ids restart in each step. The graph is the tree that
remains when an operator with several parents (a ``WithClause`` read by two ``WithReference``s) keeps
its first parent; the others are listed in ``details["other_parents"]``. A plan of several steps gets a
synthetic ``Query`` root with one child per step.

``EXPLAIN`` has no estimates of rows or cost, only partitions and bytes assigned after compile-time
pruning (``details["partitions_assigned"]``, ``["partitions_total"]``, ``["bytes_assigned"]``).
Operator statistics have actual rows (``output_rows``; ``input_rows - output_rows`` removed by a
Filter), pruning, bytes scanned, spilling and each operator's share of the execution time
(``EXECUTION_TIME_BREAKDOWN.overall_percentage``), which becomes ``time_share``; absolute times are not
reported, so ``exclusive_ms`` stays ``None``. Rows may come with upper- or lower-case keys and with
VARIANT columns as JSON text (as the Python connector returns them) or as objects.

>>> plan = parse_snowflake({"GlobalStats": {"partitionsTotal": 2, "partitionsAssigned": 1, "bytesAssigned": 512},
...     "Operations": [[{"id": 0, "operation": "Result"},
...                     {"id": 1, "parentOperators": [0], "operation": "TableScan", "objects": ["DB.S.T"],
...                      "partitionsAssigned": 1, "partitionsTotal": 2}]]})
>>> [n.label for n in plan], plan[1].schema, plan[1].details["partitions_total"]
(['Result', 'TableScan on T'], 'DB.S', 2)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqltune.plans.errors import PlanError
from sqltune.plans.model import PlanGraph
from sqltune.plans.nodes import PlanNode
from sqltune.plans.vocabulary import snowflake_operator

__all__ = ["parse_snowflake"]

_JOIN_TYPES = {
    "InnerJoin": "Inner",
    "LeftOuterJoin": "Left",
    "RightOuterJoin": "Right",
    "FullOuterJoin": "Full",
    "SemiJoin": "Semi",
    "AntiJoin": "Anti",
    "CartesianJoin": "Cross",
}
_CONDITION_ATTRIBUTES = {
    "equality_join_condition": "Join Cond",
    "additional_join_condition": "Join Filter",
    "join_filter_condition": "Join Filter",
    "filter_condition": "Filter",
}


@dataclass(slots=True)
class _Operator:
    step: int
    key: int  # the engine's operator id, unique within a step
    parents: list[int]
    operation: str
    where: str
    data: dict[str, Any]
    children: list[int] = field(default_factory=list)


def _lower(row: dict[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in row.items()}


def _variant(value: Any, name: str, where: str, path: str | None) -> Any:
    """A VARIANT column: already an object, or its JSON text."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as error:
            raise PlanError(f"invalid JSON in {name}: {error.msg}", path=path, where=where) from None
    return value


def _parents(value: Any, where: str, path: str | None) -> list[int]:
    value = _variant(value, "parent operators", where, path)
    if value is None:
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return list(value)
    raise PlanError(f"expected a list of operator ids for the parent operators, got {value!r}", path=path, where=where)


def _int(value: Any, name: str, where: str, path: str | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PlanError(f"expected an integer for {name!r}, got {value!r}", path=path, where=where)
    try:
        return int(value)
    except ValueError:
        raise PlanError(f"expected an integer for {name!r}, got {value!r}", path=path, where=where) from None


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [part.strip() for part in str(value).split(", ")] if str(value) else []


def _explain_operators(data: dict[str, Any], path: str | None) -> tuple[list[_Operator], dict[str, Any]]:
    operations = data.get("Operations")
    if not isinstance(operations, list):
        raise PlanError("not a Snowflake EXPLAIN plan: expected an 'Operations' list", path=path, where="$")
    steps = operations if all(isinstance(s, list) for s in operations) else [operations]
    found = []
    for step_index, step in enumerate(steps):
        for index, op in enumerate(step):
            where = f"$.Operations[{step_index}][{index}]"
            if not isinstance(op, dict) or "operation" not in op:
                raise PlanError("expected an operation object with an 'operation' key", path=path, where=where)
            key = _int(op.get("id"), "id", where, path)
            parents = _parents(op.get("parentOperators", op.get("parent")), where, path)
            found.append(_Operator(step_index + 1, key, parents, str(op["operation"]), where, op))
    stats = data.get("GlobalStats") if isinstance(data.get("GlobalStats"), dict) else {}
    return found, dict(stats or {})


def _row_operators(rows: list[Any], path: str | None) -> tuple[list[_Operator], dict[str, Any], bool]:
    """EXPLAIN's tabular rows or GET_QUERY_OPERATOR_STATS rows, as dicts."""
    found = []
    stats: dict[str, Any] = {}
    is_stats = False
    for index, raw in enumerate(rows):
        where = f"$[{index}]"
        if not isinstance(raw, dict):
            raise PlanError("expected an object per operator row", path=path, where=where)
        row = _lower(raw)
        if "operator_type" in row:
            is_stats = True
            key = _int(row.get("operator_id"), "OPERATOR_ID", where, path)
            step = _int(row.get("step_id", 1), "STEP_ID", where, path)
            parents = _parents(row.get("parent_operators", row.get("parent_operator_id")), where, path)
            found.append(_Operator(step, key, parents, str(row["operator_type"]), where, row))
        elif "operation" in row:
            if row.get("operation") == "GlobalStats" or row.get("id") is None:
                stats = {k: v for k, v in raw.items() if k.startswith(("partitions", "bytes"))}
                continue
            key = _int(row.get("id"), "id", where, path)
            step = _int(row.get("step") or 1, "step", where, path)
            parents = _parents(row.get("parentoperators", row.get("parent")), where, path)
            found.append(_Operator(step, key, parents, str(row["operation"]), where, raw))
        else:
            raise PlanError(
                "not a Snowflake plan row: expected an 'operation' (EXPLAIN) or 'OPERATOR_TYPE' "
                "(GET_QUERY_OPERATOR_STATS) column",
                path=path,
                where=where,
            )
    return found, stats, is_stats


def _node_from_explain(op: _Operator, node: PlanNode) -> None:
    data = {str(k): v for k, v in op.data.items()}
    lowered = _lower(data)
    objects = _strings(lowered.get("objects"))
    if objects:
        _set_relation(node, objects[0])
    if lowered.get("alias"):
        node.alias = str(lowered["alias"])
    expressions = _strings(lowered.get("expressions"))
    if node.kind == "join" or op.operation in ("Filter", "JoinFilter"):
        label = "Filter" if op.operation == "Filter" else "Join Cond" if node.kind == "join" else "Join Filter"
        if expressions:
            node.conditions[label] = "; ".join(expressions)
    elif op.operation.startswith("Sort"):
        node.sort_keys = expressions
    elif op.operation == "Aggregate":
        node.group_keys = [e for e in expressions if e.startswith("groupKeys")]
        node.output = expressions
    else:
        node.output = expressions
    for source, target in (
        ("partitionsassigned", "partitions_assigned"),
        ("partitionstotal", "partitions_total"),
        ("bytesassigned", "bytes_assigned"),
    ):
        if lowered.get(source) is not None:
            node.details[target] = lowered[source]


def _node_from_stats(op: _Operator, node: PlanNode, path: str | None) -> None:
    row = op.data
    statistics = _variant(row.get("operator_statistics"), "OPERATOR_STATISTICS", op.where, path) or {}
    breakdown = _variant(row.get("execution_time_breakdown"), "EXECUTION_TIME_BREAKDOWN", op.where, path) or {}
    attributes = _variant(row.get("operator_attributes"), "OPERATOR_ATTRIBUTES", op.where, path) or {}
    for name, value in (
        ("OPERATOR_STATISTICS", statistics),
        ("EXECUTION_TIME_BREAKDOWN", breakdown),
        ("OPERATOR_ATTRIBUTES", attributes),
    ):
        if not isinstance(value, dict):
            raise PlanError(f"expected an object for {name}, got {type(value).__name__}", path=path, where=op.where)
    if attributes.get("table_name"):
        _set_relation(node, str(attributes["table_name"]))
    for key, label in _CONDITION_ATTRIBUTES.items():
        if attributes.get(key):
            node.conditions[label] = str(attributes[key])
    if attributes.get("join_type"):
        node.join_type = str(attributes["join_type"]).capitalize()
    node.sort_keys = _strings(attributes.get("sort_keys"))
    node.group_keys = _strings(attributes.get("grouping_keys"))
    node.output = _strings(attributes.get("columns") or attributes.get("expressions"))
    output_rows = statistics.get("output_rows")
    input_rows = statistics.get("input_rows")
    if isinstance(output_rows, int | float):
        node.act_rows = float(output_rows)
        node.act_loops = 1.0
    if isinstance(input_rows, int | float):
        node.details["input_rows"] = input_rows
        if op.operation == "Filter" and isinstance(output_rows, int | float) and input_rows > output_rows:
            node.rows_removed["Filter"] = float(input_rows - output_rows)
    pruning = statistics.get("pruning") or {}
    if isinstance(pruning, dict):
        for key in ("partitions_scanned", "partitions_total"):
            if key in pruning:
                node.details[key] = pruning[key]
    io = statistics.get("io") or {}
    if isinstance(io, dict):
        for key in ("bytes_scanned", "percentage_scanned_from_cache", "bytes_written"):
            if key in io:
                node.details[key] = io[key]
    spilling = statistics.get("spilling") or {}
    if isinstance(spilling, dict):
        local = spilling.get("bytes_spilled_local_storage") or 0
        remote = spilling.get("bytes_spilled_remote_storage") or 0
        if local or remote:
            node.details["bytes_spilled"] = local + remote
            node.details["bytes_spilled_local"] = local
            node.details["bytes_spilled_remote"] = remote
            node.details["spilled_to"] = (
                "local and remote storage" if local and remote else "remote storage" if remote else "local storage"
            )
    share = breakdown.get("overall_percentage")
    if isinstance(share, int | float):
        node.time_share = float(share) / 100.0
    node.details["time_breakdown"] = {k: v for k, v in breakdown.items() if k != "overall_percentage"}


def _set_relation(node: PlanNode, qualified: str) -> None:
    parts = qualified.split(".")
    node.relation = parts[-1]
    node.schema = ".".join(parts[:-1]) or None


def parse_snowflake(data: Any, *, path: str | None = None) -> PlanGraph:
    """A :class:`PlanGraph` from ``EXPLAIN USING JSON`` output or operator-statistics rows (loaded JSON)."""
    if isinstance(data, dict):
        operators, stats = _explain_operators(data, path)
        is_stats = False
    elif isinstance(data, list):
        operators, stats, is_stats = _row_operators(data, path)
    else:
        raise PlanError("not a Snowflake plan: expected a JSON object or a list of rows", path=path, where="$")
    if not operators:
        raise PlanError("not a Snowflake plan: it lists no operators", path=path, where="$")
    by_key: dict[tuple[int, int], _Operator] = {}
    for op in operators:
        if (op.step, op.key) in by_key:
            raise PlanError(f"operator id {op.key} appears twice in step {op.step}", path=path, where=op.where)
        by_key[(op.step, op.key)] = op
    roots: dict[int, list[_Operator]] = {}
    for op in operators:
        parent = next((p for p in op.parents if (op.step, p) in by_key), None)
        if op.parents and parent is None:
            raise PlanError(
                f"operator {op.key} names parent {op.parents[0]}, which is not in step {op.step}",
                path=path,
                where=op.where,
            )
        if parent is None:
            roots.setdefault(op.step, []).append(op)
        else:
            by_key[(op.step, parent)].children.append(op.key)
    nodes: list[PlanNode] = []
    stack: list[tuple[_Operator, int | None, str | None]] = []
    steps = sorted(roots)
    if len(steps) > 1 or any(len(r) > 1 for r in roots.values()):
        nodes.append(PlanNode(0, "Query", "Query", "other"))
        for step in reversed(steps):
            for op in reversed(sorted(roots[step], key=lambda o: o.key)):
                stack.append((op, 0, f"step {step}"))
    else:
        stack.append((roots[steps[0]][0], None, None))
    seen: set[tuple[int, int]] = set()
    while stack:
        op, parent, label = stack.pop()
        if (op.step, op.key) in seen:
            raise PlanError(f"operator {op.key} of step {op.step} is its own ancestor", path=path, where=op.where)
        seen.add((op.step, op.key))
        operator, kind = snowflake_operator(op.operation)
        node = PlanNode(len(nodes), operator, op.operation, kind, parent=parent, raw=dict(op.data))
        node.subplan_name = label
        node.join_type = _JOIN_TYPES.get(op.operation)
        node.details["operator_id"] = op.key
        node.details["step"] = op.step
        if len(op.parents) > 1:
            node.details["other_parents"] = op.parents[1:]
        if is_stats:
            _node_from_stats(op, node, path)
        else:
            _node_from_explain(op, node)
        nodes.append(node)
        for child in sorted(op.children, reverse=True):
            stack.append((by_key[(op.step, child)], node.id, None))
    unreached = [op for op in operators if (op.step, op.key) not in seen]
    if unreached:
        raise PlanError(
            f"operator {unreached[0].key} of step {unreached[0].step} is not reachable from a root (a parent cycle)",
            path=path,
            where=unreached[0].where,
        )
    details = {
        "partitions_total": stats.get("partitionsTotal"),
        "partitions_assigned": stats.get("partitionsAssigned"),
        "bytes_assigned": stats.get("bytesAssigned"),
    }
    if is_stats:
        query_ids = {str(op.data.get("query_id")) for op in operators if op.data.get("query_id")}
        details = {"query_id": query_ids.pop()} if len(query_ids) == 1 else {}
    return PlanGraph.build(
        nodes,
        format="snowflake-operator-stats" if is_stats else "snowflake-explain-json",
        dialect="snowflake",
        time_basis="share" if is_stats else "none",
        details={k: v for k, v in details.items() if v is not None},
        raw=data,
    )
