"""Settings of the magics: ``%config SqlTune.<name> = ...`` (traitlets), then ``[tool.sqltune]``.

Each setting is taken from, first to last: the magic's option, ``%config SqlTune.<name>``, the connection
in use (its engine's dialect), the project's ``[tool.sqltune]`` (or ``.sqltune.toml``) found from the
kernel's working directory (:func:`sqltune.core.config.load_config`), sqltune's default.

- :class:`SqlTune`: the traitlets ``Configurable`` the extension registers with the shell;
- :func:`settings`: the :class:`~sqltune.core.config.Config` for one run of the magic.
"""

from __future__ import annotations

from traitlets import Bool, List, Unicode
from traitlets.config import Configurable

from sqltune.core.config import Config, load_config
from sqltune.core.sqlglot import get_dialect
from sqltune.notebook.options import MagicOptions

__all__ = ["SqlTune", "settings"]


class SqlTune(Configurable):
    """sqltune's notebook magics (``%sqltune``, ``%%sqltune``). A test checks each setting is documented."""

    dialect = Unicode(
        None, allow_none=True, help="SQL dialect when the magic's --dialect is not given (default: the connection's)."
    ).tag(config=True)
    dsn = Unicode(
        None, allow_none=True, help="Database for --explain and --indexes when neither --dsn nor --connection is given."
    ).tag(config=True)
    schema = Unicode(None, allow_none=True, help="DDL file or JSON schema snapshot when --schema is not given.").tag(
        config=True
    )
    select = List(Unicode(), help="Rules to run (codes, prefixes, names, categories); empty: the project's.").tag(
        config=True
    )
    ignore = List(Unicode(), help="Rules not to run, in the same forms as select; empty: the project's.").tag(
        config=True
    )
    statement_timeout = Unicode(
        "30s", help="Statement timeout of each EXPLAIN and what-if call (30s, 2min, 500ms)."
    ).tag(config=True)
    reuse_jupysql = Bool(True, help="Use jupysql's active connection and dialect when jupysql is loaded.").tag(
        config=True
    )
    show_traceback = Bool(False, help="Show the full traceback of an error instead of its one-paragraph message.").tag(
        config=True
    )


def settings(options: MagicOptions, defaults: SqlTune, connection_dialect: str | None = None) -> Config:
    """The configuration of one run: options over ``%config`` over the connection's dialect over the project's."""
    project = load_config()
    dialect = options.dialect or defaults.dialect or connection_dialect or project.dialect
    get_dialect(dialect)  # an unknown name is a one-line error listing the dialects
    return project.with_overrides(
        dialect=dialect,
        schema=options.schema or defaults.schema,
        select=tuple(defaults.select) or None,
        ignore=tuple(defaults.ignore) or None,
    )
