"""``%sqltune`` (line) and ``%%sqltune`` (cell): lint, explain, rewrite or advise indexes for SQL in a notebook.

One run: split the line into options and SQL (:mod:`~sqltune.notebook.options`), substitute ``{var}``
(:mod:`~sqltune.notebook.substitution`), settle the settings and the database
(:mod:`~sqltune.notebook.config`, :mod:`~sqltune.notebook.connection`), parse the SQL (a statement that does
not parse is an error at its line and column), run the action (:mod:`~sqltune.notebook.actions`) and hand
the result to IPython's display. Any error is one paragraph (:mod:`~sqltune.notebook.errors`).
"""

from __future__ import annotations

from typing import Any

from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand

from sqltune.core.parsing import parse_source
from sqltune.core.source import Source
from sqltune.notebook.actions import ACTIONS, Run
from sqltune.notebook.config import SqlTune, settings
from sqltune.notebook.connection import resolve_target
from sqltune.notebook.errors import CellError, brief
from sqltune.notebook.options import UsageError, help_text, parse_line
from sqltune.notebook.substitution import substitute

__all__ = ["CELL", "SqlTuneMagics"]

#: How the SQL of a cell is named in locations (``<cell>:2:14``); lines count from the cell's SQL.
CELL = "<cell>"


@magics_class
class SqlTuneMagics(Magics):
    """The magics, with the ``SqlTune`` settings (``defaults``) the extension registered beside them."""

    def __init__(self, shell: Any, defaults: SqlTune) -> None:
        super().__init__(shell)  # type: ignore[no-untyped-call]
        self.ipython = shell
        self.defaults = defaults

    @no_var_expand  # type: ignore[untyped-decorator]  # IPython's $var expansion would make PostgreSQL's $1 a 1
    @line_cell_magic  # type: ignore[untyped-decorator]
    def sqltune(self, line: str, cell: str | None = None) -> Any:
        try:
            return self._run(line, cell)
        except Exception as error:
            if self.defaults.show_traceback:
                raise
            raise CellError(brief(error)) from None

    def _run(self, line: str, cell: str | None) -> Any:
        namespace = self.ipython.user_ns
        options, rest = parse_line(line, namespace)
        if cell is None and not rest:
            raise UsageError("no SQL: write it after the options (%sqltune SELECT ...), or use %%sqltune")
        if cell is not None and rest:
            raise UsageError(f"%%sqltune takes options on its first line, the SQL below it; not {rest.split()[0]!r}")
        source = Source(CELL, substitute(rest if cell is None else cell, namespace, CELL))
        target = resolve_target(options, self.defaults, self.ipython)
        config = settings(options, self.defaults, target.dialect if target is not None else None)
        statements = parse_source(source, config.dialect, config.timeout or None)
        errors = [statement.error for statement in statements if statement.error is not None]
        if errors:
            raise UsageError("; ".join(f"{error.span}: {error.message}" for error in errors))
        if not statements:
            raise UsageError("no SQL statement in the cell")
        run = Run(source, statements, config, target, self.defaults.statement_timeout, options.analyze)
        result = ACTIONS[options.action](run)
        if options.output is not None:
            namespace[options.output] = result
        return result


SqlTuneMagics.sqltune.__doc__ = f"""Lint, explain, rewrite or advise indexes for SQL.

    %sqltune [options] SELECT ...
    %%sqltune [options]
    SELECT ...

Without an action option the SQL is linted. {{name}} in the SQL and in option values is the notebook
variable's value ({{{{ and }}}} for literal braces). Settings: %config SqlTune.

{help_text()}
"""
