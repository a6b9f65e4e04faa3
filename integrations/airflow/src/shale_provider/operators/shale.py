"""ShaleOperator: runs a Spark job through Shale and waits for it, in the worker or deferred."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

from airflow.configuration import conf as airflow_conf
from airflow.providers.common.compat.sdk import AirflowException, BaseOperator

from shale_client import JobStatus, ShaleClient, ShaleError, failure_reason, is_final

from ..hooks.shale import ShaleHook
from ..triggers.shale import ShaleJobTrigger
from .identity import idempotency_key_of, labels_of

#: Operator arguments that are JobSpec fields under another (Python) name.
_SPEC_FIELD_NAMES = {
    "class_name": "className",
    "py_files": "pyFiles",
    "proxy_user": "proxyUser",
}

#: What the final status pushed to XCom leaves out (the log has its own place: the task log).
_NOT_IN_XCOM = ("logTail",)


def _build_spec(spec: Mapping[str, Any] | None, fields: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(spec or {})
    for name, value in fields.items():
        if value is not None:
            merged[_SPEC_FIELD_NAMES.get(name, name)] = value
    return merged


class ShaleOperator(BaseOperator):
    """
    Submits a job to Shale (over its HTTP API) and waits until it ends.

    The job is given either whole as ``spec`` (a JobSpec dict: name, team, kind, file, args, conf,
    size, route, retry, timeouts, labels, ...) or field by field (``name=``, ``team=``, ...; a
    field given both ways takes the keyword). Everything in it is templated.

    The idempotency key is built from dag_id, task_id, map_index and run_id, the same for every try:
    a retry while the job still runs (the worker died) reattaches to it, a retry after the job
    SUCCEEDED returns it, and a retry after it FAILED, was CANCELLED or TIMED_OUT runs it again
    under the same job ID. The job carries labels dag_id, task_id, run_id (and map_index).

    :param spec: the JobSpec, or part of it.
    :param shale_conn_id: the ``shale`` connection (host, port, token as password).
    :param deferrable: wait in the triggerer (frees the worker slot) instead of the worker.
    :param poll_timeout: seconds one long poll may be held by the server (1-300).
    :param stream_logs: copy the job's log into the task log (live in the worker; at the end
        when deferred).
    :param idempotency_key: replaces the key built from the task instance (templated).
    """

    template_fields: Sequence[str] = ("spec", "idempotency_key")
    template_fields_renderers = {"spec": "json"}
    ui_color = "#c9d6df"

    def __init__(
        self,
        *,
        spec: Mapping[str, Any] | None = None,
        name: str | None = None,
        team: str | None = None,
        kind: str | None = None,
        file: str | None = None,
        class_name: str | None = None,
        sql: str | None = None,
        args: Sequence[str] | None = None,
        py_files: Sequence[str] | None = None,
        jars: Sequence[str] | None = None,
        files: Sequence[str] | None = None,
        archives: Sequence[str] | None = None,
        conf: Mapping[str, str] | None = None,
        queue: str | None = None,
        proxy_user: str | None = None,
        size: str | None = None,
        route: Mapping[str, Any] | None = None,
        retry: Mapping[str, Any] | None = None,
        timeouts: Mapping[str, Any] | None = None,
        labels: Mapping[str, str] | None = None,
        shale_conn_id: str = ShaleHook.default_conn_name,
        deferrable: bool = airflow_conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_timeout: int = 60,
        stream_logs: bool = True,
        idempotency_key: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.spec = _build_spec(
            spec,
            {
                "name": name, "team": team, "kind": kind, "file": file, "class_name": class_name, "sql": sql,
                "args": list(args) if args is not None else None,
                "py_files": list(py_files) if py_files is not None else None,
                "jars": list(jars) if jars is not None else None,
                "files": list(files) if files is not None else None,
                "archives": list(archives) if archives is not None else None,
                "conf": dict(conf) if conf is not None else None,
                "queue": queue, "proxy_user": proxy_user, "size": size,
                "route": dict(route) if route is not None else None,
                "retry": dict(retry) if retry is not None else None,
                "timeouts": dict(timeouts) if timeouts is not None else None,
                "labels": dict(labels) if labels is not None else None,
            },
        )
        if not 1 <= poll_timeout <= 300:
            raise ValueError(f"poll_timeout must be 1-300 seconds, got {poll_timeout}")
        self.shale_conn_id = shale_conn_id
        self.deferrable = deferrable
        self.poll_timeout = poll_timeout
        self.stream_logs = stream_logs
        self.idempotency_key = idempotency_key
        self.job_id: str | None = None
        self._kill_reason: str | None = None

    @cached_property
    def hook(self) -> ShaleHook:
        return ShaleHook(shale_conn_id=self.shale_conn_id)

    @property
    def client(self) -> ShaleClient:
        return self.hook.client

    # -- execute -------------------------------------------------------------------------------

    def execute(self, context: Any) -> str:
        ti = context["ti"]
        spec = dict(self.spec)
        spec["labels"] = {**dict(spec.get("labels") or {}), **labels_of(context)}
        key = self.idempotency_key or idempotency_key_of(context)
        self._kill_reason = (
            f"Airflow task {ti.dag_id}.{ti.task_id} (run {ti.run_id}, map index {ti.map_index}, "
            f"try {ti.try_number}) was killed"
        )

        answer = self.client.submit(spec, idempotency_key=key)
        self.job_id = answer["jobId"]
        if answer["created"]:
            verb = "Ran again (a new run after its last one did not succeed)" if answer.get("rerun") else "Submitted"
        else:
            verb = "Reattached to"
        self.log.info("%s Shale job %s (state %s, try %s, key %s)", verb, self.job_id, answer["state"], ti.try_number, key)
        ti.xcom_push(key="job_id", value=self.job_id)

        if self.deferrable and not is_final(answer["state"]):
            # The trigger itself watches execution_timeout (not defer's timeout, which would fail the
            # task and leave the job running): at the deadline execute_complete cancels the job.
            deadline = time.time() + self.execution_timeout.total_seconds() if self.execution_timeout else None
            self.defer(
                trigger=ShaleJobTrigger(
                    job_id=self.job_id,
                    shale_conn_id=self.shale_conn_id,
                    poll_timeout=self.poll_timeout,
                    kill_reason=self._kill_reason,
                    deadline=deadline,
                ),
                method_name="execute_complete",
            )

        streamed = False
        if self.stream_logs:
            streamed = self._follow_log(self.job_id)
        status = self.client.wait_until_final(self.job_id, poll_timeout=self.poll_timeout, on_status=self._log_change())
        if self.stream_logs and not streamed:
            self._print_log(self.job_id, status)
        return self._finish(context, status)

    def execute_complete(self, context: Any, event: dict[str, Any]) -> str:
        """Resumes after ShaleJobTrigger fired: prints the job's log, then judges how it ended."""
        self.job_id = event["job_id"]
        if event.get("status") == "timeout":
            reason = f"Airflow task {self.task_id} exceeded its execution_timeout ({self.execution_timeout})"
            with self.hook.get_client() as client:
                client.cancel(self.job_id, reason=reason)
            raise AirflowException(f"{reason}; Shale job {self.job_id} was {event['job'].get('state')} and is cancelled")
        if event.get("status") != "final":
            raise AirflowException(f"could not learn how Shale job {self.job_id} ended: {event.get('message')}")
        status: JobStatus = event["job"]
        self.log.info("Resumed from the triggerer: Shale job %s ended %s", self.job_id, status.get("state"))
        if self.stream_logs:
            self._print_log(self.job_id, status)
        return self._finish(context, status)

    def on_kill(self) -> None:
        """The task is being killed (SIGTERM, timeout, mark failed): cancel its job."""
        if not self.job_id:
            return
        reason = self._kill_reason or f"Airflow task {self.task_id} was killed"
        # A client of its own: on_kill may run in a signal handler while the task's own client is mid-request.
        try:
            with self.hook.get_client() as client:
                answer = client.cancel(self.job_id, reason=reason)
        except ShaleError as exc:
            self.log.error("Could not cancel Shale job %s: %s", self.job_id, exc)
            return
        self.log.info("Asked Shale to cancel job %s (%s): %s", self.job_id, reason, answer)

    # -- helpers -------------------------------------------------------------------------------

    def _finish(self, context: Any, status: JobStatus) -> str:
        context["ti"].xcom_push(key="job_status", value={k: v for k, v in status.items() if k not in _NOT_IN_XCOM})
        state = status.get("state")
        if state != "SUCCEEDED":
            raise AirflowException(failure_reason(status))
        self.log.info("Shale job %s SUCCEEDED", self.job_id)
        assert self.job_id is not None
        return self.job_id

    def _log_change(self) -> Any:
        last: dict[str, Any] = {}

        def on_status(status: JobStatus) -> None:
            state = status.get("state")
            attempts = status.get("attempts") or []
            if state != last.get("state") or len(attempts) != last.get("attempts"):
                self.log.info("Shale job %s: %s (attempt %s)", self.job_id, state, len(attempts) or "-")
                last.update(state=state, attempts=len(attempts))

        return on_status

    def _follow_log(self, job_id: str) -> bool:
        """Copies the live log into the task log until the job ends; False if the stream broke."""
        try:
            for event in self.client.follow_logs(job_id):
                if event.get("end"):
                    return True
                for line in event.get("lines", []):
                    self.log.info("[shale %s a%s] %s", job_id, event.get("attempt", "?"), line)
        except ShaleError as exc:
            self.log.warning("The log stream of Shale job %s broke (%s); its log is printed at the end", job_id, exc)
            return False
        return False

    def _print_log(self, job_id: str, status: JobStatus) -> None:
        try:
            answer = self.client.logs(job_id)
            lines = answer.get("lines") or []
            attempt = answer.get("attempt", "?")
        except ShaleError as exc:
            self.log.warning("Could not read the log of Shale job %s (%s); its tail follows", job_id, exc)
            lines, attempt = status.get("logTail") or [], "?"
        for line in lines:
            self.log.info("[shale %s a%s] %s", job_id, attempt, line)
