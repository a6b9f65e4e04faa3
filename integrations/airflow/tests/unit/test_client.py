"""shale_client against a scripted fake API: requests sent, retries, errors, long polls, the log stream."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from shale_client import (
    AsyncShaleClient,
    RetryPolicy,
    ShaleClient,
    ShaleConflict,
    ShaleConnectionError,
    ShaleError,
    ShaleInvalidSpec,
    ShaleNotFound,
    ShaleServerError,
    failure_reason,
)

from .fake_api import FakeApi, ok, problem

FAST = RetryPolicy(attempts=4, initial=0.001, maximum=0.002)
SPEC = {"name": "n", "team": "analytics", "kind": "pyspark", "file": "s3://b/app.py"}
RUNNING = {"jobId": "j1", "state": "RUNNING", "attempts": [{"n": 1}]}
SUCCEEDED = {"jobId": "j1", "state": "SUCCEEDED", "attempts": [{"n": 1}]}


def client_for(api: FakeApi, **kwargs) -> ShaleClient:
    return ShaleClient("http://shale.test/", "s3cret-token", retry=FAST, transport=api.transport(), **kwargs)


def test_submit_sends_the_spec_the_key_and_the_token():
    api = FakeApi(ok({"jobId": "j1", "created": True, "rerun": False, "state": "QUEUED"}, 201))
    with client_for(api) as shale:
        answer = shale.submit(SPEC, idempotency_key="airflow/d/t/-1/r")
    assert answer["jobId"] == "j1"
    (request,) = api.requests
    assert (request.method, request.url.path) == ("POST", "/v1/jobs")
    assert request.headers["idempotency-key"] == "airflow/d/t/-1/r"
    assert request.headers["authorization"] == "Bearer s3cret-token"
    assert json.loads(request.content) == SPEC


def test_a_keyed_submit_is_retried_after_a_5xx_and_a_dropped_connection():
    api = FakeApi(
        problem(503, "Unavailable"),
        httpx.ReadError("connection reset"),
        ok({"jobId": "j1", "created": False, "rerun": False, "state": "RUNNING"}),
    )
    with client_for(api) as shale:
        assert shale.submit(SPEC, idempotency_key="k")["jobId"] == "j1"
    assert len(api.requests) == 3
    assert {r.headers["idempotency-key"] for r in api.requests} == {"k"}


def test_a_submit_without_a_key_is_not_sent_twice_after_the_server_may_have_seen_it():
    api = FakeApi(httpx.ReadError("connection reset"))
    with client_for(api) as shale, pytest.raises(ShaleConnectionError, match="http://shale.test/v1/jobs"):
        shale.submit(SPEC)
    assert len(api.requests) == 1


def test_retries_give_up_with_the_last_server_error():
    api = FakeApi(*[problem(500, "Internal Server Error", detail="boom")] * 4)
    with client_for(api) as shale, pytest.raises(ShaleServerError, match="500 Internal Server Error: boom"):
        shale.get("j1")
    assert len(api.requests) == FAST.attempts


def test_a_429_waits_for_retry_after_then_succeeds():
    limited = problem(429, "Too Many Requests")
    limited.headers["retry-after"] = "0"
    api = FakeApi(limited, ok(RUNNING))
    with client_for(api) as shale:
        assert shale.get("j1")["state"] == "RUNNING"
    assert len(api.requests) == 2


def test_an_invalid_spec_names_its_fields_and_is_not_retried():
    api = FakeApi(problem(422, "Invalid job spec", errors=[{"field": "file", "message": "must be a URI"}]))
    with client_for(api) as shale, pytest.raises(ShaleInvalidSpec) as caught:
        shale.submit(SPEC, idempotency_key="k")
    assert caught.value.errors == [{"field": "file", "message": "must be a URI"}]
    assert "file: must be a URI" in str(caught.value)
    assert len(api.requests) == 1


def test_a_reused_key_with_another_spec_says_what_differs():
    api = FakeApi(problem(409, "Idempotency conflict", differing=["args", "conf.spark.executor.memory"]))
    with client_for(api) as shale, pytest.raises(ShaleConflict) as caught:
        shale.submit(SPEC, idempotency_key="k")
    assert caught.value.differing == ["args", "conf.spark.executor.memory"]


def test_errors_never_carry_the_token():
    api = FakeApi(problem(404, "Not Found", detail="no job j1"))
    with client_for(api) as shale, pytest.raises(ShaleNotFound) as caught:
        shale.get("j1")
    assert "s3cret-token" not in str(caught.value) and "s3cret-token" not in repr(caught.value.problem)


def test_job_ids_are_escaped_in_paths():
    api = FakeApi(ok(RUNNING))
    with client_for(api) as shale:
        shale.get("team/odd id")
    assert api.requests[0].url.raw_path == b"/v1/jobs/team%2Fodd%20id"


def test_wait_until_final_holds_one_long_poll_at_a_time_until_the_job_ends():
    api = FakeApi(ok(RUNNING), ok(RUNNING), ok(SUCCEEDED))
    seen = []
    with client_for(api) as shale:
        status = shale.wait_until_final("j1", poll_timeout=45, on_status=lambda s: seen.append(s["state"]))
    assert status["state"] == "SUCCEEDED"
    assert seen == ["RUNNING", "RUNNING", "SUCCEEDED"]
    assert [(r.url.path, r.url.params["timeout"]) for r in api.requests] == [("/v1/jobs/j1/wait", "45")] * 3


def test_wait_refuses_a_timeout_the_api_would_not_hold():
    with client_for(FakeApi()) as shale, pytest.raises(ValueError, match="1-300"):
        shale.wait("j1", 301)


def test_cancel_sends_the_reason_and_one_request_id_for_all_its_retries():
    api = FakeApi(problem(503, "Unavailable"), ok({"accepted": True, "state": "RUNNING", "message": "", "requestId": "x"}))
    with client_for(api) as shale:
        shale.cancel("j1", reason="task killed")
    assert api.requests[0].url.path == "/v1/jobs/j1/cancel"
    body = json.loads(api.requests[0].content)
    assert body["reason"] == "task killed" and body["requestId"].startswith("py-")
    assert json.loads(api.requests[1].content) == body


def test_follow_logs_reads_log_events_until_the_end_event():
    stream = (
        ": keep-alive\n\n"
        'event: log\ndata: {"attempt":1,"lines":["a","b"]}\n\n'
        'event: log\r\ndata: {"attempt":1,"lines":["c"]}\r\n\r\n'
        'event: end\ndata: {"state":"SUCCEEDED"}\n\n'
        'event: log\ndata: {"attempt":1,"lines":["never read"]}\n\n'
    )
    api = FakeApi(httpx.Response(200, headers={"content-type": "text/event-stream"}, content=stream.encode()))
    with client_for(api) as shale:
        events = list(shale.follow_logs("j1"))
    assert events == [
        {"attempt": 1, "lines": ["a", "b"]},
        {"attempt": 1, "lines": ["c"]},
        {"end": True, "state": "SUCCEEDED"},
    ]


def test_list_jobs_follows_page_tokens():
    api = FakeApi(ok({"jobs": [{"jobId": "a"}], "nextPageToken": "p2"}), ok({"jobs": [{"jobId": "b"}]}))
    with client_for(api) as shale:
        ids = [j["jobId"] for j in shale.list_jobs(team="analytics", state=None)]
    assert ids == ["a", "b"]
    assert dict(api.requests[0].url.params) == {"team": "analytics"}
    assert dict(api.requests[1].url.params) == {"team": "analytics", "pageToken": "p2"}


def test_the_async_client_long_polls_and_retries_like_the_blocking_one():
    api = FakeApi(problem(502, "Bad Gateway"), ok(RUNNING), ok(SUCCEEDED))

    async def run():
        async with AsyncShaleClient("http://shale.test", "t", retry=FAST, transport=api.async_transport()) as shale:
            return await shale.wait_until_final("j1", poll_timeout=30)

    assert asyncio.run(run())["state"] == "SUCCEEDED"
    assert len(api.requests) == 3


def test_failure_reason_names_the_state_the_error_and_the_canceller():
    assert failure_reason({"jobId": "j", "state": "FAILED", "lastError": {"type": "AppFailure", "message": "boom"}}) == (
        "job j ended FAILED; AppFailure: boom"
    )
    cancelled = {"jobId": "j", "state": "CANCELLED", "cancel": {"requestedBy": "ops", "reason": "wrong date"}}
    assert failure_reason(cancelled) == "job j ended CANCELLED; cancelled by ops: wrong date"


def test_an_error_event_ends_the_log_stream_with_a_shale_error():
    stream = 'event: log\ndata: {"attempt":1,"lines":["a"]}\n\nevent: error\ndata: {"detail":"Livy went away"}\n\n'
    api = FakeApi(httpx.Response(200, headers={"content-type": "text/event-stream"}, content=stream.encode()))
    with client_for(api) as shale:
        events = shale.follow_logs("j1")
        assert next(events) == {"attempt": 1, "lines": ["a"]}
        with pytest.raises(ShaleError, match="Livy went away"):
            next(events)
