"""Video files in and out with PyAV (FFmpeg's libraries, shipped in its wheel): probe, frames, encode, mux.

Frames stream: the reader yields one RGB frame at a time and the encoder writes it, so memory
does not grow with the clip. Output is written in segments (each an H.264 or VP9 file of a
few seconds) that are joined at the end by copying their packets, never re-encoding them, so
an interrupted run resumes at the first unfinished segment. The audio stream is copied from
the source packet by packet where the output container can hold its codec, and re-encoded
(AAC for mp4/mov, Opus for webm) only where it cannot.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import OutputError, VideoError

__all__ = [
    "INPUT_SUFFIXES",
    "OUTPUT_CODECS",
    "SegmentWriter",
    "VideoInfo",
    "join_segments",
    "probe",
    "read_frames",
]

INPUT_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi", ".gif")
# x264's macroblock-tree rate control gave different bytes for the same frames from run to run (decoded frames
# up to 20 levels apart), which would make a resumed video differ from an uninterrupted one; without it x264 is
# repeatable, at a few per cent more bits for the same quality.
H264 = {"crf": "18", "preset": "veryfast", "x264-params": "mbtree=0"}
# Output container → (video encoder, its options, audio codecs it can hold as they are, audio encoder otherwise).
OUTPUT_CODECS: dict[str, tuple[str, dict[str, str], frozenset[str], str]] = {
    ".mp4": ("libx264", H264, frozenset({"aac", "mp3", "alac", "ac3", "eac3", "opus"}),
             "aac"),
    ".mov": ("libx264", H264, frozenset({"aac", "mp3", "alac", "ac3", "pcm_s16le"}),
             "aac"),
    ".mkv": ("libx264", H264, frozenset({"aac", "mp3", "opus", "vorbis", "flac", "ac3",
                                                                    "pcm_s16le"}), "aac"),
    ".webm": ("libvpx-vp9", {"crf": "32", "b": "0", "deadline": "realtime", "cpu-used": "8", "row-mt": "1"},
              frozenset({"opus", "vorbis"}), "libopus"),
}  # fmt: skip
MAX_SOURCE_BYTES = 8 * 1024**3  # larger files are refused before decoding


@dataclass(frozen=True)
class VideoInfo:
    """What the pipeline needs to know about a clip before decoding it."""

    width: int  # as stored (before any display rotation)
    height: int
    rate: Fraction  # frames per second (the stream's average, else its guess)
    duration: float  # seconds
    frames: int  # counted by the container, or estimated from duration × rate
    rotation: int  # display rotation in degrees, kept on the output
    audio: str | None  # audio codec name, or None without an audio stream


def _open(path: Path) -> Any:
    import av

    if not path.is_file():
        raise VideoError(f"no such video file: {path}", path=str(path))
    if path.stat().st_size > MAX_SOURCE_BYTES:
        raise VideoError(f"{path} is larger than {MAX_SOURCE_BYTES // 1024**3} GB", path=str(path), too_large=True)
    try:
        return av.open(str(path), metadata_errors="ignore")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as error:
        raise VideoError(f"cannot read {path} as a video: {_reason(error)}", path=str(path)) from None


def _reason(error: BaseException) -> str:
    return getattr(error, "strerror", None) or str(error).splitlines()[0] or type(error).__name__


def probe(path: str | Path) -> VideoInfo:
    """Size, rate, length, rotation and audio of a clip.

    Raises:
        VideoError: missing, unreadable, no video stream, or no frames.
    """
    path = Path(path)
    with _open(path) as container:
        if not container.streams.video:
            raise VideoError(f"{path} has no video frames", path=str(path))
        if "image2" in container.format.name or container.format.name.endswith("_pipe"):
            raise VideoError(f"{path} is a still image: stylize it with `painterly stylize`", path=str(path))
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or Fraction(25)
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        else:
            duration = 0.0
        frames = stream.frames or round(duration * rate)
        rotation = _rotation(container, stream)
        if not stream.codec_context.width or (frames <= 0 and duration <= 0):
            raise VideoError(f"{path} has no frames", path=str(path))
        audio = container.streams.audio[0].codec_context.name if container.streams.audio else None
        return VideoInfo(stream.codec_context.width, stream.codec_context.height, Fraction(rate), duration, frames,
                         rotation, audio)  # fmt: skip


def _rotation(container: Any, stream: Any) -> int:
    """The display rotation, read from the first frame (PyAV reads the stream's display matrix there)."""
    try:
        frame = next(container.decode(stream))
    except Exception:  # no first frame, or a broken one: read_frames reports it
        return 0
    return round(getattr(frame, "rotation", 0) or 0) % 360


def read_frames(path: str | Path, size: tuple[int, int], *, start: float = 0.0, duration: float | None = None,
                every: int = 1) -> Iterator[np.ndarray]:  # fmt: skip
    """The clip's frames from ``start`` for ``duration`` seconds, every ``every``-th one, as ``H×W×3`` uint8 RGB
    at ``size`` = (width, height) (scaled by FFmpeg, antialiased).

    Raises:
        VideoError: the file cannot be decoded (also part-way through: the message says where).
    """
    import av

    path = Path(path)
    end = math.inf if duration is None else start + duration
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if start > 0:
            container.seek(int(start / stream.time_base), stream=stream, backward=True, any_frame=False)
        kept = 0
        try:
            for frame in container.decode(stream):
                time = frame.time if frame.time is not None else 0.0
                if time < start - 1e-6:
                    continue
                if time >= end - 1e-6:
                    break
                if kept % every == 0:
                    yield frame.to_ndarray(format="rgb24", width=size[0], height=size[1], interpolation="AREA")
                kept += 1
        except av.FFmpegError as error:
            raise VideoError(f"{path}: decoding failed after {kept} frames: {_reason(error)}", path=str(path)) from None


def output_codecs(path: Path) -> tuple[str, dict[str, str], frozenset[str], str]:
    """The encoder table row for an output path, by its extension.

    Raises:
        OutputError: an extension painterly does not write.
    """
    try:
        return OUTPUT_CODECS[path.suffix.lower()]
    except KeyError:
        raise OutputError(f"cannot write video {path.name!r}: use one of {', '.join(OUTPUT_CODECS)}",
                          path=str(path)) from None  # fmt: skip


class SegmentWriter:
    """Encodes frames into one segment file (video only), for ``join_segments`` to assemble later."""

    def __init__(self, path: Path, output: Path, size: tuple[int, int], rate: Fraction) -> None:
        import av

        codec, options, _, _ = output_codecs(output)
        self.container = av.open(str(path), mode="w", format=_container_format(output))
        stream: Any = self.container.add_stream(codec, rate=rate, options=dict(options))
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        self.stream = stream
        self.frame_time = 1 / rate
        self.count = 0

    def write(self, frame: np.ndarray) -> None:
        """Encode one ``H×W×3`` uint8 RGB frame."""
        import av

        video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
        video_frame.pts = self.count
        video_frame.time_base = self.frame_time
        self.count += 1
        for packet in self.stream.encode(video_frame):
            self.container.mux(packet)

    def close(self) -> None:
        for packet in self.stream.encode(None):
            self.container.mux(packet)
        self.container.close()


def _container_format(output: Path) -> str:
    return {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm"}[output.suffix.lower()]


def join_segments(segments: list[Path], target: Path, output: Path, *, source: Path | None, start: float,
                  duration: float | None, rotation: int, comment: str | None = None) -> str | None:  # fmt: skip
    """Join encoded segments into ``target`` by copying packets, adding the source's audio for the cut.

    ``output`` is the path the user asked for (its extension picks the container; ``target`` is a
    temporary file beside it). ``comment`` goes into the container's ``comment`` tag (the result's
    provenance record). Returns what happened to the audio: ``"copied"``, ``"re-encoded (aac)"``, or
    None when there was none.

    Raises:
        VideoError: the source's audio cannot be decoded where it has to be re-encoded.
    """
    import av

    _, _, copyable, audio_encoder = output_codecs(output)
    with av.open(str(target), mode="w", format=_container_format(output)) as muxer:
        if comment:
            muxer.metadata["comment"] = comment
        inputs = [av.open(str(segment)) for segment in segments]
        try:
            video_out = muxer.add_stream_from_template(inputs[0].streams.video[0])
            if rotation:
                video_out.set_display_rotation(rotation)
            streams: list[Iterator[tuple[float, int, Any]]] = [_video_packets(inputs, video_out)]
            audio_note: str | None = None
            audio_out: Any = None
            audio_source = av.open(str(source), metadata_errors="ignore") if source is not None else None
            try:
                if audio_source is not None and audio_source.streams.audio:
                    audio_in = audio_source.streams.audio[0]
                    end = math.inf if duration is None else start + duration
                    if audio_in.codec_context.name in copyable:
                        audio_out = muxer.add_stream_from_template(audio_in)
                        streams.append(_copied_audio(audio_source, audio_in, audio_out, start, end))
                        audio_note = "copied"
                    else:
                        audio_out = muxer.add_stream(audio_encoder, rate=audio_in.codec_context.sample_rate or 48000)
                        streams.append(_encoded_audio(audio_source, audio_in, audio_out, start, end))
                        audio_note = f"re-encoded ({audio_out.codec_context.name})"
                for _, _, packet in heapq.merge(*streams, key=lambda item: (item[0], item[1])):
                    muxer.mux(packet)
                if audio_note and audio_note.startswith("re-encoded"):
                    for packet in audio_out.encode(None):
                        muxer.mux(packet)
            finally:
                if audio_source is not None:
                    audio_source.close()
        except av.FFmpegError as error:
            raise VideoError(f"cannot assemble {output.name}: {_reason(error)}", path=str(output)) from None
        finally:
            for container in inputs:
                container.close()
    return audio_note


def _video_packets(inputs: list[Any], stream_out: Any) -> Iterator[tuple[float, int, Any]]:
    """Every segment's packets in turn, their timestamps moved to follow the previous segment's end."""
    offset = Fraction(0)  # seconds
    for container in inputs:
        stream = container.streams.video[0]
        base = stream.time_base
        ticks, end = round(offset / base), offset
        for packet in container.demux(stream):
            if packet.dts is None and packet.pts is None:
                continue  # the demuxer's empty end-of-stream packet
            packet.pts = None if packet.pts is None else packet.pts + ticks
            packet.dts = None if packet.dts is None else packet.dts + ticks
            end = max(end, ((packet.pts or 0) + (packet.duration or 0)) * base)
            packet.stream = stream_out
            yield float((packet.dts if packet.dts is not None else packet.pts) * base), 0, packet
        offset = end


def _copied_audio(container: Any, stream: Any, stream_out: Any, start: float, end: float
                  ) -> Iterator[tuple[float, int, Any]]:  # fmt: skip
    """The source's audio packets within [start, end), shifted to begin at 0."""
    if start > 0:
        container.seek(int(start / stream.time_base), stream=stream, backward=True)
    shift = round(start / stream.time_base)
    for packet in container.demux(stream):
        if packet.pts is None:
            continue
        time = float(packet.pts * stream.time_base)
        if time < start - 1e-6:
            continue
        if time >= end - 1e-6:
            break
        packet.pts -= shift
        packet.dts = packet.pts if packet.dts is None else packet.dts - shift
        packet.stream = stream_out
        yield time - start, 1, packet


def _encoded_audio(container: Any, stream: Any, stream_out: Any, start: float, end: float
                   ) -> Iterator[tuple[float, int, Any]]:  # fmt: skip
    """The source's audio within [start, end), decoded and encoded for a container that cannot hold it."""
    import av

    if start > 0:
        container.seek(int(start / stream.time_base), stream=stream, backward=True)
    try:
        for frame in container.decode(stream):
            if frame.time is None or frame.time < start - 1e-6:
                continue
            if frame.time >= end - 1e-6:
                break
            frame.pts = None
            for packet in stream_out.encode(frame):
                yield float(packet.pts * packet.time_base) if packet.pts is not None else 0.0, 1, packet
    except av.FFmpegError as error:
        raise VideoError(f"cannot decode the audio ({stream.codec_context.name}) to re-encode it: "
                         f"{_reason(error)}; pass --no-audio to drop it") from None  # fmt: skip
