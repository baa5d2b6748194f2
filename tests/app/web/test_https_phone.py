"""A phone reaches the server over HTTPS under a real host name: the page works offline.

Chromium maps ``canvass.test`` to 127.0.0.1 (``--host-resolver-rules``), so nothing leaves the
loopback, and trusts the test's self-signed certificate by its key (``--ignore-certificate-
errors-spki-list``), as a phone that accepted the warning once would. Service workers need a
secure context: on plain HTTP under such a name there would be none.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from app.cli.certificates import self_signed_certificate
from app.settings import Settings
from app.store.links import create_volunteer_link
from app.web.app import create_app
from tests.app.browser import PHONE, WAIT_MS, launch_chromium, serving
from tests.app.conftest import BuiltPlan

HOST = "canvass.test"


def _spki_hash(cert: Path) -> str:
    key = x509.load_pem_x509_certificate(cert.read_bytes()).public_key()
    spki = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"), [HOST])


@pytest.fixture(scope="module")
def phone_browser(tls: tuple[Path, Path]) -> Iterator[Any]:
    yield from launch_chromium(
        [f"--host-resolver-rules=MAP {HOST} 127.0.0.1",
         f"--ignore-certificate-errors-spki-list={_spki_hash(tls[0])}"]
    )  # fmt: skip


def test_a_phone_uses_the_turf_offline_over_https(
    phone_browser: Any,
    tls: tuple[Path, Path],
    demo_plan: BuiltPlan,
    tmp_path: Path,
    artifacts: Path,
) -> None:
    shutil.copytree(demo_plan.out, tmp_path / "demo", ignore=shutil.ignore_patterns("*.pdf"))

    def make_app(base: str) -> Any:
        return create_app(
            Settings(
                workspace=tmp_path,
                database_url=f"sqlite:///{tmp_path / 'canvass.db'}",
                public_url=base,
                tile_url=f"{base}/no-tiles/{{z}}/{{x}}/{{y}}.png",
                tls_cert=tls[0],
                tls_key=tls[1],
            )
        )

    with serving(make_app, tls=tls, host_name=HOST) as (base, app):
        assert base.startswith(f"https://{HOST}:")
        token = create_volunteer_link(app.state.services.db, "demo", "P01-01")
        context = phone_browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        page = context.new_page()
        try:
            page.goto(f"{base}/t/{token}")
            page.wait_for_selector("body[data-ready='yes']", timeout=WAIT_MS)
            assert page.evaluate("() => window.isSecureContext") is True
            deadline = time.monotonic() + WAIT_MS / 1000
            while not page.evaluate("() => navigator.serviceWorker.controller !== null"):
                assert time.monotonic() < deadline, "no service worker took the page"
                page.wait_for_timeout(200)
                if page.evaluate("() => navigator.serviceWorker.controller === null"):
                    page.reload()
                    page.wait_for_selector("body[data-ready='yes']", timeout=WAIT_MS)
            doors = page.locator("li.door").count()
            assert doors > 0
            context.set_offline(True)
            page.reload()
            page.wait_for_selector("body[data-ready='yes']", timeout=WAIT_MS)
            assert page.locator("li.door").count() == doors
            page.screenshot(path=str(artifacts / "https-phone-offline.png"))
        finally:
            context.close()
