"""Results say what made them, and keep the photo's capture metadata."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from images import make_photo, make_stripes
from PIL import Image

from painterly.cli import main
from painterly.provenance import capture_exif, record_from_image

FAST = ["--size", "32", "--scales", "1.0", "--steps", "2", "--quiet"]


@pytest.fixture
def camera_photo(tmp_path: Path) -> Path:
    """A JPEG with the EXIF a camera writes: make, model, date taken, and an orientation."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "Canon", "EOS 5D", 1
    exif.get_ifd(0x8769)[0x9003] = "2024:05:01 10:20:30"
    path = tmp_path / "camera.jpg"
    make_photo(64, 48).save(path, exif=exif.tobytes(), quality=95)
    return path


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp"])
def test_result_carries_record_and_capture_metadata(tmp_path, camera_photo, suffix, capsys) -> None:  # type: ignore[no-untyped-def]
    style = tmp_path / "style.png"
    make_stripes().save(style)
    output = tmp_path / f"out{suffix}"
    assert main(["stylize", str(camera_photo), "-s", str(style), "-o", str(output), "--seed", "3", *FAST]) == 0
    saved = record_from_image(output)
    assert saved is not None and saved["method"] == "optimize" and saved["settings"]["seed"] == 3
    assert saved["photo"]["name"] == "camera.jpg" and saved["styles"][0]["name"] == "style.png"
    kept = capture_exif(output)
    assert kept is not None and kept[0x010F] == "Canon" and kept[0x0110] == "EOS 5D"
    assert kept.get_ifd(0x8769)[0x9003] == "2024:05:01 10:20:30"
    assert 0x0112 not in kept  # orientation dropped: the result is already upright


def test_strip_metadata_and_json(tmp_path, camera_photo, capsys) -> None:  # type: ignore[no-untyped-def]
    style = tmp_path / "style.png"
    make_stripes().save(style)
    output = tmp_path / "out.jpg"
    argv = ["stylize", str(camera_photo), "-s", str(style), "-o", str(output), "--strip-metadata", "--json", *FAST]
    assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["output"] == str(output) and printed["method"] == "optimize"
    kept = capture_exif(output)
    assert kept is None or 0x010F not in kept
    assert record_from_image(output)["settings"]["size"] == 32  # type: ignore[index]


def test_several_photos_into_a_folder(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    photos = []
    for seed in range(3):
        path = tmp_path / f"p{seed}.png"
        make_photo(40, 30, seed=seed).save(path)
        photos.append(str(path))
    folder = tmp_path / "out"
    folder.mkdir()
    argv = ["stylize", *photos, "--method", "feedforward", "--model", "cliff_walk", "--size", "32", "-o", f"{folder}/",
            "-q"]  # fmt: skip
    assert main(argv) == 0
    assert sorted(path.name for path in folder.iterdir()) == [f"p{i}_cliff_walk.png" for i in range(3)]
    assert main(argv) == 2 and "exists; pass --force" in capsys.readouterr().err  # never overwritten silently


def test_several_photos_need_a_folder(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    make_photo().save(tmp_path / "a.png")
    argv = ["stylize", str(tmp_path / "a.png"), str(tmp_path / "a.png"), "--method", "feedforward", "--model",
            "cliff_walk", "-o", str(tmp_path / "x.png")]  # fmt: skip
    assert main(argv) == 2 and "need an output folder" in capsys.readouterr().err
