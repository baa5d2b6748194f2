"""Web security: headers (CSP), CSRF checks, request size limits and rate limits.

Rate limits are kept in the process (a sliding window per key); that suits the single-process
server ``canvass serve`` runs.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
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


def content_security_policy(tile_url: str | None, *, inline_scripts: bool = False) -> str:
    """Scripts only from this server; images from here and the tile host; no framing by others.

    Generated plan documents (Folium maps) carry inline scripts, so ``inline_scripts`` allows
    those for them: still no script from any other origin.
    """
    scripts = "'self' 'unsafe-inline'" if inline_scripts else "'self'"
    images = " ".join(s for s in ("'self'", "data:", "blob:", tile_origin(tile_url)) if s)
    # The volunteer page's service worker may fetch tiles to keep them for offline use.
    connect = " ".join(s for s in ("'self'", tile_origin(tile_url)) if s)
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
        f"img-src {images}; connect-src {connect}; font-src 'self' data:; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'self'; worker-src 'self'; "
        "manifest-src 'self'"
    )


class SecurityHeaders(BaseHTTPMiddleware):
    """Adds the CSP and the usual hardening headers to every response."""

    def __init__(self, app: ASGIApp, tile_url: str | None) -> None:
        super().__init__(app)
        self.strict = content_security_policy(tile_url)
        self.documents = content_security_policy(tile_url, inline_scripts=True)

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """Pass the request on and add the headers to its response."""
        response = await call_next(request)
        path = request.url.path
        csp = self.documents if path.startswith("/files/") else self.strict
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(self)"
        )
        if path.startswith(("/t/", "/api/v/")):
            # A capability link must not leak through caches shared with others.
            response.headers.setdefault("Cache-Control", "no-store")
        return response


class BodySizeLimit:
    """Answers 413 when a request body is larger than ``max_bytes`` (declared or streamed)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the body as it streams in and stop at the limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLargeError
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLargeError:
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit_mb = self.max_bytes / 1_000_000
        response = JSONResponse(
            {"detail": f"request body too large: the limit is {limit_mb:g} MB"}, status_code=413
        )
        await response(scope, receive, send)


class _TooLargeError(Exception):
    pass


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


def new_csrf_token() -> str:
    """A random token a page sends back in the ``X-CSRF-Token`` header or a form field."""
    return secrets.token_urlsafe(32)


def csrf_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison of the session's CSRF token and the one sent."""
    return bool(given) and secrets.compare_digest(expected, str(given))
