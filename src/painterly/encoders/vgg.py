"""Our VGG19 with paper layer names, its own preprocessing, and early exit.

Callers pass RGB in [0, 1]; the encoder converts to whatever its weights were trained
on (Caffe BGR 0..255 minus mean, or ImageNet mean/std). A forward pass runs only up to
the deepest layer asked for, and only the layers up to ``last_layer`` are built at all,
so style transfer at relu5_1 never pays for conv5_2…conv5_4.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from typing import Literal

import torch
from torch import nn

from .._layout import channels_last
from ..errors import ArgumentError, WeightsError
from ..weights import DEFAULT_VGG19, Preprocessing, load_vgg19_state_dict

__all__ = ["VGG19_LAYERS", "VGG19Encoder", "build_vgg19", "check_layers"]

logger = logging.getLogger(__name__)

Pooling = Literal["max", "avg"]
POOLINGS: tuple[Pooling, ...] = ("max", "avg")

# (block, convs in block, in channels, out channels)
_BLOCKS: tuple[tuple[int, int, int, int], ...] = ((1, 2, 3, 64), (2, 2, 64, 128), (3, 4, 128, 256),
                                                   (4, 4, 256, 512), (5, 4, 512, 512))  # fmt: skip


def _layer_names() -> tuple[str, ...]:
    names: list[str] = []
    for block, convs, _, _ in _BLOCKS:
        for conv in range(1, convs + 1):
            names += [f"conv{block}_{conv}", f"relu{block}_{conv}"]
        names.append(f"pool{block}")
    return tuple(names)


VGG19_LAYERS: tuple[str, ...] = _layer_names()
_LAYER_INDEX = {name: index for index, name in enumerate(VGG19_LAYERS)}


def check_layers(layers: Iterable[str], *, what: str = "layer") -> list[str]:
    """Validate layer names against ``VGG19_LAYERS``; suggest a close name when one is wrong.

    Raises:
        ArgumentError: a name is unknown, or the list is empty.
    """
    checked = list(layers)
    if not checked:
        raise ArgumentError(f"no {what}s given; choose from {VGG19_LAYERS[0]} … {VGG19_LAYERS[-1]}", name=what)
    for layer in checked:
        if layer not in _LAYER_INDEX:
            import difflib

            close = difflib.get_close_matches(layer, VGG19_LAYERS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ArgumentError(f"unknown {what} {layer!r}{hint} (valid: conv/relu1_1…5_4, pool1…pool5)", name=what)
    return checked


def deepest(layers: Iterable[str]) -> str:
    """The layer of ``layers`` that comes last in the network."""
    return max(check_layers(layers), key=_LAYER_INDEX.__getitem__)


class _Preprocess(nn.Module):
    """RGB [0, 1] → the network's input space, as fixed buffers that follow ``.to()``."""

    def __init__(self, preprocessing: Preprocessing) -> None:
        super().__init__()
        self.bgr = preprocessing.bgr
        scale, mean, std = preprocessing.scale, preprocessing.mean, preprocessing.std
        shape = (1, 3, 1, 1)
        # x * scale - mean, then / std  ==  x * (scale / std) - mean / std
        self.register_buffer("multiplier", torch.tensor([scale / s for s in std]).view(shape), persistent=False)
        self.register_buffer("offset", torch.tensor([m / s for m, s in zip(mean, std)]).view(shape), persistent=False)
        self.preprocessing = preprocessing

    multiplier: torch.Tensor
    offset: torch.Tensor

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = image * self.multiplier - self.offset
        return x.flip(1) if self.bgr else x


