"""Frozen feature encoders used as loss networks and content encoders, obtained from one place."""

from __future__ import annotations

from functools import lru_cache

from ..memory import release_freed
from .vgg import VGG19_LAYERS as VGG19_LAYERS
from .vgg import Pooling
from .vgg import VGG19Encoder as VGG19Encoder
from .vgg import build_vgg19 as build_vgg19

__all__ = ["VGG19_LAYERS", "VGG19Encoder", "build_vgg19", "get_encoder"]


@lru_cache(maxsize=4)
def get_encoder(weights: str = "vgg19.caffe_q8", pooling: Pooling = "max", last_layer: str = "relu5_1") -> VGG19Encoder:
    """The frozen VGG19 to ``last_layer``, built once per process and shared by every method and trainer.

    Loading and dequantizing the weights takes about a second; every later call is free. The
    file's buffers are handed back to the system afterwards (100 MB that glibc would keep).
    """
    encoder = build_vgg19(weights, pooling=pooling, last_layer=last_layer)
    release_freed()
    return encoder
