"""What Airflow's providers manager reads from the ``apache_airflow_provider`` entry point.

The dictionary follows Airflow's ``provider_info.schema.json``; its ``package-name`` is the distribution's
name, which Airflow checks against the installed package.

>>> info = get_provider_info()
>>> info["package-name"], info["operators"][0]["python-modules"][0]
('sqltune', 'sqltune.integrations.airflow.operators.snapshot')
"""

from __future__ import annotations

from typing import Any

from sqltune.core.version import __version__

__all__ = ["HOOK_MODULES", "OPERATOR_MODULES", "get_provider_info"]

INTEGRATION = "sqltune"
OPERATOR_MODULES = (
    "sqltune.integrations.airflow.operators.snapshot",
    "sqltune.integrations.airflow.operators.regression",
    "sqltune.integrations.airflow.operators.lint",
)
HOOK_MODULES = ("sqltune.integrations.airflow.hooks",)


def get_provider_info() -> dict[str, Any]:
    """The provider info: package, name, description, versions, the integration, its operators and hook."""
    return {
        "package-name": "sqltune",
        "name": "sqltune",
        "description": (
            "sqltune checks for data pipelines: snapshots of a database's hottest queries and their plans, "
            "plan and time regressions between two snapshots, and SQL linting."
        ),
        # Airflow 3 takes the version from the installed distribution; "versions" is for tools that list it.
        "versions": [__version__],
        "integrations": [{"integration-name": INTEGRATION, "tags": ["software"]}],
        "operators": [{"integration-name": INTEGRATION, "python-modules": list(OPERATOR_MODULES)}],
        "hooks": [{"integration-name": INTEGRATION, "python-modules": list(HOOK_MODULES)}],
    }
