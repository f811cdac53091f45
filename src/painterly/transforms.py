"""Feature transforms for arbitrary style: give content features a style's statistics.

Each transform is a pair of plain functions: ``*_statistics(features)`` summarizes a style's
features (computed once per painting and cached by the method), and the transform applies
those statistics to content features. Mixing several styles is the same for every transform
(``mix``): a weighted sum of the transformed features, with scalar weights or per-pixel maps.
A new transform is two functions here and one small method file on the encoder–decoder base.

- AdaIN (Huang & Belongie 2017): channel means and standard deviations.
- WCT (Li et al. 2017, "Universal Style Transfer via Feature Transforms"): whitening and
  colouring, matching the full channel covariance rather than only its diagonal.

Each transform also normalizes the *content* by the content's own statistics. Those can be
given (``own``) instead of measured: tiles of a large photo all use the statistics of the
whole photo's thumbnail (``painterly.tiling``), so the tiles agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

__all__ = [
    "Statistics",
    "adain_content_statistics",
    "adain_statistics",
    "adaptive_instance_norm",
    "feature_mean_std",
    "mix",
    "wct",
    "wct_content_statistics",
    "wct_statistics",
]

Statistics = tuple[torch.Tensor, ...]
_EPS = 1e-5
# Added to covariance eigenvalues, as a share of the largest: relu features have many near-zero
# directions (relu1_1's 64 channels come from 27 pixel values), and whitening divides by their root,
# so a floor relative to the spectrum bounds how far rounding noise in them is amplified (to about
# 1/√share of the main direction's gain), whatever the layer's scale. An absolute 1e-4 let bfloat16
# noise in such directions through ×100s: single pixels up to 1.0 apart between tiled and whole runs.
_WCT_EPS = 1e-4


def feature_mean_std(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and standard deviation over positions, ``(B, C, 1, 1)`` each."""
    flat = features.flatten(2)
    mean = flat.mean(dim=2)
    std = (flat.var(dim=2, unbiased=False) + _EPS).sqrt()
    return mean[..., None, None], std[..., None, None]


def adaptive_instance_norm(content: torch.Tensor, style_mean: torch.Tensor, style_std: torch.Tensor, *,
                           own: Statistics | None = None) -> torch.Tensor:  # fmt: skip
    """``σ(s)·(c − μ(c))/σ(c) + μ(s)``: the content's features with the style's channel statistics.

    Shape:
        content ``(B, C, H, W)``; style statistics ``(B or 1, C, 1, 1)``; ``own`` (the content's
        ``μ, σ``; default: measured on ``content``) → ``(B, C, H, W)``.
    """
    mean, std = own if own is not None else feature_mean_std(content)
    return (content - mean) / std * style_std + style_mean


def adain_statistics(features: torch.Tensor) -> Statistics:
    return feature_mean_std(features)


def adain_content_statistics(features: torch.Tensor) -> Statistics:
    """What AdaIN normalizes the content by: its channel means and spreads (``feature_mean_std``, taken a
    channel group at a time, so a print-size feature map stored in bfloat16 needs no float32 copy)."""
    parts = [feature_mean_std(features[:, start : start + _GROUP].float()) for start in
             range(0, features.shape[1], _GROUP)]  # fmt: skip
    return torch.cat([mean for mean, _ in parts], dim=1), torch.cat([std for _, std in parts], dim=1)


_GROUP = 64  # channels, or positions × 1024, handled at a time by the content statistics


def _matrix_power(covariance: torch.Tensor, power: float) -> torch.Tensor:
    """A covariance ``(B, C, C)`` raised to ``power`` (−½ whitens, ½ colours), in float64 for the eigensystem."""
    values, vectors = torch.linalg.eigh(covariance.double())
    floor = _WCT_EPS * values.amax(dim=-1, keepdim=True).clamp_min(1e-12)
    scaled = vectors * (values.clamp_min(0) + floor).pow(power).unsqueeze(1)
    return (scaled @ vectors.transpose(1, 2)).to(covariance.dtype)


def _covariance_power(centered: torch.Tensor, power: float) -> torch.Tensor:
    """``(B, C, N)`` centred features → their covariance raised to ``power``."""
    return _matrix_power(centered @ centered.transpose(1, 2) / max(1, centered.shape[-1] - 1), power)


def wct_statistics(features: torch.Tensor) -> Statistics:
    """A style's channel means ``(B, C, 1)`` and colouring matrix ``(B, C, C)`` (covariance^½)."""
    flat = features.flatten(2).float()
    mean = flat.mean(dim=2, keepdim=True)
    return mean, _covariance_power(flat - mean, 0.5)


def wct_content_statistics(features: torch.Tensor) -> Statistics:
    """What WCT normalizes the content by: channel means ``(B, C, 1)`` and whitening matrix (covariance^-½),
    accumulated over slices of positions (a print-size feature map needs no full float32 copy)."""
    flat = features.flatten(2)
    count, step = flat.shape[-1], _GROUP * 1024
    mean = sum(flat[..., i : i + step].float().sum(dim=2, keepdim=True) for i in range(0, count, step)) / count
    covariance = torch.zeros(flat.shape[0], flat.shape[1], flat.shape[1], device=flat.device)
    for start in range(0, count, step):
        centered = flat[..., start : start + step].float() - mean
        covariance += centered @ centered.transpose(1, 2)
    return mean, _matrix_power(covariance / max(1, count - 1), -0.5)  # type: ignore[return-value]


def wct(content: torch.Tensor, style_mean: torch.Tensor, colouring: torch.Tensor, *,
        own: Statistics | None = None) -> torch.Tensor:  # fmt: skip
    """Whiten the content features (covariance → identity), then colour them with the style's covariance.

    Shape:
        content ``(B, C, H, W)``; ``style_mean`` ``(B or 1, C, 1)``; ``colouring`` ``(B or 1, C, C)``;
        ``own`` (the content's mean and whitening matrix; default: measured on ``content``).
    """
    batch, channels, height, width = content.shape
    flat = content.flatten(2).float()
    mean, whitening = own if own is not None else wct_content_statistics(content)
    whitened = whitening @ (flat - mean)
    coloured = colouring @ whitened + style_mean
    return coloured.view(batch, channels, height, width).to(content.dtype)


def mix(
    transform: Callable[..., torch.Tensor],
    content: torch.Tensor,
    statistics: Sequence[Statistics],
    weights: Sequence[float | torch.Tensor],
    *,
    own: Statistics | None = None,
) -> torch.Tensor:
    """Several styles at once: ``Σₖ wₖ · transform(content, statisticsₖ)``.

    ``weights`` are numbers summing to 1, or per-pixel maps ``(B, 1, H, W)`` at the feature
    resolution that sum to 1 at every position (regions painted in different styles).
    ``own``: the content's statistics, when given rather than measured (tiles).
    """
    if len(statistics) == 1:
        return transform(content, *statistics[0], own=own)
    if transform is adaptive_instance_norm and all(isinstance(w, float) for w in weights):
        # AdaIN is affine in (μ, σ): mixing the statistics equals mixing the outputs, at one pass's cost.
        mean = sum(w * s[0] for w, s in zip(weights, statistics))
        std = sum(w * s[1] for w, s in zip(weights, statistics))
        return adaptive_instance_norm(content, mean, std, own=own)  # type: ignore[arg-type]
    return sum(w * transform(content, *s, own=own) for w, s in zip(weights, statistics))  # type: ignore[return-value]
