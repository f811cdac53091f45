"""Losses as function + module pairs (``functional.py``, ``modules.py``) and the combined objective."""

from .modules import ContentLoss as ContentLoss
from .modules import GramLoss as GramLoss
from .modules import TVLoss as TVLoss
from .modules import WassersteinLoss as WassersteinLoss
from .perceptual import PerceptualLoss as PerceptualLoss

__all__ = ["ContentLoss", "GramLoss", "PerceptualLoss", "TVLoss", "WassersteinLoss"]
