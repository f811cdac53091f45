"""Fused 3×3 convolutions: the same numbers as the unfused ops, with and without oneDNN."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from painterly import fused_conv
from painterly.fused_conv import conv3x3, pack_weight


def _unfused(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, stride: int, activation: str,
             add: torch.Tensor | None) -> torch.Tensor:  # fmt: skip
    out = F.conv2d(x, weight, bias, stride=stride, padding=1)
    out = out if add is None else out + add
    return {"none": out, "relu": out.relu(), "sigmoid": out.sigmoid()}[activation]


@pytest.mark.parametrize("onednn", [True, False])
@pytest.mark.parametrize("stride, activation, residual", [(1, "relu", False), (2, "relu", False), (1, "none", True),
                                                          (1, "sigmoid", False), (1, "relu", True)])  # fmt: skip
def test_matches_the_unfused_ops(onednn: bool, stride: int, activation: str, residual: bool,
                                 monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    if not onednn:
        monkeypatch.setattr(fused_conv, "uses_onednn", lambda dtype, device="cpu": False)
    torch.manual_seed(0)
    x = torch.randn(1, 8, 18, 22).contiguous(memory_format=torch.channels_last)
    weight, bias = torch.randn(16, 8, 3, 3) * 0.2, torch.randn(16)
    out_size = (18 + 2 - 3) // stride + 1, (22 + 2 - 3) // stride + 1
    add = torch.randn(1, 16, *out_size) if residual else None
    expected = _unfused(x, weight, bias, stride, activation, add)
    fused = conv3x3(x, pack_weight(weight, stride=stride), bias, stride=stride, activation=activation, add=add)
    torch.testing.assert_close(fused, expected, atol=1e-4, rtol=1e-4)


def test_unknown_activation_is_refused() -> None:
    x, weight = torch.rand(1, 2, 4, 4), torch.rand(2, 2, 3, 3)
    with pytest.raises(ValueError, match="activation"):
        conv3x3(x, pack_weight(weight), None, activation="tanh")
