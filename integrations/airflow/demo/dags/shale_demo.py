"""The DAG `make demo AIRFLOW=1` runs: one ShaleOperator task, deferred, on the demo's stack."""

from __future__ import annotations

import os
from datetime import datetime

from airflow.sdk import DAG

from shale_provider.operators.shale import ShaleOperator

with DAG(dag_id="shale_demo", schedule=None, start_date=datetime(2026, 1, 1), catchup=False) as dag:
    ShaleOperator(
        task_id="daily_revenue",
        name="airflow-daily-revenue",
        team=os.environ.get("SHALE_DEMO_TEAM", "analytics"),
        kind="pyspark",
        file="s3://acme-jobs/revenue/daily.py",
        args=["--date", "{{ ds }}"],
        route={"sparkVersion": "3"},
        conf={"shale.sim.durationMs": "4000"},  # tells the Livy simulator how long to run
        deferrable=True,
        poll_timeout=30,
    )
