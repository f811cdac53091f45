"""Reading every kind of image a user may have, refusing bad ones clearly, writing atomically."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from painterly.errors import ImageError, OutputError
from painterly.image_io import (
    check_output_path,
    fit_long_side,
    image_to_tensor,
    open_image,
    resize_long_side,
    save_image,
    tensor_to_image,
)


def _format_and_size(path: Path) -> tuple[str | None, tuple[int, int]]:
    with Image.open(path) as image:
        return image.format, image.size


def _write(path: Path, image: Image.Image, **options: object) -> Path:
    image.save(path, **options)
    return path


class TestReadErrors:
    def test_missing(self, tmp_path: Path) -> None:
        with pytest.raises(ImageError, match="not found"):
            open_image(tmp_path / "nope.jpg")

    def test_directory(self, tmp_path: Path) -> None:
        with pytest.raises(ImageError, match="is a directory"):
            open_image(tmp_path)

    def test_zero_bytes(self, tmp_path: Path) -> None:
        (tmp_path / "empty.png").write_bytes(b"")
        with pytest.raises(ImageError, match="empty"):
            open_image(tmp_path / "empty.png")

    @pytest.mark.parametrize("suffix", [".jpg", ".png"])
    def test_truncated(self, tmp_path: Path, suffix: str, photo: Image.Image) -> None:
        buffer = io.BytesIO()
        photo.resize((256, 256)).save(buffer, format="JPEG" if suffix == ".jpg" else "PNG")
        path = tmp_path / f"cut{suffix}"
        path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
        with pytest.raises(ImageError, match="corrupt or truncated"):
            open_image(path)

    def test_not_an_image(self, tmp_path: Path) -> None:
        (tmp_path / "notes.png").write_text("this is text, not a picture\n")
        with pytest.raises(ImageError, match="not an image"):
            open_image(tmp_path / "notes.png")

    def test_over_pixel_limit(self, tmp_path: Path, photo: Image.Image) -> None:
        path = _write(tmp_path / "big.png", photo)
        with pytest.raises(ImageError, match="over the limit"):
            open_image(path, max_pixels=1000)

    def test_decompression_bomb(self, tmp_path: Path) -> None:
        # 100 megapixels of one bit compress to a few kB: the limit must act before decoding.
        path = _write(tmp_path / "bomb.png", Image.new("1", (10_000, 10_000)))
        assert path.stat().st_size < 100_000
        with pytest.raises(ImageError, match="over the limit"):
            open_image(path)

    def test_too_small(self, tmp_path: Path) -> None:
        path = _write(tmp_path / "tiny.png", Image.new("RGB", (15, 40)))
        with pytest.raises(ImageError, match="each side must be ≥ 16"):
            open_image(path)

    def test_empty_bytes(self) -> None:
        with pytest.raises(ImageError, match="empty"):
            open_image(b"")


class TestModes:
    def test_exif_orientation_is_applied(self, tmp_path: Path) -> None:
        image = Image.new("RGB", (40, 20), (255, 0, 0))
        image.paste((0, 0, 255), (0, 0, 20, 20))  # left half blue
        exif = Image.Exif()
        exif[0x0112] = 6  # rotate 90° clockwise to display
        path = _write(tmp_path / "rotated.jpg", image, exif=exif, quality=95)
        loaded = open_image(path)
        assert loaded.size == (20, 40)
        top = np.asarray(loaded)[2, 10]
        assert top[2] > 200 and top[0] < 60  # the blue half is now on top

    def test_cmyk(self, tmp_path: Path) -> None:
        path = _write(tmp_path / "cmyk.jpg", Image.new("CMYK", (32, 32), (0, 255, 255, 0)), quality=95)
        red = np.asarray(open_image(path))[16, 16]
        assert red[0] > 200 and red[1] < 60 and red[2] < 60

    def test_sixteen_bit_grey(self, tmp_path: Path) -> None:
        values = np.full((32, 32), 32768, dtype=np.uint16)
        path = _write(tmp_path / "deep.png", Image.fromarray(values))
        loaded = open_image(path)
        assert loaded.mode == "RGB"
        assert tuple(np.asarray(loaded)[0, 0]) == (128, 128, 128)

    def test_palette_with_transparency(self, tmp_path: Path) -> None:
        image = Image.new("P", (32, 32), 0)
        image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
        image.paste(1, (0, 0, 16, 32))
        image.info["transparency"] = 0
        path = _write(tmp_path / "palette.png", image, transparency=0)
        array = np.asarray(open_image(path))
        assert tuple(array[5, 5]) == (255, 0, 0)
        assert tuple(array[5, 25]) == (255, 255, 255)  # transparent → white

    def test_grey_and_alpha(self, tmp_path: Path) -> None:
        grey = _write(tmp_path / "grey.png", Image.new("L", (20, 20), 77))
        assert tuple(np.asarray(open_image(grey))[0, 0]) == (77, 77, 77)
        half = _write(tmp_path / "half.png", Image.new("RGBA", (20, 20), (0, 0, 0, 128)))
        assert tuple(np.asarray(open_image(half))[0, 0]) == (127, 127, 127)

    def test_bytes_input(self, photo: Image.Image) -> None:
        buffer = io.BytesIO()
        photo.save(buffer, format="PNG")
        assert open_image(buffer.getvalue()).size == photo.size


class TestTensors:
    def test_round_trip_is_exact(self, photo: Image.Image) -> None:
        tensor = image_to_tensor(photo)
        assert tensor.shape == (1, 3, photo.height, photo.width)
        assert tensor.min() >= 0.0 and tensor.max() <= 1.0
        assert np.array_equal(np.asarray(tensor_to_image(tensor)), np.asarray(photo))

    def test_the_callers_tensor_is_left_alone_in_any_layout(self, photo: Image.Image) -> None:
        for tensor in (image_to_tensor(photo), image_to_tensor(photo).contiguous(memory_format=torch.channels_last)):
            before = tensor.clone()
            tensor_to_image(tensor)
            assert torch.equal(tensor, before)

    def test_out_of_range_is_clamped(self) -> None:
        image = tensor_to_image(torch.tensor([-1.0, 0.5, 2.0]).view(1, 3, 1, 1).expand(1, 3, 16, 16))
        assert tuple(np.asarray(image)[0, 0]) == (0, 128, 255)

    def test_fit_long_side(self) -> None:
        assert fit_long_side(1024, 768, 512) == (512, 384)
        assert fit_long_side(300, 600, 100) == (50, 100)
        assert resize_long_side(Image.new("RGB", (64, 32)), 32).size == (32, 16)


class TestWrite:
    def test_writes_each_format(self, tmp_path: Path, photo: Image.Image) -> None:
        for name, expected in (("a.png", "PNG"), ("b.JPG", "JPEG"), ("c.jpeg", "JPEG"), ("d.webp", "WEBP")):
            save_image(photo, tmp_path / name)
            assert _format_and_size(tmp_path / name)[0] == expected
        assert sorted(os.listdir(tmp_path)) == ["a.png", "b.JPG", "c.jpeg", "d.webp"]  # no temp files left

    def test_refuses_existing_without_force(self, tmp_path: Path, photo: Image.Image) -> None:
        target = tmp_path / "keep.png"
        target.write_bytes(b"precious")
        with pytest.raises(OutputError, match="exists; pass --force"):
            save_image(photo, target)
        assert target.read_bytes() == b"precious"
        save_image(photo, target, force=True)
        assert _format_and_size(target)[1] == photo.size

    def test_unknown_extension(self, tmp_path: Path) -> None:
        with pytest.raises(OutputError, match=r"use one of \.png, \.jpg, \.jpeg, \.webp"):
            check_output_path(tmp_path / "out.gif")

    def test_missing_folder(self, tmp_path: Path) -> None:
        with pytest.raises(OutputError, match="folder does not exist"):
            check_output_path(tmp_path / "no" / "out.png")

    def test_directory_as_output(self, tmp_path: Path) -> None:
        (tmp_path / "dir.png").mkdir()
        with pytest.raises(OutputError, match="is a directory"):
            check_output_path(tmp_path / "dir.png")

    @pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
    def test_unwritable_folder(self, tmp_path: Path) -> None:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(OutputError, match="not writable"):
            check_output_path(locked / "out.png")

    @pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs Linux /proc")
    def test_write_failure_is_an_output_error(self, photo: Image.Image) -> None:
        with pytest.raises(OutputError, match="cannot write"):
            save_image(photo, Path("/proc/painterly-test.png"))

    def test_jpeg_quality(self, tmp_path: Path, photo: Image.Image) -> None:
        big = photo.resize((256, 192))
        save_image(big, tmp_path / "low.jpg", jpeg_quality=10)
        save_image(big, tmp_path / "high.jpg", jpeg_quality=95)
        assert (tmp_path / "low.jpg").stat().st_size < (tmp_path / "high.jpg").stat().st_size
