"""The office deployment as files: compose, Caddy, the image and its entrypoint (no Docker here)."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def test_compose_runs_the_app_behind_https_with_postgis() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"app", "db", "proxy"}
    app, db, proxy = services["app"], services["db"], services["proxy"]
    assert app["build"] == ".."
    env = app["environment"]
    assert env["DATABASE_URL"].startswith("postgresql://") and "@db:5432/" in env["DATABASE_URL"]
    assert env["CANVASS_PUBLIC_URL"].startswith("https://")
    assert "CANVASS_ADMIN_PASSWORD" in env
    assert "postgis" in db["image"]
    # Every service checks its health; the app waits for the database, the proxy for the app.
    for service in services.values():
        assert service.get("healthcheck") or service is proxy
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert proxy["depends_on"]["app"]["condition"] == "service_healthy"
    assert "/healthz" in " ".join(app["healthcheck"]["test"])
    # Only the proxy is published; data lives in named volumes.
    assert "ports" not in app and "ports" not in db
    assert {"80:80", "443:443"} <= set(proxy["ports"])
    assert set(compose["volumes"]) == {"canvass-data", "canvass-db", "caddy-data"}
    assert "canvass-data:/data" in app["volumes"]
    caddy = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert re.search(r"reverse_proxy\s+app:8000", caddy)
    example = (DEPLOY / "office.env.example").read_text(encoding="utf-8")
    for name in re.findall(r"\$\{(\w+):\?", (DEPLOY / "compose.yaml").read_text("utf-8")):
        assert f"{name}=" in example, f"{name} is required but not in office.env.example"


def test_the_image_keeps_data_in_a_volume_runs_unprivileged_and_checks_health() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r'^VOLUME \["/data"\]$', dockerfile, re.MULTILINE)
    assert re.search(r"^USER canvass$", dockerfile, re.MULTILINE)
    assert re.search(r"^HEALTHCHECK .*", dockerfile, re.MULTILINE) and "/healthz" in dockerfile
    assert "ENTRYPOINT" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".venv", ".git", "canvass-data"} <= set(ignored)


def test_the_entrypoint_builds_the_demo_only_into_an_empty_workspace(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "canvass"
    fake.write_text('#!/bin/sh\necho "canvass $*" >> "$CALLS"\n', encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    calls = tmp_path / "calls.txt"
    workspace = tmp_path / "data"
    workspace.mkdir()
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "CALLS": str(calls),
           "CANVASS_WORKSPACE": str(workspace)}  # fmt: skip
    script = str(DEPLOY / "entrypoint.sh")
    subprocess.run(["sh", script, "canvass", "serve"], env=env, check=True, capture_output=True)
    assert calls.read_text().splitlines() == [
        f"canvass --quiet demo --no-serve --out {workspace}/demo",
        "canvass serve",
    ]
    calls.unlink()
    (workspace / "my-plan").mkdir()
    subprocess.run(["sh", script, "canvass", "serve"], env=env, check=True, capture_output=True)
    assert calls.read_text().splitlines() == ["canvass serve"]
