"""A server killed with SIGKILL while jobs are queued and running loses none of them."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx2
import pytest
from service_helpers import free_port, job_files, start_server

SETTINGS = '{"size": 64, "scales": [1.0], "steps": [25]}'


@pytest.mark.slow
def test_kill_9_loses_no_job(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(tmp_path, port)
    try:
        ids = [httpx2.post(f"{base}/api/jobs", files=job_files(), data={"settings": SETTINGS}, timeout=10).json()["id"]
               for _ in range(4)]  # fmt: skip
        deadline = time.monotonic() + 30
        while httpx2.get(f"{base}/api/jobs/{ids[0]}").json()["state"] != "running" and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(server.pid, signal.SIGKILL)
        server.wait(10)
        server = start_server(tmp_path, port)
        states = {}
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            states = {job_id: httpx2.get(f"{base}/api/jobs/{job_id}").json() for job_id in ids}
            if all(job["state"] in ("done", "failed", "cancelled") for job in states.values()):
                break
            time.sleep(0.3)
        assert [states[job_id]["state"] for job_id in ids] == ["done"] * 4, states
        assert all(httpx2.get(f"{base}/api/jobs/{job_id}/result").status_code == 200 for job_id in ids)
    finally:
        server.kill()
        server.wait(10)
