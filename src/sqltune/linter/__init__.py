"""The lint pipeline: statements and schema through the rules into a :class:`~sqltune.core.findings.Report`.

- :mod:`~sqltune.linter.engine`: one walk per statement, nodes dispatched to the rules that asked for them;
- :mod:`~sqltune.linter.suppress`: inline ``-- sqltune: ignore[...]`` comments;
- :mod:`~sqltune.linter.parallel` and :mod:`~sqltune.linter.cache`: worker processes and the findings cache;
- :mod:`~sqltune.linter.baseline` and :mod:`~sqltune.linter.changes`: only new findings, only changed lines;
- :mod:`~sqltune.linter.dbt`: dbt models linted as dbt compiled them, findings shown on the model files.
"""
