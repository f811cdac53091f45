"""The contract every registered method keeps, run over all of them (new methods are covered by being registered).

Small images, the real VGG19 and the bundled decoder and models: fast, but the same code paths
users run.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from images import make_photo, make_stripes

import painterly
from painterly.errors import ArgumentError
from painterly.image_io import image_to_tensor, resize_tensor
from painterly.methods.base import get_method, list_methods
from painterly.progress import Cancelled

# Per method: what to load (model or nothing) and quick per-call settings.
SETUP = {
    "optimize": {"size": 32, "scales": (1.0,), "steps": (3,)},
    "adain": {"size": 32},
    "wct": {"size": 32},
    "feedforward": {"model": "quartet", "size": 32},
}
ONE_PASS_TOLERANCE = 3 / 255  # bfloat16 convolutions may round differently for a batch of 2 than for 1


@pytest.fixture(scope="module", params=list_methods())
def method(request: pytest.FixtureRequest) -> str:
    if request.param not in SETUP:
        pytest.fail(f"method {request.param} is registered but has no entry in SETUP: add one")
    return str(request.param)


def _stylizer(method: str, **extra: object):  # type: ignore[no-untyped-def]
    return painterly.load(method, **{**SETUP[method], **extra})


def _styles(method: str) -> list[object]:
    return [] if not get_method(method).needs_style_images else [make_stripes(48, 48), make_photo(48, 48, seed=9)]


def test_batch_of_two_equals_two_single_calls(method: str) -> None:
    stylizer = _stylizer(method)
    photos = torch.cat([image_to_tensor(make_photo(40, 30, seed=seed)) for seed in (1, 2)])
    batch = stylizer(photos, _styles(method), output="tensor")
    singles = torch.cat([stylizer(photos[i : i + 1], _styles(method), output="tensor") for i in range(2)])
    assert batch.shape == (2, 3, 24, 32)
    assert (batch - singles).abs().max() <= ONE_PASS_TOLERANCE


def test_tensor_and_pil_paths_agree(method: str) -> None:
    stylizer, photo = _stylizer(method), make_photo(40, 30)
    from_pil = np.asarray(stylizer(photo, _styles(method)), dtype=np.float32) / 255
    from_tensor = stylizer(image_to_tensor(photo), _styles(method), output="tensor")[0].permute(1, 2, 0).numpy()
    from_array = stylizer(np.asarray(photo), _styles(method), output="numpy")
    assert np.abs(from_pil - from_tensor).max() <= 1 / 255 + 1e-6
    assert from_array.dtype == np.uint8 and np.array_equal(from_array, (from_pil * 255).round().astype(np.uint8))


def test_strength_zero_returns_the_photo(method: str) -> None:
    photo = image_to_tensor(make_photo(40, 30))
    result = _stylizer(method)(photo, _styles(method), strength=0.0, output="tensor")
    assert torch.equal(result, resize_tensor(photo, (24, 32)))
    half = _stylizer(method)(photo, _styles(method), strength=0.5, output="tensor")
    full = _stylizer(method)(photo, _styles(method), output="tensor")
    expected = resize_tensor(photo, (24, 32))
    assert (half - expected).abs().mean() < (full - expected).abs().mean()  # less style, closer to the photo


def test_masks_select_styles(method: str) -> None:
    stylizer = _stylizer(method, size=48)
    photo = image_to_tensor(make_photo(48, 48))
    styles = _styles(method)
    count = len(styles) or stylizer.net.styles  # type: ignore[attr-defined]
    if not stylizer.supports_masks:
        with pytest.raises(ArgumentError, match="does not take style masks"):
            stylizer(photo, styles, masks=torch.ones(1, count, 48, 48) / count)
        return
    left = torch.zeros(1, count, 48, 48)
    left[:, 0, :, :24], left[:, 1, :, 24:] = 1.0, 1.0  # style 0 on the left half, style 1 on the right
    masked = stylizer(photo, styles, masks=left, output="tensor")
    only = [stylizer(photo, styles, masks=_one(count, index), output="tensor") for index in (0, 1)]
    interior = (slice(None), slice(None), slice(8, 40))
    for half, index in ((slice(4, 18), 0), (slice(30, 44), 1)):
        region = (*interior, half)
        near, far = (
            (masked[region] - only[index][region]).abs().mean(),
            (masked[region] - only[1 - index][region]).abs().mean(),
        )
        assert near < 0.5 * far, (index, float(near), float(far))


def _one(count: int, index: int) -> torch.Tensor:
    maps = torch.zeros(1, count, 48, 48)
    maps[:, index] = 1.0
    return maps


def test_progress_is_monotone_and_ends_at_one(method: str) -> None:
    events: list[painterly.ProgressEvent] = []
    photos = torch.cat([image_to_tensor(make_photo(40, 30, seed=seed)) for seed in (1, 2)])
    _stylizer(method)(photos, _styles(method), callback=events.append, output="tensor")
    fractions = [event.fraction for event in events]
    assert events and fractions == sorted(fractions) and fractions[-1] == 1.0
    assert [event.step for event in events] == sorted(event.step for event in events)
    assert events[-1].step == events[-1].total


def test_cancellation_stops_it(method: str) -> None:
    events: list[painterly.ProgressEvent] = []

    def cancel(event: painterly.ProgressEvent) -> None:
        events.append(event)
        raise Cancelled

    photos = torch.cat([image_to_tensor(make_photo(40, 30, seed=seed)) for seed in (1, 2, 3)])
    with pytest.raises(Cancelled):
        _stylizer(method)(photos, _styles(method), callback=cancel, output="tensor")
    assert len(events) == 1  # nothing ran after the listener said stop


def test_per_call_options_do_not_reload(method: str) -> None:
    first = _stylizer(method)
    again = _stylizer(method, strength=0.5)
    assert again.spec == first.spec and again is not first
    assert again.settings.strength == 0.5 and first.settings.strength == 1.0
    with pytest.raises(ArgumentError, match="is chosen when loading"):
        first.with_options(precision="float32")
