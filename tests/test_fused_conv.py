"""Fused convolutions: the same numbers as the unfused ops, with and without oneDNN."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from painterly import fused_conv
from painterly.fused_conv import convolve, pack_weight


def _unfused(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, stride: int, padding: int, activation: str,
             add: torch.Tensor | None) -> torch.Tensor:  # fmt: skip
    out = F.conv2d(x, weight, bias, stride=stride, padding=padding)
    out = out if add is None else out + add
    return {"none": out, "relu": out.relu(), "sigmoid": out.sigmoid()}[activation]


@pytest.mark.parametrize("onednn", [True, False])
@pytest.mark.parametrize("kernel, stride, activation, residual", [
    (3, 1, "relu", False), (3, 2, "relu", False), (3, 1, "none", True), (3, 1, "sigmoid", False), (3, 1, "relu", True),
    (6, 2, "relu", False)])  # fmt: skip
def test_matches_the_unfused_ops(onednn: bool, kernel: int, stride: int, activation: str, residual: bool,
                                 monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    if not onednn:
        monkeypatch.setattr(fused_conv, "uses_onednn", lambda dtype, device="cpu": False)
    torch.manual_seed(0)
    x = torch.randn(1, 8, 18, 22).contiguous(memory_format=torch.channels_last)
    padding = (kernel - 1) // 2 if kernel % 2 else kernel // 2 - 1  # 3 → 1; 6 → 2 (the stem through an unshuffle)
    weight, bias = torch.randn(16, 8, kernel, kernel) * 0.2, torch.randn(16)
    out_size = (18 + 2 * padding - kernel) // stride + 1, (22 + 2 * padding - kernel) // stride + 1
    add = torch.randn(1, 16, *out_size) if residual else None
    expected = _unfused(x, weight, bias, stride, padding, activation, add)
    packed = pack_weight(weight, stride=stride, padding=padding)
    fused = convolve(x, packed, bias, stride=stride, padding=padding, activation=activation, add=add)
    torch.testing.assert_close(fused, expected, atol=1e-4, rtol=1e-4)


def test_unknown_activation_is_refused() -> None:
    x, weight = torch.rand(1, 2, 4, 4), torch.rand(2, 2, 3, 3)
    with pytest.raises(ValueError, match="activation"):
        convolve(x, pack_weight(weight), None, activation="tanh")
