"""Stylizing a video: frames stream from the decoder through a loaded stylizer into segment files,
which are joined with the source's audio at the end.

Every method works, through the same ``Stylizer.stylize_tensor`` the CLI, the service and batches
use. Temporal consistency (``consistency="flow"``) follows the method's kind: one-pass methods
(feedforward, adain, wct) stylize a few frames per call, then each frame is pulled towards the
previous output carried along the optical flow where that flow is trusted; optimization starts
each frame from that carried result and holds it there with a temporal loss (Ruder et al. 2016).

Long runs survive interruption: the output is written in segments of a few seconds; after
each one the run's state (segments done, the last output frame) is saved beside the output, so
``resume=True`` continues at the first unfinished segment and gives the same frames an
uninterrupted run would.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import os
import queue
import shutil
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from .. import __version__
from .._atomic import atomic_path
from ..errors import ArgumentError, OutputError, VideoError
from ..image_io import MIN_SIDE, check_destination
from ..inputs import ImageInput
from ..methods.base import PreparedStyles, Stylizer, TemporalGuide
from ..progress import ProgressCallback, ProgressEvent
from .flow import FlowEstimator, blend_previous, estimate_motion, warp
from .media import SegmentWriter, join_segments, output_codecs, probe, read_frames

__all__ = ["CONSISTENCY", "VideoReport", "VideoSettings", "partial_folder", "stylize_video"]

logger = logging.getLogger(__name__)

Consistency = Literal["none", "flow"]
CONSISTENCY: tuple[Consistency, ...] = ("none", "flow")
SEGMENT_FRAMES = 64  # one-pass methods: ≈ 2 s at 30 frames/s between resumable points
SLOW_SEGMENT_FRAMES = 8  # optimization: seconds to minutes per frame, so resumable points come sooner


@dataclass(frozen=True)
class VideoSettings:
    """How a clip is cut, corrected and written; the stylizer's own settings say how each frame looks."""

    consistency: Consistency = "flow"  # none: every frame on its own; flow: carried along the optical flow
    temporal_blend: float | None = None  # one-pass methods: share of the carried previous frame (None: the method's)
    start: float = 0.0  # seconds into the clip to begin
    duration: float | None = None  # seconds to stylize (None: to the end)
    every: int = 1  # stylize every Nth frame (a preview; the frame rate drops N-fold, the length stays)
    audio: bool = True  # keep the audio stream (copied where the container allows)
    batch: int = 4  # frames per stylizer call for one-pass methods

    def __post_init__(self) -> None:
        if self.consistency not in CONSISTENCY:
            raise ArgumentError(f"consistency must be none or flow, got {self.consistency!r}", name="consistency")
        if self.temporal_blend is not None and not 0.0 <= self.temporal_blend < 1.0:
            raise ArgumentError(
                f"temporal_blend must be within 0..1 (1 excluded), got {self.temporal_blend}", name="temporal_blend"
            )
        if not (math.isfinite(self.start) and self.start >= 0):
            raise ArgumentError(f"start must be ≥ 0 seconds, got {self.start}", name="start")
        if self.duration is not None and not (math.isfinite(self.duration) and self.duration > 0):
            raise ArgumentError(f"duration must be > 0 seconds, got {self.duration}", name="duration")
        if self.every < 1:
            raise ArgumentError(f"every must be ≥ 1, got {self.every}", name="every")
        if self.batch < 1:
            raise ArgumentError(f"batch must be ≥ 1, got {self.batch}", name="batch")


@dataclass(frozen=True)
class VideoReport:
    """What a finished run wrote, and where its time went."""

    output: Path
    frames: int
    size: tuple[int, int]  # (width, height)
    rate: Fraction  # frames per second of the output
    audio: str | None  # "copied", "re-encoded (aac)", or None
    resumed_frames: int  # frames taken from an earlier, interrupted run
    seconds: dict[str, float]  # wall time per stage (decode, flow, stylize, encode, join; overlapping) and total


