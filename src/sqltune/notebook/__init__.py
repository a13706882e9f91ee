"""The Jupyter surface: ``%load_ext sqltune`` registers the ``%sqltune`` and ``%%sqltune`` magics.

``import sqltune`` never imports IPython: :func:`sqltune.load_ipython_extension` imports this package when
IPython loads the extension. The modules, in the order a run of the magic uses them:

- :mod:`~sqltune.notebook.options`: the options, and splitting the line into options and SQL;
- :mod:`~sqltune.notebook.substitution`: ``{var}`` from the notebook's variables;
- :mod:`~sqltune.notebook.config`: ``%config SqlTune.<name>`` and ``[tool.sqltune]``;
- :mod:`~sqltune.notebook.connection` and :mod:`~sqltune.notebook.jupysql`: which database, jupysql's
  active connection included;
- :mod:`~sqltune.notebook.actions`: lint, explain, rewrite, index advice;
- :mod:`~sqltune.notebook.errors`: errors as one short paragraph;
- :mod:`~sqltune.notebook.magics`: the magics themselves.

Results are the library's own objects (a lint report, plan reports, a rewrite report, an index plan); IPython
shows them with their rich representations.
"""

from __future__ import annotations

from typing import Any

__all__ = ["load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics and the ``SqlTune`` settings on ``ipython`` (``%load_ext sqltune``)."""
    from sqltune.notebook.config import SqlTune
    from sqltune.notebook.magics import SqlTuneMagics

    defaults = SqlTune(parent=ipython)
    ipython.configurables.append(defaults)
    ipython.register_magics(SqlTuneMagics(ipython, defaults))


def unload_ipython_extension(ipython: Any) -> None:
    """Remove what :func:`load_ipython_extension` registered (``%unload_ext sqltune``)."""
    from sqltune.notebook.config import SqlTune

    for kind in ("line", "cell"):
        ipython.magics_manager.magics[kind].pop("sqltune", None)
    ipython.configurables[:] = [item for item in ipython.configurables if not isinstance(item, SqlTune)]
