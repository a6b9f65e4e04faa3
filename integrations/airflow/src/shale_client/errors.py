"""Exceptions the client raises: an HTTP answer that is not a success carries the problem details."""

from __future__ import annotations

from typing import Any


class ShaleError(Exception):
    """Anything the Shale client could not do."""


class ShaleConnectionError(ShaleError):
    """The API could not be reached (after retries); names the URL it tried."""

    def __init__(self, url: str, cause: BaseException):
        super().__init__(f"could not reach the Shale API at {url}: {type(cause).__name__}: {cause}")
        self.url = url


class ShaleApiError(ShaleError):
    """
    The API answered with an error (application/problem+json).

    ``problem`` is the whole document; ``errors`` the field-level errors of a 422, ``differing``
    the fields a reused idempotency key's spec differs in (409).
    """

    def __init__(self, status: int, problem: dict[str, Any], method: str, path: str):
        self.status = status
        self.problem = problem
        self.method = method
        self.path = path
        self.title: str = str(problem.get("title") or f"HTTP {status}")
        self.detail: str | None = problem.get("detail")
        self.errors: list[dict[str, Any]] = list(problem.get("errors") or [])
        self.differing: list[str] = [str(d) for d in problem.get("differing") or []]
        super().__init__(self._describe())

    def _describe(self) -> str:
        text = f"{self.method} {self.path}: {self.status} {self.title}"
        if self.detail:
            text += f": {self.detail}"
        if self.errors:
            text += "; " + "; ".join(f"{e.get('field', '?')}: {e.get('message', '')}" for e in self.errors)
        if self.differing:
            text += f" (differing: {', '.join(self.differing)})"
        return text


class ShaleAuthError(ShaleApiError):
    """401 (no or bad token) or 403 (the token may not do this, or not for this team)."""


class ShaleNotFound(ShaleApiError):
    """404: no such job (or not one of the token's teams)."""


class ShaleConflict(ShaleApiError):
    """409: the idempotency key was used before with another spec (see ``differing``)."""


class ShaleInvalidSpec(ShaleApiError):
    """422: the spec is invalid (see ``errors``); nothing was started."""


class ShaleRateLimited(ShaleApiError):
    """429: too many requests for this principal (retried with backoff first)."""


class ShaleServerError(ShaleApiError):
    """5xx (retried with backoff first)."""


def error_for(status: int, problem: dict[str, Any], method: str, path: str) -> ShaleApiError:
    kind: type[ShaleApiError]
    if status in (401, 403):
        kind = ShaleAuthError
    elif status == 404:
        kind = ShaleNotFound
    elif status == 409:
        kind = ShaleConflict
    elif status == 422:
        kind = ShaleInvalidSpec
    elif status == 429:
        kind = ShaleRateLimited
    elif status >= 500:
        kind = ShaleServerError
    else:
        kind = ShaleApiError
    return kind(status, problem, method, path)
