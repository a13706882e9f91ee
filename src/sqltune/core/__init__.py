"""The SQL core: what every other layer reads SQL through.

- :mod:`~sqltune.core.source`: files, directories, globs and strings as :class:`Source` objects with spans;
- :mod:`~sqltune.core.templating`: dbt/Jinja rendered with same-length placeholders, offsets kept;
- :mod:`~sqltune.core.sqlglot`: the one gateway to sqlglot, and its supported version window;
- :mod:`~sqltune.core.parsing`: one tokenization per file, one :class:`Statement` per SQL statement;
- :mod:`~sqltune.core.findings`: :class:`Finding` and :class:`Report`, what every check produces;
- :mod:`~sqltune.core.config`: ``[tool.sqltune]`` / ``.sqltune.toml``.
"""
