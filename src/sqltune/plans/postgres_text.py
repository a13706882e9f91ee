"""PostgreSQL's plain-text EXPLAIN, as pasted from psql -> :class:`~sqltune.plans.model.PlanGraph`.

The text is turned into the structure ``EXPLAIN (FORMAT JSON)`` would have given (same keys, same units)
and built by :func:`sqltune.plans.postgres_json.build`, so every derived metric is computed one way.
Tolerated: psql's ``QUERY PLAN`` header, ``----`` rule, ``(N rows)`` footer and ``+`` wrap markers; GUI
quoting; COSTS OFF, TIMING OFF, ``(never executed)``; PostgreSQL 9.6-17 shapes (``Planning time`` vs
``Planning Time``, ``Total runtime``, ``I/O Timings`` variants, ``Worker N:`` blocks, HashAggregate
``Batches``/``Disk Usage``, Memoize ``Hits``, ``JIT:`` with PostgreSQL 17's ``(Deform ...)``).

Structure comes from indentation: an operator line is the root or starts with ``->``; its details are
indented two columns past its name; ``InitPlan``/``SubPlan``/``CTE`` headers and ``Worker N:`` lines open
a block for the lines indented below them; lines at or left of the root's column are footers.

>>> plan = parse_postgres_text('''
... Sort  (cost=10.00..10.50 rows=200 width=8) (actual time=0.50..0.60 rows=150 loops=1)
...   Sort Key: x
...   Sort Method: external merge  Disk: 712kB
...   ->  Seq Scan on t  (cost=0.00..3.00 rows=200 width=8) (actual time=0.01..0.20 rows=150 loops=1)
...         Filter: (x > 1)
...         Rows Removed by Filter: 50
... Planning Time: 0.1 ms
... Execution Time: 0.7 ms''')
>>> [n.label for n in plan], plan.root.spills, plan[1].removed_share, plan.execution_ms
(['Sort', 'Seq Scan on t'], ['external merge sort using 712kB of disk'], 0.25, 0.7)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqltune.plans._input import clean_lines
from sqltune.plans.errors import PlanError
from sqltune.plans.model import PlanGraph
from sqltune.plans.postgres_json import CONDITIONS, build

__all__ = ["parse_postgres_text", "to_json_structure"]

_NUMBER = r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?"
_COST = re.compile(
    rf"\(cost=(?P<startup>{_NUMBER})\.\.(?P<total>{_NUMBER}) rows=(?P<rows>{_NUMBER}) width=(?P<width>{_NUMBER})\)"
)
_ACTUAL = re.compile(
    rf"\(actual(?: time=(?P<start>{_NUMBER})\.\.(?P<end>{_NUMBER}))? rows=(?P<rows>{_NUMBER})"
    rf" loops=(?P<loops>{_NUMBER})\)"
)
_ACTUAL_INLINE = re.compile(
    rf"^actual(?: time=(?P<start>{_NUMBER})\.\.(?P<end>{_NUMBER}))? rows=(?P<rows>{_NUMBER})"
    rf" loops=(?P<loops>{_NUMBER})$"
)
_BLOCKS = re.compile(r"\s*\((?:cost=|actual[ )]|never executed\))")
_IDENT = r'(?:"(?:[^"]|"")*"|[^\s"]+)'
_PART = r'"(?:[^"]|"")*"|[^\s".]+'
_QUALIFIED = rf"{_IDENT}(?:\.{_IDENT})*"
_JOIN_TYPES = r"Left|Right|Full|Semi|Anti|Right Semi|Right Anti"
_HASH_MERGE_JOIN = re.compile(rf"^(?P<kind>Hash|Merge) (?:(?P<type>{_JOIN_TYPES}) )?Join$")
_NESTED_LOOP = re.compile(rf"^Nested Loop(?: (?P<type>{_JOIN_TYPES}) Join)?$")
_AGGREGATES = {"HashAggregate": "Hashed", "GroupAggregate": "Sorted", "MixedAggregate": "Mixed", "Aggregate": "Plain"}
_SETOP = re.compile(r"^(?P<kind>HashSetOp|SetOp) (?P<command>Intersect All|Intersect|Except All|Except)$")
_MODIFY = re.compile(rf"^(?P<op>Insert|Update|Delete|Merge) on (?P<rel>{_QUALIFIED})(?: (?P<alias>{_IDENT}))?$")
_INDEX_SCAN = re.compile(
    rf"^(?P<type>Index Scan|Index Only Scan)(?P<backward> Backward)? using (?P<index>{_IDENT})"
    rf" on (?P<rel>{_QUALIFIED})(?: (?P<alias>{_IDENT}))?$"
)
_BITMAP_INDEX = re.compile(rf"^Bitmap Index Scan on (?P<index>{_IDENT})$")
#: First words of PostgreSQL's operators: a line with neither a cost nor an actual block (``COSTS OFF``) must
#: start with one to be an operator, so that a SQL file handed over by mistake is not read as a one-node plan.
_OPERATOR_WORDS = frozenset(
    [
        "Aggregate",
        "Append",
        "Async",
        "Bitmap",
        "CTE",
        "Custom",
        "Delete",
        "Finalize",
        "Foreign",
        "Function",
        "Gather",
        "Group",
        "GroupAggregate",
        "Hash",
        "HashAggregate",
        "HashSetOp",
        "Incremental",
        "Index",
        "Insert",
        "Limit",
        "LockRows",
        "Materialize",
        "Memoize",
        "Merge",
        "MixedAggregate",
        "Named",
        "Nested",
        "Parallel",
        "Partial",
        "ProjectSet",
        "Recursive",
        "Result",
        "Sample",
        "Seq",
        "SetOp",
        "Sort",
        "Subquery",
        "Table",
        "Tid",
        "Unique",
        "Update",
        "Values",
        "WindowAgg",
        "WorkTable",
    ]
)
_RELATION_SCANS = "Seq Scan|Bitmap Heap Scan|Tid Scan|Tid Range Scan|Sample Scan|Foreign Scan"
_NAMED_SCANS = (
    "Subquery Scan|Function Scan|Table Function Scan|Values Scan|CTE Scan|Named Tuplestore Scan|WorkTable Scan"
)
_SCAN = re.compile(rf"^(?P<type>{_RELATION_SCANS}|{_NAMED_SCANS}) on (?P<rel>{_QUALIFIED})(?: (?P<alias>{_IDENT}))?$")
_CUSTOM = re.compile(rf"^Custom Scan \((?P<provider>[^)]*)\)(?: on (?P<rel>{_QUALIFIED})(?: (?P<alias>{_IDENT}))?)?$")
_HEADER = re.compile(r"^(?P<label>(?:InitPlan|SubPlan) \d+(?: \(returns [^)]*\))?|CTE .+)$")
_WORKER = re.compile(r"^Worker (?P<number>\d+):\s*(?P<rest>.*)$")
_KB = re.compile(rf"^(?P<value>{_NUMBER})\s*kB$")
_MS = re.compile(rf"^(?P<value>{_NUMBER})\s*ms$")

# Lines holding several "Key: value" items separated by two spaces.
_MULTI = ("Sort Method", "Buckets", "Batches", "Planned Partitions", "Hits", "Full-sort Groups", "Pre-sorted Groups")
_MULTI_PREFIXES = (*_MULTI, "Storage")
_LIST_KEYS = ("Output", "Sort Key", "Group Key", "Presorted Key", "Hash Key", "Group By Key")
_NUMBER_KEYS = (
    "Rows Removed by Filter",
    "Rows Removed by Join Filter",
    "Rows Removed by Index Recheck",
    "Heap Fetches",
    "Workers Planned",
    "Workers Launched",
    "Index Searches",
    "Subplans Removed",
    "Tuples Inserted",
    "Conflicting Tuples",
)
_BUFFER_JSON = {
    ("shared", "hit"): "Shared Hit Blocks",
    ("shared", "read"): "Shared Read Blocks",
    ("shared", "dirtied"): "Shared Dirtied Blocks",
    ("shared", "written"): "Shared Written Blocks",
    ("local", "hit"): "Local Hit Blocks",
    ("local", "read"): "Local Read Blocks",
    ("local", "dirtied"): "Local Dirtied Blocks",
    ("local", "written"): "Local Written Blocks",
    ("temp", "read"): "Temp Read Blocks",
    ("temp", "written"): "Temp Written Blocks",
}


def _unquote(identifier: str) -> str:
    if len(identifier) >= 2 and identifier[0] == '"' and identifier[-1] == '"':
        return identifier[1:-1].replace('""', '"')
    return identifier


def _split_qualified(name: str) -> tuple[str | None, str]:
    parts = re.findall(_PART, name)
    if len(parts) >= 2:
        return ".".join(_unquote(p) for p in parts[:-1]), _unquote(parts[-1])
    return None, _unquote(name)


def _split_top_level(text: str) -> list[str]:
    """Split at commas outside parentheses and quotes (``Sort Key: a, (b + c) DESC``)."""
    items: list[str] = []
    depth = 0
    quote = ""
    start = 0
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(text[start:index].strip())
            start = index + 1
    tail = text[start:].strip()
    if tail:
        items.append(tail)
    return items


def _num(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


@dataclass(slots=True)
class _Entry:
    """One open block on the indentation stack: an operator, a subplan header, a worker or a footer block."""

    column: int
    kind: str  # "node", "header", "worker", "footer"
    data: dict[str, Any]
    label: str = ""
    owner: dict[str, Any] | None = None  # for headers: the node the subplan hangs from
    children: list[dict[str, Any]] = field(default_factory=list)


class _TextPlan:
    def __init__(self, text: str, path: str | None) -> None:
        self.path = path
        self.lines = clean_lines(text)
        self.top: dict[str, Any] = {}
        self.root_column = -1
        self.stack: list[_Entry] = []

    def error(self, message: str, line: int, column: int = 0) -> PlanError:
        return PlanError(message, path=self.path, line=line, column=column)

    def parse(self) -> dict[str, Any]:
        for number, line in enumerate(self.lines, start=1):
            if not line.strip():
                continue
            column = len(line) - len(line.lstrip())
            content = line.strip()
            if self.root_column < 0:
                if content.startswith("->"):
                    content = content[2:].strip()
                self.root_column = column
                self.top["Plan"] = self.node_line(content, number, column)
                self.stack = [_Entry(column, "node", self.top["Plan"])]
            elif content.startswith("->"):
                self.arrow_line(content, number, column)
            elif column <= self.root_column:
                self.footer_line(content, number, column)
            else:
                try:
                    self.detail_line(content, number, column)
                except PlanError:
                    raise
                except ValueError:  # a number that is not one, in a garbled or hand-edited detail line
                    raise self.error(
                        f"malformed detail line; expected numbers where EXPLAIN prints them: {content[:60]!r}",
                        number,
                        column + 1,
                    ) from None
        for entry in self.stack:
            if entry.kind == "header" and not entry.children:
                raise self.error(f"the plan ends before the '->' operator of {entry.label!r}", len(self.lines))
        if "Plan" not in self.top:
            raise self.error(
                "not an EXPLAIN plan: expected an operator line such as 'Seq Scan on t  (cost=0.00..1.00 rows=1"
                " width=4)'",
                1,
            )
        return self.top

    # -- operators ---------------------------------------------------------------------------------------
    def arrow_line(self, content: str, number: int, column: int) -> None:
        self._pop_to(column, number)
        if not self.stack or self.stack[-1].kind not in ("node", "header"):
            raise self.error("'->' operator is not indented below any operator", number, column + 1)
        top = self.stack[-1]
        text = content[2:].strip()
        if not text:
            raise self.error("expected an operator name after '->'", number, column + 3)
        name_column = column + (len(content) - len(text))
        node = self.node_line(text, number, name_column)
        if top.kind == "header":
            top.children.append(node)
            node["Subplan Name"] = top.label
            node["Parent Relationship"] = "InitPlan" if top.label.startswith(("InitPlan", "CTE")) else "SubPlan"
            parent = top.owner
        else:
            parent = top.data
        assert parent is not None
        plans = parent.setdefault("Plans", [])
        if "Parent Relationship" not in node:
            node["Parent Relationship"] = self._relationship(parent, len(plans))
        plans.append(node)
        self.stack.append(_Entry(name_column, "node", node))

    @staticmethod
    def _relationship(parent: dict[str, Any], index: int) -> str:
        if parent.get("Node Type") in ("Append", "Merge Append", "BitmapAnd", "BitmapOr", "Recursive Union"):
            return "Member"
        if parent.get("Node Type") in ("Subquery Scan",):
            return "Subquery"
        earlier = [p for p in parent.get("Plans", []) if p.get("Parent Relationship") in ("Outer", "Inner")]
        return "Outer" if not earlier else "Inner"

    def node_line(self, text: str, number: int, column: int) -> dict[str, Any]:
        node: dict[str, Any] = {}
        blocks = _BLOCKS.search(text)
        name = text[: blocks.start()].strip() if blocks else text.strip()
        rest = text[blocks.start() :] if blocks else ""
        if "(cost=" in rest:
            cost = _COST.search(rest)
            if cost is None:
                at = column + len(text) - len(rest) + rest.index("(cost=") + 1
                raise self.error(
                    "malformed or truncated cost block; expected '(cost=STARTUP..TOTAL rows=N width=W)'", number, at
                )
            node["Startup Cost"] = float(cost["startup"])
            node["Total Cost"] = float(cost["total"])
            node["Plan Rows"] = _num(cost["rows"])
            node["Plan Width"] = _num(cost["width"])
        if "(actual" in rest:
            actual = _ACTUAL.search(rest)
            if actual is None:
                at = column + len(text) - len(rest) + rest.index("(actual") + 1
                raise self.error(
                    "malformed or truncated actual block; expected '(actual time=S..T rows=N loops=L)'", number, at
                )
            if actual["start"] is not None:
                node["Actual Startup Time"] = float(actual["start"])
                node["Actual Total Time"] = float(actual["end"])
            node["Actual Rows"] = _num(actual["rows"])
            node["Actual Loops"] = _num(actual["loops"])
        elif "(never executed)" in rest:
            node["Actual Rows"] = 0
            node["Actual Loops"] = 0
        if not name:
            raise self.error("expected an operator name", number, column + 1)
        unknown = not blocks and name.split(" ", 1)[0] not in _OPERATOR_WORDS
        if ": " in name or unknown:  # "ERROR:  relation ... does not exist", SQL, a footer: not an operator
            raise self.error(
                "not an EXPLAIN plan: expected an operator line such as 'Seq Scan on t  (cost=...)',"
                f" got {name[:40]!r}",
                number,
                column + 1,
            )
        self._name(name, node)
        return node

    @staticmethod
    def _name(name: str, node: dict[str, Any]) -> None:
        text = name
        if text.startswith("Parallel "):
            node["Parallel Aware"] = True
            text = text[len("Parallel ") :]
        for mode in ("Partial ", "Finalize "):
            if text.startswith(mode):
                node["Partial Mode"] = mode.strip()
                text = text[len(mode) :]
        if match := _HASH_MERGE_JOIN.match(text):
            node["Node Type"] = f"{match['kind']} Join"
            node["Join Type"] = match["type"] or "Inner"
        elif match := _NESTED_LOOP.match(text):
            node["Node Type"] = "Nested Loop"
            node["Join Type"] = match["type"] or "Inner"
        elif text in _AGGREGATES:
            node["Node Type"] = "Aggregate"
            node["Strategy"] = _AGGREGATES[text]
        elif match := _SETOP.match(text):
            node["Node Type"] = "SetOp"
            node["Strategy"] = "Hashed" if match["kind"] == "HashSetOp" else "Sorted"
            node["Command"] = match["command"]
        elif match := _MODIFY.match(text):
            node["Node Type"] = "ModifyTable"
            node["Operation"] = match["op"]
            _relation(node, match["rel"], match["alias"])
        elif match := _INDEX_SCAN.match(text):
            node["Node Type"] = match["type"]
            node["Scan Direction"] = "Backward" if match["backward"] else "Forward"
            node["Index Name"] = _unquote(match["index"])
            _relation(node, match["rel"], match["alias"])
        elif match := _BITMAP_INDEX.match(text):
            node["Node Type"] = "Bitmap Index Scan"
            node["Index Name"] = _unquote(match["index"])
        elif match := _SCAN.match(text):
            node["Node Type"] = match["type"]
            if match["type"] in ("CTE Scan", "WorkTable Scan"):
                node["CTE Name"] = _unquote(match["rel"])
                node["Alias"] = _unquote(match["alias"] or match["rel"])
            elif match["type"] in ("Function Scan", "Table Function Scan"):
                node["Function Name"] = _unquote(match["rel"])
                node["Alias"] = _unquote(match["alias"] or match["rel"])
            elif match["type"] in ("Subquery Scan", "Values Scan", "Named Tuplestore Scan"):
                node["Alias"] = _unquote(match["alias"] or match["rel"])
            else:
                _relation(node, match["rel"], match["alias"])
        elif match := _CUSTOM.match(text):
            node["Node Type"] = "Custom Scan"
            node["Custom Plan Provider"] = match["provider"]
            if match["rel"]:
                _relation(node, match["rel"], match["alias"])
        else:
            node["Node Type"] = text

    # -- details -----------------------------------------------------------------------------------------
    def _pop_to(self, column: int, number: int = 0) -> None:
        while self.stack and self.stack[-1].column >= column:
            entry = self.stack.pop()
            if entry.kind == "header" and not entry.children:
                raise self.error(f"expected the '->' operator of {entry.label!r} here", number, column + 1)

    def detail_line(self, content: str, number: int, column: int) -> None:
        self._pop_to(column, number)
        if not self.stack:
            raise self.error(f"expected an operator line, got {content[:40]!r}", number, column + 1)
        top = self.stack[-1]
        if top.kind == "footer":
            self.footer_detail(top, content, number)
            return
        if top.kind == "header":
            raise self.error(f"expected the '->' operator of {top.label!r}, got {content[:40]!r}", number, column + 1)
        node = top.owner if top.kind == "worker" and top.owner is not None else top.data
        if (
            top.kind == "node"
            and content.startswith(("InitPlan", "SubPlan", "CTE "))
            and (header := _HEADER.match(content))
            and ": " not in content
        ):
            self.stack.append(_Entry(column, "header", {}, label=header["label"], owner=node))
            return
        if top.kind == "node" and content.startswith("Worker ") and (worker := _WORKER.match(content)):
            entry = self._worker(node, int(worker["number"]))
            self.stack.append(_Entry(column, "worker", entry, owner=node))
            if worker["rest"]:
                self.property(entry, worker["rest"], number, column, node_type=node.get("Node Type", ""))
            return
        self.property(top.data, content, number, column, node_type=node.get("Node Type", ""))

    @staticmethod
    def _worker(node: dict[str, Any], number: int) -> dict[str, Any]:
        workers: list[dict[str, Any]] = node.setdefault("Workers", [])
        for worker in workers:
            if worker.get("Worker Number") == number:
                return worker
        worker = {"Worker Number": number}
        workers.append(worker)
        return worker

    def property(self, target: dict[str, Any], content: str, number: int, column: int, node_type: str) -> None:
        if content.startswith("actual") and (
            actual := _ACTUAL_INLINE.match(content)
        ):  # a worker's "actual time=.. rows=.. loops=.."
            if actual["start"] is not None:
                target["Actual Startup Time"] = float(actual["start"])
                target["Actual Total Time"] = float(actual["end"])
            target["Actual Rows"] = _num(actual["rows"])
            target["Actual Loops"] = _num(actual["loops"])
            return
        if ": " not in content and not content.endswith(":"):
            target.setdefault("Notes", []).append(content)
            return
        key, _, value = content.partition(":")
        key, value = key.strip(), value.strip()
        if key.startswith(_MULTI_PREFIXES):
            for item in re.split(r"\s{2,}", content):
                item_key, _, item_value = item.partition(":")
                self._multi(target, item_key.strip(), item_value.strip(), node_type)
        elif key == "Buffers":
            _buffers(target, value)
        elif key == "I/O Timings":
            _io_timings(target, value)
        elif key == "WAL":
            for count in re.finditer(r"(\w+)=(\d+)", value):
                target[{"records": "WAL Records", "fpi": "WAL FPI", "bytes": "WAL Bytes"}.get(count[1], count[1])] = (
                    int(count[2])
                )
        elif key == "Heap Blocks":
            for count in re.finditer(r"(\w+)=(\d+)", value):
                target[f"{count[1].capitalize()} Heap Blocks"] = int(count[2])
        elif key in _LIST_KEYS:
            target[key] = _split_top_level(value)
        elif key in _NUMBER_KEYS:
            try:
                target[key] = _num(value)
            except ValueError:
                raise self.error(f"expected a number after {key!r}, got {value!r}", number, column + 1) from None
        elif key in CONDITIONS:
            target[key] = value
        else:
            target[key] = value

    @staticmethod
    def _multi(target: dict[str, Any], key: str, value: str, node_type: str) -> None:
        kb = _KB.match(value)
        if key == "Sort Method":
            target["Sort Method"] = value
        elif key in ("Memory", "Disk") and "Sort Method" in target:
            target["Sort Space Used"] = _num(kb["value"]) if kb else value
            target["Sort Space Type"] = key
        elif key == "Buckets":
            main, _, original = value.partition("(originally")
            target["Hash Buckets"] = int(main)
            target["Original Hash Buckets"] = int(original.strip(" )")) if original else int(main)
        elif key == "Batches":
            main, _, original = value.partition("(originally")
            if node_type == "Aggregate":
                target["HashAgg Batches"] = int(main)
            else:
                target["Hash Batches"] = int(main)
                target["Original Hash Batches"] = int(original.strip(" )")) if original else int(main)
        elif key == "Memory Usage":
            target["Peak Memory Usage"] = _num(kb["value"]) if kb else value
        elif key == "Disk Usage":
            target["Disk Usage"] = _num(kb["value"]) if kb else value
        elif key == "Planned Partitions":
            target["Planned Partitions"] = int(value)
        elif key in ("Hits", "Misses", "Evictions", "Overflows"):
            target[f"Cache {key}"] = int(value)
        elif key == "Maximum Storage":
            target["Maximum Storage"] = _num(kb["value"]) if kb else value
        elif key:
            target[key] = value

    # -- footers -----------------------------------------------------------------------------------------
    def footer_line(self, content: str, number: int, column: int) -> None:
        self._pop_to(column, number)
        key, _, value = content.partition(":")
        key, value = key.strip(), value.strip()
        lowered = key.lower()
        if lowered in ("planning time", "execution time", "total runtime"):
            ms = _MS.match(value)
            if ms is None:
                raise self.error(f"expected a time such as '0.123 ms' after {key!r}, got {value!r}", number, column + 1)
            self.top["Planning Time" if lowered == "planning time" else "Execution Time"] = float(ms["value"])
        elif key in ("JIT", "Planning", "Serialization") and not value:
            block: dict[str, Any] = self.top.setdefault(key, {})
            self.stack.append(_Entry(column, "footer", block, label=key))
        elif key == "Serialization":
            self.top["Serialization"] = value
        elif key == "Settings":
            settings: dict[str, str] = {}
            for item in _split_top_level(value):
                name, _, setting = item.partition("=")
                settings[name.strip()] = setting.strip().strip("'")
            self.top["Settings"] = settings
        elif key == "Query Identifier":
            self.top["Query Identifier"] = int(value) if value.lstrip("-").isdigit() else value
        elif key.startswith("Trigger "):
            trigger: dict[str, Any] = {"Trigger Name": key[len("Trigger ") :]}
            for count in re.finditer(rf"(\w+)=({_NUMBER})", value):
                trigger["Time" if count[1] == "time" else "Calls"] = _num(count[2])
            self.top.setdefault("Triggers", []).append(trigger)
        else:
            raise self.error(
                f"expected an operator line or a footer such as 'Planning Time: 0.1 ms', got {content[:40]!r}",
                number,
                column + 1,
            )

    def footer_detail(self, entry: _Entry, content: str, number: int) -> None:
        key, _, value = content.partition(":")
        key, value = key.strip(), value.strip()
        block = entry.data
        if entry.label == "JIT":
            if key == "Functions":
                block["Functions"] = int(value)
            elif key == "Options":
                block["Options"] = {
                    name.strip(): flag.strip() == "true"
                    for name, _, flag in (item.strip().rpartition(" ") for item in value.split(","))
                }
            elif key == "Timing":
                block["Timing"] = _jit_timing(value)
            return
        if key == "Buffers":
            _buffers(block, value)
        elif key == "I/O Timings":
            _io_timings(block, value)
        elif key in ("Planning Time", "Planning time"):  # some clients indent it under "Planning:"
            ms = _MS.match(value)
            if ms:
                self.top["Planning Time"] = float(ms["value"])
        else:
            block[key] = value


def _relation(node: dict[str, Any], name: str, alias: str | None) -> None:
    schema, relation = _split_qualified(name)
    node["Relation Name"] = relation
    if schema is not None:
        node["Schema"] = schema
    node["Alias"] = _unquote(alias) if alias else relation


def _buffers(target: dict[str, Any], value: str) -> None:
    """``shared hit=1 read=2, local ..., temp read=5 written=6`` into the JSON block counters."""
    for part in value.split(","):
        words = part.split()
        if not words:
            continue
        kind = words[0]
        for word in words[1:]:
            name, _, count = word.partition("=")
            key = _BUFFER_JSON.get((kind, name))
            if key is not None and count.isdigit():
                target[key] = int(count)


def _io_timings(target: dict[str, Any], value: str) -> None:
    """``read=1.2 write=0.3`` (<= 14), ``shared/local read=..`` (15), ``shared read=..`` (16+), ``temp ...``."""
    for part in _split_top_level(value):
        words = part.split()
        scope = "Shared" if words and "=" not in words[0] else ""
        if words and words[0] == "temp":
            scope = "Temp"
        for count in re.finditer(rf"(read|write)=({_NUMBER})", part):
            name = f"{scope} I/O {count[1].capitalize()} Time" if scope else f"I/O {count[1].capitalize()} Time"
            target[name.strip()] = float(count[2])


def _jit_timing(value: str) -> dict[str, Any]:
    timing: dict[str, Any] = {}
    for item in _split_top_level(value):
        match = re.match(rf"^(?P<name>\w+) (?P<ms>{_NUMBER}) ms(?: \(Deform (?P<deform>{_NUMBER}) ms\))?$", item)
        if match is None:
            continue
        if match["deform"] is not None:
            timing[match["name"]] = {"Deform": float(match["deform"]), "Total": float(match["ms"])}
        else:
            timing[match["name"]] = float(match["ms"])
    return timing


def to_json_structure(text: str, *, path: str | None = None) -> dict[str, Any]:
    """The ``EXPLAIN (FORMAT JSON)`` object equivalent to a text plan (``{"Plan": ..., "Planning Time": ...}``)."""
    return _TextPlan(text, path).parse()


def parse_postgres_text(text: str, *, path: str | None = None) -> PlanGraph:
    return build(to_json_structure(text, path=path), path=path, format="postgres-text")
