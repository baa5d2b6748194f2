"""`canvass serve`: fails before "Serving", makes the first admin, says where links go."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from app.cli import main
from app.cli.certificates import self_signed_certificate
from app.services.accounts import authenticate
from app.store.engine import Database


@pytest.fixture
def no_uvicorn(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """uvicorn.run recorded instead of run (the command returns at once)."""
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(options))
    return calls


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_busy_port_is_said_before_serving(
    tmp_path: Path, no_uvicorn: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["serve", "--workspace", str(tmp_path), "--port", str(port)])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2 and f"port {port} on 127.0.0.1 is in use" in err
    assert "Serving" not in err and no_uvicorn == []


def test_the_first_admin_comes_from_the_environment(
    tmp_path: Path,
    no_uvicorn: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CANVASS_ADMIN_PASSWORD", "office admin passphrase")
    monkeypatch.setenv("CANVASS_ADMIN_USERNAME", "ana")
    assert main(["serve", "--workspace", str(tmp_path), "--port", str(_free_port())]) == 0
    assert "Created the first admin ana" in capsys.readouterr().err
    db = Database(f"sqlite:///{tmp_path / '.canvass' / 'canvass.db'}")
    assert authenticate(db, "ana", "office admin passphrase") is not None
    db.dispose()
    # A second start finds the account and makes no other.
    assert main(["serve", "--workspace", str(tmp_path), "--port", str(_free_port())]) == 0
    assert "Created" not in capsys.readouterr().err


def test_links_use_the_public_url_and_warn_about_loopback(
    tmp_path: Path, no_uvicorn: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    port = str(_free_port())
    assert main(["serve", "--workspace", str(tmp_path), "--host", "0.0.0.0", "--port", port]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "Phones cannot use links to 127.0.0.1" in err and "/setup?token=" in err
    assert no_uvicorn[-1]["proxy_headers"] is True
    assert no_uvicorn[-1]["forwarded_allow_ips"] == "127.0.0.1"
    assert main(
        ["serve", "--workspace", str(tmp_path), "--host", "0.0.0.0", "--port", port,
         "--public-url", "https://canvass.example.org/", "--trusted-proxies", "10.0.0.2"]
    ) == 0  # fmt: skip
    err = " ".join(capsys.readouterr().err.split())
    assert "links use https://canvass.example.org" in err and "Phones cannot" not in err
    assert "Plain HTTP" not in err and no_uvicorn[-1]["forwarded_allow_ips"] == "10.0.0.2"
    assert main(
        ["serve", "--workspace", str(tmp_path), "--port", port, "--public-url", "canvass"]
    ) == 2  # fmt: skip


def test_self_signed_https_for_the_names_phones_use(
    tmp_path: Path, no_uvicorn: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    port = str(_free_port())
    assert main(
        ["serve", "--workspace", str(tmp_path), "--host", "0.0.0.0", "--port", port,
         "--self-signed", "canvass.test,192.168.1.20"]
    ) == 0  # fmt: skip
    options = no_uvicorn[-1]
    cert = Path(options["ssl_certfile"])
    names = (
        x509.load_pem_x509_certificate(cert.read_bytes())
        .extensions.get_extension_for_class(x509.SubjectAlternativeName)
        .value
    )
    assert "canvass.test" in names.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["192.168.1.20"]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(options["ssl_certfile"], options["ssl_keyfile"])  # a usable pair
    assert "each phone shows a warning once" in " ".join(capsys.readouterr().err.split())
    # The same names again: the same certificate (phones that accepted it keep working).
    again = self_signed_certificate(cert.parent, ["canvass.test", "192.168.1.20"])
    assert again[0].read_bytes() == cert.read_bytes()
