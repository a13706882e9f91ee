"""Fixtures of the rewrite tests: the differential-testing world on the real PostgreSQL and MariaDB (see rw_harness)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The suite imports test modules with --import-mode=importlib, which puts no test folder on sys.path; the
# harness module beside this file is shared by the rewrite tests, so make it importable by name.
sys.path.insert(0, str(Path(__file__).parent))

from rw_harness import Engines, MariaWorld


@pytest.fixture(scope="session")
def engines(pg_dsn: str) -> Iterator[Engines]:
    world = Engines(pg_dsn)
    try:
        yield world
    finally:
        world.close()


@pytest.fixture(scope="session")
def maria_engines(engines: Engines, mariadb: dict[str, Any]) -> Engines:
    """The world with its MariaDB copy attached (a throwaway database of the run's MariaDB, dropped with
    the world)."""
    if engines.maria is None:
        engines.maria = MariaWorld(mariadb)
    return engines
