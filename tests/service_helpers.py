"""Helpers for service tests: uploads made in memory and waiting for jobs."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2
from fastapi.testclient import TestClient
from images import make_photo, make_stripes

FAST_SETTINGS = '{"size": 32, "scales": [1.0], "steps": [2]}'


def png_bytes(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def job_files(
    photo: bytes | None = None, styles: list[bytes] | None = None
) -> list[tuple[str, tuple[str, bytes, str]]]:
    photo = photo if photo is not None else png_bytes(make_photo())
    styles = styles if styles is not None else [png_bytes(make_stripes())]
    files = [("photo", ("photo.png", photo, "image/png"))]
    files += [("styles", (f"style{index}.png", data, "image/png")) for index, data in enumerate(styles)]
    return files


def wait_for(client: TestClient, job_id: str, *, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["state"] in ("done", "failed", "cancelled"):
            return job  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(data_dir: Path, port: int, extra: list[str] | None = None) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "painterly",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        *(extra or []),
    ]
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / "server.log").open("ab") as log:
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx2.get(f"http://127.0.0.1:{port}/api/models", timeout=1).status_code == 200:
                return server
        except httpx2.TransportError:
            time.sleep(0.2)
        if server.poll() is not None:
            raise AssertionError(f"server exited: {(data_dir / 'server.log').read_text()}")
    server.kill()
    raise AssertionError("server did not start in 60 s")
