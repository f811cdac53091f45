"""Motion between video frames: optical flow, warping, where the flow can be trusted, and the warping error.

Flow is OpenCV's DIS (Kroeger et al. 2016), a few milliseconds per 640×360 frame at its fast
presets. Which pixels of the current frame were visible in the previous one is decided as in
Ruder et al. (2016, "Artistic style transfer for videos", §3.2): the backward flow must be
undone by the forward flow at the place it points to (else the pixel was occluded), and the
flow must not change sharply there (else it lies on a motion boundary, where it is unreliable).

Images here are numpy arrays ``H×W×C`` (uint8 or float32): OpenCV works on those directly, and
the video pipeline holds frames that way between the decoder and the encoder.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = ["FlowEstimator", "Motion", "blend_previous", "estimate_motion", "restore_contrast", "warp", "warping_error"]

Preset = Literal["ultrafast", "fast", "medium"]
FLOW_LONG_SIDE = 640  # flow of larger frames is estimated at this long side and scaled up (it is smooth)


class FlowEstimator:
    """DIS optical flow at one preset; ``flow(a, b)[y, x]`` is where pixel (x, y) of ``a`` is in ``b``, minus (x, y).

    Not thread-safe (the OpenCV object keeps buffers): one per video.
    """

    def __init__(self, preset: Preset = "fast", long_side: int = FLOW_LONG_SIDE) -> None:
        import cv2

        presets = {"ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
                   "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}  # fmt: skip
        self.preset, self.long_side = preset, long_side
        self.dis = cv2.DISOpticalFlow_create(presets[preset])  # type: ignore[attr-defined]

    def grey(self, frame: np.ndarray) -> np.ndarray:
        """The uint8 grey image flow is computed on (at most ``long_side`` long)."""
        import cv2

        grey = cv2.cvtColor(_as_uint8(frame), cv2.COLOR_RGB2GRAY)
        scale = self.long_side / max(grey.shape)
        if scale < 1:
            grey = cv2.resize(grey, (round(grey.shape[1] * scale), round(grey.shape[0] * scale)),
                              interpolation=cv2.INTER_AREA)  # fmt: skip
        return grey

    def __call__(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Flow from grey ``first`` to grey ``second`` as ``H×W×2`` float32, at their size."""
        return self.dis.calc(first, second, None)


def _resize_flow(flow: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A flow field at ``size`` = (width, height), its vectors scaled with it."""
    import cv2

    if (flow.shape[1], flow.shape[0]) == size:
        return flow
    scale_x, scale_y = size[0] / flow.shape[1], size[1] / flow.shape[0]
    resized = cv2.resize(flow, size, interpolation=cv2.INTER_LINEAR)
    resized[..., 0] *= scale_x
    resized[..., 1] *= scale_y
    return resized


def _as_uint8(frame: np.ndarray) -> np.ndarray:
    return frame if frame.dtype == np.uint8 else (np.clip(frame, 0, 1) * 255 + 0.5).astype(np.uint8)


def warp(image: np.ndarray, flow: np.ndarray, *, sharp: bool = False) -> np.ndarray:
    """``image`` resampled at ``position + flow`` (outside the frame: the nearest edge pixel).

    With the backward flow of frame t (t → t−1), this carries frame t−1's pixels onto frame t.
    ``sharp``: bicubic rather than bilinear, for images carried from frame to frame, whose
    resampling blur would otherwise add up.
    """
    import cv2

    grid = _grid(flow.shape[0], flow.shape[1])
    interpolation = cv2.INTER_CUBIC if sharp else cv2.INTER_LINEAR
    return cv2.remap(image, grid + flow, None, interpolation=interpolation,  # type: ignore[call-overload]
                     borderMode=cv2.BORDER_REPLICATE)  # fmt: skip


@functools.lru_cache(maxsize=4)
def _grid(height: int, width: int) -> np.ndarray:
    """Pixel positions ``H×W×2`` (x, y), the identity map for ``cv2.remap``."""
    grid_x, grid_y = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return np.stack([grid_x, grid_y], -1)


@dataclass(frozen=True)
class Motion:
    """How frame t relates to frame t−1: ``backward`` flow (t → t−1) and per-pixel ``confidence`` in [0, 1]."""

    backward: np.ndarray  # H×W×2 float32
    confidence: np.ndarray  # H×W float32: 1 where the pixel was visible in t−1 and the flow is reliable


def estimate_motion(flow: FlowEstimator, previous: np.ndarray, current: np.ndarray, size: tuple[int, int]) -> Motion:
    """Backward flow and its trust mask between two grey frames (``FlowEstimator.grey``), scaled to ``size``.

    Both are computed at the grey frames' size (flow is smooth; the mask is a few pixels wide at
    worst) and then scaled, which keeps a 640×360 frame's motion to a few milliseconds.
    """
    import cv2

    backward = flow(current, previous)
    confidence = _confidence(flow(previous, current), backward)
    if (backward.shape[1], backward.shape[0]) != size:
        confidence = cv2.resize(confidence, size, interpolation=cv2.INTER_LINEAR)
    return Motion(_resize_flow(backward, size), confidence)


def _confidence(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """Ruder et al.'s criteria: forward–backward consistency, and no motion boundary."""
    import cv2

    returned = warp(forward, backward)  # the forward flow at where each pixel of t came from
    backward_length = _squared_length(backward)
    consistent = _squared_length(returned + backward) <= 0.01 * (_squared_length(returned) + backward_length) + 0.5
    change = sum(_squared_length(cv2.Sobel(backward, cv2.CV_32F, dx, dy, ksize=1, scale=0.5))
                 for dx, dy in ((1, 0), (0, 1)))  # central differences of both flow components  # fmt: skip
    steady = change <= 0.01 * backward_length + 0.002
    return (consistent & steady).astype(np.float32)


