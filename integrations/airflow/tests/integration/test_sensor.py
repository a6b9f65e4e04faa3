"""ShaleJobSensor for a job started elsewhere (here: by the client), poking and deferred."""

from __future__ import annotations

import uuid

import pytest

from shale_client import ShaleClient

from .dag_runs import dags_module, run_in_process, task_xcom
from .stack import Stack

pytestmark = pytest.mark.usefixtures("airflow_env")


def submit(shale: ShaleClient, stack: Stack, outcome: str = "success") -> str:
    spec = {
        "name": "sensed-job",
        "team": stack.team,
        "kind": "pyspark",
        "file": "s3://shale-test/other.py",
        "retry": {"app": 0},
        "conf": {"shale.sim.durationMs": "3000", "shale.sim.outcome": outcome},
    }
    return shale.submit(spec, idempotency_key=f"sensor-test-{uuid.uuid4()}")["jobId"]


@pytest.mark.parametrize("dag_id", ["shale_sensor", "shale_sensor_deferred"])
def test_the_sensor_waits_for_a_job_started_elsewhere(dag_id, stack: Stack, shale: ShaleClient):
    job_id = submit(shale, stack)
    dag_run = run_in_process(getattr(dags_module(), dag_id), conf={"job_id": job_id})

    assert dag_run.state == "success"
    assert task_xcom(dag_run, "job_status", task_id="wait")["state"] == "SUCCEEDED"
    assert shale.get(job_id)["state"] == "SUCCEEDED"


def test_the_sensor_fails_when_the_job_failed_and_leaves_it_alone(stack: Stack, shale: ShaleClient, capfd):
    job_id = submit(shale, stack, outcome="dead")
    dag_run = run_in_process(dags_module().shale_sensor_deferred, conf={"job_id": job_id})
    out = capfd.readouterr().out

    assert dag_run.state == "failed"
    assert f"job {job_id} ended FAILED" in out
    assert "cancel" not in shale.get(job_id)
