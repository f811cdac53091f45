"""Loss functions on feature maps and images; ``modules.py`` wraps each one.

Features are ``(B, C, H, W)``. Targets are computed once (from the content or style
image) and passed in, so an optimization step never redoes them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = [
    "content_loss",
    "feature_mean_covariance",
    "gram_loss",
    "gram_matrix",
    "mean_std_loss",
    "sqrtm_psd",
    "tv_loss",
    "wasserstein_loss",
]


class _Gram(torch.autograd.Function):
    """``Fᵀ F / n`` on ``(B, HW, C)`` rows with a one-matmul backward.

    Autograd through ``bmm(F, Fᵀ)`` computes a gradient for each operand and adds them:
    two big matmuls and a feature-sized add. Here ``∂F = F (∂G + ∂Gᵀ) / n`` is one matmul, and
    the ``(B, HW, C)`` view is free for channels-last features: 2× faster per step on a CPU.
    """

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, rows: torch.Tensor, norm: float) -> torch.Tensor:
        ctx.save_for_backward(rows)
        ctx.norm = norm  # type: ignore[attr-defined]
        return torch.bmm(rows.transpose(1, 2), rows) / norm

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        (rows,) = ctx.saved_tensors  # type: ignore[attr-defined]
        symmetric = (grad + grad.transpose(1, 2)).to(rows.dtype)
        return torch.bmm(rows, symmetric) / ctx.norm, None  # type: ignore[attr-defined]


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """Gram matrix ``F Fᵀ / (C·H·W)`` per batch item, in the features' dtype.

    Gatys et al. (2016) leave the Gram unnormalized and divide in the loss by 4N²M²; dividing
    by C·H·W here makes the value independent of image size, so one style weight works for
    every scale of a coarse-to-fine schedule and for style images of any size.

    Shape:
        ``(B, C, H, W)`` → ``(B, C, C)``.

    Example:
        >>> gram_matrix(torch.ones(1, 2, 3, 3))
        tensor([[[0.5000, 0.5000],
                 [0.5000, 0.5000]]])
    """
    batch, channels, height, width = features.shape
    rows = features.permute(0, 2, 3, 1).reshape(batch, height * width, channels)
    return _Gram.apply(rows, float(channels * height * width))


def content_loss(input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared difference of feature maps (Gatys et al. 2016, eq. 1, averaged not summed).

    Computed in the target's dtype, so bfloat16 features meet a float32 target in float32.
    """
    return F.mse_loss(input.to(target.dtype), target)


def gram_loss(input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared difference between the Gram of ``input`` features and a target Gram.

    Args:
        input: features ``(B, C, H, W)``.
        target: Gram ``(B, C, C)`` or ``(1, C, C)``, e.g. a weighted mix of several styles' Grams.
            The loss is computed in its dtype (the Gram itself in the features' dtype).
    """
    return F.mse_loss(gram_matrix(input).to(target.dtype), target.expand(input.shape[0], -1, -1))


def feature_mean_covariance(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Channel mean ``(B, C)`` and covariance ``(B, C, C)`` over all positions."""
    batch, channels, height, width = features.shape
    flat = features.reshape(batch, channels, height * width)
    mean = flat.mean(dim=2)
    centred = flat - mean.unsqueeze(2)
    covariance = torch.bmm(centred, centred.transpose(1, 2)) / (height * width)
    return mean, covariance


def sqrtm_psd(matrix: torch.Tensor, *, eps: float = 1e-8) -> torch.Tensor:
    """Square root of symmetric positive semi-definite matrices via ``eigh`` (eigenvalues clamped at 0)."""
    values, vectors = torch.linalg.eigh(matrix)
    return (vectors * values.clamp_min(eps).sqrt().unsqueeze(-2)) @ vectors.transpose(-1, -2)


def wasserstein_loss(
    input: torch.Tensor, target_mean: torch.Tensor, target_covariance_sqrt: torch.Tensor, target_trace: torch.Tensor
) -> torch.Tensor:
    """Squared 2-Wasserstein distance between Gaussian fits of ``input`` features and a target.

    ``W² = ‖μ−μₜ‖² + tr Σ + tr Σₜ − 2 tr (Σₜ^½ Σ Σₜ^½)^½`` (Dowson & Landau 1982), as used for style
    by Kolkin et al. (2019) and Vacher et al. (2020). The target's ``Σₜ^½`` and ``tr Σₜ`` are
    precomputed; the cross term's square root goes through ``eigvalsh`` of the symmetric product.
    Divided by C so its scale is comparable across layers.

    Args:
        input: features ``(B, C, H, W)``.
        target_mean: ``(1, C)``; target_covariance_sqrt: ``(1, C, C)``; target_trace: ``(1,)``.
    """
    mean, covariance = feature_mean_covariance(input.to(target_mean.dtype))
    product = target_covariance_sqrt @ covariance @ target_covariance_sqrt
    product = (product + product.transpose(-1, -2)) / 2  # keep it exactly symmetric for eigvalsh
    cross = torch.linalg.eigvalsh(product).clamp_min(1e-8).sqrt().sum(-1)
    trace = covariance.diagonal(dim1=-2, dim2=-1).sum(-1)
    distance = (mean - target_mean).square().sum(-1) + trace + target_trace - 2 * cross
    return distance.mean() / input.shape[1]


def tv_loss(image: torch.Tensor) -> torch.Tensor:
    """Total variation: mean squared difference of vertical plus horizontal neighbours.

    The squared (β = 2) form of Mahendran & Vedaldi (2015) as Johnson et al. (2016) use it:
    smooth, so it removes high-frequency noise without the staircase look of the L1 form.

    Example:
        >>> tv_loss(torch.zeros(1, 3, 8, 8))
        tensor(0.)
    """
    vertical = (image[..., 1:, :] - image[..., :-1, :]).square().mean()
    horizontal = (image[..., :, 1:] - image[..., :, :-1]).square().mean()
    return vertical + horizontal


def mean_std_loss(input: torch.Tensor, target_mean: torch.Tensor, target_std: torch.Tensor) -> torch.Tensor:
    """MSE between channel means plus MSE between channel standard deviations.

    The style loss of AdaIN (Huang & Belongie 2017, eq. 3): it matches exactly the statistics
    that AdaIN transfers, so a decoder trained with it is rewarded for keeping them.

    Args:
        input: features ``(B, C, H, W)``; targets ``(B or 1, C, 1, 1)``.
    """
    flat = input.flatten(2).to(target_mean.dtype)
    mean = flat.mean(dim=2)
    std = (flat.var(dim=2, unbiased=False) + 1e-5).sqrt()
    return F.mse_loss(mean, target_mean.flatten(1).expand_as(mean)) + F.mse_loss(
        std, target_std.flatten(1).expand_as(std)
    )
