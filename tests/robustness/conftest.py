"""The robustness harness: its test modules share the invariants of one CLI run (robustness_support)."""

from __future__ import annotations

import sys
from pathlib import Path

# --import-mode=importlib puts no test folder on sys.path; the modules here share robustness_support.
sys.path.insert(0, str(Path(__file__).resolve().parent))
