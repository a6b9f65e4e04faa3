"""
ShaleHook: a ``shale`` connection turned into a client for Shale's HTTP job API.

The connection: ``host`` (with or without a scheme) and ``port`` of the API, ``password`` the
bearer token, ``schema`` ``https`` for TLS (or a scheme in ``host``). Extra (JSON):
``{"verify": false}`` to skip certificate checks, ``{"ca_bundle": "/path/ca.pem"}`` for a private
CA, ``{"timeout": 30}`` for ordinary requests (a long poll sets its own).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from airflow.providers.common.compat.sdk import BaseHook

from shale_client import AsyncShaleClient, ShaleClient

DEFAULT_PORT = 8080


def base_url_of(conn: Any) -> str:
    """The API's root URL from a connection (host may already carry a scheme)."""
    host = (conn.host or "").strip().rstrip("/")
    if not host:
        raise ValueError(f"connection {conn.conn_id!r} has no host (the Shale API's address)")
    if "://" in host:
        scheme, _, rest = host.partition("://")
    else:
        scheme = (conn.schema or "http").strip().lower() or "http"
        rest = host
    if scheme not in ("http", "https"):
        raise ValueError(f"connection {conn.conn_id!r}: scheme must be http or https, got {scheme!r}")
    has_port = ":" in rest.split("/", 1)[0]
    port = "" if has_port else f":{conn.port or DEFAULT_PORT}"
    return f"{scheme}://{rest}{port}"


def client_options_of(conn: Any) -> dict[str, Any]:
    extra = conn.extra_dejson or {}
    verify: bool | str = True
    if extra.get("ca_bundle"):
        verify = str(extra["ca_bundle"])
    elif "verify" in extra:
        raw = extra["verify"]
        verify = raw if isinstance(raw, bool) else str(raw).strip().lower() not in ("false", "0", "no")
    options: dict[str, Any] = {"verify": verify}
    if extra.get("timeout") is not None:
        options["timeout"] = float(extra["timeout"])
    return options


class ShaleHook(BaseHook):
    """A blocking ShaleClient from an Airflow connection of type ``shale``."""

    conn_name_attr = "shale_conn_id"
    default_conn_name = "shale_default"
    conn_type = "shale"
    hook_name = "Shale"

    def __init__(self, shale_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shale_conn_id = shale_conn_id

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return {
            "hidden_fields": ["login"],
            "relabeling": {"password": "API token", "schema": "Scheme (http or https)"},
            "placeholders": {
                "host": "shale-api.internal",
                "port": str(DEFAULT_PORT),
                "schema": "https",
                "extra": '{"verify": true, "ca_bundle": "/etc/ssl/certs/shale-ca.pem"}',
            },
        }

    @cached_property
    def client(self) -> ShaleClient:
        """One client (one connection pool) for this hook's life."""
        return self.get_client()

    @cached_property
    def connection(self) -> Any:
        """Read once: a later client (on_kill's, which may run in a signal handler) asks nobody again."""
        return self.get_connection(self.shale_conn_id)

    def get_client(self) -> ShaleClient:
        """A new client (its own connection pool); ``client`` is the hook's shared one."""
        conn = self.connection
        return ShaleClient(base_url_of(conn), conn.password, **client_options_of(conn))

    def get_conn(self) -> ShaleClient:
        return self.client

    def test_connection(self) -> tuple[bool, str]:
        """Used by Airflow's "Test" button: a list call proves the address and the token."""
        try:
            next(iter(self.client.list_jobs(pageSize=1)), None)
        except Exception as exc:
            return False, str(exc)
        return True, "Connection to the Shale API works"


class ShaleAsyncHook(ShaleHook):
    """The asyncio variant, for triggers: ``await hook.get_async_client()``."""

    async def get_async_client(self) -> AsyncShaleClient:
        conn = await self.aget_connection(self.shale_conn_id)
        return AsyncShaleClient(base_url_of(conn), conn.password, **client_options_of(conn))
