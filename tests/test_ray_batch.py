"""The Ray backend, in local mode, makes what the local batch makes (Ray starts once for the session)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from clips import make_clip
from images import make_photo
from PIL import Image

from painterly.batch import plan_items, run_batch

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'painterly[ray]')")
pytestmark = [pytest.mark.ray, pytest.mark.filterwarnings("ignore")]  # Ray's own deprecation notices


@pytest.fixture(scope="session")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _video(path: Path) -> np.ndarray:
    import av

    with av.open(str(path)) as container:
        return np.stack([frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)])


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image, dtype=np.int16)


def test_ray_makes_the_same_files_as_the_local_batch(local_ray: None, tmp_path: Path) -> None:
    from painterly.ray_batch import run_on_ray

    for seed in range(4):
        make_photo(48, 32, seed=seed).save(tmp_path / f"p{seed}.png")
    make_clip(tmp_path / "clip.mp4", frames=10, audio=False)
    rows = [{"photo": str(tmp_path / name)} for name in ("p0.png", "clip.mp4", "p1.png", "p2.png", "p3.png")]
    settings = {"model": "quartet", "size": 32}
    local = plan_items(rows, output_dir=tmp_path / "local", method="feedforward", settings=settings)
    on_ray = plan_items(rows, output_dir=tmp_path / "ray", method="feedforward", settings=settings)
    assert [r.status for r in run_batch(local)] == ["done"] * 5
    seen = []
    reports = run_on_ray(on_ray, actors=2, report=tmp_path / "ray.jsonl", on_item=seen.append)
    assert [r.status for r in reports] == ["done"] * 5 and len(seen) == 5
    assert ray.is_initialized()  # the caller's Ray stays up; only one the batch started is shut down
    photos_then_clips = [item for item in on_ray if not item.is_video] + [item for item in on_ray if item.is_video]
    assert [r.input for r in reports] == [str(item.photo) for item in photos_then_clips]  # each group in item order
    for mine, theirs in zip(local, on_ray):
        if mine.is_video:
            assert np.array_equal(_video(mine.output), _video(theirs.output))  # deterministic encoding
        else:
            assert np.abs(_pixels(mine.output) - _pixels(theirs.output)).max() <= 1
    assert len((tmp_path / "ray.jsonl").read_text().splitlines()) == 5
    assert [r.status for r in run_on_ray(on_ray, actors=1)] == ["skipped"] * 5  # resumable like the local batch


def test_a_batch_that_starts_ray_says_only_its_own_lines(tmp_path: Path) -> None:
    """``painterly batch --ray`` in a fresh process: it starts a local Ray, makes the files, prints its summary
    and no Ray Data progress or INFO lines, and exits (shutting that Ray down) with 0."""
    photos = tmp_path / "photos"
    photos.mkdir()
    for seed in range(3):
        make_photo(48, 32, seed=seed).save(photos / f"p{seed}.png")
    run = subprocess.run([sys.executable, "-m", "painterly", "batch", str(photos), "-o", str(tmp_path / "out"),
                          "--ray", "--actors", "1", "-m", "feedforward", "--model", "quartet", "--size", "32", "-q"],
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "3 done, 0 skipped" in run.stdout
    assert sorted(p.name for p in (tmp_path / "out").glob("*.png")) == [f"p{i}_quartet.png" for i in range(3)]
    noise = [line for line in run.stderr.splitlines() if "Running Dataset" in line or " INFO " in line]
    assert noise == [], noise


@pytest.mark.slow
def test_ray_on_real_camera_photos_at_full_size(local_ray: None, tmp_path: Path, shared_data: Path) -> None:
    """Two 6–9 MP photos from ../shared/data/photos/highres at their own size (tiled) through Ray actors: the
    files match the local batch's and carry the full resolution; nothing fails or is dropped."""
    from painterly.ray_batch import run_on_ray

    photos = sorted((shared_data / "photos" / "highres").glob("*.jpg"), key=lambda p: -p.stat().st_size)[:2]
    if len(photos) < 2:
        pytest.skip("need photos in photos/highres")
    rows = [{"photo": str(photo)} for photo in photos]
    settings = {"model": "udnie"}
    local = plan_items(rows, output_dir=tmp_path / "local", method="feedforward", settings=settings)
    on_ray = plan_items(rows, output_dir=tmp_path / "ray", method="feedforward", settings=settings)
    assert [r.status for r in run_batch(local)] == ["done"] * 2
    assert [r.status for r in run_on_ray(on_ray, actors=2)] == ["done"] * 2
    for mine, theirs in zip(local, on_ray):
        ours, ray_made = _pixels(mine.output), _pixels(theirs.output)
        assert ours.shape == ray_made.shape and ours.shape[0] * ours.shape[1] > 5_000_000
        assert np.abs(ours - ray_made).max() <= 1
