"""Probing, decoding, segment encoding and joining, with the audio copied or re-encoded."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from clips import TONE_HZ, audio_samples, clip_frame, make_clip

from painterly.errors import OutputError, VideoError
from painterly.video.media import SegmentWriter, join_segments, probe, read_frames


def test_probe_reads_size_rate_length_rotation_and_audio(tmp_path: Path) -> None:
    info = probe(make_clip(tmp_path / "c.mp4", frames=24, rotation=90))
    assert (info.width, info.height, info.rate, info.frames, info.rotation, info.audio) == (96, 64, 24, 24, 90, "aac")
    assert info.duration == pytest.approx(1.0, abs=0.05)


def test_read_frames_cuts_skips_and_scales(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", frames=24, audio=False)
    assert len(list(read_frames(clip, (96, 64)))) == 24
    assert len(list(read_frames(clip, (96, 64), every=3))) == 8
    cut = list(read_frames(clip, (48, 32), start=0.5, duration=0.25))
    assert len(cut) == 6 and cut[0].shape == (32, 48, 3)
    first = next(iter(read_frames(clip, (96, 64), start=0.5)))
    assert np.abs(first.astype(int) - clip_frame(12, 96, 64)).mean() < 8  # frame 12 is at 0.5 s


@pytest.mark.parametrize("content", [b"", b"not a video at all" * 100])
def test_unreadable_files_get_one_line_errors(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.mp4"
    path.write_bytes(content)
    with pytest.raises(VideoError) as caught:
        probe(path)
    assert "\n" not in str(caught.value) and "broken.mp4" in str(caught.value)


def test_missing_file_and_still_image(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="no such video"):
        probe(tmp_path / "nothing.mp4")
    from PIL import Image

    Image.new("RGB", (32, 32)).save(tmp_path / "still.png")
    with pytest.raises(VideoError, match="still image"):
        probe(tmp_path / "still.png")


def _segments(tmp_path: Path, counts: list[int], suffix: str = ".mp4") -> list[Path]:
    paths, index = [], 0
    for number, count in enumerate(counts):
        path = tmp_path / f"segment{number}{suffix}"
        writer = SegmentWriter(path, path, (96, 64), Fraction(24))
        for _ in range(count):
            writer.write(clip_frame(index, 96, 64))
            index += 1
        writer.close()
        paths.append(path)
    return paths


def test_joined_segments_play_as_one_clip_with_the_source_audio(tmp_path: Path) -> None:
    source = make_clip(tmp_path / "source.mp4", frames=24)
    target = tmp_path / "joined.mp4"
    audio = join_segments(_segments(tmp_path, [8, 8, 8]), target, target, source=source, start=0.0, duration=None,
                          rotation=0)  # fmt: skip
    assert audio == "copied"
    info = probe(target)
    assert (info.frames, info.rate) == (24, 24)
    frames = list(read_frames(target, (96, 64)))
    assert len(frames) == 24
    assert np.abs(frames[20].astype(int) - clip_frame(20, 96, 64)).mean() < 8  # in order, none lost
    samples = audio_samples(target)
    assert abs(len(samples) - len(audio_samples(source))) <= 1024  # one AAC frame
    spectrum = np.abs(np.fft.rfft(samples))
    assert np.argmax(spectrum) * 48000 / len(samples) == pytest.approx(TONE_HZ, abs=5)


def test_webm_gets_vp9_and_the_audio_re_encoded_to_opus(tmp_path: Path) -> None:
    source = make_clip(tmp_path / "source.mp4", frames=12)
    target = tmp_path / "joined.webm"
    audio = join_segments(_segments(tmp_path, [12], ".webm"), target, target, source=source, start=0.0,
                          duration=None, rotation=0)  # fmt: skip
    assert audio == "re-encoded (libopus)"
    import av

    with av.open(str(target)) as container:
        assert container.streams.video[0].codec_context.name == "vp9"
        assert container.streams.audio[0].codec_context.name == "opus"


def test_unknown_output_extension_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="use one of"):
        SegmentWriter(tmp_path / "x.avi", tmp_path / "x.avi", (96, 64), Fraction(24))


def test_a_clip_without_frames_is_refused(tmp_path: Path) -> None:
    import av

    path = tmp_path / "empty.mp4"
    with av.open(str(path), mode="w") as container:  # a valid container whose video stream got no frames
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height = 64, 48
        container.start_encoding()
    assert path.stat().st_size > 0
    with pytest.raises(VideoError, match="no video frames") as caught:
        probe(path)
    assert "empty.mp4" in str(caught.value) and "\n" not in str(caught.value)
