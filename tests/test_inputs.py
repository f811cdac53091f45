"""Every form of image a user holds becomes the same (B, 3, H, W) tensor; bad forms get one-line errors."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import torch
from images import make_photo

from painterly.errors import ArgumentError, ImageError
from painterly.image_io import image_to_tensor
from painterly.inputs import as_batch, as_image, from_batch


def test_every_form_gives_the_same_tensor(tmp_path: Path) -> None:
    photo = make_photo(40, 30)
    expected = image_to_tensor(photo)
    photo.save(tmp_path / "p.png")
    buffer = io.BytesIO()
    photo.save(buffer, format="PNG")
    array = np.asarray(photo)
    forms = [tmp_path / "p.png", str(tmp_path / "p.png"), buffer.getvalue(), photo, array,
             array.astype(np.float32) / 255, expected[0], expected]  # fmt: skip
    for form in forms:
        assert torch.allclose(as_batch(form), expected, atol=1e-6), type(form)
    assert as_image(expected).size == (40, 30)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (torch.full((1, 3, 20, 20), float("nan")), "finite and within"),
        (torch.full((3, 20, 20), 255.0), "divide 8-bit values by 255"),
        (torch.zeros(1, 4, 20, 20), "3×H×W or B×3×H×W"),
        (torch.zeros(1, 3, 20, 20, dtype=torch.uint8), "float in"),
        (np.zeros((20, 20), np.uint8), "H×W×3"),
        (np.zeros((20, 20, 3), np.int32), "uint8 or float"),
        (torch.zeros(1, 3, 8, 40), "each side must be ≥ 16"),
        (42, "cannot read a int"),
    ],
)
def test_bad_forms(value: object, message: str) -> None:
    with pytest.raises(ImageError, match=message):
        as_batch(value)  # type: ignore[arg-type]


def test_outputs() -> None:
    batch = torch.rand(2, 3, 20, 24)
    images = from_batch(batch, "pil")
    assert len(images) == 2 and images[0].size == (24, 20)
    arrays = from_batch(batch[:1], "numpy")
    assert arrays.shape == (20, 24, 3) and arrays.dtype == np.uint8
    assert from_batch(batch, "tensor") is batch
    with pytest.raises(ArgumentError, match="output must be one of"):
        from_batch(batch, "jpeg")  # type: ignore[arg-type]
