"""
Clients for Shale's HTTP job API: ``ShaleClient`` (blocking) and ``AsyncShaleClient`` (asyncio).

Each keeps one HTTP connection pool for its life. Idempotent calls (reads, wait, cancel, and a
submit that carries an Idempotency-Key) are retried on connection errors, 5xx and 429 with
exponential backoff; anything else the API refuses raises a ``ShaleApiError`` with the problem
details. The token is sent as a bearer token and never appears in an error or a log line.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, cast
from urllib.parse import quote

import httpx
from tenacity import AsyncRetrying, Retrying, retry_if_exception, stop_after_attempt

from .errors import ShaleConnectionError, ShaleError, error_for
from .models import JobStatus, LogEvent, SubmitAnswer, is_final
from .retry import Backoff, Retryable, RetryPolicy, parse_retry_after
from .sse import aread_events, read_events

#: The longest long poll the API holds (seconds); longer waits are a loop of these.
MAX_WAIT_SECONDS = 300
#: Extra read time over a long poll's own timeout, so the server answers before the client gives up.
WAIT_READ_MARGIN = 30.0

USER_AGENT = "shale-python-client/0.1"


def _job_path(job_id: str, *rest: str) -> str:
    if not job_id:
        raise ValueError("job_id must not be empty")
    return "/".join(["/v1/jobs", quote(job_id, safe=""), *rest])


def _check_wait_timeout(seconds: float) -> int:
    whole = int(seconds)
    if whole < 1 or whole > MAX_WAIT_SECONDS:
        raise ValueError(f"a long poll's timeout must be 1-{MAX_WAIT_SECONDS} seconds, got {seconds}")
    return whole


def _problem_of(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    text = response.text.strip()
    return {"title": response.reason_phrase or f"HTTP {response.status_code}", "detail": text[:500] or None}


def _raise_for(response: httpx.Response, method: str, path: str) -> None:
    if response.status_code < 400:
        return
    error = error_for(response.status_code, _problem_of(response), method, path)
    error.retry_after = parse_retry_after(response.headers.get("retry-after"))  # type: ignore[attr-defined]
    raise error


def _submit_headers(idempotency_key: str | None) -> dict[str, str]:
    return {"Idempotency-Key": idempotency_key} if idempotency_key else {}


def _cancel_body(reason: str | None, request_id: str | None) -> dict[str, str]:
    # One request id for every retry of this call: the server answers a repeat with its first answer.
    body = {"requestId": request_id or f"py-{uuid.uuid4()}"}
    if reason is not None:
        body["reason"] = reason
    return body


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (params or {}).items() if v is not None}


def _auth_headers(token: str | None) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _session_options(base_url: str, token: str | None, verify: bool | str, timeout: float, transport: Any) -> dict[str, Any]:
    """What the blocking and the asyncio client give their httpx session: one place for both."""
    return {"base_url": base_url, "headers": _auth_headers(token), "verify": verify, "timeout": timeout, "transport": transport}


class ShaleClient:
    """
    A blocking client. ``base_url`` is the API's root (``http://host:8080``); ``verify`` is True,
    False, or the path of a CA bundle. Use as a context manager or call ``close()``.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        verify: bool | str = True,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self._http = httpx.Client(**_session_options(self.base_url, token, verify, timeout, transport))

    def __enter__(self) -> ShaleClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- transport -----------------------------------------------------------------------------

    def _send_once(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ShaleConnectionError(f"{self.base_url}{path}", exc) from exc
        _raise_for(response, method, path)
        return response

    def _request(self, method: str, path: str, *, idempotent: bool, **kwargs: Any) -> Any:
        retrying = Retrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=Backoff(self.retry),
            retry=retry_if_exception(Retryable(idempotent)),
            reraise=True,
        )
        response = retrying(self._send_once, method, path, **kwargs)
        return response.json() if response.content else None

    # -- the API -------------------------------------------------------------------------------

    def submit(self, spec: Mapping[str, Any], *, idempotency_key: str | None = None) -> SubmitAnswer:
        """POST /v1/jobs. With a key the same job comes back however often it is sent (and a
        job whose last run FAILED, was CANCELLED or TIMED_OUT runs again under the same ID)."""
        return cast(
            SubmitAnswer,
            self._request(
                "POST", "/v1/jobs", idempotent=idempotency_key is not None,
                json=dict(spec), headers=_submit_headers(idempotency_key),
            ),
        )

    def get(self, job_id: str) -> JobStatus:
        return cast(JobStatus, self._request("GET", _job_path(job_id), idempotent=True))

    def wait(self, job_id: str, timeout: float = 60) -> JobStatus:
        """One long poll: the status once the job ended, or when ``timeout`` seconds are up."""
        seconds = _check_wait_timeout(timeout)
        return cast(
            JobStatus,
            self._request(
                "GET", _job_path(job_id, "wait"), idempotent=True,
                params={"timeout": seconds}, timeout=httpx.Timeout(10.0, read=seconds + WAIT_READ_MARGIN),
            ),
        )

    def wait_until_final(
        self, job_id: str, *, poll_timeout: float = 60, deadline: float | None = None,
        on_status: Any = None,
    ) -> JobStatus:
        """Long polls until the job ends (or ``deadline``, a time.monotonic() value, passes:
        then the live status is returned). ``on_status`` is called with each answer."""
        while True:
            seconds = poll_timeout
            if deadline is not None:
                seconds = min(seconds, max(1.0, deadline - time.monotonic()))
            status = self.wait(job_id, seconds)
            if on_status is not None:
                on_status(status)
            if is_final(status.get("state", "")) or (deadline is not None and time.monotonic() >= deadline):
                return status

    def cancel(self, job_id: str, *, reason: str | None = None, request_id: str | None = None) -> dict[str, Any]:
        """POST /v1/jobs/{id}/cancel: ``{"accepted", "state", "message", "requestId"}``. Idempotent:
        a finished job is left alone, and the answer says how it ended."""
        body = _cancel_body(reason, request_id)
        return cast(dict, self._request("POST", _job_path(job_id, "cancel"), idempotent=True, json=body))

    def logs(self, job_id: str, *, attempt: int | None = None, size: int | None = None) -> dict[str, Any]:
        """The last ``size`` lines (server default 100) of an attempt's log (default: the latest):
        ``{"source": "livy"|"shale", "attempt", "lines", "note"?}``."""
        params = _clean_params({"attempt": attempt, "size": size})
        return cast(dict, self._request("GET", _job_path(job_id, "logs"), idempotent=True, params=params))

    def follow_logs(self, job_id: str, *, read_timeout: float = 120.0) -> Iterator[LogEvent | dict[str, Any]]:
        """
        The log as it grows (Server-Sent Events): yields ``{"attempt", "lines"}`` per ``log``
        event, and last ``{"end": True, "state": ...}`` when the job ended. Not retried: a caller
        whose stream breaks (a ShaleError; the server's ``error`` event too) reads the rest with ``logs()``.
        """
        path = _job_path(job_id, "logs", "follow")
        try:
            with self._http.stream(
                "GET", path, headers={"Accept": "text/event-stream"},
                timeout=httpx.Timeout(10.0, read=read_timeout),
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    _raise_for(response, "GET", path)
                for event in read_events(response.iter_lines()):
                    data = json.loads(event.data) if event.data else {}
                    if event.event == "end":
                        yield {"end": True, **data}
                        return
                    if event.event == "log":
                        yield cast(LogEvent, data)
                    elif event.event == "error":
                        raise ShaleError(f"GET {path}: the log stream failed: {data.get('detail', data)}")
        except httpx.TransportError as exc:
            raise ShaleConnectionError(f"{self.base_url}{path}", exc) from exc

    def audit(self, job_id: str) -> dict[str, Any]:
        return cast(dict, self._request("GET", _job_path(job_id, "audit"), idempotent=True))

    def rerun(self, job_id: str) -> dict[str, Any]:
        # A rerun of a job that is running is refused by the server, so a repeat is harmless.
        return cast(dict, self._request("POST", _job_path(job_id, "rerun"), idempotent=False))

    def list_jobs(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every job the filters (team, state, cluster, label, since, ...) match, page by page."""
        params = _clean_params(filters)
        while True:
            page = cast(dict, self._request("GET", "/v1/jobs", idempotent=True, params=params))
            yield from page.get("jobs", [])
            token = page.get("nextPageToken")
            if not token:
                return
            params = {**params, "pageToken": token}


class AsyncShaleClient:
    """The asyncio twin of ``ShaleClient`` (what a trigger uses): one pool, the same retries."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        verify: bool | str = True,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self._http = httpx.AsyncClient(**_session_options(self.base_url, token, verify, timeout, transport))

    async def __aenter__(self) -> AsyncShaleClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send_once(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ShaleConnectionError(f"{self.base_url}{path}", exc) from exc
        _raise_for(response, method, path)
        return response

    async def _request(self, method: str, path: str, *, idempotent: bool, **kwargs: Any) -> Any:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=Backoff(self.retry),
            retry=retry_if_exception(Retryable(idempotent)),
            reraise=True,
        )
        response = await retrying(self._send_once, method, path, **kwargs)
        return response.json() if response.content else None

    async def submit(self, spec: Mapping[str, Any], *, idempotency_key: str | None = None) -> SubmitAnswer:
        return cast(
            SubmitAnswer,
            await self._request(
                "POST", "/v1/jobs", idempotent=idempotency_key is not None,
                json=dict(spec), headers=_submit_headers(idempotency_key),
            ),
        )

    async def get(self, job_id: str) -> JobStatus:
        return cast(JobStatus, await self._request("GET", _job_path(job_id), idempotent=True))

    async def wait(self, job_id: str, timeout: float = 60) -> JobStatus:
        seconds = _check_wait_timeout(timeout)
        return cast(
            JobStatus,
            await self._request(
                "GET", _job_path(job_id, "wait"), idempotent=True,
                params={"timeout": seconds}, timeout=httpx.Timeout(10.0, read=seconds + WAIT_READ_MARGIN),
            ),
        )

    async def wait_until_final(self, job_id: str, *, poll_timeout: float = 60, deadline: float | None = None) -> JobStatus:
        """Long polls until the job ends, or until ``deadline`` (a Unix time, so it survives a
        trigger moving between triggerers) passes: then the live status is returned."""
        while True:
            seconds = poll_timeout
            if deadline is not None:
                seconds = min(seconds, max(1.0, deadline - time.time()))
            status = await self.wait(job_id, seconds)
            if is_final(status.get("state", "")) or (deadline is not None and time.time() >= deadline):
                return status

    async def cancel(self, job_id: str, *, reason: str | None = None, request_id: str | None = None) -> dict[str, Any]:
        body = _cancel_body(reason, request_id)
        return cast(dict, await self._request("POST", _job_path(job_id, "cancel"), idempotent=True, json=body))

    async def logs(self, job_id: str, *, attempt: int | None = None, size: int | None = None) -> dict[str, Any]:
        params = _clean_params({"attempt": attempt, "size": size})
        return cast(dict, await self._request("GET", _job_path(job_id, "logs"), idempotent=True, params=params))

    async def follow_logs(self, job_id: str, *, read_timeout: float = 120.0) -> AsyncIterator[dict[str, Any]]:
        path = _job_path(job_id, "logs", "follow")
        try:
            async with self._http.stream(
                "GET", path, headers={"Accept": "text/event-stream"},
                timeout=httpx.Timeout(10.0, read=read_timeout),
            ) as response:
                if response.status_code >= 400:
                    await response.aread()
                    _raise_for(response, "GET", path)
                async for event in aread_events(response.aiter_lines()):
                    data = json.loads(event.data) if event.data else {}
                    if event.event == "end":
                        yield {"end": True, **data}
                        return
                    if event.event == "log":
                        yield data
                    elif event.event == "error":
                        raise ShaleError(f"GET {path}: the log stream failed: {data.get('detail', data)}")
        except httpx.TransportError as exc:
            raise ShaleConnectionError(f"{self.base_url}{path}", exc) from exc


__all__ = ["AsyncShaleClient", "ShaleClient"]
