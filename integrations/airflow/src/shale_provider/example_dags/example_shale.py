"""
The LivyOperator task of a typical DAG, ported to Shale.

Before (Airflow talks to one Livy; a worker that dies leaves the batch running, a retry makes
another one, and killing the task deletes the batch only if the worker is still alive):

    LivyOperator(
        task_id="daily_revenue",
        file="s3://acme-jobs/revenue/daily.py",
        args=["--date", "{{ ds }}"],
        executor_memory="16g", executor_cores=4, num_executors=10,
        conf={"spark.sql.shuffle.partitions": "400"},
        livy_conn_id="livy_emr",
        polling_interval=30,
    )

After (Shale owns the job: it picks the cluster, retries infrastructure failures, and a retried
task reattaches to its job or, after a failure, runs it again under the same job ID):
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG

from shale_provider.operators.shale import ShaleOperator

with DAG(
    dag_id="example_shale",
    schedule=None,
    start_date=datetime(2026, 11, 1),
    catchup=False,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=1)},
    tags=["example", "shale"],
) as dag:
    daily_revenue = ShaleOperator(
        task_id="daily_revenue",
        name="daily-revenue",
        team="analytics",
        kind="pyspark",
        file="s3://acme-jobs/revenue/daily.py",
        args=["--date", "{{ ds }}"],
        size="LARGE",  # 8g/4-core driver, 16g/4-core executors, 4-200 of them
        conf={"spark.sql.shuffle.partitions": "400"},
        route={"sparkVersion": "3"},
        timeouts={"run": "2h"},
        shale_conn_id="shale_default",
        deferrable=True,  # wait in the triggerer; the worker slot is free while Spark runs
    )