class VGG19Encoder(nn.Module):
    """Frozen VGG19 feature extractor with named layers (``conv1_1`` … ``pool5``).

    Args:
        state_dict: conv weights keyed ``conv1_1.weight`` … (see ``painterly.weights``);
            ``None`` leaves random weights (tests and stand-ins only).
        preprocessing: how RGB [0, 1] inputs are converted for these weights.
        pooling: ``"max"`` as trained, or ``"avg"`` (Gatys et al. 2016 found it smoother).
        last_layer: build nothing past this layer.
        weights_name: label for ``info`` and error messages.

    Shape:
        input ``(B, 3, H, W)`` RGB in [0, 1]; outputs ``(B, C_l, H / 2^k, W / 2^k)`` per layer.

    Example:
        >>> encoder = build_vgg19(last_layer="relu1_1")
        >>> encoder(torch.rand(1, 3, 32, 32), ["relu1_1"])["relu1_1"].shape
        torch.Size([1, 64, 32, 32])
    """

    def __init__(
        self,
        state_dict: dict[str, torch.Tensor] | None,
        preprocessing: Preprocessing,
        *,
        pooling: Pooling = "max",
        last_layer: str = "relu5_4",
        weights_name: str = "random",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        if pooling not in POOLINGS:
            raise ArgumentError(f"pooling must be one of {', '.join(POOLINGS)}, got {pooling!r}", name="pooling")
        check_layers([last_layer])
        self.weights_name = weights_name
        self.pooling = pooling
        self.preprocess = _Preprocess(preprocessing)
        self.layers = nn.ModuleDict()
        for name in VGG19_LAYERS[: _LAYER_INDEX[last_layer] + 1]:
            self.layers[name] = self._make_layer(name, device, dtype)
        if state_dict is not None:
            self._load(state_dict)
        channels_last(self.to(device=device, dtype=dtype))
        self.requires_grad_(False)
        super().train(False)

    def _load(self, state_dict: dict[str, torch.Tensor]) -> None:
        """Load weights for the built layers, checking every shape first for a one-line error."""
        expected = self.layers.state_dict()
        wanted = {key: value for key, value in state_dict.items() if key in expected}
        for key, value in expected.items():
            got = wanted.get(key)
            if got is None or got.shape != value.shape:
                found = "missing" if got is None else tuple(got.shape)
                raise WeightsError(
                    f"weights shapes do not fit VGG19: {key} should be {tuple(value.shape)}, got {found}"
                )
        self.layers.load_state_dict(wanted, strict=True)

    def _make_layer(self, name: str, device: torch.device | str | None, dtype: torch.dtype | None) -> nn.Module:
        if name.startswith("conv"):
            block, conv = (int(part) for part in name[4:].split("_"))
            _, _, in_channels, out_channels = _BLOCKS[block - 1]
            channels_in = in_channels if conv == 1 else out_channels
            return nn.Conv2d(channels_in, out_channels, 3, padding=1, device=device, dtype=dtype)
        if name.startswith("relu"):
            # In place is safe: a conv saves its input (the previous ReLU output), never its output.
            return nn.ReLU(inplace=True)
        pool = nn.MaxPool2d if self.pooling == "max" else nn.AvgPool2d
        return pool(kernel_size=2, stride=2)

    @property
    def last_layer(self) -> str:
        return list(self.layers.keys())[-1]

    def train(self, mode: bool = True) -> VGG19Encoder:
        """Stay in eval mode: this encoder is a fixed loss network, never trained."""
        return self

    def forward(self, image: torch.Tensor, layers: Sequence[str]) -> dict[str, torch.Tensor]:
        """Features at ``layers``, computing nothing past the deepest of them."""
        stop = deepest(layers)
        if _LAYER_INDEX[stop] > _LAYER_INDEX[self.last_layer]:
            raise ArgumentError(f"layer {stop!r} is past this encoder's last layer {self.last_layer!r}", name="layer")
        wanted = set(layers)
        x = self.preprocess(image).contiguous(memory_format=torch.channels_last)
        features: dict[str, torch.Tensor] = {}
        for name, layer in self.layers.items():
            # A conv output someone asked for must not be overwritten by the in-place ReLU after it.
            x = layer(x.clone() if name.startswith("relu") and _previous(name) in wanted else x)
            if name in wanted:
                features[name] = x
            if name == stop:
                break
        return features

    def flops(self, height: int, width: int, layers: Sequence[str]) -> float:
        """Floating-point operations of one forward pass to the deepest of ``layers`` (2 per MAC)."""
        total = 0.0
        h, w = height, width
        stop = deepest(layers)
        for name, layer in self.layers.items():
            if isinstance(layer, nn.Conv2d):
                total += 2.0 * h * w * layer.in_channels * layer.out_channels * 9
            elif name.startswith("pool"):
                h, w = h // 2, w // 2
            if name == stop:
                break
        return total


def _previous(name: str) -> str:
    return VGG19_LAYERS[_LAYER_INDEX[name] - 1]


def build_vgg19(
    weights: str | os.PathLike[str] | None = DEFAULT_VGG19,
    *,
    pooling: Pooling = "max",
    last_layer: str = "relu5_4",
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> VGG19Encoder:
    """Build a frozen VGG19 from a registered weight set or a state-dict path.

    Args:
        weights: registry name (default ``vgg19.caffe_q8``), a path, or ``None`` for random
            weights with Caffe preprocessing (for plumbing tests).
        pooling: ``"max"`` or ``"avg"``.
        last_layer: the deepest layer that will ever be requested.

    Raises:
        WeightsError: the weights cannot be found, read or verified.
        ArgumentError: unknown pooling or layer.
    """
    from ..weights import CAFFE

    if weights is None:
        return VGG19Encoder(None, CAFFE, pooling=pooling, last_layer=last_layer, device=device, dtype=dtype)
    end = _LAYER_INDEX.get(last_layer, len(VGG19_LAYERS) - 1)  # an unknown name is refused by VGG19Encoder
    needed = [name for name in VGG19_LAYERS[: end + 1] if name.startswith("conv")]
    state, spec = load_vgg19_state_dict(weights, layers=needed)
    return VGG19Encoder(
        state, spec.preprocessing, pooling=pooling, last_layer=last_layer, weights_name=spec.name,
        device=device, dtype=dtype,
    )  # fmt: skip
