"""
Runs the demo DAG (dags/shale_demo.py) once with real Airflow against a running Shale API and
prints what happened: `SHALE_API_TOKEN=… python run_demo.py --api-url URL [--team TEAM]` (the token
from the environment, not the command line, where `ps` shows it to every local user). Airflow's
own output goes to a log file; the exit code is 0 only if the task and its job succeeded.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent


@contextlib.contextmanager
def output_to(path: Path):
    """Sends this process's stdout and stderr (Airflow's logs) to a file for the duration."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "a") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--token", default=None, help="the API token (default: $SHALE_API_TOKEN; prefer it: ps shows arguments)")
    parser.add_argument("--team", default="analytics")
    parser.add_argument("--log", default=None, help="Airflow's log file (default: a temp file)")
    args = parser.parse_args()
    args.token = args.token or os.environ.get("SHALE_API_TOKEN")
    if not args.token:
        parser.error("no token: set SHALE_API_TOKEN (or pass --token)")

    home = Path(tempfile.mkdtemp(prefix="shale-airflow-demo-"))
    try:
        return run(args, home)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def run(args: argparse.Namespace, home: Path) -> int:
    # Not in the home, which is removed at exit: the log is what the operator reads afterwards.
    log = Path(args.log) if args.log else Path(tempfile.mkstemp(prefix="shale-airflow-demo-", suffix=".log")[1])
    os.environ.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(HERE / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW_CONN_SHALE_DEFAULT": json.dumps({"conn_type": "shale", "host": args.api_url, "password": args.token}),
            "SHALE_DEMO_TEAM": args.team,
        }
    )
    started = time.monotonic()
    with open(log, "a") as out:
        migrated = subprocess.run([str(Path(sys.executable).parent / "airflow"), "db", "migrate"], stdout=out, stderr=out)
    if migrated.returncode != 0:
        print(f"airflow db migrate failed (see {log})", file=sys.stderr)
        return 1

    sys.path.insert(0, str(HERE / "dags"))
    from shale_demo import dag  # noqa: E402 - Airflow reads its settings at import

    from shale_client import ShaleClient

    when = datetime.now(timezone.utc)
    with output_to(log):
        dag_run = dag.test(logical_date=when, run_after=when)
    ti = dag_run.get_task_instance("daily_revenue")
    job_id = ti.xcom_pull(task_ids="daily_revenue", key="job_id")
    with ShaleClient(args.api_url, args.token) as shale:
        state = shale.get(job_id)["state"] if job_id else "no job"
    print(
        f"Airflow DAG shale_demo, run {dag_run.run_id}: task daily_revenue {ti.state} "
        f"(deferred to ShaleJobTrigger) -> Shale job {job_id} {state} "
        f"[{time.monotonic() - started:.0f} s; Airflow's log: {log}]"
    )
    return 0 if dag_run.state == "success" and state == "SUCCEEDED" else 1


if __name__ == "__main__":
    sys.exit(main())
