"""
The DAGs the integration tests run. Each scripts its job's behaviour in the Livy simulator through
`shale.sim.*` conf keys (dev/livy-sim/behaviour.ts). The team comes from the stack the tests use.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG

from shale_provider.operators.shale import ShaleOperator
from shale_provider.sensors.shale import ShaleJobSensor

TEAM = os.environ.get("SHALE_TEST_TEAM", "analytics")
START = datetime(2026, 1, 1)


def sim_conf(*, duration_ms: int, log_lines: int = 5, outcome: str | None = None) -> dict[str, str]:
    conf = {"shale.sim.durationMs": str(duration_ms), "shale.sim.logLines": str(log_lines), "shale.sim.startingMs": "200"}
    if outcome:
        conf["shale.sim.outcome"] = outcome
    return conf


def job_dag(dag_id: str, *, conf: dict[str, str], retries: int = 0, **operator: Any) -> DAG:
    with DAG(
        dag_id=dag_id,
        schedule=None,
        start_date=START,
        catchup=False,
        default_args={"retries": retries, "retry_delay": timedelta(0)},
    ) as dag:
        ShaleOperator(
            task_id="spark",
            name=dag_id.replace("_", "-"),
            team=TEAM,
            kind="pyspark",
            file="s3://shale-test/app.py",
            args=["--day", "{{ ds }}"],
            conf=conf,
            size="SMALL",
            # One Livy batch per run: an app failure ends the run FAILED (the Airflow retry runs it again).
            retry={"app": 0},
            poll_timeout=5,
            **operator,
        )
    return dag


shale_sync = job_dag("shale_sync", conf=sim_conf(duration_ms=3000))
shale_deferred = job_dag("shale_deferred", conf=sim_conf(duration_ms=3000), deferrable=True)
# The first run's batch is ended `dead` by the test (the simulator's admin API); the retry runs again.
shale_retry = job_dag("shale_retry", conf=sim_conf(duration_ms=8000), retries=1)
shale_retry_deferred = job_dag("shale_retry_deferred", conf=sim_conf(duration_ms=8000), retries=1, deferrable=True)
# Long enough to be killed while it runs.
shale_killable = job_dag("shale_killable", conf=sim_conf(duration_ms=60000, log_lines=60))
# Outlives the killed worker and the start of its retry (dag.test takes some seconds to start a task).
shale_reattach = job_dag("shale_reattach", conf=sim_conf(duration_ms=30000, log_lines=30))
# execution_timeout ends the task while the job runs: the job is cancelled, waited in the worker or deferred.
shale_timeout = job_dag("shale_timeout", conf=sim_conf(duration_ms=120000), execution_timeout=timedelta(seconds=15))
shale_timeout_deferred = job_dag(
    "shale_timeout_deferred", conf=sim_conf(duration_ms=120000), execution_timeout=timedelta(seconds=15), deferrable=True
)
shale_failing = job_dag("shale_failing", conf=sim_conf(duration_ms=500, outcome="dead"))

with DAG(dag_id="shale_sensor", schedule=None, start_date=START, catchup=False) as shale_sensor:
    ShaleJobSensor(task_id="wait", job_id="{{ dag_run.conf['job_id'] }}", poke_interval=1, timeout=120)

with DAG(dag_id="shale_sensor_deferred", schedule=None, start_date=START, catchup=False) as shale_sensor_deferred:
    ShaleJobSensor(task_id="wait", job_id="{{ dag_run.conf['job_id'] }}", deferrable=True, poll_timeout=5, timeout=120)

# Mapped: one job per map index (the key and the labels carry it).
with DAG(dag_id="shale_mapped", schedule=None, start_date=START, catchup=False) as shale_mapped:
    ShaleOperator.partial(
        task_id="spark",
        name="shale-mapped",
        team=TEAM,
        kind="pyspark",
        file="s3://shale-test/app.py",
        conf=sim_conf(duration_ms=1000),
        retry={"app": 0},
        poll_timeout=5,
    ).expand(args=[["--part", "a"], ["--part", "b"]])
