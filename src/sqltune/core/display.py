"""Rich display in notebooks: the result objects show themselves as HTML views, without the core knowing them.

The objects live in low layers (a :class:`~sqltune.core.findings.Report` in the core, a plan in
``sqltune.plans``...) while their HTML views live in the reporters layer, above them. So the views are
looked up, not imported: a class that mixes in :class:`Displayable` gets ``_repr_html_`` and
``_repr_mimebundle_``, which ask this registry for the renderer of the object's class (or of a base class),
by the class's qualified name. ``sqltune.reporters.html`` fills the registry when it is imported, and the
mixin imports it by name (:data:`VIEWS`) on first display, so nothing here imports upwards.

>>> class Thing(Displayable):
...     def __repr__(self) -> str:
...         return "Thing()"
>>> register(Thing, lambda thing: "<b>a thing</b>")
>>> sorted(Thing()._repr_mimebundle_())
['text/html', 'text/plain']
>>> Thing()._repr_mimebundle_()["text/plain"]
'Thing()'

The JSON of an object with ``to_dict()`` travels as :data:`JSON_MIME`, not ``application/json``: JupyterLab
and Notebook 7 rank their JSON tree viewer above HTML, so plain ``application/json`` would hide the view.
``display(obj, include=["application/json"])`` asks for it under that name.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Container
from typing import Any

__all__ = ["JSON_MIME", "VIEWS", "Displayable", "register", "render_html", "renderer_for"]

#: The module whose import registers every HTML view (a name, not an import: it is in a higher layer).
VIEWS = "sqltune.reporters.html"
#: The MIME type of the JSON fallback (see the module documentation).
JSON_MIME = "application/vnd.sqltune.v1+json"
#: A JSON fallback larger than this is left out of the bundle (a notebook keeps every output it shows).
MAX_JSON_CHARS = 2_000_000

Renderer = Callable[[Any], str]
_RENDERERS: dict[str, Renderer] = {}
_JSON: dict[str, Callable[[Any], Any]] = {}


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def register(target: type | str, renderer: Renderer, to_json: Callable[[Any], Any] | None = None) -> None:
    """Show instances of ``target`` (a class, or its qualified name ``"sqltune.core.findings.Report"``) with
    ``renderer``, a function of the object that returns self-contained HTML. ``to_json`` gives the JSON
    fallback of objects without a ``to_dict()`` of their own."""
    name = target if isinstance(target, str) else _name(target)
    _RENDERERS[name] = renderer
    if to_json is not None:
        _JSON[name] = to_json


def renderer_for(obj: object) -> Renderer | None:
    """The renderer registered for the object's class or its nearest base class, or ``None``."""
    for cls in type(obj).__mro__:
        found = _RENDERERS.get(_name(cls))
        if found is not None:
            return found
    return None


def render_html(obj: object) -> str:
    """The object's HTML view; ``LookupError`` when no view is registered for its class."""
    renderer = renderer_for(obj)
    if renderer is None:
        importlib.import_module(VIEWS)  # registers the views (by name: the reporters are a higher layer)
        renderer = renderer_for(obj)
    if renderer is None:
        raise LookupError(f"no HTML view for {_name(type(obj))}")
    return renderer(obj)


def _json(obj: object) -> Any:
    to_dict = getattr(obj, "to_dict", None)
    if not callable(to_dict):
        to_dict = next((_JSON[_name(cls)] for cls in type(obj).__mro__ if _name(cls) in _JSON), None)
        if to_dict is None:
            return None
        data = to_dict(obj)
    else:
        data = to_dict()
    # A round trip through text: what a notebook can store (dates, enums and the like become strings).
    text = json.dumps(data, default=str)
    return json.loads(text) if len(text) <= MAX_JSON_CHARS else None


def _failure(obj: object, error: Exception) -> str:
    from html import escape

    detail = str(error).splitlines()[0] if str(error) else ""
    message = f"sqltune could not show this {type(obj).__name__} ({type(error).__name__}: {detail})"
    return f'<div class="sqltune-view"><p><b>{escape(message, quote=True)}</b>; this is a sqltune bug.</p></div>'


class Displayable:
    """Mix-in: the object shows itself in notebooks through its registered HTML view (see the module)."""

    __slots__ = ()

    def _repr_html_(self) -> str:
        try:
            return render_html(self)
        except Exception as error:  # a view must never turn a cell's output into a traceback
            return _failure(self, error)

    def _repr_mimebundle_(
        self, include: Container[str] | None = None, exclude: Container[str] | None = None
    ) -> dict[str, Any]:
        bundle: dict[str, Any] = {"text/plain": repr(self), "text/html": self._repr_html_()}
        wanted_json = include is not None and "application/json" in include
        try:
            data = _json(self)
        except Exception:  # the JSON is a fallback: the view and the text still show
            data = None
        if data is not None:
            bundle["application/json" if wanted_json else JSON_MIME] = data
        if include is not None:
            bundle = {key: value for key, value in bundle.items() if key in include}
        if exclude is not None:
            bundle = {key: value for key, value in bundle.items() if key not in exclude}
        return bundle
