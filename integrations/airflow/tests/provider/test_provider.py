"""The provider as Airflow sees it: entry point, connection type, hook settings. No stack needed."""

from __future__ import annotations

import json

import pytest
from airflow.models.connection import Connection

from shale_provider.hooks.shale import ShaleHook, base_url_of, client_options_of
from shale_provider.operators.identity import idempotency_key_of, labels_of
from shale_provider.operators.shale import ShaleOperator
from shale_provider.triggers.shale import ShaleJobTrigger


def test_airflow_finds_the_provider_and_its_connection_type():
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    manager = ProvidersManagerTaskRuntime()
    assert manager.providers["airflow-provider-shale"].version == "0.1.0"
    hook = manager.hooks["shale"]
    assert hook.hook_class_name == "shale_provider.hooks.shale.ShaleHook"
    assert hook.connection_id_attribute_name == "shale_conn_id"


@pytest.mark.parametrize(
    ("fields", "url"),
    [
        ({"host": "shale.internal", "port": 8443, "schema": "https"}, "https://shale.internal:8443"),
        ({"host": "shale.internal"}, "http://shale.internal:8080"),
        ({"host": "http://127.0.0.1:39001"}, "http://127.0.0.1:39001"),
        ({"host": "https://shale.example.com/", "port": 443}, "https://shale.example.com:443"),
    ],
)
def test_the_connection_names_the_api(fields, url):
    assert base_url_of(Connection(conn_id="c", conn_type="shale", **fields)) == url


def test_tls_settings_come_from_extra():
    with_ca = Connection(conn_id="c", conn_type="shale", host="h", extra=json.dumps({"ca_bundle": "/ca.pem", "timeout": 5}))
    assert client_options_of(with_ca) == {"verify": "/ca.pem", "timeout": 5.0}
    insecure = Connection(conn_id="c", conn_type="shale", host="h", extra=json.dumps({"verify": "false"}))
    assert client_options_of(insecure) == {"verify": False}
    with pytest.raises(ValueError, match="scheme must be http or https"):
        base_url_of(Connection(conn_id="c", conn_type="shale", host="ftp://h"))


def test_the_hook_reads_its_connection_from_the_environment(monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_SHALE_X", json.dumps({"conn_type": "shale", "host": "api.test", "port": 9, "password": "tkn"})
    )
    client = ShaleHook(shale_conn_id="shale_x").get_client()
    assert client.base_url == "http://api.test:9"
    assert client._http.headers["authorization"] == "Bearer tkn"


class _Ti:
    dag_id, task_id, run_id, map_index, try_number = "revenue", "daily", "scheduled__2026-11-20T00:00:00+00:00", -1, 3


def test_the_key_names_the_task_instance_but_not_the_try():
    context = {"ti": _Ti(), "run_id": _Ti.run_id}
    assert idempotency_key_of(context) == "airflow/revenue/daily/-1/scheduled__2026-11-20T00:00:00+00:00"
    assert labels_of(context) == {"dag_id": "revenue", "task_id": "daily", "run_id": _Ti.run_id}


def test_a_run_id_the_header_cannot_carry_is_hashed():
    class Odd(_Ti):
        run_id = "manual run with spaces ü"

    key = idempotency_key_of({"ti": Odd()})
    assert key.startswith("airflow/revenue/daily/-1/sha256:") and len(key) < 256


def test_operator_fields_build_the_spec():
    op = ShaleOperator(
        task_id="t", spec={"name": "n", "team": "a", "size": "LARGE"}, kind="jar", class_name="com.acme.Main", size="SMALL"
    )
    assert op.spec == {"name": "n", "team": "a", "size": "SMALL", "kind": "jar", "className": "com.acme.Main"}
    with pytest.raises(ValueError, match="poll_timeout"):
        ShaleOperator(task_id="u", spec={}, poll_timeout=301)


def test_the_trigger_serializes_what_it_needs():
    trigger = ShaleJobTrigger(job_id="j1", shale_conn_id="c", poll_timeout=30, kill_reason="killed")
    path, kwargs = trigger.serialize()
    assert path == "shale_provider.triggers.shale.ShaleJobTrigger"
    assert kwargs == {"job_id": "j1", "shale_conn_id": "c", "poll_timeout": 30, "kill_reason": "killed", "deadline": None}


def test_the_example_dag_parses():
    from shale_provider.example_dags.example_shale import dag

    (task,) = dag.tasks
    assert isinstance(task, ShaleOperator) and task.deferrable
    assert task.spec["kind"] == "pyspark" and task.spec["route"] == {"sparkVersion": "3"}


def _trigger_with(api, monkeypatch, **kwargs) -> ShaleJobTrigger:
    from shale_client import AsyncShaleClient, RetryPolicy
    from shale_provider.hooks.shale import ShaleAsyncHook

    async def fake_client(self):
        return AsyncShaleClient("http://shale.test", "t", retry=RetryPolicy(attempts=2, initial=0.001, maximum=0.001),
                                transport=api.async_transport())

    monkeypatch.setattr(ShaleAsyncHook, "get_async_client", fake_client)
    return ShaleJobTrigger(job_id="j1", poll_timeout=5, **kwargs)


async def _events(trigger):
    return [event async for event in trigger.run()]


def test_the_trigger_long_polls_until_the_job_ends(monkeypatch):
    import asyncio

    from tests.unit.fake_api import FakeApi, ok

    api = FakeApi(ok({"jobId": "j1", "state": "RUNNING"}), ok({"jobId": "j1", "state": "FAILED"}))
    (event,) = asyncio.run(_events(_trigger_with(api, monkeypatch)))
    assert event.payload == {"status": "final", "job_id": "j1", "job": {"jobId": "j1", "state": "FAILED"}}
    assert [r.url.path for r in api.requests] == ["/v1/jobs/j1/wait"] * 2


def test_the_trigger_reports_an_api_it_cannot_reach(monkeypatch):
    import asyncio

    import httpx

    from tests.unit.fake_api import FakeApi

    api = FakeApi(httpx.ConnectError("refused"), httpx.ConnectError("refused"))
    (event,) = asyncio.run(_events(_trigger_with(api, monkeypatch)))
    assert event.payload["status"] == "error" and "could not reach the Shale API" in event.payload["message"]


def test_killing_a_deferred_task_cancels_its_job_but_a_sensor_leaves_it(monkeypatch):
    import asyncio

    from tests.unit.fake_api import FakeApi, ok

    api = FakeApi(ok({"accepted": True, "state": "RUNNING", "message": "", "requestId": "r"}))
    asyncio.run(_trigger_with(api, monkeypatch, kill_reason="Airflow task d.t was killed").on_kill())
    assert json.loads(api.requests[0].content)["reason"] == "Airflow task d.t was killed"

    untouched = FakeApi()
    asyncio.run(_trigger_with(untouched, monkeypatch).on_kill())
    assert untouched.requests == []


def test_the_trigger_fires_a_timeout_at_its_deadline_with_the_live_status(monkeypatch):
    import asyncio
    import time

    from tests.unit.fake_api import FakeApi, ok

    api = FakeApi(ok({"jobId": "j1", "state": "RUNNING"}))
    (event,) = asyncio.run(_events(_trigger_with(api, monkeypatch, deadline=time.time() - 1)))
    assert event.payload == {"status": "timeout", "job_id": "j1", "job": {"jobId": "j1", "state": "RUNNING"}}
    assert api.requests[0].url.params["timeout"] == "1"
