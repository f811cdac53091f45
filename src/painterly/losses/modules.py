"""Module forms of the losses in ``functional.py``: each holds its target as a buffer.

Targets are derived data (``persistent=False``): ``.to()`` moves them, ``state_dict`` skips
them. Several style images become one target mixed with weights αᵢ (``from_features``).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ..errors import ArgumentError
from . import functional as F

__all__ = ["ContentLoss", "GramLoss", "TVLoss", "WassersteinLoss", "normalize_weights"]


def normalize_weights(weights: Sequence[float] | None, count: int, *, name: str = "style weights") -> list[float]:
    """Check mixing weights (finite, ≥ 0, positive sum, one per item) and scale them to sum to 1.

    Raises:
        ArgumentError: wrong count, a negative or non-finite weight, or all zero.
    """
    if weights is None:
        return [1.0 / count] * count
    values = [float(w) for w in weights]
    if len(values) != count:
        raise ArgumentError(f"{name}: got {len(values)} weights for {count} styles; give one per style", name=name)
    if any(not (w >= 0.0 and w < float("inf")) for w in values):  # also rejects NaN
        raise ArgumentError(f"{name} must be finite and ≥ 0, got {values}", name=name)
    total = sum(values)
    if total <= 0.0:
        raise ArgumentError(f"{name} must not all be zero", name=name)
    return [w / total for w in values]


def _full_precision(tensor: torch.Tensor) -> torch.Tensor:
    """Targets are kept in float32 (or float64 in gradchecks) even when features come in bfloat16."""
    return tensor.float() if tensor.dtype in (torch.bfloat16, torch.float16) else tensor


def _weighted_sum(statistics: Sequence[tuple[torch.Tensor, ...]], weights: Sequence[float]) -> tuple[torch.Tensor, ...]:
    return tuple(sum(w * parts[i] for w, parts in zip(weights, statistics)) for i in range(len(statistics[0])))  # type: ignore[misc]


class ContentLoss(nn.Module):
    """MSE to fixed target features.

    Example:
        >>> loss = ContentLoss(torch.zeros(1, 4, 8, 8))
        >>> loss(torch.ones(1, 4, 8, 8))
        tensor(1.)
    """

    target: torch.Tensor

    def __init__(self, target: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("target", _full_precision(target.detach()), persistent=False)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.content_loss(input, self.target)


class GramLoss(nn.Module):
    """MSE between the Gram of the input features and a fixed (possibly mixed) target Gram.

    Mixing Grams is exact for this loss: Σᵢ αᵢ‖G − Gᵢ‖² equals ‖G − Σᵢ αᵢGᵢ‖² plus a constant
    when Σαᵢ = 1, so several styles cost no more per step than one.
    """

    target: torch.Tensor

    def __init__(self, target_gram: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("target", target_gram.detach(), persistent=False)

    @classmethod
    def from_features(cls, features: Sequence[torch.Tensor], weights: Sequence[float] | None = None) -> GramLoss:
        """Target = Σᵢ αᵢ Gram(featuresᵢ); each item may have its own spatial size."""
        alphas = normalize_weights(weights, len(features))
        return cls.from_statistics(_weighted_sum([cls.statistics(f) for f in features], alphas))

    @staticmethod
    def statistics(features: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """What the target is made of; a weighted sum of these is the target of a mixture (or of tiles)."""
        return (_full_precision(F.gram_matrix(features)).mean(0, keepdim=True),)

    @classmethod
    def from_statistics(cls, statistics: tuple[torch.Tensor, ...]) -> GramLoss:
        return cls(statistics[0])

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.gram_loss(input, self.target)


class WassersteinLoss(nn.Module):
    """Squared W2 distance between Gaussian fits of features and a fixed target Gaussian.

    Several styles mix as a Gaussian with the αᵢ-weighted mean and covariance: an
    approximation (the W2 barycentre is not that), chosen because it is cheap and smooth.
    """

    mean: torch.Tensor
    covariance_sqrt: torch.Tensor
    trace: torch.Tensor

    def __init__(self, mean: torch.Tensor, covariance: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("mean", mean.detach(), persistent=False)
        self.register_buffer("covariance_sqrt", F.sqrtm_psd(covariance.detach()), persistent=False)
        self.register_buffer("trace", covariance.detach().diagonal(dim1=-2, dim2=-1).sum(-1), persistent=False)

    @classmethod
    def from_features(cls, features: Sequence[torch.Tensor], weights: Sequence[float] | None = None) -> WassersteinLoss:
        alphas = normalize_weights(weights, len(features))
        return cls.from_statistics(_weighted_sum([cls.statistics(f) for f in features], alphas))

    @staticmethod
    def statistics(features: torch.Tensor) -> tuple[torch.Tensor, ...]:
        mean, covariance = F.feature_mean_covariance(_full_precision(features))
        return mean.mean(0, keepdim=True), covariance.mean(0, keepdim=True)

    @classmethod
    def from_statistics(cls, statistics: tuple[torch.Tensor, ...]) -> WassersteinLoss:
        return cls(*statistics)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.wasserstein_loss(input, self.mean, self.covariance_sqrt, self.trace)


class TVLoss(nn.Module):
    """Total variation of an image batch (see ``functional.tv_loss``)."""

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return F.tv_loss(image)
