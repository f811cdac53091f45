"""The service's hardening: inputs on disk before a job exists, uploads stored as received,
bounded bodies, sizes and run times, cross-site refusal, JSON errors, expiry on time."""

from __future__ import annotations

import io
import json
import select
import socket
import time
from pathlib import Path

import numpy as np
import pytest
from images import make_photo
from PIL import Image
from service_helpers import FAST_SETTINGS, free_port, job_files, png_bytes, start_server, wait_for

from painterly.service import uploads as uploads_module


def jpeg_bytes(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def noisy_photo(width: int, height: int, seed: int = 0) -> Image.Image:
    """A camera-like photo that does not compress away: smooth gradients plus noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([x / width, y / height, 0.5 + 0.5 * np.sin(x / 37.0)], axis=-1) * 200
    noise = rng.normal(0, 20, (height, width, 3))
    return Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8))


class TestInputsBeforeJob:
    def test_no_worker_sees_a_job_before_its_files(self, client, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        """Slow storage (a large photo) with an idle worker: the job must not be claimable meanwhile."""
        seen_while_writing: list[int] = []
        original = uploads_module.store_upload

        def slow_store(upload, folder, stem):  # type: ignore[no-untyped-def]
            path = original(upload, folder, stem)
            seen_while_writing.append(client.app.state.store.count_active())
            time.sleep(0.6)  # an idle worker polls every 0.5 s
            return path

        monkeypatch.setattr("painterly.service.app.store_upload", slow_store)
        files = job_files(styles=[png_bytes(make_photo(seed=3)), png_bytes(make_photo(seed=4))])
        response = client.post("/api/jobs", files=files, data={"settings": FAST_SETTINGS})
        assert response.status_code == 201, response.text
        assert seen_while_writing == [0, 0, 0]  # photo and both styles written before the row existed
        assert wait_for(client, response.json()["id"])["state"] == "done"

    def test_real_size_photo_with_idle_worker(self, client) -> None:  # type: ignore[no-untyped-def]
        """A 6 MP photo (the size that lost jobs) through the API, three jobs in a row: all done."""
        photo = png_bytes(noisy_photo(3000, 2000))
        assert len(photo) > 5_000_000
        ids = []
        for seed in range(3):
            files = job_files(photo=photo, styles=[png_bytes(make_photo(seed=seed))])
            response = client.post("/api/jobs", files=files, data={"settings": FAST_SETTINGS})
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
        assert [wait_for(client, job_id)["state"] for job_id in ids] == ["done"] * 3

    def test_interrupted_submission_leaves_no_job(self, make_client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        client = make_client(workers=0)

        def failing_store(upload, folder, stem):  # type: ignore[no-untyped-def]
            raise OSError("disk full")

        monkeypatch.setattr("painterly.service.app.store_upload", failing_store)
        response = client.post("/api/jobs", files=job_files(), data={"settings": FAST_SETTINGS})
        assert response.status_code == 507 and "could not store the upload: disk full" in response.json()["detail"]
        store = client.app.state.store
        assert store.count_active() == 0 and not list(store.jobs_dir.iterdir())

    def test_orphan_folders_removed_at_start(self, tmp_path: Path, make_client) -> None:  # type: ignore[no-untyped-def]
        orphan = tmp_path / "service" / "jobs" / ("a" * 32)
        orphan.mkdir(parents=True)
        (orphan / "photo.jpg").write_bytes(b"half")
        make_client(workers=0)
        assert not orphan.exists()


class TestStoredAsReceived:
    def test_jpeg_kept_byte_for_byte(self, make_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        client = make_client(workers=0)
        photo = jpeg_bytes(noisy_photo(800, 600))
        response = client.post("/api/jobs", files=job_files(photo=photo), data={"settings": FAST_SETTINGS})
        folder = tmp_path / "service" / "jobs" / response.json()["id"]
        assert (folder / "photo.jpg").read_bytes() == photo
        assert sorted(path.name for path in folder.iterdir()) == ["photo.jpg", "style_0.png"]


class TestBounds:
    def test_declared_body_over_limit_refused_before_reading(self, make_client) -> None:  # type: ignore[no-untyped-def]
        client = make_client(max_request_bytes=100_000, workers=0)
        sent = []

        def body():  # type: ignore[no-untyped-def]
            for _ in range(50):
                sent.append(1)
                yield b"x" * 10_000

        response = client.post(
            "/api/jobs",
            content=body(),
            headers={"content-length": "500000", "content-type": "multipart/form-data; b=x"},
        )
        assert response.status_code == 413 and "larger than 100,000 bytes" in response.json()["detail"]

    def test_streamed_body_cut_off_at_limit(self, tmp_path: Path) -> None:
        """A chunked 300 MB upload to a real server is refused after about the limit, not spooled whole."""
        port = free_port()
        server = start_server(tmp_path / "service", port, extra=["--max-request-bytes", "2000000", "--workers", "0"])
        try:
            sent, answer = _stream_chunked(port, total=300_000_000)
        finally:
            server.kill()
            server.wait(10)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert sent < 20_000_000, f"{sent:,} bytes were accepted before the refusal"
        assert b"larger than 2,000,000 bytes" in answer

    def test_size_over_server_limit(self, make_client) -> None:  # type: ignore[no-untyped-def]
        client = make_client(max_size=256, workers=0)
        response = client.post("/api/jobs", files=job_files(), data={"settings": '{"size": 300}'})
        assert response.status_code == 422 and response.json()["field"] == "size"
        assert "over this server's limit of 256 px" in response.json()["detail"]

    def test_photo_larger_than_limit_runs_at_the_limit(self, make_client) -> None:  # type: ignore[no-untyped-def]
        client = make_client(max_size=64, workers=0)
        files = job_files(photo=png_bytes(make_photo(200, 100)), styles=[])
        response = client.post(
            "/api/jobs", files=files, data={"method": "feedforward", "settings": '{"model": "cliff_walk"}'}
        )
        assert response.status_code == 201, response.text
        assert response.json()["settings"]["size"] == 64

    def test_memory_estimate_refuses_up_front(self, make_client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        monkeypatch.setattr("painterly.memory.available_memory", lambda: 800 * 1024**2)
        client = make_client(workers=0)
        response = client.post("/api/jobs", files=job_files(), data={"settings": '{"size": 4000}'})
        assert response.status_code == 422 and response.json()["field"] == "size"
        assert "would need about" in response.json()["detail"]

    def test_job_time_limit(self, make_client) -> None:  # type: ignore[no-untyped-def]
        client = make_client(job_timeout_seconds=0.3)
        slow = '{"size": 64, "scales": [1.0], "steps": [2000]}'
        job = client.post("/api/jobs", files=job_files(), data={"settings": slow}).json()
        finished = wait_for(client, job["id"])
        assert finished["state"] == "failed" and "time limit of 0.3 s" in finished["error"]


def _stream_chunked(port: int, total: int) -> tuple[int, bytes]:
    """Send a chunked POST of up to ``total`` bytes, stopping once the server answers.

    Returns how many body bytes had been sent when the answer came, and the answer.
    """
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=20) as connection:
        connection.sendall(b"POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                           b"Content-Type: multipart/form-data; boundary=b\r\n\r\n")  # fmt: skip
        head = b'--b\r\nContent-Disposition: form-data; name="photo"; filename="p.jpg"\r\n\r\n'
        connection.sendall(b"%x\r\n%s\r\n" % (len(head), head))
        chunk = b"%x\r\n%s\r\n" % (1 << 20, b"x" * (1 << 20))
        while sent < total and not select.select([connection], [], [], 0)[0]:
            connection.sendall(chunk)
            sent += 1 << 20
        connection.settimeout(5)
        answer = b""
        while b"\r\n\r\n" not in answer or not _complete(answer):  # headers and body may come in two reads
            data = connection.recv(65536)
            if not data:
                break
            answer += data
    return sent, answer


def _complete(answer: bytes) -> bool:
    head, _, body = answer.partition(b"\r\n\r\n")
    lengths = [int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")]
    return len(body) >= (lengths[0] if lengths else 0)


class TestCrossSite:
    def test_foreign_origin_refused(self, client) -> None:  # type: ignore[no-untyped-def]
        response = client.post("/api/jobs", files=job_files(), headers={"Origin": "http://evil.example"})
        assert response.status_code == 403 and "cross-site" in response.json()["detail"]

    def test_cross_site_fetch_metadata_refused(self, client) -> None:  # type: ignore[no-untyped-def]
        response = client.post("/api/jobs", files=job_files(), headers={"Sec-Fetch-Site": "cross-site"})
        assert response.status_code == 403

    def test_same_origin_accepted(self, make_client) -> None:  # type: ignore[no-untyped-def]
        client = make_client(workers=0)
        headers = {"Origin": "http://127.0.0.1:8000", "Sec-Fetch-Site": "same-origin"}
        response = client.post("/api/jobs", files=job_files(), data={"settings": FAST_SETTINGS}, headers=headers)
        assert response.status_code == 201, response.text

    def test_rebound_host_refused(self, client) -> None:  # type: ignore[no-untyped-def]
        response = client.get("/api/models", headers={"Host": "attacker.example:8000"})
        assert response.status_code == 403 and "host 'attacker.example:8000'" in response.json()["detail"]

    def test_allowed_origin_and_host_options(self, make_client) -> None:  # type: ignore[no-untyped-def]
        client = make_client(workers=0, allowed_origins=("https://app.example",), allowed_hosts=("studio.lan",))
        response = client.post("/api/jobs", files=job_files(), data={"settings": FAST_SETTINGS},
                               headers={"Origin": "https://app.example", "Host": "studio.lan:8000"})  # fmt: skip
        assert response.status_code == 201, response.text

    def test_token(self, make_client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        monkeypatch.setenv("PAINTERLY_TOKEN", "s3cret")
        client = make_client(workers=0)
        assert client.get("/api/models").status_code == 403
        assert client.get("/api/models", headers={"Authorization": "Bearer wrong"}).status_code == 403
        assert client.get("/api/models", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert client.get("/api/models?token=s3cret").status_code == 200
        assert client.get("/").status_code == 200  # the page itself holds no data


class TestJsonErrors:
    @pytest.mark.parametrize(
        ("method", "settings", "field", "message"),
        [
            ("feedforward", {"model": ["x"]}, "model", "expected a string"),
            ("feedforward", {"model": {}}, "model", "expected a string"),
            ("optimize", {"init": ["content"]}, "init", "expected a string"),
            ("optimize", {"size": True}, "size", "expected an integer, got True"),
            ("optimize", {"size": "big"}, "size", "size: 'big' is not a valid int"),
            ("optimize", {"style_layers": "relu1_1"}, None, None),  # one layer, not seven letters
            ("optimize", {"steps": [1, "x"]}, "steps", "not a valid int"),
            ("optimize", {"content_weight": None}, "content_weight", "null is not allowed"),
            ("optimize", {"weights": "/etc/passwd"}, "weights", "unknown name"),
            ("feedforward", {"model": "quartet", "blend": "9:1"}, "blend", "out of range"),
            ("feedforward", {"model": "nope"}, "model", "unknown name 'nope'"),
            ("adain", {"mask": "/etc/hostname"}, "mask", "does not open files"),
        ],
    )
    def test_bad_settings(self, make_client, method, settings, field, message) -> None:  # type: ignore[no-untyped-def]
        client = make_client(workers=0)
        styles = [] if method == "feedforward" else None
        data = {"method": method, "settings": json.dumps(settings)}
        response = client.post("/api/jobs", files=job_files(styles=styles), data=data)
        if field is None:
            assert response.status_code == 201, response.text
            assert response.json()["settings"]["style_layers"] == ["relu1_1"]
            return
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["field"] == field and message in body["detail"] and "--" not in body["detail"]

    def test_decoder_by_model_name_accepted(self, make_client) -> None:  # type: ignore[no-untyped-def]
        client = make_client(workers=0)
        data = {"method": "adain", "settings": '{"decoder": "adain_decoder"}'}
        assert client.post("/api/jobs", files=job_files(), data=data).status_code == 201

    def test_missing_photo_is_json(self, client) -> None:  # type: ignore[no-untyped-def]
        response = client.post("/api/jobs", data={"settings": "{}"})
        assert response.status_code == 422 and response.json() == {
            "detail": "photo: field required (or send a video)",
            "field": "photo",
        }

    def test_result_removed_outside_the_service(self, client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        job = client.post("/api/jobs", files=job_files(), data={"settings": FAST_SETTINGS}).json()
        wait_for(client, job["id"])
        (tmp_path / "service" / "jobs" / job["id"] / "result.png").unlink()
        response = client.get(f"/api/jobs/{job['id']}/result")
        assert response.status_code == 410 and "gone" in response.json()["detail"]

    def test_failed_job_names_no_server_path(self, client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        job = client.post("/api/jobs", files=job_files(), data={"settings": '{"size": 64, "steps": [400]}'}).json()
        folder = tmp_path / "service" / "jobs" / job["id"]
        for path in folder.glob("style_*"):
            path.unlink()  # removed before the worker gets to it
        finished = wait_for(client, job["id"])
        if finished["state"] == "failed":
            assert str(tmp_path) not in finished["error"]


class TestExpiry:
    def test_finished_jobs_expire_without_workers(self, make_client) -> None:  # type: ignore[no-untyped-def]
        client = make_client(workers=0, result_ttl_hours=0.5 / 3600, sweep_seconds=0.2)
        job = client.post("/api/jobs", files=job_files(), data={"settings": FAST_SETTINGS}).json()
        client.delete(f"/api/jobs/{job['id']}")  # cancelled: finished now
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and client.get(f"/api/jobs/{job['id']}").status_code == 200:
            time.sleep(0.1)
        assert client.get(f"/api/jobs/{job['id']}").status_code == 404
