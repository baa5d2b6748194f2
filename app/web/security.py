"""Web security: headers (CSP), CSRF checks, request size limits and rate limits.

Rate limits are kept in the process (a sliding window per key); that suits the single-process
server ``canvass serve`` runs.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections import deque
from collections.abc import Sequence
from urllib.parse import unquote_to_bytes, urlsplit

from fastapi import HTTPException, Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.outputs.maps import inline_scripts

CSRF_HEADER = "x-csrf-token"


def tile_origin(tile_url: str | None) -> str:
    """The scheme and host of a tile URL template, for the CSP's img-src ('' when None)."""
    if not tile_url:
        return ""
    parts = urlsplit(tile_url.replace("{s}", "a"))
    host = parts.netloc
    if "{s}." in tile_url:
        host = "*." + host.split(".", 1)[1]
    return f"{parts.scheme}://{host}" if parts.scheme in ("http", "https") and host else ""


def content_security_policy(tile_url: str | None, *, script_hashes: Sequence[str] = ()) -> str:
    """Scripts only from this server; images from here and the tile host; no framing by others.

    No inline script runs anywhere: generated pages load their code from files. A page made on
    request with inline scripts of its own (the dashboard's live map) passes their
    ``script_hashes`` (``sha256-...``), and only those run.
    """
    scripts = " ".join(["'self'", *(f"'{h}'" for h in script_hashes)])
    images = " ".join(s for s in ("'self'", "data:", "blob:", tile_origin(tile_url)) if s)
    # The volunteer page's service worker may fetch tiles to keep them for offline use.
    connect = " ".join(s for s in ("'self'", tile_origin(tile_url)) if s)
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
        f"img-src {images}; connect-src {connect}; font-src 'self' data:; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'self'; worker-src 'self'; "
        "manifest-src 'self'"
    )


def inline_script_hashes(page: str) -> list[str]:
    """The CSP hashes (``sha256-...``) of a page's inline ``<script>`` blocks."""
    return [
        "sha256-" + base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode()
        for code in inline_scripts(page)
    ]


class SecurityHeaders:
    """Adds the CSP and the usual hardening headers to every response (pure ASGI)."""

    def __init__(self, app: ASGIApp, tile_url: str | None) -> None:
        self.app = app
        self.policy = content_security_policy(tile_url).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on and add the headers to its response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        extra = [
            (b"content-security-policy", self.policy),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"SAMEORIGIN"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(self)"),
        ]
        if path.startswith(("/t/", "/api/v/")):
            # A capability link must not leak through caches shared with others.
            extra.append((b"cache-control", b"no-store"))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class RefuseNulInAddress:
    """Answers 400 when the path or query string holds a NUL character (``%00``).

    Path and query values reach database lookups (plan names, turf ids, tokens); PostgreSQL
    cannot compare text with a NUL, and no real address has one.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse the request early, or pass it on unchanged."""
        if scope["type"] == "http":
            query = unquote_to_bytes(scope.get("query_string", b""))
            if "\x00" in str(scope.get("path", "")) or b"\x00" in query:
                response = JSONResponse(
                    {"detail": "the address contains a NUL character (%00); remove it"},
                    status_code=400,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class BodySizeLimit:
    """Answers 413 when a request body is over its limit (declared or streamed).

    Paths under ``upload_prefix`` may send up to ``max_upload_bytes``; every other request
    (JSON) up to ``max_bytes``, so no JSON body big enough to hurt is ever parsed.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        *,
        max_upload_bytes: int | None = None,
        upload_prefix: str = "/api/uploads/",
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes or max_bytes
        self.upload_prefix = upload_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the body as it streams in and stop at the limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        limit = self.max_upload_bytes if path.startswith(self.upload_prefix) else self.max_bytes
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(scope, receive, send, limit)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLargeError(limit)
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLargeError:
            await self._too_large(scope, receive, send, limit)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        limit_mb = limit / 1_000_000
        response = JSONResponse(
            {"detail": f"request body too large: the limit is {limit_mb:g} MB"}, status_code=413
        )
        await response(scope, receive, send)


class _TooLargeError(HTTPException):
    """Raised while a body streams in; FastAPI turns it into the 413 answer."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body too large: the limit is {limit / 1_000_000:g} MB")


class RateLimiter:
    """At most ``limit`` events per ``window_s`` seconds for each key, in this process."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Count an event for ``key``; False when it is over the limit."""
        now = time.monotonic()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.window_s:
                events.popleft()
            if len(events) >= self.limit:
                return False
            events.append(now)
            if len(self._events) > 100_000:
                self._prune(now)
            return True

    def _prune(self, now: float) -> None:
        for key in [k for k, v in self._events.items() if not v or v[-1] <= now - self.window_s]:
            del self._events[key]

    def check(self, key: str) -> None:
        """Raise HTTP 429 when ``key`` is over the limit."""
        if not self.allow(key):
            raise HTTPException(
                status_code=429,
                detail="too many requests; wait a minute and try again",
                headers={"Retry-After": str(int(self.window_s))},
            )


def client_address(request: Request) -> str:
    """The peer address (no proxy headers are trusted)."""
    return request.client.host if request.client else "unknown"


def csrf_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison of the session's CSRF token and the one sent."""
    return bool(given) and secrets.compare_digest(expected, str(given))