def partial_folder(output: Path) -> Path:
    """Where an unfinished run of ``output`` keeps its segments and state (hidden, beside the output)."""
    return output.with_name(f".{output.name}.partial")


def stylize_video(
    stylizer: Stylizer,
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    styles: Sequence[ImageInput] | ImageInput | PreparedStyles = (),
    *,
    style_weights: Sequence[float] | None = None,
    settings: VideoSettings | None = None,
    resume: bool = False,
    force: bool = False,
    callback: ProgressCallback | None = None,
    provenance: dict[str, Any] | None = None,
) -> VideoReport:
    """Stylize ``source`` into ``output`` (.mp4/.mov/.mkv: H.264; .webm: VP9) with a loaded stylizer.

    Frame rate, rotation and audio are kept; the size is the stylizer's result size for the
    clip's frames (``size`` setting), rounded down to even sides as the encoders need.
    ``provenance`` (``painterly.provenance.record``) is written into the file's ``comment`` tag.

    Raises:
        VideoError: the source cannot be read, or has no frames in the part asked for.
        OutputError: the output exists (without ``force``), cannot be written, or has an unknown extension;
            or an unfinished run exists (without ``resume`` or ``force``).
        ArgumentError: bad settings, or ``resume`` with other settings than the unfinished run's.
    """
    settings = settings or VideoSettings()
    source, output = Path(source), Path(output)
    _check_output(source, output, force)
    info = probe(source)
    size = _frame_size(stylizer, info.width, info.height)
    frame_stylizer = stylizer.with_options(size=max(size)) if hasattr(stylizer.settings, "size") else stylizer
    frame_stylizer.check_fits(frame_stylizer.settings, *size)
    prepared = stylizer.prepare_styles(styles, style_weights)
    available = max(0.0, info.duration - settings.start)
    if info.duration and settings.start >= info.duration:
        raise VideoError(f"--start {settings.start:g} s is past the end of {source.name} ({info.duration:.2f} s)",
                         path=str(source))  # fmt: skip
    length = available if settings.duration is None else min(available, settings.duration)
    expected = max(1, math.ceil(length * info.rate / settings.every - 1e-6))
    slow = stylizer.temporal_loss or not stylizer.batched
    segment_frames = SLOW_SEGMENT_FRAMES if slow else max(settings.batch, SEGMENT_FRAMES // settings.batch
                                                           * settings.batch)  # fmt: skip
    run = _Run(frame_stylizer, prepared, settings, source, output, size, info.rate / settings.every, segment_frames,
               expected, callback)  # fmt: skip
    run.open_state(_fingerprint(stylizer, prepared, settings, source, size), resume=resume, force=force)
    run.stylize_frames()
    audio = run.join(info.rotation, with_audio=settings.audio and info.audio is not None,
                     comment=json.dumps(provenance) if provenance else None)  # fmt: skip
    run.seconds["total"] = time.perf_counter() - run.started
    return VideoReport(output, run.frames, size, run.rate, audio, run.resumed_frames, run.seconds)


def _check_output(source: Path, output: Path, force: bool) -> None:
    output_codecs(output)  # a known extension
    if output.resolve() == source.resolve():
        raise OutputError("the output would overwrite the source video; choose another name", path=str(output))
    check_destination(output, force=force)


def _frame_size(stylizer: Stylizer, width: int, height: int) -> tuple[int, int]:
    """The stylizer's result size for these frames, with even sides (yuv420p halves the colour planes)."""
    out_width, out_height = stylizer.result_size(stylizer.settings, width, height)
    out_width, out_height = out_width - out_width % 2, out_height - out_height % 2
    if min(out_width, out_height) < MIN_SIDE:
        raise VideoError(f"frames of {out_width}×{out_height} px are too small to stylize (need ≥ {MIN_SIDE} px)")
    return out_width, out_height


