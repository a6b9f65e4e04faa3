"""A small client for Shale's HTTP job API, usable with or without Airflow."""

from .client import MAX_WAIT_SECONDS, AsyncShaleClient, ShaleClient
from .errors import (
    ShaleApiError,
    ShaleAuthError,
    ShaleConflict,
    ShaleConnectionError,
    ShaleError,
    ShaleInvalidSpec,
    ShaleNotFound,
    ShaleRateLimited,
    ShaleServerError,
)
from .models import FINAL_STATES, LIVE_STATES, JobStatus, SubmitAnswer, failure_reason, is_final
from .retry import RetryPolicy

__all__ = [
    "FINAL_STATES",
    "LIVE_STATES",
    "MAX_WAIT_SECONDS",
    "AsyncShaleClient",
    "JobStatus",
    "RetryPolicy",
    "ShaleApiError",
    "ShaleAuthError",
    "ShaleClient",
    "ShaleConflict",
    "ShaleConnectionError",
    "ShaleError",
    "ShaleInvalidSpec",
    "ShaleNotFound",
    "ShaleRateLimited",
    "ShaleServerError",
    "SubmitAnswer",
    "failure_reason",
    "is_final",
]
