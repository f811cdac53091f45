"""Real clips from ``../shared/data/videos`` through ``painterly video`` (slow suite)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from clips import audio_samples

from painterly.cli import main
from painterly.video.flow import FlowEstimator, warping_error
from painterly.video.media import probe, read_frames


def _warping_error(output: Path, source: Path) -> float:
    info = probe(output)
    outputs = [frame.astype(np.float32) / 255 for frame in read_frames(output, (info.width, info.height))]
    inputs = list(read_frames(source, (info.width, info.height), duration=len(outputs) / float(info.rate)))
    flow = FlowEstimator("medium", long_side=1920)
    pairs = range(0, len(outputs) - 1, 3)
    return float(np.mean([warping_error((outputs[t], outputs[t + 1]), (inputs[t], inputs[t + 1]), flow)
                          for t in pairs]))  # fmt: skip


@pytest.mark.slow
def test_a_real_clip_at_its_own_size_keeps_audio_and_flickers_less(tmp_path: Path, shared_data: Path) -> None:
    clip = shared_data / "videos" / "friday.mp4"
    if not clip.is_file():
        pytest.skip("needs videos/friday.mp4")
    outputs = {}
    for consistency in ("none", "flow"):
        outputs[consistency] = tmp_path / f"{consistency}.mp4"
        code = main(["video", str(clip), "-o", str(outputs[consistency]), "--method", "feedforward",
                     "--model", "hokusai_wave", "--duration", "2", "--consistency", consistency, "-q"])  # fmt: skip
        assert code == 0
    info, source = probe(outputs["flow"]), probe(clip)
    assert (info.width, info.height, info.rate) == (source.width, source.height, source.rate)
    assert info.frames == 60
    assert len(audio_samples(outputs["flow"])) == pytest.approx(2 * 44100, abs=2048)
    assert _warping_error(outputs["flow"], clip) < 0.6 * _warping_error(outputs["none"], clip)
    finished = outputs["flow"].read_bytes()  # the README's --resume, given after the run finished: file kept
    assert main(["video", str(clip), "-o", str(outputs["flow"]), "--method", "feedforward", "--model", "hokusai_wave",
                 "--duration", "2", "--consistency", "flow", "--resume", "-q"]) == 0  # fmt: skip
    assert outputs["flow"].read_bytes() == finished
