"""A real ``canvass serve`` in a subprocess on a free 127.0.0.1 port, and a small HTTP client."""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """``canvass serve --workspace W --db URL`` on 127.0.0.1; stopped by ``stop``/``kill``."""

    def __init__(self, workspace: Path, database_url: str, log: Path | None = None) -> None:
        self.workspace = workspace
        self.database_url = database_url
        self.log = log
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        """The server's command line (a subclass may serve another app the same way)."""
        return [
            sys.executable, "-m", "app.cli", "serve", "--workspace", str(self.workspace),
            "--db", self.database_url, "--host", "127.0.0.1", "--port", str(self.port),
        ]  # fmt: skip

    def start(self, timeout_s: float = 60.0) -> LiveServer:
        command = self.command()
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        if self.log is None:
            quiet = subprocess.DEVNULL
            self.process = subprocess.Popen(command, stdout=quiet, stderr=quiet, env=env)
        else:
            with self.log.open("ab") as output:
                self.process = subprocess.Popen(command, stdout=output, stderr=output, env=env)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.2)
        self.kill()
        raise RuntimeError("server did not start in time")

    def kill(self) -> None:
        """kill -9: no shutdown, no flushing."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


class Client:
    """One keep-alive HTTP/1.1 connection, like one phone."""

    def __init__(self, port: int, timeout_s: float = 60.0) -> None:
        self.port = port
        self.timeout_s = timeout_s
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        try:
            self.connection.request(method, path, body=data, headers=headers)
            response = self.connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=self.timeout_s
            )
            raise
        return response.status, json.loads(payload) if payload else None

    def close(self) -> None:
        self.connection.close()


def volunteer_run(port: int, token: str, results: int, retry_share: float, seed: int) -> dict:
    """One phone: reads its turf, posts ``results`` one by one, re-sends some (same id)."""
    rng = random.Random(seed)
    phone = Client(port)
    status, turf = phone.request("GET", f"/api/v/{token}/turf")
    assert status == 200, turf
    households = [h["household_id"] for s in turf["stops"] for h in s["households"]]
    stored: list[str] = []
    duplicates: list[str] = []
    latencies: list[float] = []
    try:
        for _ in range(results):
            item = {
                "client_id": str(uuid.uuid4()),
                "household_id": rng.choice(households),
                "code": rng.choice(["not_home", "refused", "supporter_3", "come_back"]),
                "recorded_at": "2026-11-23T18:00:00Z",
            }
            sends = 2 if rng.random() < retry_share else 1
            for _attempt in range(sends):
                started = time.perf_counter()
                status, answer = phone.request(
                    "POST", f"/api/v/{token}/results", {"results": [item]}
                )
                latencies.append(time.perf_counter() - started)
                assert status == 200, answer
                stored += answer["stored"]
                duplicates += answer["duplicates"]
    finally:
        phone.close()
    return {"stored": stored, "duplicates": duplicates, "latencies": latencies}


def run_load(
    port: int, tokens: list[str], results: int = 20, retry_share: float = 0.10
) -> list[dict]:
    with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        futures = [
            pool.submit(volunteer_run, port, token, results, retry_share, seed)
            for seed, token in enumerate(tokens)
        ]
        return [f.result(timeout=600) for f in futures]
