"""Convolutions with their activation or a residual addition fused in, from pre-packed weights.

Between small convolutions on a CPU, the elementwise passes (bias, activation, residual add, the
casts autocast inserts) move more memory than the convolutions do arithmetic: on a large photo
the feed-forward network spent 16 % of its time in convolutions. oneDNN applies such work as a
post-op while each output block is still in cache. This module is the one place that talks to
those private ops (``torch.ops.mkldnn``); where they are missing (no oneDNN, a GPU, bfloat16 on
a CPU without native support) the same call runs plain ``F.conv2d`` and the elementwise ops.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["ACTIVATIONS", "convolve", "pack_weight", "uses_onednn"]

ACTIVATIONS = ("none", "relu", "sigmoid")
_ONE = [1, 1]


def uses_onednn(dtype: torch.dtype, device: torch.device | str = "cpu") -> bool:
    """Whether oneDNN's fused kernels serve ``dtype`` on ``device`` (bfloat16 needs AVX-512-BF16 or AMX)."""
    if torch.device(device).type != "cpu" or not (torch.backends.mkldnn.is_available()
                                                  and torch.backends.mkldnn.enabled):  # fmt: skip
        return False
    return dtype != torch.bfloat16 or bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def pack_weight(weight: torch.Tensor, *, stride: int = 1, padding: int = 1) -> torch.Tensor:
    """``weight`` laid out once for the kernel ``convolve`` will use (channels-last; oneDNN's own order)."""
    weight = weight.contiguous(memory_format=torch.channels_last)
    if uses_onednn(weight.dtype, weight.device):
        return torch.ops.mkldnn._reorder_convolution_weight(weight, [padding, padding], [stride, stride], _ONE, 1,
                                                            None)  # fmt: skip
    return weight


def convolve(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, *, stride: int = 1, padding: int = 1,
             activation: str = "none", add: torch.Tensor | None = None) -> torch.Tensor:  # fmt: skip
    """``activation(conv(x) + add)`` with zero ``padding``, ``weight`` from ``pack_weight`` (same stride, padding).

    ``x`` is channels-last in the weight's dtype; ``add`` (a residual) has the output's shape.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
    strides, paddings = [stride, stride], [padding, padding]
    if uses_onednn(x.dtype, x.device):
        if add is None:
            return torch.ops.mkldnn._convolution_pointwise(x, weight, bias, paddings, strides, _ONE, 1, activation,
                                                           [], "")  # fmt: skip
        unary = None if activation == "none" else activation
        return torch.ops.mkldnn._convolution_pointwise.binary(x, add.contiguous(memory_format=torch.channels_last),
                                                              weight, bias, paddings, strides, _ONE, 1, "add", None,
                                                              unary, [], None)  # fmt: skip
    out = F.conv2d(x, weight, bias, stride=stride, padding=padding)
    if add is not None:
        out = out.add_(add)
    if activation == "relu":
        return out.relu_()
    return out.sigmoid_() if activation == "sigmoid" else out
