"""The shapes the API answers with (plain JSON dicts, typed for readers and type checkers)."""

from __future__ import annotations

from typing import Any, TypedDict

LIVE_STATES = frozenset({"QUEUED", "SUBMITTING", "STARTING", "RUNNING", "RETRYING"})
FINAL_STATES = frozenset({"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"})


def is_final(state: str) -> bool:
    return state in FINAL_STATES


class SubmitAnswer(TypedDict):
    jobId: str
    #: True for a new job, or a new run of a job whose last run ended FAILED/CANCELLED/TIMED_OUT.
    created: bool
    #: True when this submit started a new run of an existing job.
    rerun: bool
    state: str


class JobError(TypedDict, total=False):
    type: str
    message: str


class JobStatus(TypedDict, total=False):
    jobId: str
    name: str
    team: str
    state: str
    attempts: list[dict[str, Any]]
    lastError: JobError
    logTail: list[str]
    cancel: dict[str, Any]


class LogEvent(TypedDict):
    """One ``log`` event of the follow stream: new lines of one attempt."""

    attempt: int
    lines: list[str]


def failure_reason(status: JobStatus) -> str:
    """What to tell a person about a job that did not succeed."""
    state = status.get("state", "?")
    parts = [f"job {status.get('jobId', '?')} ended {state}"]
    error = status.get("lastError")
    if error:
        kind = error.get("type") or error.get("class")
        parts.append(f"{kind}: {error.get('message', '')}" if kind else str(error.get("message", "")))
    cancel = status.get("cancel")
    if state == "CANCELLED" and cancel:
        who = cancel.get("requestedBy")
        why = cancel.get("reason")
        parts.append("cancelled" + (f" by {who}" if who else "") + (f": {why}" if why else ""))
    return "; ".join(parts)
