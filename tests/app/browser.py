"""Shared plumbing of the real-browser tests: Debian's Chromium via Playwright, and the app
served by uvicorn on a free port of 127.0.0.1.

Browser tests are skipped only when Chromium or Playwright is missing, and then only outside
CI: with ``CI_REQUIRE_BROWSER=1`` (set by ``.ci/run``) a missing browser fails the run.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
WAIT_MS = 15_000


def missing_browser() -> str | None:
    """Why no browser test can run here, or None."""
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return None


def launch_chromium(extra_args: list[str] | None = None) -> Iterator[Any]:
    """A headless Chromium for the duration of a fixture (skip or fail when there is none)."""
    reason = missing_browser()
    if reason:
        if os.environ.get("CI_REQUIRE_BROWSER") == "1":
            pytest.fail(f"CI_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *(extra_args or [])]
        )
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def serving(
    make_app: Callable[[str], Any],
    *,
    tls: tuple[Path, Path] | None = None,
    host_name: str = "127.0.0.1",
) -> Iterator[tuple[str, Any]]:
    """Serve ``make_app(base_url)`` with uvicorn on 127.0.0.1; yields the base URL and the app.

    With ``tls`` (certificate, key) it speaks HTTPS, and the URL names ``host_name`` (which the
    browser must map to 127.0.0.1, e.g. with ``--host-resolver-rules``).
    """
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    scheme = "https" if tls else "http"
    base = f"{scheme}://{host_name}:{sock.getsockname()[1]}"
    app = make_app(base)
    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="off",
        ssl_certfile=str(tls[0]) if tls else None,
        ssl_keyfile=str(tls[1]) if tls else None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield base, app
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        app.state.services.db.dispose()


def no_horizontal_overflow(page: Any, width: int = PHONE["width"]) -> None:
    """Fail when the page scrolls sideways at ``width`` pixels."""
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"page is {scroll} px wide on a {width} px screen"


@contextmanager
def demo_site(
    plan_folder: Path,
    root: Path,
    accounts: dict[str, str],
    password: str,
    **settings: Any,
) -> Iterator[tuple[str, Any]]:
    """A copy of the demo plan in ``root`` served with the given accounts (name -> role).

    Its tiles come from the app itself, which has none, so every request stays on 127.0.0.1
    and the maps must show the plan with no tiles. ``settings`` are further ``Settings``
    fields. Yields the base URL and the app.
    """
    import shutil

    from app.services.accounts import create_user
    from app.settings import Settings
    from app.web.app import create_app

    shutil.copytree(plan_folder, root / "demo", ignore=shutil.ignore_patterns("*.pdf"))

    def make_app(base: str) -> Any:
        app = create_app(
            Settings(
                workspace=root,
                database_url=f"sqlite:///{root / 'canvass.db'}",
                tile_url=f"{base}/no-tiles/{{z}}/{{x}}/{{y}}.png",
                **settings,
            )
        )
        for name, role in accounts.items():
            create_user(app.state.services.db, name, password, role)
        return app

    with serving(make_app) as served:
        yield served


def log_in(
    page: Any,
    base: str,
    username: str,
    password: str,
    path: str,
    *,
    ready: str = "body[data-ready='yes']",
) -> None:
    """Sign in through the login form on the way to ``path``; wait for ``ready`` there."""
    page.goto(f"{base}/login?next={path}")
    page.fill("input[name='username']", username)
    page.fill("input[name='password']", password)
    page.click("button[type='submit']")
    page.wait_for_selector(ready, timeout=WAIT_MS)
