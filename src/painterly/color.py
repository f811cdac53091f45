"""Colour preservation (Gatys, Bethge, Hertzmann & Shechtman 2017, "Controlling Perceptual
Factors in Neural Style Transfer", §5): keep the photo's colours, take only the style's
brushwork.

Two ways, as in the paper: *luminance* transfers style on luminance alone and puts the
photo's chroma back (YIQ); *histogram* first recolours the style image so its RGB mean and
covariance match the photo's (the linear colour transfer the paper calls colour histogram
matching), then transfers as usual.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch

__all__ = [
    "COLOR_MODES",
    "ColorMode",
    "color_statistics",
    "grey",
    "luminance_style",
    "match_color",
    "match_color_statistics",
    "pool_statistics",
    "pull_to_palette",
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


def color_statistics(images: Sequence[torch.Tensor], weights: Sequence[float]) -> tuple[torch.Tensor, torch.Tensor]:
    """RGB mean ``(3, 1)`` and covariance ``(3, 3)`` of one image, or of a weighted mixture of several.

    The mixture's statistics are those of all their pixels pooled with the weights, so two paintings
    mixed 0.7/0.3 give the palette a viewer would see in a 70/30 collage of them.
    """
    palettes = []
    for image in images:
        pixels = image.reshape(image.shape[0], 3, -1).transpose(0, 1).reshape(3, -1)
        mean = pixels.mean(dim=1, keepdim=True)
        palettes.append((mean, pixels @ pixels.T / pixels.shape[1] - mean @ mean.T))
    return pool_statistics(palettes, weights)


def pool_statistics(palettes: Sequence[tuple[torch.Tensor, torch.Tensor]], weights: Sequence[float]
                    ) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
    """The RGB mean and covariance of several palettes' pixels pooled with ``weights`` (summing to 1).

    Lets a trained model mix the palettes it stored for its styles the way ``color_statistics`` mixes images.
    """
    first = palettes[0][0]
    mean = torch.zeros(3, 1, dtype=first.dtype, device=first.device)
    second = torch.zeros(3, 3, dtype=first.dtype, device=first.device)
    for (own_mean, own_covariance), weight in zip(palettes, weights):
        mean += weight * own_mean
        second += weight * (own_covariance + own_mean @ own_mean.T)
    covariance = second - mean @ mean.T + 1e-5 * torch.eye(3, dtype=mean.dtype, device=mean.device)
    return mean, covariance


_SLICE = 1 << 20  # pixels recoloured at a time


def _sqrtm(matrix: torch.Tensor) -> torch.Tensor:
    values, vectors = torch.linalg.eigh(matrix)
    return vectors @ torch.diag(values.clamp_min(0).sqrt()) @ vectors.T


def match_color_statistics(image: torch.Tensor, mean: torch.Tensor, covariance: torch.Tensor, *,
                           out: torch.Tensor | None = None) -> torch.Tensor:  # fmt: skip
    """Recolour each image of ``(B, 3, H, W)`` so its RGB mean and covariance are the ones given.

    Uses the symmetric square-root transform ``A = Σt^½ Σs^-½`` (Hertzmann 2001), which the
    paper found to give fewer colour shifts than the Cholesky form. ``out`` (may be ``image``
    itself; contiguous) receives the result; the transform runs in slices, so a 12 MP image
    needs no full-size temporaries.
    """
    target = _sqrtm(covariance)
    out = torch.empty_like(image) if out is None else out
    for item, result in zip(image, out):
        own_mean, own_covariance = color_statistics([item[None]], [1.0])
        transform = target @ torch.linalg.inv(_sqrtm(own_covariance))
        source, destination = item.reshape(3, -1), result.view(3, -1)
        for start in range(0, source.shape[1], _SLICE):
            part = source[:, start : start + _SLICE]
            destination[:, start : start + _SLICE] = (transform @ (part - own_mean) + mean).clamp_(0, 1)
    return out


def pull_to_palette(image: torch.Tensor, mean: torch.Tensor, covariance: torch.Tensor, share: float
                    ) -> torch.Tensor:  # fmt: skip
    """``image`` recoloured to the palette (``match_color_statistics``) by ``share`` in [0, 1], the rest left as
    it was; the whole pull is done in place (``image`` may be returned), so a large result gets no full-size copy."""
    if share >= 1:
        image = image.contiguous()  # a cropped view is copied once, then recoloured in place
        return match_color_statistics(image, mean, covariance, out=image)
    return share * match_color_statistics(image, mean, covariance) + (1 - share) * image


def match_color(style: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Recolour ``style`` so its RGB mean and covariance equal ``content``'s.

    Shape:
        ``(B, 3, Hs, Ws)`` and ``(1, 3, Hc, Wc)`` → ``(B, 3, Hs, Ws)``.
    """
    return match_color_statistics(style, *color_statistics([content], [1.0]))
