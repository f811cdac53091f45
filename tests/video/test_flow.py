"""Optical flow, warping, the trust mask, contrast-keeping blends and the warping error."""

from __future__ import annotations

import numpy as np
import pytest
from clips import clip_frame

from painterly.video.flow import (
    FlowEstimator,
    Motion,
    blend_previous,
    estimate_motion,
    restore_contrast,
    warp,
    warping_error,
)

SIZE = (96, 64)


def _frames(count: int = 2) -> list[np.ndarray]:
    return [clip_frame(index, *SIZE) for index in range(count)]


def test_backward_flow_of_a_pan_points_back_by_the_shift() -> None:
    first, second = _frames()
    flow = FlowEstimator("medium")
    motion = estimate_motion(flow, flow.grey(first), flow.grey(second), SIZE)
    inside = motion.backward[16:-16, 16:-16]
    assert np.median(inside[..., 0]) == pytest.approx(-2.0, abs=0.3)  # the scene moved 2 px right
    assert np.median(np.abs(inside[..., 1])) < 0.3
    assert motion.confidence[16:-16, 16:-16].mean() > 0.8


def test_warp_carries_the_previous_frame_onto_the_current_one() -> None:
    first, second = (frame.astype(np.float32) / 255 for frame in _frames())
    flow = np.zeros((SIZE[1], SIZE[0], 2), np.float32)
    flow[..., 0] = -2.0
    carried = warp(first, flow)
    assert np.abs(carried[:, 8:-8] - second[:, 8:-8]).mean() < 0.02
    assert np.abs(first[:, 8:-8] - second[:, 8:-8]).mean() > 0.05  # the frames do differ


def test_occluded_pixels_are_not_trusted() -> None:
    """A square jumping 20 px uncovers background the previous frame never showed there."""
    still = np.full((64, 96, 3), 120, np.uint8)
    still[::4] = 60  # texture for the flow to hold on to
    before, after = still.copy(), still.copy()
    before[20:40, 10:30] = (250, 30, 30)
    after[20:40, 30:50] = (250, 30, 30)
    flow = FlowEstimator("medium")
    motion = estimate_motion(flow, flow.grey(before), flow.grey(after), SIZE)
    assert motion.confidence[22:38, 12:28].mean() < motion.confidence[50:, 60:].mean()


def test_blend_keeps_new_content_where_untrusted_and_mixes_where_trusted() -> None:
    rng = np.random.default_rng(0)
    stylized = rng.random((64, 96, 3), dtype=np.float32)
    previous = rng.random((64, 96, 3), dtype=np.float32)
    confidence = np.zeros((64, 96), np.float32)
    confidence[:, 48:] = 1
    motion = Motion(np.zeros((64, 96, 2), np.float32), confidence)
    blended = blend_previous(stylized, previous, motion, 0.5)
    assert np.allclose(blended[:, :40], stylized[:, :40], atol=0.15)  # contrast gain only near the seam
    assert np.corrcoef(blended[:, 56:].ravel(), previous[:, 56:].ravel())[0, 1] > 0.5


def test_restore_contrast_undoes_the_flattening_of_unrelated_textures() -> None:
    rng = np.random.default_rng(1)
    a = np.clip(0.5 + 0.15 * rng.standard_normal((64, 96, 3)), 0, 1).astype(np.float32)
    b = np.clip(0.5 + 0.15 * rng.standard_normal((64, 96, 3)), 0, 1).astype(np.float32)
    mixed = 0.5 * a + 0.5 * b
    assert mixed.std() < 0.75 * a.std()
    restored = restore_contrast(mixed, a)
    assert restored.std() == pytest.approx(a.std(), rel=0.15)
    assert np.allclose(restore_contrast(a, a), a, atol=1e-3)  # nothing to restore


def test_warping_error_is_near_zero_for_a_consistent_clip_and_large_for_flicker() -> None:
    inputs = _frames()
    floats = [frame.astype(np.float32) / 255 for frame in inputs]
    flow = FlowEstimator("medium")
    steady = warping_error((floats[0], floats[1]), (inputs[0], inputs[1]), flow)
    noise = np.random.default_rng(2).random(floats[1].shape, dtype=np.float32)
    flicker = warping_error((floats[0], np.clip(floats[1] + 0.2 * (noise - 0.5), 0, 1)), (inputs[0], inputs[1]), flow)
    assert steady < 0.003
    assert flicker > 5 * steady
