"""The local stack (dev/stack/localStack.ts) as a child process, or one already running (env)."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[4]
READY_TIMEOUT_S = 240


@dataclass
class Stack:
    api_url: str
    token: str
    team: str
    simulators: list[str]
    info: dict[str, Any] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    def batch_posts(self) -> list[dict[str, Any]]:
        """Every POST /batches the simulators saw (their admin request logs)."""
        posts = []
        for url in self.simulators:
            posts += httpx.get(f"{url}/admin/requests", params={"method": "POST"}, timeout=10).json()["requests"]
        return posts

    def livy_posts(self, job_id: str) -> list[dict[str, Any]]:
        """The POSTs for this job's attempts (batch names ``<job>-a<n>``)."""
        return [r for r in self.batch_posts() if (r.get("batchName") or "").startswith(f"{job_id}-a")]

    def finish_batch(self, name: str, state: str) -> bool:
        """Ends a batch now with the given Livy state (on whichever simulator holds it)."""
        for url in self.simulators:
            answer = httpx.post(f"{url}/admin/batches/{name}/finish", json={"state": state}, timeout=10)
            if answer.status_code == 200:
                return True
        return False

    def stop(self) -> None:
        if self.process is None:
            return
        # Closing stdin is the stack's own "stop"; SIGTERM if it does not go within its grace.
        try:
            if self.process.stdin:
                self.process.stdin.close()
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            self.process.wait(timeout=30)


def _pick_token(tokens: dict[str, str]) -> str:
    for name in ("airflow", "analytics", "submitter", "admin"):
        if name in tokens:
            return tokens[name]
    if not tokens:
        raise RuntimeError("the local stack printed no tokens")
    return next(iter(tokens.values()))


def from_env() -> Stack | None:
    """SHALE_TEST_API_URL (+ SHALE_TEST_TOKEN, SHALE_TEST_SIMULATORS, SHALE_TEST_TEAM): use that stack."""
    url = os.environ.get("SHALE_TEST_API_URL")
    if not url:
        return None
    return Stack(
        api_url=url,
        token=os.environ.get("SHALE_TEST_TOKEN", ""),
        team=os.environ.get("SHALE_TEST_TEAM", "analytics"),
        simulators=[s for s in os.environ.get("SHALE_TEST_SIMULATORS", "").split(",") if s],
    )


def _ready_line(process: subprocess.Popen, lines: queue.Queue[str | None], log_path: Path) -> dict[str, Any]:
    """The JSON line naming the API (lines before it, e.g. a process's own log, are skipped)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            process.terminate()
            raise RuntimeError(f"the local stack printed no ready line in {READY_TIMEOUT_S} s (see {log_path})") from None
        if line is None:
            raise RuntimeError(f"the local stack exited ({process.wait()}) before it was ready (see {log_path})")
        try:
            info = json.loads(line)
        except ValueError:
            continue
        if isinstance(info, dict) and "apiUrl" in info:
            return info


def start(log_path: Path) -> Stack:
    log = open(log_path, "w")  # noqa: SIM115 - kept open for the child's life
    process = subprocess.Popen(
        # node --import tsx, not npx: npx does not pass a SIGTERM on to the stack.
        ["node", "--import", "tsx", os.environ.get("SHALE_TEST_STACK_SCRIPT", "dev/stack/localStack.ts")],
        cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    info = _ready_line(process, lines, log_path)
    team = os.environ.get("SHALE_TEST_TEAM") or info.get("team") or "analytics"
    return Stack(
        api_url=info["apiUrl"],
        token=_pick_token(info.get("tokens", {})),
        team=team,
        simulators=[s["url"] for s in info.get("simulators", [])],
        info=info,
        process=process,
    )
