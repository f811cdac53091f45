"""The hand-written loss step equals autograd's on the same objective, and steps aside where it does not apply."""

from __future__ import annotations

import pytest
import torch

from painterly import fused_conv
from painterly.encoders import build_vgg19
from painterly.encoders.vgg import VGG19Encoder
from painterly.losses import fused_step
from painterly.losses.fused_step import encode_features, fused_step_supported
from painterly.losses.perceptual import PerceptualLoss
from painterly.precision import encoder_autocast

STYLE_LAYERS = {"relu1_1": 0.2, "relu2_1": 0.2, "relu3_1": 0.2, "relu4_1": 0.2, "relu5_1": 0.2}


@pytest.fixture(scope="module")
def encoder() -> VGG19Encoder:
    torch.manual_seed(0)
    # Random weights scaled so features neither vanish nor explode through 13 convolutions.
    encoder = build_vgg19(None, last_layer="relu5_1")
    for layer in encoder.layers.values():
        if isinstance(layer, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            torch.nn.init.uniform_(layer.bias, -0.05, 0.05)
    return encoder


def _pair(encoder: VGG19Encoder, dtype: torch.dtype = torch.float32, **settings: object
          ) -> tuple[PerceptualLoss, PerceptualLoss]:  # fmt: skip
    arguments = {"content_layers": {"relu4_2": 1.0}, "style_layers": STYLE_LAYERS, "style_weight": 15.0,
                 "tv_weight": 0.3, "compute_dtype": dtype} | settings  # fmt: skip
    return PerceptualLoss(encoder, fused=False, **arguments), PerceptualLoss(encoder, fused=True, **arguments)  # type: ignore[arg-type]


def _loss_and_gradient(loss: PerceptualLoss, image: torch.Tensor, content: torch.Tensor | None = None
                       ) -> tuple[float, dict[str, float], torch.Tensor]:  # fmt: skip
    pixels = image.clone().requires_grad_(True)
    total, parts = loss(pixels, content)
    total.backward()
    assert pixels.grad is not None
    return float(total.detach()), parts, pixels.grad


def _images(height: int = 48, width: int = 64, batch: int = 1) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    content = torch.rand(batch, 3, height, width, generator=generator)
    style = torch.rand(1, 3, 56, 40, generator=generator)
    start = (content + 0.2 * torch.randn(content.shape, generator=generator)).clamp(0, 1)
    return content, style, start


def _assert_same(reference: PerceptualLoss, fused: PerceptualLoss, start: torch.Tensor, *, rtol: float,
                 content: torch.Tensor | None = None) -> None:  # fmt: skip
    expected, expected_parts, expected_gradient = _loss_and_gradient(reference, start, content)
    got, parts, gradient = _loss_and_gradient(fused, start, content)
    assert got == pytest.approx(expected, rel=rtol)
    for name, value in expected_parts.items():
        assert parts[name] == pytest.approx(value, rel=rtol, abs=1e-9), name
    error = (gradient - expected_gradient).norm() / expected_gradient.norm()
    assert float(error) < rtol, f"gradient differs by {float(error):.2e} relative"


@pytest.mark.parametrize("checkpoint", [False, True])
def test_float32_equals_autograd(encoder: VGG19Encoder, checkpoint: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if checkpoint:  # recompute the first block in the backward pass, as print sizes do
        monkeypatch.setattr(fused_step, "CHECKPOINT_ABOVE_PIXELS", 0)
    reference, fused = _pair(encoder)
    content, style, start = _images()
    for loss in (reference, fused):
        loss.set_content(content)
        loss.set_styles([style])
    _assert_same(reference, fused, start, rtol=1e-5)


def test_bfloat16_close_to_autograd(encoder: VGG19Encoder) -> None:
    reference, fused = _pair(encoder, torch.bfloat16)
    content, style, start = _images()
    for loss in (reference, fused):
        loss.set_content(content)
        loss.set_styles([style])
    # Same bf16 convolutions; only the rounding of the Gram gradient's order differs.
    _assert_same(reference, fused, start, rtol=2e-2)


@pytest.mark.parametrize("settings", [
    {"style_layers": {"relu1_2": 1.0, "relu3_4": 0.5}},  # features that are also a pool's only input
    {"content_layers": {"relu2_2": 1.0, "relu4_2": 0.5}, "content_weight": 3.0},
    {"content_weight": 0.0},
    {"style_layers": {"relu1_1": 1.0}, "content_layers": {"relu1_1": 1.0}},  # stops in the first block
])  # fmt: skip
def test_other_layer_choices(encoder: VGG19Encoder, settings: dict[str, object]) -> None:
    reference, fused = _pair(encoder, **settings)
    content, style, start = _images(40, 36)  # odd pooled sizes: 36 → 18 → 9 → 4 → 2
    for loss in (reference, fused):
        loss.set_content(content)
        loss.set_styles([style, style.flip(-1)], [0.7, 0.3])
    _assert_same(reference, fused, start, rtol=1e-5)


def test_batch_with_content_per_call(encoder: VGG19Encoder) -> None:
    """Feed-forward training: a batch of generated images against their own photos."""
    reference, fused = _pair(encoder)
    content, style, start = _images(batch=2)
    for loss in (reference, fused):
        loss.set_styles([style])
    _assert_same(reference, fused, start, rtol=1e-5, content=content)


def test_gradient_flows_on_into_a_network(encoder: VGG19Encoder) -> None:
    """The step is an autograd function: a generator before it gets the same weight gradients."""
    reference, fused = _pair(encoder)
    content, style, _ = _images()
    gradients = []
    for loss in (reference, fused):
        loss.set_styles([style])
        torch.manual_seed(3)
        network = torch.nn.Conv2d(3, 3, 3, padding=1)
        loss(torch.sigmoid(network(content)), content)[0].backward()
        gradients.append(network.weight.grad)
    assert torch.allclose(gradients[0], gradients[1], rtol=1e-4, atol=1e-7)


def test_features_equal_the_encoder(encoder: VGG19Encoder) -> None:
    image = _images()[0]
    layers = ["relu1_1", "relu3_1", "relu4_2"]
    for dtype in (torch.float32, torch.bfloat16):
        with torch.no_grad(), encoder_autocast(image.device, dtype):
            expected = encoder(image, layers)
        got = encode_features(encoder, image, layers, dtype)
        for layer in layers:
            assert got[layer].dtype == dtype
            # Relative to the layer's largest value (features reach hundreds with Caffe's 0–255 input);
            # bfloat16: one rounding (8 bits of mantissa) may fall differently where the ReLU is fused in.
            tolerance = (1e-5 if dtype == torch.float32 else 1e-2) * float(expected[layer].float().abs().max())
            torch.testing.assert_close(got[layer].float(), expected[layer].float(), rtol=0, atol=tolerance)


@pytest.mark.parametrize("settings", [
    {"style_loss": "wasserstein"},
    {"style_layers": {"conv3_1": 1.0}},
    {"content_layers": {"pool2": 1.0}},
])  # fmt: skip
def test_falls_back_to_autograd(encoder: VGG19Encoder, settings: dict[str, object]) -> None:
    reference, fused = _pair(encoder, **settings)
    content, style, start = _images()
    for loss in (reference, fused):
        loss.set_content(content)
        loss.set_styles([style])
    assert not fused_step_supported(fused, start, fused.layers)
    _assert_same(reference, fused, start, rtol=1e-5)


def test_not_for_average_pooling_or_double_images() -> None:
    encoder = build_vgg19(None, pooling="avg", last_layer="relu3_1")
    loss = PerceptualLoss(encoder, content_layers={"relu3_1": 1.0}, style_layers={"relu1_1": 1.0})
    assert not fused_step_supported(loss, torch.rand(1, 3, 32, 32), loss.layers)
    max_encoder = build_vgg19(None, last_layer="relu3_1")
    loss = PerceptualLoss(max_encoder, content_layers={"relu3_1": 1.0}, style_layers={"relu1_1": 1.0})
    assert fused_step_supported(loss, torch.rand(1, 3, 32, 32), loss.layers)
    assert not fused_step_supported(loss, torch.rand(1, 3, 32, 32, dtype=torch.float64), loss.layers)


def test_without_onednn_the_same_step_runs_on_plain_convolutions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Builds without oneDNN (or a bfloat16 step on a CPU without it) take F.conv2d, same numbers."""
    monkeypatch.setattr(fused_conv, "uses_onednn", lambda dtype, device="cpu": False)
    torch.manual_seed(2)
    encoder = build_vgg19(None, last_layer="relu3_1")  # its own encoder: its kernels are packed without oneDNN
    settings = {"content_layers": {"relu3_1": 1.0}, "style_layers": {"relu1_1": 0.5, "relu2_1": 0.5}}
    reference, fused = (PerceptualLoss(encoder, fused=flag, **settings) for flag in (False, True))  # type: ignore[arg-type]
    content, style, start = _images()
    for loss in (reference, fused):
        loss.set_content(content)
        loss.set_styles([style])
    _assert_same(reference, fused, start, rtol=1e-5)
