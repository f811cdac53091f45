"""Arbitrary style in one pass (Huang & Belongie 2017): AdaIN gives the photo's ``relu4_1`` features
each channel's mean and standard deviation from the painting, and a trained decoder paints them.

Works at the photo's full resolution (no fixed working size); style statistics are cached per
painting, so restyling many photos with one painting pays for the painting once.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..transforms import adain_content_statistics, adain_statistics, adaptive_instance_norm
from ._encoder_decoder import BUNDLED_DECODER, EncoderDecoderSettings, EncoderDecoderStylizer, decoder_path
from ._encoder_decoder import region_weights as region_weights
from .base import register_method

__all__ = ["BUNDLED_DECODER", "AdaINSettings", "AdaINStylizer", "decoder_path", "region_weights"]


@dataclass(frozen=True)
class AdaINSettings(EncoderDecoderSettings):
    """Settings of the AdaIN method; the CLI and the service build their options from these fields."""


@register_method
class AdaINStylizer(EncoderDecoderStylizer):
    """Any painting as a style, in one forward pass.

    Example:
        >>> stylizer = painterly.load("adain")  # doctest: +SKIP
        >>> stylizer("photo.jpg", "painting.jpg", alpha=0.8).save("out.png")  # doctest: +SKIP
    """

    name = "adain"
    Settings = AdaINSettings
    summary = "adain: any painting in about 0.2 s at 512 px, the loosest match; a quick preview (then Refine)"
    transform = staticmethod(adaptive_instance_norm)
    statistics = staticmethod(adain_statistics)
    content_statistics = staticmethod(adain_content_statistics)
