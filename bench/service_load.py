"""Service load benchmark: 200 small jobs from 20 concurrent clients against `painterly serve` on loopback.

Each client submits its share of jobs one after another and waits for each result, as an app
would. Reports throughput, submit and end-to-end latency percentiles, and lost jobs (any job
not done with a readable result). Requests go only to 127.0.0.1, bounded in count and time.

Run: ``.venv/bin/python bench/service_load.py``; writes bench/results/service_load.md.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _common import RESULTS, machine_line, markdown_table
from service_helpers import free_port, job_files, start_server

JOBS, CLIENTS = 200, 20
SETTINGS = '{"size": 32, "scales": [1.0], "steps": [2]}'
DEADLINE = 600.0  # seconds; the whole run stops by then whatever happens


def client_run(base: str, count: int, results: list[dict[str, float | str]], stop_at: float) -> None:
    with httpx2.Client(base_url=base, timeout=30) as http:
        for _ in range(count):
            started = time.perf_counter()
            response = http.post("/api/jobs", files=job_files(), data={"settings": SETTINGS})
            submitted = time.perf_counter()
            if response.status_code != 201:
                results.append({"state": f"http {response.status_code}", "submit": submitted - started})
                continue
            job_id = response.json()["id"]
            state = "queued"
            while state in ("queued", "running") and time.monotonic() < stop_at:
                time.sleep(0.05)
                state = http.get(f"/api/jobs/{job_id}").json()["state"]
            ok = state == "done" and http.get(f"/api/jobs/{job_id}/result").status_code == 200
            results.append({"state": state if ok else f"lost ({state})", "submit": submitted - started,
                            "total": time.perf_counter() - started})  # fmt: skip


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="painterly-load-"))
    port = free_port()
    server = start_server(data_dir, port, extra=["--max-queued", str(JOBS + 10)])
    results: list[dict[str, float | str]] = []
    stop_at = time.monotonic() + DEADLINE
    try:
        started = time.perf_counter()
        threads = [threading.Thread(target=client_run, args=(f"http://127.0.0.1:{port}", JOBS // CLIENTS, results,
                                                              stop_at)) for _ in range(CLIENTS)]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        server.kill()
        server.wait(10)
    report(results, elapsed)
    return 0


def report(results: list[dict[str, float | str]], elapsed: float) -> None:
    done = [r for r in results if r["state"] == "done"]
    totals = [float(r["total"]) for r in done]
    submits = [float(r["submit"]) for r in results]
    rows = [[str(len(results)), str(len(done)), str(len(results) - len(done)), f"{elapsed:.1f}",
             f"{len(done) / elapsed:.2f}"]]  # fmt: skip
    latency = [[name, f"{percentile(v, 0.5):.2f}", f"{percentile(v, 0.9):.2f}", f"{percentile(v, 0.99):.2f}",
                f"{max(v):.2f}"] for name, v in (("submit (POST)", submits), ("end to end", totals))]  # fmt: skip
    text = "\n\n".join([
        f"# Service load: {JOBS} jobs from {CLIENTS} concurrent clients on loopback",
        f"Machine: {machine_line()}; server with 1 worker. Made by `bench/service_load.py`. "
        f"Each job: optimization at 32 px, 2 steps (`{SETTINGS}`).",
        markdown_table(["jobs", "done", "lost", "wall s", "jobs / s"], rows),
        markdown_table(["latency s", "p50", "p90", "p99", "max"], latency),
        f"Mean end-to-end latency {statistics.mean(totals):.2f} s: with one worker, jobs queue behind each other; "
        "the latency is mostly waiting, the service overhead is the submit column.",
    ])  # fmt: skip
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "service_load.md").write_text(text + "\n")


if __name__ == "__main__":
    sys.exit(main())
