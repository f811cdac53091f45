"""Service load benchmark with real camera photos, a kill -9 in the middle, and uploads that must not stall the API.

Part 1: 200 jobs from 20 concurrent clients, each uploading a real 2–9 MP JPEG from
``../shared/data/photos/highres`` (as received; a quarter of them downscaled to 2–4 MP), a
feed-forward model at 512 px. When half the jobs are submitted the server is killed with
SIGKILL and started again on the same data; clients retry refused connections. Reports
done / failed / lost, failures for want of inputs, latency percentiles and disk per job.

Part 2: while 24 MP uploads (a highres photo upscaled to 6000×4000) are posted back to back,
one client polls ``GET /api/jobs/{id}`` every 20 ms: its latency percentiles (target p99 ≤ 100 ms).

Requests go only to 127.0.0.1, bounded in count and time.
Run: ``.venv/bin/python bench/service_load.py``; writes bench/results/service_load.md.
"""

from __future__ import annotations

import io
import os
import random
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx2
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _common import machine_line, markdown_table, publish, require_shared_data
from service_helpers import free_port, start_server

JOBS, CLIENTS = 200, 20
SETTINGS = '{"model": "cliff_walk", "size": 512}'
DEADLINE = 900.0  # seconds; the whole run stops by then whatever happens


def load_photos(shared: Path) -> list[tuple[str, bytes]]:
    """The highres JPEGs as they are, plus a downscaled copy of every fourth (2–4 MP)."""
    photos = []
    for index, path in enumerate(sorted((shared / "photos" / "highres").glob("*.jpg"))):
        photos.append((path.name, path.read_bytes()))
        if index % 4 == 0:
            image = Image.open(path)
            image.thumbnail((2048, 2048))
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, format="JPEG", quality=92)
            photos.append((f"small-{path.name}", buffer.getvalue()))
    return photos


