"""What made a result: a record written into the image file, and the photo's capture metadata kept.

A stylized image should say how it was made (method, model or styles, settings, seed,
painterly version) so that it can be made again, and it should keep what the camera wrote
(date, camera, lens) as the photo did. PNG gets a text chunk, JPEG and WebP EXIF (and WebP
XMP); the same record is what ``painterly stylize --json`` prints.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from PIL import Image

from . import __version__

__all__ = [
    "CAPTURE_TAGS",
    "capture_exif",
    "record",
    "record_from_image",
    "record_from_video",
    "same_work",
    "stylizer_record",
]

KEY = "painterly"  # PNG text key / XMP property holding the record
# EXIF tags that describe the capture, kept from the photo: make, model, date/time, artist, copyright.
CAPTURE_TAGS = (0x010F, 0x0110, 0x0132, 0x013B, 0x8298)
_EXIF_IFD = 0x8769
_CAPTURE_EXIF_TAGS = (0x9003, 0x9004, 0xA434, 0x829A, 0x829D, 0x8827, 0x920A)  # date original, lens, exposure …
_USER_COMMENT = 0x9286


def _source_name(source: Any) -> str:
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    return type(source).__name__


def _digest(source: Any) -> str | None:
    if isinstance(source, (str, os.PathLike)) and Path(source).is_file():
        return hashlib.sha256(Path(source).read_bytes()).hexdigest()[:16]
    return None


def record(
    method: str,
    settings: Any,
    *,
    photo: Any = None,
    styles: list[Any] | None = None,
    style_weights: list[float] | None = None,
    model: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The provenance record of one result (JSON-ready)."""
    values = dataclasses.asdict(settings) if not isinstance(settings, dict) else dict(settings)
    result: dict[str, Any] = {"painterly": __version__, "method": method, "settings": values}
    if photo is not None:
        result["photo"] = {"name": _source_name(photo), "sha256_16": _digest(photo)}
    if styles:
        result["styles"] = [{"name": _source_name(style), "sha256_16": _digest(style)} for style in styles]
        if style_weights is not None:
            result["style_weights"] = list(style_weights)
    if model:
        result["model"] = model
    return result


def stylizer_record(
    stylizer: Any,
    *,
    photo: Any = None,
    styles: list[Any] | None = None,
    style_weights: list[float] | None = None,
    video: Any = None,
) -> dict[str, Any]:
    """The record of a result made by a loaded ``Stylizer``: its method and settings, its model's identity
    (kind, styles, steps) when it has one, and a video's settings (a dataclass) for a clip."""
    metadata = getattr(stylizer, "metadata", None) or {}
    model = {key: metadata[key] for key in ("kind", "styles", "steps") if key in metadata} or None
    result = record(stylizer.name, stylizer.settings, photo=photo, styles=styles, style_weights=style_weights,
                    model=model)  # fmt: skip
    if video is not None:
        result["video"] = dataclasses.asdict(video)
    return result


def capture_exif(path: str | os.PathLike[str]) -> Image.Exif | None:
    """The capture part of a photo's EXIF (camera, dates, exposure, lens), or ``None``.

    Orientation is left out on purpose: the result is already upright.
    """
    try:
        with Image.open(path) as image:
            source = image.getexif()
    except (OSError, ValueError, SyntaxError):
        return None
    kept = Image.Exif()
    for tag in CAPTURE_TAGS:
        if tag in source:
            kept[tag] = source[tag]
    inner = source.get_ifd(_EXIF_IFD)
    capture = {tag: inner[tag] for tag in _CAPTURE_EXIF_TAGS if tag in inner}
    if capture:
        kept.get_ifd(_EXIF_IFD).update(capture)
    return kept if len(kept) or capture else None


def save_options(image_format: str, provenance: dict[str, Any] | None, exif: Image.Exif | None) -> dict[str, Any]:
    """Pillow save options that embed the record and the capture EXIF in a file of ``image_format``."""
    text = json.dumps(provenance, separators=(",", ":")) if provenance else None
    exif = exif if exif is not None else (Image.Exif() if text else None)
    if text and exif is not None and image_format in ("JPEG", "WEBP"):
        exif[0x010E] = text  # ImageDescription: readable by every EXIF tool
    options: dict[str, Any] = {}
    if image_format == "PNG" and text:
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        info.add_text(KEY, text)
        options["pnginfo"] = info
    if exif is not None and len(exif):
        options["exif"] = exif.tobytes()
    if image_format == "WEBP" and text:
        options["xmp"] = _xmp(text)
    return options


def _xmp(text: str) -> bytes:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description xmlns:painterly="https://painterly.invalid/ns/1.0/" painterly:record="{escaped}"/>'
        "</rdf:RDF></x:xmpmeta>"
    ).encode()


def record_from_image(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Read back the record a result carries (PNG text or EXIF ImageDescription), or ``None``."""
    with Image.open(path) as image:
        text = image.info.get(KEY) or image.getexif().get(0x010E)
    try:
        return json.loads(text) if text else None
    except (TypeError, ValueError):
        return None


def record_from_video(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Read back the record a stylized video carries in its container's ``comment`` tag, or ``None``."""
    import av

    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            tags = {key.lower(): value for key, value in container.metadata.items()}
    except (av.FFmpegError, OSError):
        return None
    try:
        record = json.loads(tags.get("comment", ""))
    except (TypeError, ValueError):
        return None
    return record if isinstance(record, dict) and "painterly" in record else None


def same_work(existing: dict[str, Any] | None, planned: dict[str, Any]) -> bool:
    """Whether a result's record says it was made from the same photo, styles, method and settings: a rerun
    (a batch, a finished video run resumed) then has nothing to do."""
    if existing is None:
        return False
    keys = ("method", "settings", "photo", "styles", "style_weights", "model", "video")
    comparable = json.loads(json.dumps({k: planned.get(k) for k in keys}, default=str))
    return all(existing.get(k) == comparable[k] for k in keys)