def _fingerprint(stylizer: Stylizer, styles: PreparedStyles, settings: VideoSettings, source: Path,
                 size: tuple[int, int]) -> str:  # fmt: skip
    """What must match for a resumed run to give the frames the interrupted one would have."""
    stat = source.stat()
    parts = {
        "version": __version__, "method": stylizer.name, "settings": repr(stylizer.settings),
        "styles": [style.key for style in styles.images], "weights": list(styles.weights),
        "video": dataclasses.asdict(settings), "source": [str(source.resolve()), stat.st_size, stat.st_mtime_ns],
        "size": list(size), "torch": torch.__version__, "threads": torch.get_num_threads(),
    }  # fmt: skip
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


class _Run:
    """One video's stylization: state on disk, the frame loop, the final join."""

    def __init__(self, stylizer: Stylizer, styles: PreparedStyles, settings: VideoSettings, source: Path,
                 output: Path, size: tuple[int, int], rate: Fraction, segment_frames: int, expected: int,
                 callback: ProgressCallback | None) -> None:  # fmt: skip
        self.stylizer, self.styles, self.settings = stylizer, styles, settings
        self.source, self.output, self.size, self.rate = source, output, size, rate
        self.segment_frames, self.expected, self.callback = segment_frames, expected, callback
        self.folder = partial_folder(output)
        self.segments: list[int] = []  # frames in each finished segment
        self.fingerprint = ""
        self.flow = FlowEstimator("fast") if settings.consistency == "flow" else None
        self.blend = stylizer.video_blend if settings.temporal_blend is None else settings.temporal_blend
        self.previous_output: np.ndarray | None = None  # H×W×3 float32, the last frame written
        self.previous_grey: np.ndarray | None = None  # the last input frame, for the flow
        self.seconds = {name: 0.0 for name in ("decode", "flow", "stylize", "encode", "join")}
        self.frames = self.resumed_frames = 0
        self.started = time.perf_counter()

    # -- state

    def open_state(self, fingerprint: str, *, resume: bool, force: bool) -> None:
        self.fingerprint = fingerprint
        state_file = self.folder / "state.json"
        if self.folder.exists() and not resume and not force:
            raise OutputError(f"an unfinished run of {self.output.name} is in {self.folder}: pass --resume to "
                              "continue it, or --force to start over", path=str(self.output))  # fmt: skip
        if resume and state_file.exists():
            state = json.loads(state_file.read_text())
            if state.get("fingerprint") != fingerprint:
                raise ArgumentError(f"the unfinished run in {self.folder} was started with other settings, "
                                    "styles, source or threads; repeat them, or --force to start over")  # fmt: skip
            self.segments = [int(count) for count in state["segments"]]
            if self.segments:
                self.previous_output = np.load(self.folder / "last.npy")
            self.resumed_frames = sum(self.segments)
            return
        if self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir()
        self._save_state()

    def _save_state(self) -> None:
        state = {"fingerprint": self.fingerprint, "segments": self.segments, "output": self.output.name}
        with atomic_path(self.folder / "state.json") as temporary:
            temporary.write_text(json.dumps(state))

    def _segment_path(self, index: int) -> Path:
        return self.folder / f"segment_{index:05d}{self.output.suffix.lower()}"

    def _finish_segment(self, writer: SegmentWriter) -> None:
        writer.close()
        assert self.previous_output is not None
        with atomic_path(self.folder / "last.npy") as temporary, temporary.open("wb") as stream:
            np.save(stream, self.previous_output)
        self.segments.append(writer.count)
        self._save_state()

    # -- frames

    def _decoded(self) -> Iterator[np.ndarray]:
        s = self.settings
        frames = read_frames(self.source, self.size, start=s.start, duration=s.duration, every=s.every)
        while True:
            started = time.perf_counter()
            frame = next(frames, None)
            self.seconds["decode"] += time.perf_counter() - started
            if frame is None:
                return
            yield frame

    def stylize_frames(self) -> None:
        skip, size = sum(self.segments), self._batch_size()
        finisher = _Finisher(self, threaded=size > 1)
        batch: list[np.ndarray] = []
        in_segment = 0  # frames of the current segment handed on; a batch never spans two segments
        try:
            for index, frame in enumerate(self._decoded()):
                if index < skip:  # done by the interrupted run; only its last input frame is needed, for the flow
                    if index == skip - 1 and self.flow is not None:
                        self.previous_grey = self.flow.grey(frame)
                    self.frames += 1
                    continue
                batch.append(frame)
                in_segment += 1
                at_segment_end = in_segment == self.segment_frames
                if len(batch) == size or at_segment_end:
                    finisher.put(self._stylized(batch))
                    batch = []
                in_segment = 0 if at_segment_end else in_segment
            if batch:
                finisher.put(self._stylized(batch))
            finisher.close()
        except BaseException:
            finisher.abort()  # the unfinished segment is dropped and redone on resume; finished ones stay
            raise
        if self.frames == 0:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise VideoError(f"no frames in {self.source.name} from {self.settings.start:g} s"
                             + (f" for {self.settings.duration:g} s" if self.settings.duration else ""),
                             path=str(self.source))  # fmt: skip

    def _batch_size(self) -> int:
        return 1 if self.stylizer.temporal_loss or not self.stylizer.batched else self.settings.batch

    def _stylized(self, frames: list[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray, bool]:
        """A few frames stylized: their grey images (for the flow), the results ``B×H×W×3``, and whether the
        method already held them to the previous frame (a temporal guide) so no blend is due."""
        photos = torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).float().div_(255)
        greys = [self.flow.grey(frame) for frame in frames] if self.flow is not None else []
        guide = None
        if self.stylizer.temporal_loss and self.flow is not None and self.previous_output is not None:
            started = time.perf_counter()  # one frame at a time here, so the previous output is the last one
            motion = estimate_motion(self.flow, self.previous_grey, greys[0], self.size)  # type: ignore[arg-type]
            carried = warp(self.previous_output, motion.backward, sharp=True)
            guide = TemporalGuide(_tensor(carried), torch.from_numpy(motion.confidence)[None, None])
            self.seconds["flow"] += time.perf_counter() - started
        started = time.perf_counter()
        outputs = self.stylizer.stylize_tensor(photos, self.styles, temporal=guide, callback=self._inner_progress())
        self.seconds["stylize"] += time.perf_counter() - started
        return greys, outputs.permute(0, 2, 3, 1).float().cpu().numpy(), guide is not None

    def finish_frame(self, output: np.ndarray, grey: np.ndarray | None, guided: bool, writer: SegmentWriter) -> None:
        """Correct one stylized frame against the previous output (one-pass methods), encode it, report."""
        if self.flow is not None and not guided and self.previous_output is not None:
            started = time.perf_counter()
            motion = estimate_motion(self.flow, self.previous_grey, grey, self.size)  # type: ignore[arg-type]
            output = blend_previous(output, self.previous_output, motion, self.blend)
            self.seconds["flow"] += time.perf_counter() - started
        started = time.perf_counter()
        writer.write(_uint8(output))
        self.seconds["encode"] += time.perf_counter() - started
        self.previous_output = np.ascontiguousarray(output, dtype=np.float32)
        self.previous_grey = grey
        self.frames += 1
        self._report(1.0)

    def _inner_progress(self) -> ProgressCallback | None:
        """Progress within a slow frame (optimization's iterations), as a share of that frame."""
        if self.callback is None or not self.stylizer.temporal_loss:
            return None
        return lambda event: self._report(event.fraction, partial=True)

    def _report(self, fraction: float, *, partial: bool = False) -> None:
        if self.callback is None:
            return
        done = self.frames - (1 - fraction if partial else 0)
        elapsed = time.perf_counter() - self.started
        fresh = self.frames - self.resumed_frames
        speed = f", {fresh / elapsed:.1f} frames/s" if fresh and elapsed > 0 else ""
        total = max(self.expected, self.frames)
        self.callback(ProgressEvent(f"video: frame {self.frames}/{total}{speed}", self.frames, total, elapsed,
                                    min(1.0, done / total)))  # fmt: skip

    # -- the end

    def join(self, rotation: int, *, with_audio: bool, comment: str | None) -> str | None:
        started = time.perf_counter()
        segments = [self._segment_path(index) for index in range(len(self.segments))]
        try:
            with atomic_path(self.output) as temporary:
                audio = join_segments(segments, temporary, self.output, source=self.source if with_audio else None,
                                      start=self.settings.start, duration=self.settings.duration,
                                      rotation=rotation, comment=comment)  # fmt: skip
        except OSError as error:
            raise OutputError(f"cannot write {self.output}: {error.strerror or error}", path=str(self.output)) from None
        shutil.rmtree(self.folder, ignore_errors=True)
        self.seconds["join"] += time.perf_counter() - started
        return audio


