"""``stylize_video``: every frame through a stylizer, flicker corrected, audio kept, resumable, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from clips import audio_samples, make_clip

from painterly import load
from painterly.errors import ArgumentError, OutputError, VideoError
from painterly.methods.base import TemporalGuide
from painterly.progress import Cancelled, ProgressEvent
from painterly.video import pipeline
from painterly.video.flow import FlowEstimator, warping_error
from painterly.video.media import probe, read_frames
from painterly.video.pipeline import VideoSettings, partial_folder, stylize_video

MODEL = {"model": "cliff_walk", "size": 96}


@pytest.fixture(scope="module")
def stylizer():  # type: ignore[no-untyped-def]
    return load("feedforward", **MODEL)


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return make_clip(tmp_path / "clip.mp4", frames=24)


def _decoded(path: Path) -> list[np.ndarray]:
    info = probe(path)
    return list(read_frames(path, (info.width, info.height)))


def _mean_warping_error(output: Path, source: Path) -> float:
    outputs = [frame.astype(np.float32) / 255 for frame in _decoded(output)]
    info = probe(output)
    inputs = list(read_frames(source, (info.width, info.height)))
    flow = FlowEstimator("medium", long_side=1920)
    return float(np.mean([warping_error((outputs[t], outputs[t + 1]), (inputs[t], inputs[t + 1]), flow)
                          for t in range(len(outputs) - 1)]))  # fmt: skip


def test_frames_rate_and_audio_survive(stylizer, clip: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    events: list[ProgressEvent] = []
    report = stylize_video(stylizer, clip, tmp_path / "out.mp4", callback=events.append)
    info = probe(report.output)
    assert (report.frames, info.frames, info.rate, (info.width, info.height)) == (24, 24, 24, (96, 64))
    assert report.audio == "copied"
    assert abs(len(audio_samples(report.output)) - len(audio_samples(clip))) <= 1024
    assert events[-1].fraction == 1.0 and "frame 24/24" in events[-1].stage
    assert not partial_folder(report.output).exists()
    first_in, first_out = _decoded(clip)[0], _decoded(report.output)[0]
    assert np.abs(first_in.astype(int) - first_out.astype(int)).mean() > 20  # it was stylized


def test_flow_consistency_lowers_the_warping_error(stylizer, clip: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plain = stylize_video(stylizer, clip, tmp_path / "plain.mp4", settings=VideoSettings(consistency="none"))
    steady = stylize_video(stylizer, clip, tmp_path / "steady.mp4", settings=VideoSettings(consistency="flow"))
    assert _mean_warping_error(steady.output, clip) < 0.8 * _mean_warping_error(plain.output, clip)


def test_cut_preview_and_rotation(stylizer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clip = make_clip(tmp_path / "turned.mp4", frames=24, rotation=270)
    settings = VideoSettings(start=0.25, duration=0.5, every=2)
    report = stylize_video(stylizer, clip, tmp_path / "out.mp4", settings=settings)
    info = probe(report.output)
    assert (info.frames, info.rate, info.rotation) == (6, 12, 270)  # 12 frames in 0.5 s, every 2nd
    assert len(audio_samples(report.output)) == pytest.approx(0.5 * 48000, abs=1100)


def test_resume_after_an_interruption_gives_the_same_frames(stylizer, clip: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr(pipeline, "SEGMENT_FRAMES", 8)
    whole = stylize_video(stylizer, clip, tmp_path / "whole.mp4")
    target = tmp_path / "resumed.mp4"

    def stop_at_frame_13(event: ProgressEvent) -> None:
        if event.step >= 13:
            raise Cancelled

    with pytest.raises(Cancelled):
        stylize_video(stylizer, clip, target, callback=stop_at_frame_13)
    assert not target.exists() and partial_folder(target).is_dir()
    with pytest.raises(OutputError, match="--resume"):
        stylize_video(stylizer, clip, target)  # an unfinished run is never silently thrown away
    with pytest.raises(ArgumentError, match="other settings"):
        stylize_video(stylizer, clip, target, settings=VideoSettings(temporal_blend=0.3), resume=True)
    resumed = stylize_video(stylizer, clip, target, resume=True)
    assert resumed.resumed_frames == 8  # the finished segment was kept, the unfinished one redone
    for a, b in zip(_decoded(whole.output), _decoded(resumed.output), strict=True):
        assert np.array_equal(a, b)


def test_gif_in_webm_out(stylizer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    gif = make_clip(tmp_path / "clip.gif", frames=10, audio=False, codec="gif")
    report = stylize_video(stylizer, gif, tmp_path / "out.webm")
    assert report.frames == 10 and report.audio is None
    assert probe(report.output).frames in (0, 10)  # webm keeps no frame count; decoding tells
    assert len(_decoded(report.output)) == 10


def test_bad_inputs_and_outputs_get_clear_errors(stylizer, clip: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(OutputError, match="overwrite the source"):
        stylize_video(stylizer, clip, clip)
    existing = tmp_path / "exists.mp4"
    existing.write_bytes(b"keep me")
    with pytest.raises(OutputError, match="--force"):
        stylize_video(stylizer, clip, existing)
    assert existing.read_bytes() == b"keep me"
    with pytest.raises(OutputError, match="use one of"):
        stylize_video(stylizer, clip, tmp_path / "out.avi")
    with pytest.raises(VideoError, match="past the end"):
        stylize_video(stylizer, clip, tmp_path / "late.mp4", settings=VideoSettings(start=5.0))
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(VideoError, match="empty.mp4"):
        stylize_video(stylizer, empty, tmp_path / "out.mp4")
    for bad in ({"consistency": "magic"}, {"temporal_blend": 1.0}, {"every": 0}, {"duration": -1.0}):
        with pytest.raises(ArgumentError):
            VideoSettings(**bad)  # type: ignore[arg-type]


def test_one_pass_methods_refuse_a_temporal_guide(stylizer) -> None:  # type: ignore[no-untyped-def]
    import torch

    guide = TemporalGuide(torch.zeros(1, 3, 32, 32), torch.ones(1, 1, 32, 32))
    with pytest.raises(ArgumentError, match="temporal"):
        stylizer.stylize_tensor(torch.rand(1, 3, 32, 32), stylizer.prepare_styles(), temporal=guide)


def test_optimize_starts_each_frame_from_the_previous_one_and_holds_it(random_vgg19, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from images import make_stripes

    from painterly.methods.optimize import OptimizeSettings, OptimizeStylizer

    settings = OptimizeSettings(size=48, quality="draft", steps=(4,), frame_steps=3, temporal_weight=1000.0)
    stylizer = OptimizeStylizer(settings, encoder=random_vgg19)
    clip = make_clip(tmp_path / "clip.mp4", frames=3, audio=False)
    losses: list[dict[str, float]] = []
    stylizer_events = stylizer.stylize_tensor  # record the losses the frames report

    def recording(*args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["callback"] = lambda event: losses.append(event.losses)
        return stylizer_events(*args, **kwargs)

    stylizer.stylize_tensor = recording  # type: ignore[method-assign]
    report = stylize_video(stylizer, clip, tmp_path / "out.mp4", [make_stripes()])
    assert report.frames == 3
    temporal = [loss["temporal"] for loss in losses if "temporal" in loss]
    assert len(temporal) == 2 * 3  # frames 2 and 3, three steps each
    assert temporal[0] < 0.01  # it started from the carried previous result
