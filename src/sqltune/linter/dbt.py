"""Lint dbt models as dbt compiled them, with findings shown on the model files people edit.

Without a manifest, a model's Jinja is replaced by same-length placeholders (:mod:`sqltune.core.templating`); that
keeps positions but not macros' SQL. With ``target/manifest.json`` (``dbt compile`` or ``dbt build`` writes it)
each model's ``compiled_code`` (``compiled_sql`` before dbt 1.3) is linted instead, and every finding is mapped
back to ``original_file_path``:

- the compiled and raw texts are aligned line by line (:class:`LineMap`): lines that are equal once stripped map
  to each other, with the column shifted by the indentation difference;
- a run of changed lines of the same length (``from {{ ref('orders') }}`` compiled to
  ``from "db"."main"."orders"``) maps pairwise, the column found by searching the finding's text in the raw
  line; a longer compiled run (a macro or loop that expanded) maps to the first line of the raw run;
- when nothing aligns, findings point at the model's first line.

A model whose file no longer matches the manifest's ``raw_code`` (edited since ``dbt compile``) is linted from
the file with placeholders, with a notice saying the manifest is stale.

>>> raw = Source("m.sql", "select *\\nfrom {{ ref('orders') }}\\nwhere id = 1")
>>> compiled = Source("m.sql", "select *\\nfrom \\"db\\".\\"main\\".\\"orders\\"\\nwhere id = 1")
>>> line_map = LineMap(compiled, raw)
>>> line_map.position(2, 6, '"db"'), line_map.position(3, 7, "id")
((2, 6), (3, 7))
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqltune.core.findings import Finding, Report
from sqltune.core.source import InputProblem, Source, Span, read_json

__all__ = ["CompiledSources", "DbtError", "DbtModel", "LineMap", "Manifest", "find_manifest", "load_manifest"]

MANIFEST = os.path.join("target", "manifest.json")
PROJECT_FILE = "dbt_project.yml"
_RESOURCE_TYPES = {"model", "snapshot", "analysis", "test"}


class DbtError(ValueError):
    """A manifest that cannot be used; the message names the file (and line:column for bad JSON)."""


@dataclass(frozen=True, slots=True)
class DbtModel:
    unique_id: str
    path: str  # the model file, absolute
    original_file_path: str
    raw_code: str
    compiled_code: str | None


@dataclass(slots=True)
class Manifest:
    path: str
    root: str  # the dbt project folder that original_file_path is relative to
    models: dict[str, DbtModel] = field(default_factory=dict)  # by real path of the model file

    def model_for(self, path: str) -> DbtModel | None:
        return self.models.get(os.path.realpath(path))

    def model_paths(self) -> list[str]:
        return sorted(model.path for model in self.models.values())


def _project_root(manifest_path: str) -> str:
    folder = Path(manifest_path).resolve().parent
    for candidate in (folder, *folder.parents):
        if (candidate / PROJECT_FILE).is_file():
            return str(candidate)
    return str(folder.parent)


def load_manifest(path: str | os.PathLike[str]) -> Manifest:
    name = os.fspath(path)
    data = read_json(name, "dbt manifest", "a dbt manifest (target/manifest.json from `dbt compile`)", DbtError)
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), dict):
        raise DbtError(f'{name}: not a dbt manifest (expected a "nodes" object, as in target/manifest.json)')
    manifest = Manifest(name, _project_root(name))
    for unique_id, node in data["nodes"].items():
        if not isinstance(node, dict) or node.get("resource_type") not in _RESOURCE_TYPES:
            continue
        original = node.get("original_file_path")
        if not isinstance(original, str) or not original.endswith(".sql"):
            continue
        file_path = os.path.join(manifest.root, original)
        if not os.path.isfile(file_path):  # a package's model, or a file since deleted
            continue
        compiled = node.get("compiled_code", node.get("compiled_sql"))
        raw = node.get("raw_code", node.get("raw_sql", ""))
        manifest.models[os.path.realpath(file_path)] = DbtModel(
            unique_id,
            file_path,
            original,
            raw if isinstance(raw, str) else "",
            compiled if isinstance(compiled, str) and compiled.strip() else None,
        )
    return manifest


def find_manifest(paths: Sequence[str], start: str = ".") -> str | None:
    """``target/manifest.json`` of the dbt project holding ``start`` or any of ``paths``, if it exists."""
    folders = [os.path.abspath(start)]
    for path in paths:
        absolute = os.path.abspath(path)
        folders.append(absolute if os.path.isdir(absolute) else os.path.dirname(absolute))
    seen: set[Path] = set()
    for folder in folders:
        for candidate in (Path(folder), *Path(folder).parents):
            if candidate in seen:
                break
            seen.add(candidate)
            if (candidate / PROJECT_FILE).is_file():
                manifest = candidate / MANIFEST
                if manifest.is_file():
                    return str(manifest)
                break
    return None


class LineMap:
    """Maps 1-based positions in compiled SQL to positions in the raw model (see the module documentation)."""

    def __init__(self, compiled: Source, raw: Source) -> None:
        self.compiled = compiled
        self.raw = raw
        compiled_lines = [compiled.line_text(n) for n in range(1, compiled.line_count + 1)]
        raw_lines = [raw.line_text(n) for n in range(1, raw.line_count + 1)]
        self._target: list[int] = [1] * len(compiled_lines)  # compiled line index -> raw line number
        self._exact: list[bool] = [False] * len(compiled_lines)
        matcher = difflib.SequenceMatcher(
            None, [line.strip() for line in compiled_lines], [line.strip() for line in raw_lines], autojunk=False
        )
        opcodes = matcher.get_opcodes()
        if not any(tag == "equal" for tag, *_ in opcodes):
            return  # nothing in common: every finding points at the first line
        last = max(1, len(raw_lines))
        for tag, i1, i2, j1, j2 in opcodes:
            for offset, index in enumerate(range(i1, i2)):
                if tag == "equal":
                    self._target[index], self._exact[index] = j1 + offset + 1, True
                elif tag == "replace" and i2 - i1 == j2 - j1:
                    self._target[index] = j1 + offset + 1
                else:  # an expanded macro or loop, or lines dbt added: the start of the raw run
                    self._target[index] = min(j1 + 1, last)

    @staticmethod
    def _indent(text: str) -> int:
        return len(text) - len(text.lstrip())

    def position(self, line: int, column: int, snippet: str = "") -> tuple[int, int]:
        """The raw ``(line, column)`` of a compiled ``line:column``; ``snippet`` is the text found there."""
        index = min(max(line, 1), len(self._target)) - 1
        target = self._target[index]
        raw_text = self.raw.line_text(target)
        if self._exact[index]:
            compiled_text = self.compiled.line_text(line)
            shifted = column - self._indent(compiled_text) + self._indent(raw_text)
            return target, max(1, min(shifted, len(raw_text) + 1))
        found = raw_text.find(snippet.strip()) if snippet.strip() else -1
        if found >= 0:
            return target, found + 1
        compiled_text = self.compiled.line_text(line)
        if compiled_text[: column - 1] == raw_text[: column - 1]:  # the change is further right
            return target, column
        return target, self._indent(raw_text) + 1

    def span(self, span: Span) -> Span:
        """``span`` (in the compiled text) as a span of the raw model."""
        snippet = self.compiled.text[span.start : span.end].split("\n", 1)[0]
        line, column = self.position(span.line, span.column, snippet)
        start = self.raw.offset(line, column)
        end_index = min(max(span.end_pos.line, 1), len(self._target)) - 1
        if self._exact[end_index]:
            end_line, end_column = self.position(span.end_pos.line, span.end_pos.column)
            end = self.raw.offset(end_line, end_column) + 1
        elif self._target[end_index] == line:
            end = start + len(snippet.strip()) if snippet.strip() else start + 1
            for opener, closer in (("{{", "}}"), ("{%", "%}")):  # a finding inside a tag marks the whole tag
                if self.raw.text.startswith(opener, start):
                    close = self.raw.text.find(closer, start)
                    end = close + len(closer) if close >= 0 else end
        else:
            end_line = self._target[end_index]
            end = self.raw.offset(end_line, len(self.raw.line_text(end_line)))
        return self.raw.span(start, max(end, start + 1))


@dataclass(slots=True)
class CompiledSources:
    """Sources with dbt models swapped for their compiled code, and how to map findings back."""

    manifest: Manifest
    maps: dict[str, LineMap] = field(default_factory=dict)  # by the path the finding carries

    def swap(self, sources: Iterable[Source | InputProblem]) -> Iterator[Source | InputProblem]:
        """Each model file becomes its compiled code (same path); other sources pass through."""
        for source in sources:
            model = self.manifest.model_for(source.path) if isinstance(source, Source) else None
            if model is None or model.compiled_code is None or not isinstance(source, Source):
                yield source
                continue
            if model.raw_code and model.raw_code.strip() != source.text.strip():
                yield source
                yield InputProblem(
                    source.path,
                    "changed since the dbt manifest was written; linted the file with placeholders "
                    "(run `dbt compile` to lint the compiled SQL)",
                    fatal=False,
                )
                continue
            compiled = Source(source.path, model.compiled_code)
            self.maps[source.path] = LineMap(compiled, source)
            yield compiled

    def restore(self, report: Report) -> None:
        """Map findings on compiled code back to the model files and show the files' own text."""
        if not self.maps:
            return
        findings: list[Finding] = []
        for finding in report.findings:
            line_map = self.maps.get(finding.path)
            if line_map is None:
                findings.append(finding)
            else:
                # A fix edits compiled code, which is not the file: drop it.
                findings.append(replace(finding, span=line_map.span(finding.span), fix=None))
        report.findings = findings
        for path, line_map in self.maps.items():
            if path in report.sources:
                report.sources[path] = line_map.raw
        report.sort()


def compiled_sources(manifest: Manifest) -> CompiledSources:
    return CompiledSources(manifest)


def manifest_summary(manifest: Manifest) -> dict[str, Any]:
    """How many models the manifest maps and how many carry compiled code (for ``--verbose``)."""
    compiled = sum(1 for model in manifest.models.values() if model.compiled_code is not None)
    return {"manifest": manifest.path, "models": len(manifest.models), "compiled": compiled}
