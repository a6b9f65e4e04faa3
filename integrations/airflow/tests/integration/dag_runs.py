"""Running the test DAGs: in this process (dag.test) or in a child process that a test may kill."""

from __future__ import annotations

import importlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

DAGS = Path(__file__).resolve().parents[1] / "dags"
_SUBMITTED = re.compile(r"(?:Submitted|Reattached to|Ran again .*?) Shale job (\S+)")


def dags_module() -> ModuleType:
    """The DAG module, imported once the stack's team is in the environment."""
    if str(DAGS) not in sys.path:
        sys.path.insert(0, str(DAGS))
    return importlib.import_module("shale_test_dags")


def fresh_date() -> datetime:
    """A logical date (and run_after) no earlier run used: a new run_id, so a new idempotency key."""
    return datetime.now(timezone.utc)


def run_in_process(dag: Any, when: datetime | None = None, conf: dict[str, Any] | None = None) -> Any:
    when = when or fresh_date()
    return dag.test(logical_date=when, run_after=when, run_conf=conf)


def task_xcom(dag_run: Any, key: str, task_id: str = "spark") -> Any:
    return dag_run.get_task_instance(task_id).xcom_pull(task_ids=task_id, key=key)


@dataclass
class ChildRun:
    """``dag.test()`` in a child process; its output is collected line by line."""

    process: subprocess.Popen
    lines: list[str] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    @classmethod
    def start(cls, dag_id: str, when: datetime) -> ChildRun:
        process = subprocess.Popen(
            [sys.executable, "-u", __file__, dag_id, when.isoformat()],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=os.environ.copy(),
        )
        run = cls(process)
        threading.Thread(target=run._pump, daemon=True).start()
        return run

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def output(self) -> str:
        with self._changed:
            return "\n".join(self.lines)

    def wait_for_job_id(self, timeout: float = 180) -> str:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if match := _SUBMITTED.search(line):
                        return match.group(1)
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    tail = "\n".join(self.lines[-40:])
                    raise AssertionError(f"the task never said which job it submitted; its output ends:\n{tail}")
                self._changed.wait(min(left, 1.0))

    def send(self, sig: signal.Signals) -> None:
        self.process.send_signal(sig)

    def wait(self, timeout: float = 120) -> int:
        return self.process.wait(timeout=timeout)


def _main() -> None:
    dag_id, when = sys.argv[1], datetime.fromisoformat(sys.argv[2])
    dag = getattr(dags_module(), dag_id)
    dag_run = run_in_process(dag, when)
    print(f"DAG RUN {dag_run.run_id} ENDED {dag_run.state}", flush=True)


if __name__ == "__main__":
    # As a child: the signal handlers are Airflow's task runner's (SIGTERM runs on_kill).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _main()
