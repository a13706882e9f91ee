"""The Jupyter surface: ``%load_ext sqltune``, the ``%sqltune`` magics and rich displays of results."""
