"""Feature transforms for arbitrary style: give content features a style's statistics.

Each transform is a pair of plain functions: ``*_statistics(features)`` summarizes a style's
features (computed once per painting and cached by the method), and the transform applies
those statistics to content features. Mixing several styles is the same for every transform
(``mix``): a weighted sum of the transformed features, with scalar weights or per-pixel maps.
A new transform is two functions here and one small method file on the encoder–decoder base.

- AdaIN (Huang & Belongie 2017): channel means and standard deviations.
- WCT (Li et al. 2017, "Universal Style Transfer via Feature Transforms"): whitening and
  colouring, matching the full channel covariance rather than only its diagonal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

__all__ = [
    "Statistics",
    "adain_statistics",
    "adaptive_instance_norm",
    "feature_mean_std",
    "mix",
    "wct",
    "wct_statistics",
]

Statistics = tuple[torch.Tensor, ...]
_EPS = 1e-5
_WCT_EPS = 1e-4  # added to covariance eigenvalues: relu features have many near-zero directions


def feature_mean_std(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and standard deviation over positions, ``(B, C, 1, 1)`` each."""
    flat = features.flatten(2)
    mean = flat.mean(dim=2)
    std = (flat.var(dim=2, unbiased=False) + _EPS).sqrt()
    return mean[..., None, None], std[..., None, None]


def adaptive_instance_norm(content: torch.Tensor, style_mean: torch.Tensor, style_std: torch.Tensor) -> torch.Tensor:
    """``σ(s)·(c − μ(c))/σ(c) + μ(s)``: the content's features with the style's channel statistics.

    Shape:
        content ``(B, C, H, W)``; style statistics ``(B or 1, C, 1, 1)`` → ``(B, C, H, W)``.
    """
    mean, std = feature_mean_std(content)
    return (content - mean) / std * style_std + style_mean


def adain_statistics(features: torch.Tensor) -> Statistics:
    return feature_mean_std(features)


def _covariance_power(centered: torch.Tensor, power: float) -> torch.Tensor:
    """``(B, C, N)`` centred features → their covariance raised to ``power`` (−½ whitens, ½ colours)."""
    covariance = centered @ centered.transpose(1, 2) / max(1, centered.shape[-1] - 1)
    values, vectors = torch.linalg.eigh(covariance.double())
    scaled = vectors * (values.clamp_min(0) + _WCT_EPS).pow(power).unsqueeze(1)
    return (scaled @ vectors.transpose(1, 2)).to(centered.dtype)


def wct_statistics(features: torch.Tensor) -> Statistics:
    """A style's channel means ``(B, C, 1)`` and colouring matrix ``(B, C, C)`` (covariance^½)."""
    flat = features.flatten(2).float()
    mean = flat.mean(dim=2, keepdim=True)
    return mean, _covariance_power(flat - mean, 0.5)


def wct(content: torch.Tensor, style_mean: torch.Tensor, colouring: torch.Tensor) -> torch.Tensor:
    """Whiten the content features (covariance → identity), then colour them with the style's covariance.

    Shape:
        content ``(B, C, H, W)``; ``style_mean`` ``(B or 1, C, 1)``; ``colouring`` ``(B or 1, C, C)``.
    """
    batch, channels, height, width = content.shape
    flat = content.flatten(2).float()
    mean = flat.mean(dim=2, keepdim=True)
    whitened = _covariance_power(flat - mean, -0.5) @ (flat - mean)
    coloured = colouring @ whitened + style_mean
    return coloured.view(batch, channels, height, width).to(content.dtype)


def mix(
    transform: Callable[..., torch.Tensor],
    content: torch.Tensor,
    statistics: Sequence[Statistics],
    weights: Sequence[float | torch.Tensor],
) -> torch.Tensor:
    """Several styles at once: ``Σₖ wₖ · transform(content, statisticsₖ)``.

    ``weights`` are numbers summing to 1, or per-pixel maps ``(B, 1, H, W)`` at the feature
    resolution that sum to 1 at every position (regions painted in different styles).
    """
    if len(statistics) == 1:
        return transform(content, *statistics[0])
    if transform is adaptive_instance_norm and all(isinstance(w, float) for w in weights):
        # AdaIN is affine in (μ, σ): mixing the statistics equals mixing the outputs, at one pass's cost.
        mean = sum(w * s[0] for w, s in zip(weights, statistics))
        std = sum(w * s[1] for w, s in zip(weights, statistics))
        return adaptive_instance_norm(content, mean, std)  # type: ignore[arg-type]
    return sum(w * transform(content, *s) for w, s in zip(weights, statistics))  # type: ignore[return-value]
