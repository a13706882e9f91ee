"""docs/notebook.md names every option of the magics and every ``%config SqlTune`` setting."""

from __future__ import annotations

from pathlib import Path

from sqltune.notebook.config import SqlTune
from sqltune.notebook.options import OPTIONS

TEXT = (Path(__file__).resolve().parents[2] / "docs" / "notebook.md").read_text(encoding="utf-8")


def test_every_magic_option_is_documented() -> None:
    missing = [flag for option in OPTIONS for flag in option.flags if f"`{flag}" not in TEXT]
    assert not missing, f"document these %sqltune options in docs/notebook.md: {missing}"


def test_every_setting_is_documented() -> None:
    missing = [name for name in SqlTune.class_trait_names(config=True) if f"`SqlTune.{name}`" not in TEXT]
    assert not missing, f"document these %config SqlTune settings in docs/notebook.md: {missing}"
