"""Everything sqltune checks or changes, in one list: lint rules, plan rules and rewrites.

Rules come from the registry (their documentation from the catalogue in ``rules/``); rewrites from
:data:`sqltune.rewrites.registry.REWRITES`, documented from their own module docstrings, which all have one
shape: ``RWnnn name: what it does``, paragraphs saying why, and doctest examples ``show(function, sql[, ddl])``.
The example shown is the first one the rewrite changes, with its output computed here by the rewrite itself.

- :func:`catalogue`: one :class:`Entry` per rule and rewrite, by code;
- :func:`select`: entries by codes, code prefixes, names, categories or kinds (``lint``, ``plan``, ``rewrite``);
- :func:`rewrite_markdown`: a rewrite's page in the rule pages' shape (What it does / Why / Example / Use instead).
"""

from __future__ import annotations

import ast
import doctest
import sys
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from sqltune.core.sqlglot import parse_one
from sqltune.rewrites.base import Rewrite
from sqltune.rewrites.registry import by_id
from sqltune.rules.registry import all_rules
from sqltune.schema import Schema

__all__ = ["Entry", "RewriteDoc", "catalogue", "rewrite_doc", "rewrite_markdown", "select"]

KINDS = ("lint", "plan", "rewrite")
_FENCE = "```"


@dataclass(frozen=True, slots=True)
class Entry:
    code: str
    kind: str  # "lint" (sqltune lint), "plan" (sqltune plan / explain) or "rewrite" (sqltune fix)
    name: str
    category: str
    severity: str
    summary: str


@dataclass(frozen=True, slots=True)
class RewriteDoc:
    """A rewrite's documentation, read from its module docstring."""

    rewrite: Rewrite
    what: str
    why: str
    example: str = ""
    schema: str = ""
    dialect: str = "postgres"
    instead: str = ""
    status: str = ""  # "applied" or "advised": how far the example's change is proven


@cache
def catalogue() -> dict[str, Entry]:
    """Every rule and rewrite by code, in code order."""
    entries = {
        code: Entry(
            code,
            "plan" if rule.meta.category == "plan" else "lint",
            rule.meta.name,
            rule.meta.category,
            str(rule.meta.severity),
            rule.meta.summary,
        )
        for code, rule in all_rules().items()
    }
    for code, rewrite in by_id().items():
        entries[code] = Entry(code, "rewrite", rewrite.name, "-", "-", rewrite.summary)
    return dict(sorted(entries.items()))


def select(selectors: Iterable[str]) -> list[Entry]:
    """Entries matching any selector: ``ALL``, a code or code prefix, a name, a category or a kind."""
    entries = catalogue()
    chosen: set[str] = set()
    for raw in selectors:
        selector = raw.strip()
        if not selector:
            continue
        upper, lower = selector.upper(), selector.lower()
        matched = {
            code
            for code, entry in entries.items()
            if upper == "ALL" or code.startswith(upper) or lower in (entry.name, entry.category, entry.kind)
        }
        if not matched:
            raise ValueError(
                f"unknown rule or rewrite {selector!r}; expected a code such as SQ001 or RW001, a code prefix, "
                f"a name, a category (query, design, physical, plan) or a kind ({', '.join(KINDS)})"
            )
        chosen |= matched
    return [entries[code] for code in sorted(chosen)]


def _literal(node: ast.expr, names: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return names.get(node.id)
    return None


def _examples(docstring: str) -> Iterable[tuple[str, str, str]]:
    """``(sql, ddl, dialect)`` of each ``show(...)`` example, read statically (nothing in it is executed)."""
    names: dict[str, str] = {}
    for example in doctest.DocTestParser().get_examples(docstring):
        try:
            tree = ast.parse(example.source)
        except SyntaxError:
            continue
        for statement in tree.body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target, value = statement.targets[0], _literal(statement.value, names)
                if isinstance(target, ast.Name) and value is not None:
                    names[target.id] = value
            elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
                call = statement.value
                if not (isinstance(call.func, ast.Name) and call.func.id == "show" and len(call.args) >= 2):
                    continue
                arguments = [_literal(argument, names) for argument in call.args[1:]]
                keywords = {k.arg: _literal(k.value, names) for k in call.keywords if k.arg}
                sql = arguments[0]
                ddl = (arguments[1] if len(arguments) > 1 else None) or keywords.get("ddl") or ""
                dialect = (arguments[2] if len(arguments) > 2 else None) or keywords.get("dialect") or "postgres"
                if sql:
                    yield sql, ddl, dialect


def _markdown(text: str) -> str:
    """Docstring (reStructuredText) to Markdown, as far as these docstrings need: literals and ``::`` blocks."""
    if text.startswith("    "):  # the body of a "::" block
        return f"{_FENCE}\n{textwrap.dedent(text)}\n{_FENCE}"
    text = text.strip().replace("``", "`")
    return text[:-1] if text.endswith("::") else text


@cache
def rewrite_doc(code: str) -> RewriteDoc:
    """The documentation of rewrite ``code``: what, why, and the first example it changes, rewritten."""
    rewrite = by_id()[code]
    docstring = sys.modules[rewrite.function.__module__].__doc__ or ""
    first, _, rest = docstring.strip().partition("\n")
    what = _markdown(first.partition(":")[2].strip() or rewrite.summary)
    prose = [part for part in doctest.DocTestParser().parse(rest) if isinstance(part, str)]
    paragraphs = "".join(prose).split("\n\n")
    why = "\n\n".join(_markdown(paragraph.strip("\n")) for paragraph in paragraphs if paragraph.strip())
    for sql, ddl, dialect in _examples(rest):
        schema = Schema.from_ddl(ddl, dialect=dialect) if ddl else Schema()
        outcome = rewrite(parse_one(sql, dialect), schema, dialect)
        if outcome is not None:
            instead = outcome.sql(dialect)
            return RewriteDoc(rewrite, what, why, sql, ddl, dialect, instead, str(outcome.status))
    return RewriteDoc(rewrite, what, why)


def _sql(sql: str, dialect: str) -> list[str]:
    header = f"-- dialect: {dialect}\n" if dialect != "postgres" else ""
    return [f"{_FENCE}sql", header + sql.strip(), _FENCE]


def rewrite_markdown(code: str) -> str:
    """A rewrite's page, in the shape of a rule's (:func:`sqltune.rules.docs.rule_markdown`)."""
    doc = rewrite_doc(code)
    rewrite = doc.rewrite
    lines = [
        f"# {rewrite.id} `{rewrite.name}`",
        "",
        "*Kind:* rewrite (`sqltune fix`) · applied when the schema proves it safe, advised otherwise",
        "",
        f"> {rewrite.summary}",
        "",
        "## What it does",
        "",
        doc.what,
        "",
        "## Why",
        "",
        doc.why,
        "",
    ]
    if doc.example:
        lines += ["## Example", ""]
        if doc.schema:
            lines += ["With the schema:", "", f"{_FENCE}sql", doc.schema.strip(), _FENCE, ""]
        lines += [*_sql(doc.example, doc.dialect), "", "## Use instead", ""]
        lines += [*_sql(doc.instead, doc.dialect), "", f"({doc.status} by `sqltune fix`)", ""]
    lines += [
        "## Select",
        "",
        f"`sqltune fix --select {rewrite.id}` runs only this rewrite; `--ignore {rewrite.id}` skips it.",
        "",
    ]
    return "\n".join(lines)
