"""Synthetic test clips: textured shapes moving by a known number of pixels per frame, with a sine tone."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np

TONE_HZ = 440.0


def clip_frame(index: int, width: int, height: int, shift: int = 2) -> np.ndarray:
    """Frame ``index``: a textured background and a square moving right by ``shift`` px per frame."""
    ys, xs = np.mgrid[0:height, 0:width]
    moved = xs - shift * index  # the whole scene pans, so the flow is known: (+shift, 0)
    texture = 0.5 + 0.25 * np.sin(moved / 3.0) * np.cos(ys / 4.0) + 0.15 * np.sin((moved + ys) / 7.0)
    image = np.stack([texture, 0.6 * texture + 0.2, 1.0 - texture], -1)
    left = (width // 4 + shift * index) % width
    image[height // 3 : height // 3 + height // 4, left : left + width // 5] = (0.9, 0.2, 0.1)
    return (np.clip(image, 0, 1) * 255).astype(np.uint8)


def make_clip(path: Path, *, frames: int = 24, width: int = 96, height: int = 64, rate: int = 24,
              audio: bool = True, rotation: int = 0, codec: str = "libx264") -> Path:  # fmt: skip
    """Write a clip of ``frames`` moving-pattern frames (and, with ``audio``, an AAC sine tone as long)."""
    import av

    with av.open(str(path), mode="w") as container:
        video = container.add_stream(codec, rate=rate, options={"crf": "12"} if codec == "libx264" else {})
        video.width, video.height = width, height
        video.pix_fmt = "rgb8" if codec == "gif" else "yuv420p"
        if rotation:
            video.set_display_rotation(rotation)
        sound = container.add_stream("aac", rate=48000, layout="mono") if audio else None
        for index in range(frames):
            frame = av.VideoFrame.from_ndarray(clip_frame(index, width, height), format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, rate)
            for packet in video.encode(frame):
                container.mux(packet)
        if sound is not None:
            samples = round(48000 * frames / rate)
            tone = (0.3 * np.sin(2 * math.pi * TONE_HZ * np.arange(samples) / 48000)).astype(np.float32)
            for begin in range(0, samples, 1024):
                chunk = av.AudioFrame.from_ndarray(tone[None, begin : begin + 1024], format="flt", layout="mono")
                chunk.sample_rate, chunk.pts = 48000, begin
                for packet in sound.encode(chunk):
                    container.mux(packet)
            for packet in sound.encode(None):
                container.mux(packet)
        for packet in video.encode(None):
            container.mux(packet)
    return path


def audio_samples(path: Path) -> np.ndarray:
    """The clip's first audio channel as float samples (empty without an audio stream)."""
    import av

    with av.open(str(path)) as container:
        if not container.streams.audio:
            return np.zeros(0, np.float32)
        chunks = [_first_channel(frame) for frame in container.decode(container.streams.audio[0])]
    return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)


def _first_channel(frame: object) -> np.ndarray:
    samples = frame.to_ndarray()  # type: ignore[attr-defined]
    if frame.format.is_planar:  # type: ignore[attr-defined]
        return samples[0]
    return samples.reshape(-1)[:: len(frame.layout.channels)]  # type: ignore[attr-defined]
