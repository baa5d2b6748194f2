"""A self-signed certificate for a quick start on a LAN (``canvass serve --self-signed``).

Phones and the service worker of the volunteer page need HTTPS on anything but localhost. A
campaign office without a domain can start with a certificate made here; each phone then shows
a warning ("not private", "certificate not trusted") once, which the volunteer must accept.
A real certificate (a domain and Caddy, or Let's Encrypt) avoids that: see the README.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

VALID_DAYS = 397
"""Browsers refuse certificates valid for longer than 398 days."""


def _subject_names(names: list[str]) -> list[x509.GeneralName]:
    found: list[x509.GeneralName] = []
    for name in dict.fromkeys(names):
        try:
            found.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            found.append(x509.DNSName(name))
    return found


def self_signed_certificate(folder: Path, names: list[str]) -> tuple[Path, Path]:
    """Write ``cert.pem`` and ``key.pem`` for ``names`` (host names or IPs) into ``folder``.

    An existing pair for the same names is reused, so phones that accepted it keep working.
    """
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    wanted = sorted(dict.fromkeys(names))
    if cert_path.is_file() and key_path.is_file():
        existing = x509.load_pem_x509_certificate(cert_path.read_bytes())
        alt = existing.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        present = sorted([*alt.get_values_for_type(x509.DNSName),
                          *map(str, alt.get_values_for_type(x509.IPAddress))])  # fmt: skip
        if present == wanted and existing.not_valid_after_utc > datetime.now(UTC):
            return cert_path, key_path
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, wanted[0])])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(_subject_names(wanted)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path
