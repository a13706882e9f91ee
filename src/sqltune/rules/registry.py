"""Rules are plugins: found through the ``sqltune.rules`` entry-point group, built-ins included.

An entry point names a rule class or a sequence of them::

    [project.entry-points."sqltune.rules"]
    my_rules = "my_package.rules:RULES"

Codes are unique across plugins; a rule's metadata comes from its catalogue entry or its ``meta``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import entry_points

from sqltune.rules.base import Rule, RuleMeta
from sqltune.rules.catalogue import load_catalogue

__all__ = ["RegisteredRule", "RegistryError", "all_rules", "resolve_selection", "rule_metas"]

ENTRY_POINT_GROUP = "sqltune.rules"


class RegistryError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class RegisteredRule:
    rule: type[Rule]
    meta: RuleMeta
    plugin: str  # the entry point that brought it


def _loaded_plugins() -> list[tuple[str, list[type[Rule]]]]:
    plugins: list[tuple[str, list[type[Rule]]]] = []
    names = set()
    for point in entry_points(group=ENTRY_POINT_GROUP):
        loaded = point.load()
        rules = list(loaded) if isinstance(loaded, Iterable) else [loaded]
        plugins.append((point.name, rules))
        names.add(point.name)
    if "builtin" not in names:  # running from a source tree that was never installed
        from sqltune.rules.builtin import RULES

        plugins.insert(0, ("builtin", list(RULES)))
    return plugins


@lru_cache(maxsize=1)
def all_rules() -> dict[str, RegisteredRule]:
    """Every rule by code, in code order."""
    catalogue = load_catalogue()
    found: dict[str, RegisteredRule] = {}
    for plugin, rules in _loaded_plugins():
        for rule in rules:
            if not (isinstance(rule, type) and issubclass(rule, Rule)):
                raise RegistryError(f"plugin {plugin!r}: {rule!r} is not a sqltune Rule class")
            entry = catalogue.get(rule.code)
            meta = rule.meta or (entry.meta if entry else None)
            if meta is None:
                raise RegistryError(f"plugin {plugin!r}: rule {rule.code or rule.__name__} has no catalogue entry")
            if meta.code in found:
                raise RegistryError(
                    f"rule code {meta.code} is registered twice ({found[meta.code].plugin!r} and {plugin!r})"
                )
            found[meta.code] = RegisteredRule(rule, meta, plugin)
    return dict(sorted(found.items()))


def rule_metas() -> dict[str, RuleMeta]:
    """Every rule's metadata by code. With only the built-in rules installed this reads the catalogue alone
    (the suite checks that catalogue and built-in rules match one to one) and imports no rule module."""
    if {point.name for point in entry_points(group=ENTRY_POINT_GROUP)} <= {"builtin"}:
        return {code: entry.meta for code, entry in sorted(load_catalogue().items())}
    return {code: registered.meta for code, registered in all_rules().items()}


def resolve_selection(
    selectors: Iterable[str], rules: Mapping[str, RegisteredRule] | Mapping[str, RuleMeta] | None = None
) -> set[str]:
    """Codes matched by selectors: a code (``SQ012``), a code prefix (``SQ1``), a rule name or a category,
    or ``ALL``. An unknown selector is an error naming what was expected."""
    found = all_rules() if rules is None else rules
    metas = {code: item.meta if isinstance(item, RegisteredRule) else item for code, item in found.items()}
    codes: set[str] = set()
    for raw in selectors:
        selector = raw.strip()
        if not selector:
            continue
        upper = selector.upper()
        if upper == "ALL":
            matched = set(metas)
        else:
            matched = {
                code
                for code, meta in metas.items()
                if code.startswith(upper) or meta.name == selector or meta.category == selector
            }
        if not matched:
            raise RegistryError(
                f"unknown rule {selector!r}; expected a code such as {next(iter(metas), 'SQ001')}, "
                "a code prefix, a rule name or a category (query, design, physical, plan)"
            )
        codes |= matched
    return codes
