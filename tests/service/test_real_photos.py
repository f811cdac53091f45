"""Real camera photos (6–9 MP, ``../shared/data/photos/highres``) through a real server, as users send them.

The tiny test images of the fast suite save in a millisecond; these take long enough to
write that a job claimed before its files exist would fail. Every job must finish.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import httpx2
import pytest
from PIL import Image
from service_helpers import free_port, start_server, wait_for

SETTINGS = '{"size": 64, "scales": [1.0], "steps": [2]}'


def _largest_photos(shared_data: Path, count: int) -> list[Path]:
    photos = sorted((shared_data / "photos" / "highres").glob("*.jpg"), key=lambda p: -p.stat().st_size)
    if len(photos) < count:
        pytest.skip(f"need {count} photos in photos/highres")
    return photos[:count]


def _as_png(path: Path) -> bytes:
    buffer = io.BytesIO()
    Image.open(path).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


@pytest.mark.slow
def test_twenty_real_photos_with_an_idle_worker(tmp_path: Path, shared_data: Path) -> None:
    """20 submissions of 6–9 MP photos (JPEG and PNG, one and two styles) to an idle worker: 0 failures."""
    photos = _largest_photos(shared_data, 10)
    style = (shared_data / "classic" / "starry_night.jpg").read_bytes()
    port = free_port()
    server = start_server(tmp_path / "service", port)
    try:
        with httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as http:
            ids, sent = [], []
            for index in range(20):
                photo = photos[index % len(photos)]
                data, kind = (_as_png(photo), "image/png") if index % 2 else (photo.read_bytes(), "image/jpeg")
                files = [("photo", (photo.name, data, kind))]
                files += [("styles", ("style.jpg", style, "image/jpeg"))] * (1 + index % 3 // 2)
                response = http.post("/api/jobs", files=files, data={"settings": SETTINGS})
                assert response.status_code == 201, response.text
                ids.append(response.json()["id"])
                sent.append(data)
                time.sleep(0.6)  # let the worker go idle and poll between submissions
            states = [wait_for(http, job_id, timeout=300) for job_id in ids]  # type: ignore[arg-type]
            # The history lists all twenty, newest first; each photo comes back byte for byte (the page's compare view).
            history = http.get("/api/jobs", params={"limit": 100}).json()
            assert history["total"] == 20 and [job["id"] for job in history["jobs"]] == ids[::-1]
            for job_id, data in zip(ids[:2], sent[:2]):
                assert http.get(f"/api/jobs/{job_id}/photo").content == data
    finally:
        server.kill()
        server.wait(10)
    failures = [state for state in states if state["state"] != "done"]
    assert not failures, failures