class _Finisher:
    """Corrects and encodes stylized frames in order, segment by segment.

    For one-pass methods it works in a thread of its own, so the flow, the blend and the encoder
    (OpenCV and FFmpeg release the GIL) overlap the next frames' stylization; for optimization,
    whose next frame needs this one's result, it works inline.
    """

    def __init__(self, run: _Run, *, threaded: bool) -> None:
        self.run = run
        self.writer: SegmentWriter | None = None
        self.error: BaseException | None = None
        self.stopping = threading.Event()
        self.queue: queue.Queue[tuple[list[np.ndarray], np.ndarray, bool] | None] | None = None
        self.thread: threading.Thread | None = None
        if threaded:
            self.queue = queue.Queue(maxsize=2)
            self.thread = threading.Thread(target=self._loop, name="painterly-video-finisher", daemon=True)
            self.thread.start()

    def put(self, item: tuple[list[np.ndarray], np.ndarray, bool] | None) -> None:
        if self.queue is None:
            if item is not None:
                self._finish(*item)
            return
        while True:
            self._raise_error()
            try:
                self.queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def close(self) -> None:
        """Wait for every frame handed on, then close the last segment."""
        if self.thread is not None:
            self.put(None)
            self.thread.join()
            self._raise_error()
        if self.writer is not None:
            self.run._finish_segment(self.writer)
            self.writer = None

    def abort(self) -> None:
        """Stop, and drop the segment being written (it is redone on resume)."""
        self.stopping.set()
        if self.thread is not None:
            self.thread.join()
        if self.writer is not None:
            self.writer.container.close()
            self.run._segment_path(len(self.run.segments)).unlink(missing_ok=True)
            self.writer = None

    def _loop(self) -> None:
        assert self.queue is not None
        try:
            while not self.stopping.is_set():
                try:
                    item = self.queue.get(timeout=0.1)
                except queue.Empty:
                    continue
                if item is None:
                    return
                self._finish(*item)
        except BaseException as error:  # handed to the main thread, which raises it
            self.error = error

    def _raise_error(self) -> None:
        if self.error is not None:
            raise self.error

    def _finish(self, greys: list[np.ndarray], outputs: np.ndarray, guided: bool) -> None:
        run = self.run
        for index, output in enumerate(outputs):
            if self.stopping.is_set():
                return
            if self.writer is None:
                self.writer = SegmentWriter(run._segment_path(len(run.segments)), run.output, run.size, run.rate)
            run.finish_frame(output, greys[index] if greys else None, guided, self.writer)
            if self.writer.count == run.segment_frames:
                run._finish_segment(self.writer)
                self.writer = None


def _tensor(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float()


def _uint8(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)


def describe(report: VideoReport) -> dict[str, Any]:
    """A JSON-ready summary of a finished run (the CLI's ``--json``, the service's job notes)."""
    return {"output": str(report.output), "frames": report.frames, "size": list(report.size),
            "rate": float(report.rate), "audio": report.audio, "resumed_frames": report.resumed_frames,
            "seconds": {name: round(value, 2) for name, value in report.seconds.items()}}  # fmt: skip
