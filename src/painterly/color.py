"""Colour preservation (Gatys, Bethge, Hertzmann & Shechtman 2017, "Controlling Perceptual
Factors in Neural Style Transfer", §5): keep the photo's colours, take only the style's
brushwork.

Two ways, as in the paper: *luminance* transfers style on luminance alone and puts the
photo's chroma back (YIQ); *histogram* first recolours the style image so its RGB mean and
covariance match the photo's (the linear colour transfer the paper calls colour histogram
matching), then transfers as usual.
"""

from __future__ import annotations

from typing import Literal

import torch

__all__ = [
    "COLOR_MODES",
    "ColorMode",
    "grey",
    "luminance_style",
    "match_color",
    "restore_chroma",
    "rgb_to_yiq",
    "yiq_to_rgb",
]

ColorMode = Literal["none", "luminance", "histogram"]
COLOR_MODES: tuple[ColorMode, ...] = ("none", "luminance", "histogram")

_RGB_TO_YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.595716, -0.274453, -0.321263], [0.211456, -0.522591, 0.311135]])


def rgb_to_yiq(image: torch.Tensor) -> torch.Tensor:
    """``(B, 3, H, W)`` RGB → YIQ (Y in [0, 1])."""
    return torch.einsum("ij,bjhw->bihw", _RGB_TO_YIQ.to(image), image)


def yiq_to_rgb(image: torch.Tensor) -> torch.Tensor:
    """Inverse of ``rgb_to_yiq``."""
    return torch.einsum("ij,bjhw->bihw", torch.linalg.inv(_RGB_TO_YIQ).to(image), image)


def grey(image: torch.Tensor) -> torch.Tensor:
    """Luminance replicated to three channels, so an RGB encoder can read it."""
    return rgb_to_yiq(image)[:, :1].expand(-1, 3, -1, -1).contiguous()


def luminance_style(style: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """The style's luminance, shifted and scaled to the photo's luminance mean and std, as grey RGB.

    Matching the luminance histograms first (the paper's eq. 8) keeps the result's brightness
    that of the photo when the painting is much darker or lighter.
    """
    style_y = rgb_to_yiq(style)[:, :1]
    content_y = rgb_to_yiq(content)[:, :1]
    matched = (style_y - style_y.mean()) / style_y.std().clamp_min(1e-6) * content_y.std() + content_y.mean()
    return matched.clamp(0, 1).expand(-1, 3, -1, -1).contiguous()


def restore_chroma(result: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """The result's luminance with the photo's I and Q channels."""
    mixed = torch.cat([rgb_to_yiq(result)[:, :1], rgb_to_yiq(content)[:, 1:]], dim=1)
    return yiq_to_rgb(mixed).clamp(0, 1)


def _mean_covariance(image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    pixels = image.reshape(3, -1)
    mean = pixels.mean(dim=1, keepdim=True)
    centred = pixels - mean
    return mean, centred @ centred.T / pixels.shape[1] + 1e-5 * torch.eye(3, dtype=image.dtype, device=image.device)


def _sqrtm(matrix: torch.Tensor) -> torch.Tensor:
    values, vectors = torch.linalg.eigh(matrix)
    return vectors @ torch.diag(values.clamp_min(0).sqrt()) @ vectors.T


def match_color(style: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Recolour ``style`` so its RGB mean and covariance equal ``content``'s.

    Uses the symmetric square-root transform ``A = Σc^½ Σs^-½`` (Hertzmann 2001), which the
    paper found to give fewer colour shifts than the Cholesky form.

    Shape:
        ``(1, 3, Hs, Ws)`` and ``(1, 3, Hc, Wc)`` → ``(1, 3, Hs, Ws)``.
    """
    style_mean, style_cov = _mean_covariance(style[0])
    content_mean, content_cov = _mean_covariance(content[0])
    transform = _sqrtm(content_cov) @ torch.linalg.inv(_sqrtm(style_cov))
    pixels = transform @ (style[0].reshape(3, -1) - style_mean) + content_mean
    return pixels.reshape_as(style).clamp(0, 1)
