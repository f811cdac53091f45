"""Choosing a device: a requested one must exist and allocate, or the user gets one line saying so."""

from __future__ import annotations

import logging

import torch

from .errors import DeviceError

__all__ = ["make_device"]

logger = logging.getLogger(__name__)


def make_device(name: str | torch.device) -> torch.device:
    """A device that exists and can allocate a tensor.

    Raises:
        DeviceError: an unknown device name, or one this machine or torch build lacks.
    """
    try:
        device = torch.device(name)
        torch.zeros(1, device=device)
    except (RuntimeError, AssertionError, TypeError, ValueError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DeviceError(f"device {str(name)!r} is not usable here: {reason}") from None
    if device.type == "cpu" and torch.cuda.is_available():
        logger.warning("a CUDA GPU is present but unused; pass --device cuda to use it")
    return device
