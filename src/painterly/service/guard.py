"""Who may talk to the server, and how much they may send: checked before a request reaches a route.

A server on loopback is still reachable from every web page the user opens: a page on
another site can POST a form to ``http://127.0.0.1:8000/api/jobs`` (a cross-site request),
and a hostile DNS name that resolves to 127.0.0.1 makes the browser treat the server as
that site (DNS rebinding). So by default the ``Host`` header must name the bound address,
and requests that change state must come from the server's own page (``Origin`` equal to
the server's, or no cross-site ``Sec-Fetch-Site``). ``allowed_hosts`` and ``allowed_origins``
widen that on purpose; an API token (``token``) guards servers bound beyond loopback.

The request-body limit is enforced while the body streams in: a ``Content-Length`` over it
is refused before one byte is read, and a chunked body is cut off as soon as it passes it,
so an oversized upload is never spooled to disk.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from fastapi import HTTPException
from starlette.datastructures import Headers, QueryParams
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .config import ServiceConfig

__all__ = ["RequestGuard", "allowed_hosts"]

_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
_UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _is_wildcard(host: str) -> bool:
    return host in ("0.0.0.0", "::", "")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_hosts(config: ServiceConfig) -> set[str] | None:
    """Host names (without port) the server answers to; ``None`` means any."""
    if "*" in config.allowed_hosts or (_is_wildcard(config.host) and not config.allowed_hosts):
        return None
    names = {name.lower() for name in config.allowed_hosts}
    names.add(config.host.lower().strip("[]"))
    if _is_loopback(config.host):
        names.update(_LOOPBACK_NAMES)
    return names


def _host_name(host_header: str) -> str:
    """``example.org:8000`` → ``example.org``; ``[::1]:8000`` → ``::1``."""
    if host_header.startswith("["):
        return host_header[1 : host_header.find("]")].lower()
    return host_header.rsplit(":", 1)[0].lower() if host_header.count(":") == 1 else host_header.lower()


class RequestGuard:
    """ASGI middleware: Host, Origin and token checks, and the streamed body limit (JSON 403/413)."""

    def __init__(self, app: ASGIApp, config: ServiceConfig) -> None:
        self.app, self.config = app, config
        self.hosts = allowed_hosts(config)
        self.origins = {origin.rstrip("/").lower() for origin in config.allowed_origins}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            # A page on any site may open a WebSocket to loopback (browsers apply no same-origin rule to it):
            # the same Host, Origin and token checks as a POST, and a refused handshake is answered 403.
            if self._refusal({**scope, "method": "POST"}, Headers(scope=scope)) is not None:
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            status, detail = refusal
            await JSONResponse({"detail": detail}, status_code=status)(scope, receive, send)
            return
        if scope["method"] in _UNSAFE_METHODS:
            receive = self._limited(receive)
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope, headers: Headers) -> tuple[int, str] | None:
        host = headers.get("host", "")
        if self.hosts is not None and _host_name(host) not in self.hosts:
            return 403, f"host {host!r} is not served here; start the server with --allowed-hosts to allow it"
        if scope["method"] in _UNSAFE_METHODS and not self._same_origin(scope, headers):
            return 403, "cross-site requests are refused; start the server with --allowed-origins to allow a site"
        if self.config.token and scope["path"].startswith("/api/") and not self._has_token(scope, headers):
            return 403, "this server needs its API token: send 'Authorization: Bearer TOKEN'"
        if scope["method"] in _UNSAFE_METHODS:
            length = headers.get("content-length")
            if length is not None and (not length.isdigit() or int(length) > self.config.max_request_bytes):
                return 413, f"the request is larger than {self.config.max_request_bytes:,} bytes"
        return None

    def _same_origin(self, scope: Scope, headers: Headers) -> bool:
        origin = headers.get("origin")
        if origin is None:
            # Browsers send Origin on cross-site POSTs and Sec-Fetch-Site on the rest; other clients send neither.
            return headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")
        origin = origin.rstrip("/").lower()
        scheme = {"ws": "http", "wss": "https"}.get(scope.get("scheme", "http"), scope.get("scheme", "http"))
        own = f"{scheme}://{headers.get('host', '')}".lower()
        return origin == own or origin in self.origins or "*" in self.origins

    def _has_token(self, scope: Scope, headers: Headers) -> bool:
        given = headers.get("authorization", "")
        token = given[7:] if given.lower().startswith("bearer ") else ""
        # Event streams and <img> tags cannot send headers: they may carry ?token=.
        token = token or QueryParams(scope.get("query_string", b"").decode("latin-1")).get("token", "")
        return hmac.compare_digest(token.encode(), self.config.token.encode())

    def _limited(self, receive: Receive) -> Receive:
        limit, received = self.config.max_request_bytes, 0

        async def limited_receive() -> Message:
            nonlocal received
            message: dict[str, Any] = dict(await receive())
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, f"the request is larger than {limit:,} bytes")
            return message

        return limited_receive
