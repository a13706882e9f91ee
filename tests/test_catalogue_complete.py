"""The catalogue is complete: ``sqltune rules`` lists lint rules, plan rules and rewrites with their kind, and
``sqltune rule RWnnn`` documents a rewrite as ``sqltune rule SQnnn`` documents a rule."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from sqltune.cli import main
from sqltune.rewrites.registry import REWRITES
from sqltune.rules.catalogue import load_catalogue


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_rules_lists_every_rule_and_rewrite_with_its_kind() -> None:
    code, out, _ = run("rules")
    assert code == 0
    kinds = {line.split()[0]: line.split()[1] for line in out.splitlines()}
    assert {rewrite.id for rewrite in REWRITES} == {c for c, kind in kinds.items() if kind == "rewrite"}
    catalogue = load_catalogue()
    assert {c for c, e in catalogue.items() if e.meta.category == "plan"} == {
        c for c, k in kinds.items() if k == "plan"
    }
    assert {c for c, e in catalogue.items() if e.meta.category != "plan"} == {
        c for c, k in kinds.items() if k == "lint"
    }
    _, only, _ = run("rules", "--select", "rewrite")
    assert len(only.splitlines()) == len(REWRITES)


@pytest.mark.parametrize("rewrite", REWRITES, ids=[rewrite.id for rewrite in REWRITES])
def test_every_rewrite_is_documented_like_a_rule(rewrite: object) -> None:
    code, out, err = run("rule", rewrite.id)  # type: ignore[attr-defined]
    assert (code, err) == (0, "")
    assert out.startswith(f"# {rewrite.id} `{rewrite.name}`")  # type: ignore[attr-defined]
    for section in ("## What it does", "## Why", "## Example", "## Use instead"):
        assert section in out, section
    blocks = re.findall(r"```sql\n(.*?)\n```", out, re.DOTALL)
    example, instead = blocks[-2], blocks[-1]
    assert example.strip() and instead.strip() and example != instead
    assert not re.search(r"(?<!`)``(?!`)", out)  # reStructuredText literals became Markdown


def test_a_rewrite_by_name_and_an_unknown_code() -> None:
    assert run("rule", "not-in-to-not-exists")[1].startswith("# RW001 `not-in-to-not-exists`")
    code, out, err = run("rule", "RW999")
    assert (code, out) == (2, "") and err.startswith("sqltune: error: unknown rule or rewrite 'RW999'")
