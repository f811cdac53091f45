"""Quality measures shared by every benchmark, so methods are compared on one scale.

``gram_ratio`` is the project's style-match score: how far a result's Gram matrices are
from the style's, relative to how far the untouched photo's are. 1.0 means no closer than
the photo; lower is more stylized. It says nothing about content, which is judged by eye
on the committed sheets.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from PIL import Image

from .encoders.vgg import VGG19Encoder
from .image_io import image_to_tensor, resize_long_side
from .losses.functional import gram_matrix

__all__ = ["GRAM_RATIO_LAYERS", "GRAM_RATIO_SIZE", "color_distance", "content_ratio", "gram_distance", "gram_ratio"]

GRAM_RATIO_LAYERS: tuple[str, ...] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
GRAM_RATIO_SIZE = 512  # long side both images are measured at


@torch.no_grad()
def _grams(encoder: VGG19Encoder, image: Image.Image, size: int, layers: Sequence[str]) -> list[torch.Tensor]:
    tensor = image_to_tensor(resize_long_side(image, size))
    features = encoder(tensor, list(layers))
    return [gram_matrix(features[layer])[0] for layer in layers]


def gram_distance(
    encoder: VGG19Encoder,
    image: Image.Image,
    style: Image.Image,
    *,
    size: int = GRAM_RATIO_SIZE,
    layers: Sequence[str] = GRAM_RATIO_LAYERS,
) -> float:
    """Σₗ ‖G(image) − G(style)‖²_F, with G = FFᵀ/(C·H·W) and both images at ``size`` px long side."""
    image_grams = _grams(encoder, image, size, layers)
    style_grams = _grams(encoder, style, size, layers)
    return float(sum((a - b).square().sum() for a, b in zip(image_grams, style_grams)))


def gram_ratio(
    encoder: VGG19Encoder,
    result: Image.Image,
    photo: Image.Image,
    style: Image.Image,
    *,
    size: int = GRAM_RATIO_SIZE,
    layers: Sequence[str] = GRAM_RATIO_LAYERS,
) -> float:
    """``gram_distance(result, style) / gram_distance(photo, style)``: < 1 means closer to the style.

    Example:
        >>> from painterly.encoders import build_vgg19
        >>> encoder = build_vgg19(last_layer="relu5_1")  # doctest: +SKIP
        >>> gram_ratio(encoder, result, photo, style)  # doctest: +SKIP
        0.12
    """
    return gram_distance(encoder, result, style, size=size, layers=layers) / gram_distance(
        encoder, photo, style, size=size, layers=layers
    )


@torch.no_grad()
def content_ratio(encoder: VGG19Encoder, result: Image.Image, photo: Image.Image, *, layer: str = "relu4_2") -> float:
    """``‖F(result) − F(photo)‖² / ‖F(photo)‖²`` at ``layer``, both at 512 px: how far the content moved."""
    features = [encoder(image_to_tensor(resize_long_side(image, GRAM_RATIO_SIZE)), [layer])[layer]
                for image in (result, photo)]  # fmt: skip
    return float((features[0] - features[1]).square().sum() / features[1].square().sum())


def color_distance(result: Image.Image, painting: Image.Image) -> float:
    """‖μ_r − μ_p‖ + ‖Σ_r − Σ_p‖_F of RGB in [0, 1]: how far a result's palette is from the painting's."""
    from .color import color_statistics

    (mean_r, cov_r), (mean_p, cov_p) = (
        color_statistics([image_to_tensor(image)], [1.0]) for image in (result, painting)
    )
    return float((mean_r - mean_p).norm() + (cov_r - cov_p).norm())
