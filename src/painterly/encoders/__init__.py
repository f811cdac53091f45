"""Frozen feature encoders used as loss networks and content encoders."""

from .vgg import VGG19_LAYERS as VGG19_LAYERS
from .vgg import VGG19Encoder as VGG19Encoder
from .vgg import build_vgg19 as build_vgg19

__all__ = ["VGG19_LAYERS", "VGG19Encoder", "build_vgg19"]
