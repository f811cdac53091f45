"""Reading and writing images safely: every mode to RGB, clear errors, atomic writes.

Inside painterly images are ``(B, 3, H, W)`` float tensors in [0, 1]; at the edges they
are PIL images. Whatever a user hands us (EXIF-rotated JPEGs, CMYK, 16-bit, palette, grey,
alpha, ICC profiles) becomes sRGB 8-bit RGB here, and everything we cannot use is a one-line
``ImageError`` rather than a traceback.
"""

from __future__ import annotations

import io
import logging
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from ._atomic import atomic_path
from .errors import ImageError, OutputError

__all__ = [
    "MAX_PIXELS",
    "MIN_SIDE",
    "OUTPUT_FORMATS",
    "check_destination",
    "check_image",
    "check_output_path",
    "fit_long_side",
    "image_format",
    "image_to_tensor",
    "load_image",
    "open_image",
    "resize_long_side",
    "save_image",
    "tensor_to_image",
    "to_rgb",
]

logger = logging.getLogger(__name__)

MIN_SIDE = 16  # smaller images have no room for VGG's 4 poolings to see structure
MAX_PIXELS = 64_000_000  # refuse larger inputs before decoding them (decompression bombs)
OUTPUT_FORMATS: dict[str, str] = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}


def open_image(
    source: str | os.PathLike[str] | bytes, *, max_pixels: int = MAX_PIXELS, label: str = "image"
) -> Image.Image:
    """Decode a file (or bytes) fully and return it as 8-bit sRGB RGB.

    Args:
        source: a path, or the file's bytes (uploads).
        max_pixels: refuse images with more pixels than this before decoding them.
        label: what to call the image in messages (``"style image"`` …).

    Raises:
        ImageError: missing, a directory, empty, not an image, corrupt or truncated,
            too large, or under ``MIN_SIDE`` pixels on a side.
    """
    name = "upload" if isinstance(source, bytes) else os.fspath(source)
    if not isinstance(source, bytes):
        if not name.strip():
            raise ImageError(f"no {label} given: the path is empty")
        path = Path(source)
        if not path.exists():
            raise ImageError(f"{label} not found: {name}", path=name)
        if path.is_dir():
            raise ImageError(f"{label} is a directory, not an image file: {name}", path=name)
        if path.stat().st_size == 0:
            raise ImageError(f"{label} is an empty (0-byte) file: {name}", path=name)
    elif not source:
        raise ImageError(f"{label} is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # we apply our own limit below
            with Image.open(io.BytesIO(source) if isinstance(source, bytes) else name) as opened:
                width, height = opened.size
                if width * height > max_pixels:
                    raise ImageError(
                        f"{label} {name} has {width}×{height} = {width * height:,} pixels, "
                        f"over the limit of {max_pixels:,}",
                        path=name,
                        too_large=True,
                    )
                opened.load()
                image = to_rgb(opened)
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(f"{label} {name} is not an image in a format Pillow can read", path=name) from None
    except PermissionError:
        raise ImageError(f"cannot read {label} {name}: permission denied", path=name) from None
    except Image.DecompressionBombError:
        raise ImageError(
            f"{label} {name} is too large to decode safely (decompression bomb)", path=name, too_large=True
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageError(f"{label} {name} is corrupt or truncated ({error})", path=name) from None
    return check_image(image, label=f"{label} {name}" if name != "upload" else label, max_pixels=max_pixels)


def check_image(image: Image.Image, *, label: str = "image", max_pixels: int = MAX_PIXELS) -> Image.Image:
    """An image handed over as a PIL object passes the same size checks as a file; returns it as RGB.

    Raises:
        ImageError: a side under ``MIN_SIDE`` or more than ``max_pixels`` pixels.
    """
    if not isinstance(image, Image.Image):
        raise ImageError(f"{label} must be a PIL image, got {type(image).__name__}")
    if min(image.size) < MIN_SIDE:
        raise ImageError(f"{label} is {image.width}×{image.height}; each side must be ≥ {MIN_SIDE} px")
    if image.width * image.height > max_pixels:
        raise ImageError(
            f"{label} has {image.width}×{image.height} = {image.width * image.height:,} pixels, "
            f"over the limit of {max_pixels:,}",
            too_large=True,
        )
    return image if image.mode == "RGB" else to_rgb(image)


def image_format(data: bytes) -> str:
    """The file extension for image bytes, judged by content (``.jpg``, ``.png``, …; ``.img`` if unknown)."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            kind = (opened.format or "").lower()
    except (OSError, SyntaxError, ValueError):
        return ".img"
    return {"jpeg": ".jpg", "mpo": ".jpg", "tiff": ".tif"}.get(kind, f".{kind}" if kind.isalnum() else ".img")


def load_image(path: str | os.PathLike[str], *, max_pixels: int = MAX_PIXELS, label: str = "image") -> Image.Image:
    """Alias of ``open_image`` for paths, the name most users look for."""
    return open_image(path, max_pixels=max_pixels, label=label)


def to_rgb(image: Image.Image) -> Image.Image:
    """Any PIL mode → upright 8-bit sRGB RGB.

    EXIF orientation is applied; an embedded ICC profile is converted to sRGB; CMYK, palette,
    grey and 16-bit images are converted; alpha is composited over white, the colour a
    transparent PNG shows on a page.
    """
    image = ImageOps.exif_transpose(image) or image
    image = _apply_icc(image)
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        values = np.asarray(image, dtype=np.float32)
        # 16-bit data arrives as I;16 or I; scale its 0..65535 range to 8 bits.
        scale = 257.0 if values.max(initial=0.0) > 255.0 else 1.0
        image = Image.fromarray(np.clip(values / scale + 0.5, 0, 255).astype(np.uint8), mode="L")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return image.convert("RGB") if image.mode != "RGB" else image


def _apply_icc(image: Image.Image) -> Image.Image:
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA", "CMYK", "L"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        target_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=target_mode)
    except (ImageCms.PyCMSError, OSError, ValueError) as error:
        logger.warning("ignoring unusable ICC profile: %s", error)
        return image
    return converted if converted is not None else image


def image_to_tensor(image: Image.Image, *, device: torch.device | str | None = None) -> torch.Tensor:
    """PIL RGB → ``(1, 3, H, W)`` float32 in [0, 1]."""
    # RGB images (all that open_image returns) skip to_rgb, whose EXIF pass copies the whole image.
    array = np.asarray(image if image.mode == "RGB" else to_rgb(image), dtype=np.uint8)
    tensor = torch.from_numpy(array.copy()).permute(2, 0, 1).unsqueeze(0).float().div_(255.0)
    return tensor.to(device) if device is not None else tensor


def tensor_to_image(tensor: torch.Tensor) -> Image.Image:
    """``(1, 3, H, W)`` or ``(3, H, W)`` in [0, 1] → PIL RGB (values clamped, rounded)."""
    if tensor.dim() == 4:
        tensor = tensor[0]
    # Permute first: the arithmetic then runs over one dense HWC buffer. For a channels-last tensor the permuted
    # view is already contiguous: the multiply is then out of place, since scaling in place scaled the caller's own
    # tensor by 255 (training previews after the first came out white). Otherwise the buffer is a copy of our own,
    # scaled in place (a 12 MP print then peaks 146 MB lower).
    hwc = tensor.detach().permute(1, 2, 0).to("cpu", torch.float32).contiguous()
    scaled = hwc.mul(255) if hwc.data_ptr() == tensor.data_ptr() else hwc.mul_(255)
    array = scaled.round_().clamp_(0, 255).to(torch.uint8).numpy()
    return Image.fromarray(array, mode="RGB")


def fit_long_side(width: int, height: int, long_side: int) -> tuple[int, int]:
    """(width, height) scaled so the longer side is ``long_side``, keeping the aspect ratio."""
    scale = long_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def resize_long_side(image: Image.Image, long_side: int) -> Image.Image:
    """Resize a PIL image so its long side is ``long_side`` (Lanczos, so downscaling does not alias)."""
    size = fit_long_side(image.width, image.height, long_side)
    return image if size == image.size else image.resize(size, Image.Resampling.LANCZOS)


def resize_tensor(tensor: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Resize ``(B, C, H, W)`` to ``size`` = (height, width), antialiased when shrinking."""
    if tuple(tensor.shape[-2:]) == size:
        return tensor
    return F.interpolate(tensor, size=size, mode="bicubic", align_corners=False, antialias=True).clamp(0, 1)


def check_output_path(path: str | os.PathLike[str], *, force: bool = False) -> str:
    """Fail early, before any work, if ``path`` cannot receive a result.

    Returns:
        The PIL format name chosen by the extension.

    Raises:
        OutputError: unknown extension, existing file without ``force``, a directory, or an
            unwritable or missing folder.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        known = ", ".join(OUTPUT_FORMATS)
        raise OutputError(f"cannot tell the output format from {str(target)!r}; use one of {known}", path=str(target))
    check_destination(target, force=force)
    return OUTPUT_FORMATS[suffix]


def check_destination(target: Path, *, force: bool = False) -> None:
    """Fail early if ``target`` cannot receive a file: it exists (without ``force``), is a folder, or its
    folder is missing or not writable.

    Raises:
        OutputError: saying which.
    """
    if target.is_dir():
        raise OutputError(f"output path is a directory: {target}", path=str(target))
    if target.exists() and not force:
        raise OutputError(f"output {target} exists; pass --force to overwrite it", path=str(target))
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"output folder does not exist: {folder}", path=str(target))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"output folder is not writable: {folder}", path=str(target))


def save_image(
    image: Image.Image,
    path: str | os.PathLike[str],
    *,
    force: bool = False,
    jpeg_quality: int = 95,
    provenance: dict[str, Any] | None = None,
    exif: Image.Exif | None = None,
) -> Path:
    """Write ``image`` atomically (temp file in the same folder, then rename).

    A crash or a full disk leaves either the old file or none, never half an image.

    Args:
        provenance: a record of what made the image, embedded in the file (``provenance.record``).
        exif: capture metadata to keep (``provenance.capture_exif`` of the photo).

    Raises:
        OutputError: as ``check_output_path``, or the write itself failed.
    """
    from .provenance import save_options

    image_format = check_output_path(path, force=force)
    target = Path(path)
    options: dict[str, object] = save_options(image_format, provenance, exif)
    if image_format in ("JPEG", "WEBP"):
        options["quality"] = jpeg_quality
    try:
        with atomic_path(target) as temporary:
            image.convert("RGB").save(temporary, format=image_format, **options)
    except OSError as error:
        raise OutputError(f"cannot write {target}: {error.strerror or error}", path=str(target)) from None
    return target
