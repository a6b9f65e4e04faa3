"""ShaleJobSensor: waits for a Shale job that something else started (its job ID is templated)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import cached_property
from typing import Any

from airflow.configuration import conf as airflow_conf
from airflow.providers.common.compat.sdk import AirflowException, BaseSensorOperator

from shale_client import JobStatus, failure_reason, is_final

from ..hooks.shale import ShaleHook
from ..triggers.shale import ShaleJobTrigger


class ShaleJobSensor(BaseSensorOperator):
    """
    Succeeds when the job SUCCEEDED; fails (with the reason) when it ended FAILED, CANCELLED or
    TIMED_OUT. Pushes the final status to XCom as ``job_status``. Deferred, it waits in the
    triggerer with long polls; the job is never cancelled by this sensor.

    :param job_id: the Shale job ID (templated), e.g. ``{{ ti.xcom_pull('submit', key='job_id') }}``.
    """

    template_fields: Sequence[str] = ("job_id",)

    def __init__(
        self,
        *,
        job_id: str,
        shale_conn_id: str = ShaleHook.default_conn_name,
        deferrable: bool = airflow_conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_timeout: int = 60,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.job_id = job_id
        self.shale_conn_id = shale_conn_id
        self.deferrable = deferrable
        self.poll_timeout = poll_timeout

    @cached_property
    def hook(self) -> ShaleHook:
        return ShaleHook(shale_conn_id=self.shale_conn_id)

    def execute(self, context: Any) -> Any:
        if not self.deferrable:
            return super().execute(context)
        status = self.hook.client.get(self.job_id)
        if is_final(status.get("state", "")):
            return self._judge(context, status)
        self.defer(
            trigger=ShaleJobTrigger(job_id=self.job_id, shale_conn_id=self.shale_conn_id, poll_timeout=self.poll_timeout),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout) if self.timeout else None,
        )

    def poke(self, context: Any) -> bool:
        status = self.hook.client.get(self.job_id)
        if not is_final(status.get("state", "")):
            self.log.info("Shale job %s is %s", self.job_id, status.get("state"))
            return False
        self._judge(context, status)
        return True

    def execute_complete(self, context: Any, event: dict[str, Any]) -> None:
        if event.get("status") != "final":
            raise AirflowException(f"could not learn how Shale job {self.job_id} ended: {event.get('message')}")
        self._judge(context, event["job"])

    def _judge(self, context: Any, status: JobStatus) -> None:
        context["ti"].xcom_push(key="job_status", value={k: v for k, v in status.items() if k != "logTail"})
        if status.get("state") != "SUCCEEDED":
            raise AirflowException(failure_reason(status))
        self.log.info("Shale job %s SUCCEEDED", self.job_id)
