"""The rule reference, generated from the catalogue: one Markdown page per rule plus an index.

``python -m sqltune.rules.docs docs/rules`` rewrites the pages; a test fails when they are out of date, so
a rule cannot ship undocumented.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sqltune.rules.catalogue import Case, CatalogueEntry, load_catalogue
from sqltune.rules.registry import all_rules

__all__ = ["index_markdown", "rule_markdown", "write_reference"]

_FENCE = "```"


def _sql_block(case: Case) -> list[str]:
    lines = []
    if case.plan:
        inline = "\n" in case.plan.strip()
        lines += ["Plan:" if inline else f"Plan: [`{case.plan}`](../../{case.plan})", ""]
        if inline:
            lines += [_FENCE, case.plan.strip(), _FENCE, ""]
    if not case.sql:
        return lines + ([case.note.strip()] if case.note else [])
    if case.schema:
        lines += ["With the schema:", "", f"{_FENCE}sql", case.schema.strip(), _FENCE, ""]
    dialect = f"-- dialect: {case.dialect}\n" if case.dialect != "postgres" else ""
    lines += [f"{_FENCE}sql", dialect + case.sql.strip(), _FENCE]
    if case.note:
        lines += ["", case.note.strip()]
    return lines


def _ignore_setting(code: str) -> str:
    return f'`ignore = ["{code}"]`'


def rule_markdown(entry: CatalogueEntry) -> str:
    meta = entry.meta
    lines = [
        f"# {meta.code} `{meta.name}`",
        "",
        f"*Category:* {meta.category} · *Default severity:* {meta.severity}"
        + (" · *Needs a schema*" if meta.needs_schema else ""),
        "",
        f"> {meta.summary}",
        "",
        "## What it does",
        "",
        meta.what,
        "",
        "## Why is this bad?",
        "",
        meta.why,
        "",
    ]
    if entry.bad:
        lines += ["## Example", ""]
        for case in entry.bad:
            lines += [*_sql_block(case), ""]
    if entry.good:
        lines += ["## Use instead", ""]
        for case in entry.good:
            lines += [*_sql_block(case), ""]
    lines += [
        "## Suppress",
        "",
        f"`-- sqltune: ignore[{meta.code}]` at the end of a line, on the line before a statement, or",
        f"`-- sqltune: ignore-file[{meta.code}]` anywhere in a file; {_ignore_setting(meta.code)} in the config.",
        "",
    ]
    return "\n".join(lines)


def index_markdown(entries: list[CatalogueEntry]) -> str:
    lines = ["# Rule reference", "", "Generated from `rules/*.toml` by `python -m sqltune.rules.docs docs/rules`.", ""]
    for category in ("query", "design", "physical", "plan"):
        chosen = [e for e in entries if e.meta.category == category]
        if not chosen:
            continue
        lines += [f"## {category.capitalize()} rules", "", "| Code | Name | Severity | Summary |", "|---|---|---|---|"]
        for entry in chosen:
            meta = entry.meta
            lines.append(
                f"| [{meta.code}]({meta.code}-{meta.name}.md) | `{meta.name}` | {meta.severity} | {meta.summary} |"
            )
        lines.append("")
    return "\n".join(lines)


def reference_pages() -> dict[str, str]:
    """File name -> content for every page of the reference."""
    registered = all_rules()
    entries = [entry for code, entry in sorted(load_catalogue().items()) if code in registered]
    pages = {f"{e.meta.code}-{e.meta.name}.md": rule_markdown(e) for e in entries}
    pages["README.md"] = index_markdown(entries)
    return pages


def write_reference(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    pages = reference_pages()
    for stale in directory.glob("*.md"):
        if stale.name not in pages:
            stale.unlink()
    written = []
    for name, content in pages.items():
        path = directory / name
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/rules")
    print(f"wrote {len(write_reference(target))} pages to {target}")
