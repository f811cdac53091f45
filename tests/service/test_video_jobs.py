"""Video jobs through the REST API, and the live camera WebSocket."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from clips import audio_samples, clip_frame, make_clip
from service_helpers import wait_for

LIVE = "ws://127.0.0.1:8000/api/live"  # the test client sends this Host, which the guard accepts
MODEL_SETTINGS = json.dumps({"model": "cliff_walk", "size": 64})


def _submit_video(client, path: Path, **form: str):  # type: ignore[no-untyped-def]
    data = {"method": "feedforward", "settings": MODEL_SETTINGS, **form}
    return client.post("/api/jobs", data=data, files=[("video", (path.name, path.read_bytes(), "video/mp4"))])


def test_a_video_job_plays_back_with_its_audio(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clip = make_clip(tmp_path / "clip.mp4", frames=16)
    response = _submit_video(client, clip)
    assert response.status_code == 201, response.text
    job = wait_for(client, response.json()["id"])
    assert job["state"] == "done" and job["kind"] == "video", job
    assert "frame 16/16" in job["stage"]
    result = client.get(f"/api/jobs/{job['id']}/result")
    assert result.status_code == 200 and result.headers["content-type"] == "video/mp4"
    saved = tmp_path / "result.mp4"
    saved.write_bytes(result.content)
    from painterly.video.media import probe

    info = probe(saved)
    assert (info.frames, info.width, info.rate) == (16, 64, 24)
    assert len(audio_samples(saved)) > 0.5 * 48000


def test_video_limits_answer_413_and_bad_files_415(make_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client = make_client(max_video_seconds=0.5)
    clip = make_clip(tmp_path / "clip.mp4", frames=24)  # 1 s
    response = _submit_video(client, clip)
    assert response.status_code == 413 and "0.5 s" in response.json()["detail"]
    small = make_client(max_video_bytes=1000)
    assert _submit_video(small, clip).status_code == 413
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x01" * 5000)
    response = _submit_video(client, broken)
    assert response.status_code == 415
    assert "broken.mp4" in response.json()["detail"] and "/jobs/" not in response.json()["detail"]
    both = client.post("/api/jobs", data={"method": "feedforward", "settings": MODEL_SETTINGS},
                       files=[("video", ("c.mp4", clip.read_bytes(), "video/mp4")),
                              ("photo", ("p.png", b"x", "image/png"))])  # fmt: skip
    assert both.status_code == 422 and "not both" in both.json()["detail"]
    assert not list((tmp_path / "service" / "jobs").iterdir())  # nothing half-stored


def test_large_videos_run_at_the_servers_frame_size(make_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client = make_client(max_video_size=48)
    clip = make_clip(tmp_path / "clip.mp4", frames=4, audio=False)
    response = client.post("/api/jobs", data={"method": "feedforward", "settings": json.dumps({"model": "cliff_walk"})},
                           files=[("video", (clip.name, clip.read_bytes(), "video/mp4"))])  # fmt: skip
    assert response.status_code == 201
    job = response.json()
    assert job["settings"]["size"] == 48 and any("48 px" in note for note in job["notes"])


def test_live_camera_frames_come_back_stylized(client) -> None:  # type: ignore[no-untyped-def]
    import cv2

    with client.websocket_connect(LIVE) as socket:
        socket.send_json({"model": "cliff_walk", "size": 96})
        assert socket.receive_json()["ready"] is True
        for index in range(3):
            _, jpeg = cv2.imencode(".jpg", cv2.cvtColor(clip_frame(index, 128, 72), cv2.COLOR_RGB2BGR))
            socket.send_bytes(jpeg.tobytes())
            frame = cv2.imdecode(np.frombuffer(socket.receive_bytes(), np.uint8), cv2.IMREAD_COLOR)
            assert frame.shape == (54, 96, 3)  # 128×72 at 96 px long, even sides
            photo = cv2.resize(cv2.cvtColor(clip_frame(index, 128, 72), cv2.COLOR_RGB2BGR), (96, 54))
            assert np.abs(frame.astype(int) - photo).mean() > 15  # stylized, not echoed


@pytest.mark.parametrize("setup", [{"model": "no_such_model", "size": 96}, {"model": "cliff_walk", "size": 5000}])
def test_live_setup_errors_are_one_message(client, setup: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    with client.websocket_connect(LIVE) as socket:
        socket.send_json(setup)
        answer = socket.receive_json()
        assert "error" in answer and "\n" not in answer["error"]


def test_live_refuses_other_sites(client) -> None:  # type: ignore[no-untyped-def]
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect), client.websocket_connect(LIVE, headers={"Origin": "https://evil.example"}):
        pass


@pytest.mark.slow
def test_a_real_clip_through_the_api(client, shared_data: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A 6 s 640×480 phone clip with AAC audio, uploaded, stylized at 320 px, downloaded and played back."""
    clip = shared_data / "videos" / "friday.mp4"
    if not clip.is_file():
        pytest.skip("needs videos/friday.mp4")
    response = client.post("/api/jobs", data={"method": "feedforward",
                                              "settings": json.dumps({"model": "hokusai_wave_stable", "size": 320})},
                           files=[("video", (clip.name, clip.read_bytes(), "video/mp4"))])  # fmt: skip
    assert response.status_code == 201, response.text
    job = wait_for(client, response.json()["id"], timeout=300)
    assert job["state"] == "done", job
    saved = tmp_path / "result.mp4"
    saved.write_bytes(client.get(f"/api/jobs/{job['id']}/result").content)
    from painterly.video.media import probe

    info, source = probe(saved), probe(clip)
    assert (info.width, info.height, info.frames, info.rate) == (320, 240, source.frames, source.rate)
    assert len(audio_samples(saved)) == pytest.approx(source.duration * 44100, rel=0.02)
