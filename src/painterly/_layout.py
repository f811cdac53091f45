"""Memory layout: convolutions on a CPU run fastest channels-last (NHWC) in oneDNN."""

from __future__ import annotations

from typing import TypeVar

import torch
from torch import nn

ModuleType = TypeVar("ModuleType", bound=nn.Module)


def channels_last(module: ModuleType) -> ModuleType:
    """Move a module's 4-D parameters to channels-last, in place; returns the module."""
    return module.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
