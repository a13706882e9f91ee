"""sqltune: make SQL fast and schemas sound."""

__version__ = "0.1.0"
