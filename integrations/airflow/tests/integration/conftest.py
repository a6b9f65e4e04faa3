"""Session fixtures: Airflow's database (migrated once), the local stack, a client for checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shale_client import ShaleClient

from . import stack as local_stack


@pytest.fixture(scope="session")
def airflow_db() -> None:
    migrate = subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), "db", "migrate"], capture_output=True, text=True
    )
    if migrate.returncode != 0:
        pytest.fail(f"airflow db migrate failed:\n{migrate.stdout[-3000:]}\n{migrate.stderr[-3000:]}")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[local_stack.Stack]:
    running = local_stack.from_env()
    if running is None:
        running = local_stack.start(tmp_path_factory.mktemp("stack") / "localStack.log")
    # The provider reads its connection like any deployment would: from AIRFLOW_CONN_SHALE_DEFAULT.
    os.environ["AIRFLOW_CONN_SHALE_DEFAULT"] = json.dumps(
        {"conn_type": "shale", "host": running.api_url, "password": running.token}
    )
    os.environ["SHALE_TEST_TEAM"] = running.team
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def shale(stack: local_stack.Stack) -> Iterator[ShaleClient]:
    with ShaleClient(stack.api_url, stack.token) as client:
        yield client


@pytest.fixture(scope="session")
def airflow_env(airflow_db: None, stack: local_stack.Stack) -> None:
    """Both: Airflow's database and the connection to the stack."""
