"""Which failures are worth another try, and how long to wait before it."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from tenacity import RetryCallState, wait_random_exponential

from .errors import ShaleConnectionError, ShaleRateLimited, ShaleServerError


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` tries in all; waits grow from ``initial`` seconds up to ``maximum``, fully jittered."""

    attempts: int = 6
    initial: float = 0.5
    maximum: float = 10.0


class Retryable:
    """Predicates for tenacity: what may be sent again."""

    def __init__(self, idempotent: bool):
        self.idempotent = idempotent

    def __call__(self, exc: BaseException) -> bool:
        if isinstance(exc, ShaleConnectionError):
            # A request that never connected was never seen by the server: always safe to send again.
            return self.idempotent or isinstance(exc.__cause__, httpx.ConnectError)
        if isinstance(exc, (ShaleServerError, ShaleRateLimited)):
            return self.idempotent or exc.status in (429, 503)
        return False


class Backoff:
    """Exponential backoff with full jitter; a Retry-After the server sent wins (capped at ``maximum``)."""

    def __init__(self, policy: RetryPolicy):
        self.policy = policy
        self.exponential = wait_random_exponential(multiplier=policy.initial, max=policy.maximum)

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return min(float(retry_after), self.policy.maximum)
        return self.exponential(state)


def parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # an HTTP date: rare from this API; the exponential wait applies
    return seconds if seconds >= 0 else None
