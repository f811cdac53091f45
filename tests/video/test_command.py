"""``painterly video`` on the command line: a result file, a JSON summary, one-line errors, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clips import make_clip

from painterly.cli import EXIT_USAGE, main
from painterly.provenance import record_from_video
from painterly.video.media import probe

FAST = ["--model", "cliff_walk", "--size", "64", "-q"]


def test_writes_the_video_and_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clip = make_clip(tmp_path / "clip.mp4", frames=12)
    output = tmp_path / "styled.mp4"
    assert main(["video", str(clip), "-o", str(output), "--json", *FAST]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["frames"] == 12 and summary["audio"] == "copied" and summary["size"] == [64, 42]
    assert probe(output).frames == 12
    made = record_from_video(output)  # the result says how it was made, as a stylized photo does
    assert made is not None and made["method"] == "feedforward" and made["settings"]["size"] == 64
    assert made["video"]["consistency"] == "flow" and made["photo"]["name"] == "clip.mp4"


def test_resume_of_a_finished_run_keeps_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The README's "--resume after Ctrl-C", given once the run had finished: nothing to do, file kept;
    with other settings the existing file is not this run's, so it is refused as any existing output."""
    clip = make_clip(tmp_path / "clip.mp4", frames=6, audio=False)
    output = tmp_path / "styled.mp4"
    assert main(["video", str(clip), "-o", str(output), *FAST]) == 0
    before = output.read_bytes()
    capsys.readouterr()
    assert main(["video", str(clip), "-o", str(output), *FAST, "--resume"]) == 0
    assert "already finished" in capsys.readouterr().err and output.read_bytes() == before
    assert main(["video", str(clip), "-o", str(output), *FAST, "--resume", "--every", "2"]) == EXIT_USAGE
    assert "exists" in capsys.readouterr().err and output.read_bytes() == before


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--start", "-1"], "start must be"),
        (["--every", "0"], "every must be"),
        (["--temporal-blend", "1.5"], "temporal_blend"),
        (["--method", "adain"], "needs at least one --style"),
    ],
)
def test_bad_options_fail_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str],
                                      message: str) -> None:  # fmt: skip
    clip = make_clip(tmp_path / "clip.mp4", frames=4, audio=False)
    assert main(["video", str(clip), "-o", str(tmp_path / "out.mp4"), *FAST, *arguments]) == EXIT_USAGE
    error = capsys.readouterr().err.strip()
    assert error.startswith("painterly: error:") and message in error and "\n" not in error
    assert not (tmp_path / "out.mp4").exists()


def test_an_unreadable_clip_fails_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.mov"
    broken.write_bytes(b"\x00" * 4096)
    assert main(["video", str(broken), "-o", str(tmp_path / "out.mp4"), *FAST]) == EXIT_USAGE
    error = capsys.readouterr().err.strip()
    assert error.startswith("painterly: error: cannot read") and "\n" not in error


def test_real_time_methods_leave_a_core_to_the_flow_and_encoder() -> None:
    from painterly import load
    from painterly.commands.video import video_threads
    from painterly.methods.adain import AdaINStylizer
    from painterly.video.pipeline import VideoSettings

    feedforward = load("feedforward", model="cliff_walk")
    flow, plain = VideoSettings(consistency="flow"), VideoSettings(consistency="none")
    assert video_threads(feedforward, flow, 2) == 1
    assert video_threads(feedforward, flow, 1) == 1
    assert video_threads(feedforward, plain, 2) == 2
    assert not AdaINStylizer.real_time  # its finishing is a small share of a frame: it keeps every core
