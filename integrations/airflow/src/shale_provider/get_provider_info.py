"""What Airflow's ProvidersManager reads through the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from typing import Any


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "airflow-provider-shale",
        "name": "Shale",
        "description": "Spark batch jobs on Amazon EMR through Apache Livy, owned server-side by Shale.",
        "versions": ["0.1.0"],
        "integrations": [{"integration-name": "Shale", "tags": ["service"]}],
        "hooks": [{"integration-name": "Shale", "python-modules": ["shale_provider.hooks.shale"]}],
        "operators": [{"integration-name": "Shale", "python-modules": ["shale_provider.operators.shale"]}],
        "sensors": [{"integration-name": "Shale", "python-modules": ["shale_provider.sensors.shale"]}],
        "triggers": [{"integration-name": "Shale", "python-modules": ["shale_provider.triggers.shale"]}],
        "connection-types": [
            {"hook-class-name": "shale_provider.hooks.shale.ShaleHook", "connection-type": "shale"},
        ],
    }
