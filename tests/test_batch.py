"""``painterly batch``: folders, globs and manifests; resuming; bad items reported and skipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clips import make_clip
from images import make_photo, make_stripes
from PIL import Image

from painterly.batch import ItemReport, find_inputs, plan_items, read_manifest, run_batch
from painterly.cli import EXIT_USAGE, main
from painterly.errors import ArgumentError, OutputError
from painterly.provenance import record_from_image, record_from_video

MODEL = ["-m", "feedforward", "--model", "quartet", "--size", "32", "-q"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    photos = tmp_path / "photos"
    photos.mkdir()
    for seed in range(3):
        make_photo(48, 32, seed=seed).save(photos / f"p{seed}.png")
    (photos / "notes.txt").write_text("not a photo")  # ignored by extension
    return photos


def _size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size


def _report(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_folder_batch_then_rerun_skips(folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["batch", str(folder), "-o", str(out), *MODEL]) == 0
    outputs = sorted(out.glob("*.png"))
    assert [p.name for p in outputs] == ["p0_quartet.png", "p1_quartet.png", "p2_quartet.png"]
    assert all(_size(p) == (32, 21) for p in outputs)
    assert record_from_image(outputs[0])["method"] == "feedforward"  # type: ignore[index]
    assert "3 done, 0 skipped" in capsys.readouterr().out
    times = [p.stat().st_mtime_ns for p in outputs]
    assert main(["batch", str(folder), "-o", str(out), *MODEL]) == 0
    assert "0 done, 3 skipped" in capsys.readouterr().out
    assert [p.stat().st_mtime_ns for p in outputs] == times  # not rewritten
    statuses = [line["status"] for line in _report(out / "report.jsonl")]
    assert statuses == ["done"] * 3 + ["skipped"] * 3
    # Changed settings are different work: redone, not skipped.
    assert main(["batch", str(folder), "-o", str(out), *MODEL, "--strength", "0.5"]) == 1  # outputs exist
    assert "was not made by this item" in capsys.readouterr().err


def test_interrupted_batch_resumes_without_redoing(folder: Path, tmp_path: Path) -> None:
    items = plan_items([{"photo": str(p)} for p in find_inputs([str(folder)])], output_dir=tmp_path / "out",
                       method="feedforward", settings={"model": "quartet", "size": 32})  # fmt: skip
    seen: list[ItemReport] = []

    def stop_after_first(outcome: ItemReport) -> None:
        seen.append(outcome)
        if len(seen) == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(items, on_item=stop_after_first)
    first = items[0].output.stat().st_mtime_ns
    again = run_batch(items)
    assert [r.status for r in again] == ["skipped", "done", "done"]
    assert items[0].output.stat().st_mtime_ns == first


def test_bad_item_is_reported_and_skipped(folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    out = tmp_path / "out"
    assert main(["batch", str(folder), "-o", str(out), *MODEL]) == 1
    captured = capsys.readouterr()
    assert "3 done, 0 skipped (already done), 1 failed" in captured.out
    warning = [line for line in captured.err.splitlines() if "broken.jpg" in line]
    assert len(warning) == 1 and "Traceback" not in captured.err
    failed = [line for line in _report(out / "report.jsonl") if line["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["input"].endswith("broken.jpg") and failed[0]["error"]  # type: ignore[union-attr]


def test_warnings_go_to_the_report_and_one_summary_line(folder: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    out = tmp_path / "out"
    enlarging = [arg if arg != "32" else "96" for arg in MODEL]  # 48×32 photos made 96×64: each is enlarged 2×
    assert main(["batch", str(folder), "-o", str(out), *enlarging]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("painterly: warning: 3 of 3 items logged warnings")
    assert "enlarged 2.0×" in err[0] and str(out / "report.jsonl") in err[0]
    lines = _report(out / "report.jsonl")
    assert [len(line["warnings"]) for line in lines] == [1, 1, 1]  # type: ignore[arg-type]
    assert main(["batch", str(folder), "-o", str(tmp_path / "plain"), *MODEL]) == 0  # not enlarged: nothing said
    assert capsys.readouterr().err == ""
    assert all(line["warnings"] == [] for line in _report(tmp_path / "plain" / "report.jsonl"))


def test_existing_files_are_never_overwritten(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "p1_quartet.png").write_bytes(b"the user's own file")
    assert main(["batch", str(folder), "-o", str(out), *MODEL]) == 1
    assert (out / "p1_quartet.png").read_bytes() == b"the user's own file"
    assert main(["batch", str(folder), "-o", str(out), *MODEL, "--force"]) == 0
    assert _size(out / "p1_quartet.png") == (32, 21)


def test_manifests_csv_and_jsonl(tmp_path: Path) -> None:
    make_photo(48, 32, seed=1).save(tmp_path / "a.png")
    make_photo(40, 40, seed=2).save(tmp_path / "b.png")
    make_stripes(32, 32).save(tmp_path / "s.png")
    (tmp_path / "jobs.csv").write_text("photo,styles,method,model,size,output\n"
                                       "a.png,s.png,adain,,40,out/a_adain.jpg\n"
                                       "b.png,,,quartet,32,\n")  # fmt: skip
    rows = read_manifest(tmp_path / "jobs.csv")
    assert rows[0]["settings"] == {"size": "40"} and rows[0]["styles"] == [str(tmp_path / "s.png")]
    assert main(["batch", "--manifest", str(tmp_path / "jobs.csv"), "-o", str(tmp_path / "out"), "-q"]) == 0
    assert _size(tmp_path / "out" / "a_adain.jpg") == (40, 27)  # the row's own output path
    assert _size(tmp_path / "out" / "b_quartet.png") == (32, 32)  # a model implies feedforward
    (tmp_path / "jobs.jsonl").write_text(
        json.dumps({"photo": "a.png", "styles": ["s.png"], "method": "adain", "settings": {"size": 40}})
        + "\n"
        + json.dumps({"photo": "b.png", "model": "quartet", "method": "feedforward", "settings": {"size": 32}})
        + "\n"
    )
    assert main(["batch", "--manifest", str(tmp_path / "jobs.jsonl"), "-o", str(tmp_path / "j"), "-q"]) == 0
    assert _size(tmp_path / "j" / "a_s.png") == (40, 27)
    assert _size(tmp_path / "j" / "b_quartet.png") == (32, 32)


def test_inputs_and_names_are_checked(folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert find_inputs([str(folder / "p*.png")]) == sorted(folder.glob("p*.png"))
    with pytest.raises(ArgumentError, match="no photos or videos match"):
        find_inputs([str(folder / "*.tif")])
    with pytest.raises(ArgumentError, match="not found"):
        find_inputs([str(tmp_path / "missing")])
    rows = [{"photo": str(folder / "p0.png")}, {"photo": str(tmp_path / "p0.png")}]
    with pytest.raises(OutputError, match="both be written"):
        plan_items(rows, output_dir=tmp_path, method="adain")
    named = plan_items(rows, output_dir=tmp_path, method="adain", template="{index:03d}_{stem}.jpg", styles=["s.png"])
    assert [item.output.name for item in named] == ["000_p0.jpg", "001_p0.jpg"]
    assert main(["batch", str(tmp_path / "nothing-here"), "-o", str(tmp_path / "o"), *MODEL]) == EXIT_USAGE
    assert capsys.readouterr().err.count("\n") == 1
    assert main(["batch", str(folder), "-o", str(tmp_path / "o"), *MODEL, "--name", "{stem}.gif"]) == EXIT_USAGE


def _frames(path: Path) -> tuple[int, tuple[int, int]]:
    import av

    with av.open(str(path)) as container:
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    return len(frames), frames[0].shape[:2]


def test_videos_are_items_too(folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_clip(folder / "walk.mp4", frames=12)
    out = tmp_path / "out"
    assert main(["batch", str(folder), "-o", str(out), *MODEL]) == 0
    assert sorted(p.name for p in out.iterdir() if p.suffix != ".jsonl") == [
        "p0_quartet.png", "p1_quartet.png", "p2_quartet.png", "walk_quartet.mp4"]  # fmt: skip
    assert _frames(out / "walk_quartet.mp4") == (12, (20, 32))  # every frame, at --size 32
    made = record_from_video(out / "walk_quartet.mp4")
    assert made is not None and made["method"] == "feedforward" and made["video"]["consistency"] == "flow"
    assert "4 done, 0 skipped" in capsys.readouterr().out
    clip_time = (out / "walk_quartet.mp4").stat().st_mtime_ns
    assert main(["batch", str(folder), "-o", str(out), *MODEL]) == 0  # rerun: the clip too is skipped
    assert "0 done, 4 skipped" in capsys.readouterr().out
    assert (out / "walk_quartet.mp4").stat().st_mtime_ns == clip_time


def test_manifest_video_rows_take_video_settings(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", frames=24, rate=24)
    rows = [{"photo": str(clip), "settings": {"duration": 0.5, "consistency": "none"}},
            {"photo": str(clip), "output": str(tmp_path / "out" / "whole.webm"), "settings": {"every": 4}}]  # fmt: skip
    items = plan_items(rows, output_dir=tmp_path / "out", method="feedforward", template="{stem}_{index}.jpg",
                       settings={"model": "quartet", "size": 32})  # fmt: skip
    assert [item.output.name for item in items] == ["clip_0.mp4", "whole.webm"]  # a clip's result is a video
    assert [report.status for report in run_batch(items)] == ["done", "done"]
    assert _frames(items[0].output)[0] == 12  # half a second of 24 frames/s
    assert _frames(items[1].output)[0] == 6  # every 4th frame
    record = record_from_video(items[1].output)
    assert record is not None and record["video"]["every"] == 4


def test_a_bad_clip_is_reported_and_skipped(folder: Path, tmp_path: Path) -> None:
    (folder / "broken.mp4").write_bytes(b"not a video at all")
    items = plan_items([{"photo": str(p)} for p in find_inputs([str(folder)])], output_dir=tmp_path / "out",
                       method="feedforward", settings={"model": "quartet", "size": 32})  # fmt: skip
    reports = run_batch(items)
    assert [report.status for report in reports] == ["failed", "done", "done", "done"]
    assert reports[0].error is not None and "broken.mp4" in reports[0].error