class Run:
    """Shared state of part 1: the server process, submitted counts, per-job records."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir, self.port = data_dir, port
        self.base = f"http://127.0.0.1:{port}"
        self.lock = threading.Lock()
        self.submitted = 0
        self.records: list[dict[str, Any]] = []
        self.restarted = threading.Event()
        self.server = self.start()

    def start(self) -> Any:
        return start_server(
            self.data_dir, self.port, extra=["--max-queued", str(JOBS + 10), "--job-timeout-seconds", "600"]
        )

    def maybe_kill(self) -> None:
        """At half the jobs: SIGKILL the server and start it again on the same data."""
        with self.lock:
            if self.submitted < JOBS // 2 or self.restarted.is_set():
                return
            self.restarted.set()
        os.kill(self.server.pid, signal.SIGKILL)
        self.server.wait(10)
        self.server = self.start()


def _retrying(call: Any, stop_at: float) -> Any:
    """Call until the server answers (it is down for a few seconds around the restart)."""
    while time.monotonic() < stop_at:
        try:
            return call()
        except httpx2.TransportError:
            time.sleep(0.3)
    raise TimeoutError


def client_run(run: Run, count: int, photos: list[tuple[str, bytes]], seed: int, stop_at: float) -> None:
    rng = random.Random(seed)
    with httpx2.Client(base_url=run.base, timeout=60) as http:
        for _ in range(count):
            name, data = rng.choice(photos)
            started = time.perf_counter()
            files = [("photo", (name, data, "image/jpeg"))]
            response = _retrying(
                lambda: http.post(
                    "/api/jobs",
                    files=files,  # noqa: B023
                    data={"method": "feedforward", "settings": SETTINGS},
                ),
                stop_at,
            )
            submitted = time.perf_counter()
            with run.lock:
                run.submitted += 1
            run.maybe_kill()
            if response.status_code != 201:
                run.records.append({"state": f"http {response.status_code}", "submit": submitted - started})
                continue
            job_id, job = response.json()["id"], {"state": "queued"}
            while job["state"] in ("queued", "running") and time.monotonic() < stop_at:
                time.sleep(0.1)
                answer = _retrying(lambda: http.get(f"/api/jobs/{job_id}"), stop_at)  # noqa: B023
                job = answer.json() if answer.status_code == 200 else {"state": f"gone ({answer.status_code})"}
            ok = (
                job["state"] == "done"
                and _retrying(
                    lambda: http.get(f"/api/jobs/{job_id}/result"),  # noqa: B023
                    stop_at,
                ).status_code
                == 200
            )
            run.records.append(
                {
                    "id": job_id,
                    "state": job["state"] if ok else f"lost ({job['state']})",
                    "error": job.get("error"),
                    "submit": submitted - started,
                    "total": time.perf_counter() - started,
                }
            )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] if ordered else float("nan")


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def part_load(shared: Path) -> tuple[list[dict[str, Any]], float, float, int]:
    data_dir = Path(tempfile.mkdtemp(prefix="painterly-load-"))
    run = Run(data_dir, free_port())
    photos = load_photos(shared)
    stop_at = time.monotonic() + DEADLINE
    started = time.perf_counter()
    try:
        threads = [
            threading.Thread(target=client_run, args=(run, JOBS // CLIENTS, photos, seed, stop_at))
            for seed in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        jobs = [path for path in (data_dir / "jobs").iterdir() if path.is_dir()]
        disk = sum(folder_bytes(path) for path in jobs) / max(1, len(jobs))
    finally:
        run.server.kill()
        run.server.wait(10)
    return run.records, elapsed, disk, len(photos)


def part_uploads(shared: Path) -> dict[str, float]:
    """GET latency while 24 MP photos are uploaded back to back (workers 0: the event loop alone is measured)."""
    source = sorted((shared / "photos" / "highres").glob("*.jpg"))[0]
    upscaled = np.asarray(Image.open(source).convert("RGB").resize((6000, 4000), Image.Resampling.BICUBIC))
    # Sensor-like grain, so the file is as large as a real 24 MP photo's (an upscale alone compresses to 2.5 MB).
    grain = np.random.default_rng(0).normal(0, 6, upscaled.shape)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(upscaled + grain, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=92)
    big = buffer.getvalue()
    data_dir = Path(tempfile.mkdtemp(prefix="painterly-uploads-"))
    port = free_port()
    server = start_server(data_dir, port, extra=["--workers", "0", "--max-queued", "1000"])
    latencies: list[float] = []
    uploads: list[float] = []
    stop = threading.Event()
    try:
        with httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            first = http.post(
                "/api/jobs",
                files=[("photo", ("big.jpg", big, "image/jpeg"))],
                data={"method": "feedforward", "settings": '{"model": "cliff_walk"}'},
            ).json()

            def upload_loop() -> None:
                with httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as uploader:
                    for _ in range(12):
                        started = time.perf_counter()
                        uploader.post(
                            "/api/jobs",
                            files=[("photo", ("big.jpg", big, "image/jpeg"))],
                            data={"method": "feedforward", "settings": '{"model": "cliff_walk"}'},
                        )
                        uploads.append(time.perf_counter() - started)
                stop.set()

            uploaders = [threading.Thread(target=upload_loop) for _ in range(2)]
            for thread in uploaders:
                thread.start()
            while not stop.is_set():
                started = time.perf_counter()
                http.get(f"/api/jobs/{first['id']}")
                latencies.append(time.perf_counter() - started)
                time.sleep(0.02)
            for thread in uploaders:
                thread.join()
    finally:
        server.kill()
        server.wait(10)
    return {
        "megabytes": len(big) / 1e6,
        "uploads": len(uploads),
        "upload_p50": percentile(uploads, 0.5),
        "gets": len(latencies),
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies),
    }


def report(
    records: list[dict[str, Any]], elapsed: float, disk: float, photo_count: int, uploads: dict[str, float]
) -> str:
    done = [r for r in records if r["state"] == "done"]
    failed = [r for r in records if r["state"] != "done" and "lost" not in r["state"]]
    lost = [r for r in records if "lost" in r["state"]]
    for_inputs = [r for r in records if r.get("error") and ("missing" in r["error"] or "not found" in r["error"])]
    totals = [float(r["total"]) for r in done]
    submits = [float(r["submit"]) for r in records]
    rows = [
        [
            str(len(records)),
            str(len(done)),
            str(len(failed)),
            str(len(lost)),
            str(len(for_inputs)),
            f"{elapsed:.1f}",
            f"{len(done) / elapsed:.2f}",
            f"{disk / 1e6:.2f}",
        ]
    ]
    latency = [
        [name, f"{percentile(v, 0.5):.2f}", f"{percentile(v, 0.9):.2f}", f"{percentile(v, 0.99):.2f}", f"{max(v):.2f}"]
        for name, v in (("submit (POST)", submits), ("end to end", totals))
    ]
    upload_rows = [
        [
            f"{uploads['megabytes']:.1f}",
            str(int(uploads["uploads"])),
            f"{uploads['upload_p50']:.2f}",
            str(int(uploads["gets"])),
            f"{uploads['p50'] * 1000:.1f}",
            f"{uploads['p99'] * 1000:.1f}",
            f"{uploads['max'] * 1000:.1f}",
        ]
    ]
    return "\n\n".join(
        [
            f"# Service load: {JOBS} real photos from {CLIENTS} clients, kill -9 midway; "
            "API latency under 24 MP uploads",
            f"Machine: {machine_line()}. Made by `bench/service_load.py`. Server with 1 worker.",
            f"## Part 1: {JOBS} jobs, real 2–9 MP JPEGs ({photo_count} files from `photos/highres`, "
            "a quarter downscaled), "
            f"feed-forward `cliff_walk` at 512 px (`{SETTINGS}`); SIGKILL and restart after {JOBS // 2} submissions",
            markdown_table(
                [
                    "jobs",
                    "done",
                    "failed",
                    "lost",
                    "failed for want of inputs",
                    "wall s",
                    "jobs / s",
                    "disk per job MB",
                ],
                rows,
            ),
            markdown_table(["latency s", "p50", "p90", "p99", "max"], latency),
            "Disk per job counts the upload as received, the result PNG and nothing else (no re-encoded copy).",
            "Why jobs did not finish: "
            + ("; ".join(sorted({f"{r['state']}: {r.get('error')}" for r in failed + lost})) or "all finished"),
            "## Part 2: `GET /api/jobs/{id}` every 20 ms while two clients post 24 MP JPEGs back to back (workers 0)",
            markdown_table(
                ["upload MB", "uploads", "upload p50 s", "GETs", "GET p50 ms", "GET p99 ms", "GET max ms"], upload_rows
            ),
        ]
    )


def main() -> int:
    shared = require_shared_data()
    records, elapsed, disk, photo_count = part_load(shared)
    uploads = part_uploads(shared)
    text = report(records, elapsed, disk, photo_count, uploads)
    publish("service_load", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