def _squared_length(vectors: np.ndarray) -> np.ndarray:
    """``u² + v²`` of an ``H×W×2`` field (numpy's sum over a last axis of 2 is several times slower)."""
    import cv2

    u, v = cv2.split(vectors)
    return u * u + v * v


def blend_previous(stylized: np.ndarray, previous_output: np.ndarray, motion: Motion, strength: float) -> np.ndarray:
    """The current stylized frame pulled towards the previous output carried along the flow, where trusted.

    ``strength`` is the share of the warped previous frame (0: the frame as stylized). Occluded
    and boundary pixels keep the current frame's own stylization, so new content is never smeared.
    The mix keeps the stylized frame's local contrast (``restore_contrast``).
    """
    carried = warp(previous_output, motion.backward, sharp=True)
    weight = (strength * motion.confidence)[..., None]
    return restore_contrast(stylized + weight * (carried - stylized), stylized)


CONTRAST_SIGMA = 2.0  # px: the neighbourhood whose contrast a blended frame keeps (about a brush stroke)


def restore_contrast(mixed: np.ndarray, reference: np.ndarray, sigma: float = CONTRAST_SIGMA) -> np.ndarray:
    """``mixed`` with its local deviations scaled up to ``reference``'s local contrast (never down, at most 2×).

    Averaging two textures that do not line up flattens them (two unrelated ones mixed half and
    half keep 71 % of their contrast); frame after frame that reads as blur, and the style fades
    (at a 0.7 blend the Gram distance to the painting doubled). Scaling the deviations from the
    local mean back up is the variance-preserving blend of Heitz & Neyret (2018), made local and
    per channel. On the friday clip at a 0.5 blend it kept gram_ratio at 1.15× the per-frame
    result's, against 1.65× for the plain mix (E_warp 0.42× and 0.30×); ``bench/results/video.md``.
    """
    import cv2

    def blur(image: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(image, (0, 0), sigma)

    def local_variance(image: np.ndarray) -> np.ndarray:  # per channel: colour texture counts as much as light
        return blur(image * image) - np.square(blur(image))

    gain = np.sqrt((local_variance(reference) + 1e-5) / (local_variance(mixed) + 1e-5)).clip(1.0, 2.0)
    mean = blur(mixed)
    restored = mean + (mixed - mean) * gain
    return np.clip(restored, 0.0, 1.0, out=restored)


def warping_error(outputs: tuple[np.ndarray, np.ndarray], inputs: tuple[np.ndarray, np.ndarray],
                  flow: FlowEstimator) -> float:  # fmt: skip
    """Lai et al. (2018)'s E_warp of one frame pair: mean over trusted pixels of ‖O_{t+1} − W(O_t)‖².

    ``outputs`` and ``inputs`` are (frame t, frame t+1) as float32 in [0, 1] (outputs) and the
    frames the flow is measured on (inputs); the squared norm sums the three channels. Use a
    different ``flow`` from the one that corrected the video, so the correction is not graded by
    its own flow.
    """
    height, width = outputs[0].shape[:2]
    motion = estimate_motion(flow, flow.grey(inputs[0]), flow.grey(inputs[1]), (width, height))
    carried = warp(outputs[0], motion.backward)
    squared = np.square(outputs[1] - carried).sum(-1)
    trusted = motion.confidence
    return float((squared * trusted).sum() / max(trusted.sum(), 1.0))
