"""ONNX export of trained style networks, and onnxruntime sessions for ``--engine onnx``.

We use PyTorch's TorchScript-based exporter: the newer ``torch.export`` one needs extra
packages (onnxscript) for no gain on these plain convolutional networks. Height, width and
batch are dynamic, so one file serves every image size.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from functools import partial
from pathlib import Path
from typing import Any

import torch

from ._atomic import atomic_path
from .errors import OutputError, PainterlyError
from .nets.transformer import StyleNet
from .padding import in_margin
from .weights import painterly_home

__all__ = ["ONNX_TOLERANCE", "export_onnx", "onnx_session"]

# Largest per-pixel difference we accept between onnxruntime and PyTorch (float32, values in [0, 1]);
# measured differences are ~1e-6, and one 8-bit grey level is 3.9e-3.
ONNX_TOLERANCE = 1e-4


class _InMargin(torch.nn.Module):
    """A network run inside a reflected margin and cropped back, as the model was trained (``margin`` metadata)."""

    def __init__(self, net: StyleNet, margin: int) -> None:
        super().__init__()
        self.net, self.margin = net, margin

    def forward(self, image: torch.Tensor, style_weights: torch.Tensor) -> torch.Tensor:
        return in_margin(partial(self.net, style_weights=style_weights), image, self.margin)


def export_onnx(net: StyleNet, path: str | os.PathLike[str], *, force: bool = False, margin: int = 0) -> Path:
    """Write ``net`` as ONNX (opset 17) with inputs ``image`` ``(B, 3, H, W)`` and ``style_weights`` ``(B, S)``.

    With ``margin`` (a model trained inside one) the graph pads and crops it itself, so the file is used
    like any other; painterly's own sessions leave it out, as the engine pads before every method.

    Raises:
        OutputError: the file exists (without ``force``) or cannot be written.
    """
    target = Path(path)
    if target.exists() and not force:
        raise OutputError(f"output {target} exists; pass --force to overwrite it", path=str(target))
    if not target.parent.is_dir():
        raise OutputError(f"output folder does not exist: {target.parent}", path=str(target))
    net = net.float().eval()
    model: torch.nn.Module = _InMargin(net, margin) if margin else net
    example = (torch.rand(1, 3, 64, 64), torch.full((1, net.styles), 1.0 / net.styles))
    dynamic = {"image": {0: "batch", 2: "height", 3: "width"}, "style_weights": {0: "batch"},
               "output": {0: "batch", 2: "height", 3: "width"}}  # fmt: skip
    try:
        with atomic_path(target) as temporary, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter warns about its own deprecation and instance norm mode
            torch.onnx.export(
                model, example, str(temporary), input_names=["image", "style_weights"], output_names=["output"],
                dynamic_axes=dynamic, opset_version=17, dynamo=False,
            )  # fmt: skip
    except OSError as error:
        raise OutputError(f"cannot write {target}: {error}", path=str(target)) from None
    return target


def onnx_session(net: StyleNet, name: str) -> Any:
    """An onnxruntime session for ``net``, exporting once into the cache (keyed by the weights' hash).

    Raises:
        PainterlyError: onnxruntime is not installed.
    """
    try:
        import onnxruntime
    except ImportError:
        raise PainterlyError("--engine onnx needs onnxruntime: pip install 'painterly[onnx]'") from None
    digest = hashlib.sha256()
    for tensor in net.state_dict().values():
        digest.update(tensor.detach().float().contiguous().numpy().tobytes())
    cache = painterly_home() / "onnx"
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{Path(name).stem}-{digest.hexdigest()[:16]}.onnx"
    if not path.exists():
        export_onnx(net, path, force=True)
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
