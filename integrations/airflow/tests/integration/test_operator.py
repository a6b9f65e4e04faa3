"""
ShaleOperator through real Airflow (dag.test) against the real local stack: the HTTP API, a
worker, Temporal and the Livy simulator. The task log is what dag.test prints (captured here).
"""

from __future__ import annotations

import signal
import threading
import time

import pytest

from shale_client import ShaleClient

from .dag_runs import ChildRun, dags_module, fresh_date, run_in_process, task_xcom
from .stack import Stack

pytestmark = pytest.mark.usefixtures("airflow_env")


def livy_lines(job_id: str, attempt: int, count: int) -> list[str]:
    """The lines the simulator's app prints (dev/livy-sim/batches.ts appLine)."""
    return [f"line {n} of {job_id}-a{attempt}" for n in range(1, count + 1)]


def wait_for_state(shale: ShaleClient, job_id: str, state: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while (current := shale.get(job_id)["state"]) != state:
        assert time.monotonic() < deadline, f"job {job_id} is {current}, never {state}"
        time.sleep(0.2)


@pytest.mark.parametrize("dag_id", ["shale_sync", "shale_deferred"])
def test_a_dag_runs_its_job_to_success_and_shows_its_log(dag_id, stack: Stack, shale: ShaleClient, capfd):
    dag_run = run_in_process(getattr(dags_module(), dag_id))
    out = capfd.readouterr().out

    assert dag_run.state == "success", out[-3000:]
    job_id = task_xcom(dag_run, "job_id")
    assert job_id
    assert task_xcom(dag_run, "return_value") == job_id
    pushed = task_xcom(dag_run, "job_status")
    assert pushed["jobId"] == job_id and pushed["state"] == "SUCCEEDED"

    status = shale.get(job_id)
    assert status["state"] == "SUCCEEDED"
    assert status["labels"] == {"dag_id": dag_id, "task_id": "spark", "run_id": dag_run.run_id}
    for line in livy_lines(job_id, 1, 5):
        assert line in out, f"{line!r} is not in the task log"
    assert "log stream of Shale job" not in out, "the live log stream broke"
    if dag_id == "shale_deferred":  # waited in the trigger, not in the worker
        assert f"Resumed from the triggerer: Shale job {job_id} ended SUCCEEDED" in out
    assert len(stack.livy_posts(job_id)) == 1


def test_each_mapped_task_instance_runs_its_own_job(stack: Stack, shale: ShaleClient):
    dag_run = run_in_process(dags_module().shale_mapped)

    assert dag_run.state == "success"
    tis = sorted(dag_run.get_task_instances(), key=lambda ti: ti.map_index)
    assert [ti.map_index for ti in tis] == [0, 1]
    job_ids = [ti.xcom_pull(task_ids="spark", key="job_id", map_indexes=ti.map_index) for ti in tis]
    assert len(set(job_ids)) == 2
    for map_index, job_id in enumerate(job_ids):
        status = shale.get(job_id)
        assert status["state"] == "SUCCEEDED"
        assert status["labels"]["map_index"] == str(map_index)
        assert len(stack.livy_posts(job_id)) == 1


def test_a_failed_job_fails_the_task_with_its_reason(shale: ShaleClient, capfd):
    dag_run = run_in_process(dags_module().shale_failing)
    out = capfd.readouterr().out

    assert dag_run.state == "failed"
    job_id = task_xcom(dag_run, "job_id")
    assert shale.get(job_id)["state"] == "FAILED"
    assert task_xcom(dag_run, "job_status")["state"] == "FAILED"
    assert f"job {job_id} ended FAILED" in out


def _fail_first_new_batch(stack: Stack, seen: set[str], failed: list[str], stop: threading.Event) -> None:
    """Ends the first batch not in ``seen`` `dead` as soon as it exists (the simulator's admin API)."""
    while not stop.is_set():
        for post in stack.batch_posts():
            name = post.get("batchName")
            if name and name not in seen and 200 <= post.get("status", 0) < 300 and stack.finish_batch(name, "dead"):
                failed.append(name)
                return
        time.sleep(0.1)


@pytest.mark.parametrize("dag_id", ["shale_retry", "shale_retry_deferred"])
def test_a_task_retried_after_its_job_failed_runs_the_job_again_under_the_same_id(
    dag_id, stack: Stack, shale: ShaleClient, capfd
):
    seen = {post.get("batchName") for post in stack.batch_posts()}
    failed: list[str] = []
    stop = threading.Event()
    saboteur = threading.Thread(target=_fail_first_new_batch, args=(stack, seen, failed, stop), daemon=True)
    saboteur.start()
    try:
        dag_run = run_in_process(getattr(dags_module(), dag_id))
    finally:
        stop.set()
        saboteur.join()
    out = capfd.readouterr().out

    assert failed, "no batch was POSTed to fail"
    assert dag_run.state == "success", out[-3000:]
    ti = dag_run.get_task_instance("spark")
    assert ti.try_number == 2
    job_id = task_xcom(dag_run, "job_id")
    assert failed[0].startswith(f"{job_id}-a"), f"the failed batch {failed[0]} is not job {job_id}'s"
    assert f"job {job_id} ended FAILED" in out
    assert f"Ran again (a new run after its last one did not succeed) Shale job {job_id}" in out

    status = shale.get(job_id)
    assert status["state"] == "SUCCEEDED"
    assert status.get("run") == 2
    assert [run["state"] for run in status.get("previousRuns", [])] == ["FAILED"]
    assert len(stack.livy_posts(job_id)) == 2, "one batch per run"


@pytest.mark.parametrize("dag_id", ["shale_timeout", "shale_timeout_deferred"])
def test_a_task_past_its_execution_timeout_cancels_its_job(dag_id, shale: ShaleClient, capfd):
    dag_run = run_in_process(getattr(dags_module(), dag_id))
    out = capfd.readouterr().out

    assert dag_run.state == "failed"
    job_id = task_xcom(dag_run, "job_id")
    status = shale.wait_until_final(job_id, poll_timeout=30, deadline=time.monotonic() + 60)
    assert status["state"] == "CANCELLED", out[-3000:]
    reason = status["cancel"]["reason"]
    assert ("exceeded its execution_timeout" if dag_id.endswith("deferred") else "was killed") in reason


def test_a_task_killed_with_sigterm_cancels_its_job(shale: ShaleClient):
    child = ChildRun.start("shale_killable", fresh_date())
    try:
        job_id = child.wait_for_job_id()
        wait_for_state(shale, job_id, "RUNNING")
        child.send(signal.SIGTERM)
        status = shale.wait_until_final(job_id, poll_timeout=30, deadline=time.monotonic() + 90)
        child.wait()
    finally:
        if child.process.poll() is None:
            child.process.kill()
    out = child.output()

    assert status["state"] == "CANCELLED", out[-3000:]
    assert "was killed" in status["cancel"]["reason"]
    assert "shale_killable.spark" in status["cancel"]["reason"]
    assert f"Asked Shale to cancel job {job_id}" in out
    assert "ENDED failed" in out


def test_a_task_whose_worker_was_sigkilled_reattaches_on_retry(stack: Stack, shale: ShaleClient, capfd):
    when = fresh_date()
    child = ChildRun.start("shale_reattach", when)
    try:
        job_id = child.wait_for_job_id()
        wait_for_state(shale, job_id, "RUNNING")
        child.send(signal.SIGKILL)
        child.wait()
    finally:
        if child.process.poll() is None:
            child.process.kill()
    assert shale.get(job_id)["state"] == "RUNNING", "the job outlives its worker"

    # The same task instance again (same run_id, so the same idempotency key): it reattaches.
    dag_run = run_in_process(dags_module().shale_reattach, when)
    out = capfd.readouterr().out

    assert dag_run.state == "success", out[-3000:]
    assert task_xcom(dag_run, "job_id") == job_id
    assert f"Reattached to Shale job {job_id}" in out
    assert shale.get(job_id)["state"] == "SUCCEEDED"
    assert len(stack.livy_posts(job_id)) == 1, "no second Livy batch"
