"""ShaleJobTrigger: waits in the triggerer for a Shale job to end, with one HTTP session and long polls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from shale_client import ShaleError, is_final

from ..hooks.shale import ShaleAsyncHook


class ShaleJobTrigger(BaseTrigger):
    """
    Fires once the job ends. The event's payload is ``{"status": "final", "job_id", "job": <JobStatus>}``,
    ``{"status": "timeout", ...}`` at ``deadline``, or ``{"status": "error", "job_id", "message"}``
    when the API could not be asked (after retries).

    :param job_id: the Shale job to wait for.
    :param shale_conn_id: the ``shale`` connection.
    :param poll_timeout: seconds one long poll may be held by the server (1-300).
    :param deadline: a Unix time; the trigger fires ``{"status": "timeout", "job"}`` when the job is
        still live then (the operator's execution_timeout; the operator then cancels the job).
    :param kill_reason: when set, a user killing the deferred task (mark failed/success, clear)
        cancels the job with this reason; a sensor watching someone else's job leaves it unset.
    """

    def __init__(
        self,
        job_id: str,
        shale_conn_id: str = ShaleAsyncHook.default_conn_name,
        poll_timeout: int = 60,
        kill_reason: str | None = None,
        deadline: float | None = None,
    ):
        super().__init__()
        self.job_id = job_id
        self.shale_conn_id = shale_conn_id
        self.poll_timeout = poll_timeout
        self.kill_reason = kill_reason
        self.deadline = deadline

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "job_id": self.job_id,
                "shale_conn_id": self.shale_conn_id,
                "poll_timeout": self.poll_timeout,
                "kill_reason": self.kill_reason,
                "deadline": self.deadline,
            },
        )

    async def on_kill(self) -> None:
        """A user killed the deferred task: the job is cancelled too (an operator's trigger only)."""
        if not self.kill_reason:
            return
        hook = ShaleAsyncHook(shale_conn_id=self.shale_conn_id)
        async with await hook.get_async_client() as client:
            answer = await client.cancel(self.job_id, reason=self.kill_reason)
        self.log.info("Asked Shale to cancel job %s: %s", self.job_id, answer)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        hook = ShaleAsyncHook(shale_conn_id=self.shale_conn_id)
        try:
            async with await hook.get_async_client() as client:
                self.log.info("Waiting for Shale job %s (long polls of %ss)", self.job_id, self.poll_timeout)
                status = await client.wait_until_final(self.job_id, poll_timeout=self.poll_timeout, deadline=self.deadline)
        except ShaleError as exc:
            yield TriggerEvent({"status": "error", "job_id": self.job_id, "message": str(exc)})
            return
        if not is_final(status.get("state", "")):
            self.log.info("Shale job %s is still %s at the task's deadline", self.job_id, status.get("state"))
            yield TriggerEvent({"status": "timeout", "job_id": self.job_id, "job": dict(status)})
            return
        self.log.info("Shale job %s ended %s", self.job_id, status.get("state"))
        yield TriggerEvent({"status": "final", "job_id": self.job_id, "job": dict(status)})
