"""Arbitrary style by whitening and colouring (Li et al. 2017, "Universal Style Transfer via Feature
Transforms"), at ``relu4_1`` with the bundled decoder.

Where AdaIN matches each channel's mean and spread, WCT matches the whole channel covariance,
so correlations between features — which strokes go with which colours — carry over too.
Departure from the paper: one level (``relu4_1``) and the decoder trained for AdaIN, not five
reconstruction decoders; the multi-level method belongs to a later change (see the arbitrary-style
issue). This file exists as much to show that a new transform is one small file.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..transforms import wct, wct_content_statistics, wct_statistics
from ._encoder_decoder import EncoderDecoderSettings, EncoderDecoderStylizer
from .base import register_method

__all__ = ["WCTSettings", "WCTStylizer"]


@dataclass(frozen=True)
class WCTSettings(EncoderDecoderSettings):
    """Settings of the WCT method; the CLI and the service build their options from these fields."""


@register_method
class WCTStylizer(EncoderDecoderStylizer):
    """Any painting as a style, matching feature covariances (whitening and colouring), in one pass."""

    name = "wct"
    Settings = WCTSettings
    summary = "wct: any painting in about 0.2 s, matches colour correlations too, softer detail; a quick preview"
    transform = staticmethod(wct)
    statistics = staticmethod(wct_statistics)
    content_statistics = staticmethod(wct_content_statistics)
